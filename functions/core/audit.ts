import type { DriftEntry } from './guard-result.js';
import type { IacOwner } from './iac-owner.js';

/** The CIS 1.17 / Security Hub IAM.18 check, and the guarded role against its desired state. */
export interface AuditReport {
  readonly compliant: boolean;
  readonly cis: {
    /** At least one role holds the policy (what IAM.18 checks). */
    readonly compliant: boolean;
    readonly policyArn: string;
    readonly roles: readonly string[];
    readonly users: readonly string[];
    readonly groups: readonly string[];
  };
  readonly role: {
    readonly name: string;
    readonly exists: boolean;
    readonly drift: readonly DriftEntry[];
    /** Another tool that manages the role, by its tags (functions/core/iac-owner.ts). */
    readonly managedBy?: IacOwner;
    /** The trusted principals for this account (placeholders resolved). */
    readonly trustedPrincipals?: readonly string[];
  };
  readonly warnings: readonly string[];
}

/** Whether an IAM action pattern (`support:*`, `support-console:*`, `*`) covers a service prefix. */
const covers = (action: string, service: string): boolean =>
  action === '*' || action.toLowerCase() === `${service}:*` || action.toLowerCase().startsWith(`${service}:`);

/**
 * Since 2026 the Support Center console also needs `support-console:*`. When the required policies
 * do not grant it, people can open cases through the API but may be denied in the console.
 */
export function supportConsoleWarning(allowedActions: readonly string[]): string | undefined {
  if (allowedActions.some((a) => covers(a, 'support-console'))) return undefined;
  return (
    'the required policies do not grant support-console:* — the role can open cases through the Support API, ' +
    'but the Support Center console may deny it; add a policy granting support-console:* to REQUIRED_POLICY_ARNS and pin its document in REQUIRED_POLICY_DOCUMENTS (a customer-managed policy is refused unpinned; docs/runbook.md)'
  );
}

/**
 * REQUIRE_MFA adds `aws:MultiFactorAuthPresent` to the trust policy. Role sessions never carry
 * that key (IAM Identity Center / SSO and federated sessions are role sessions), so a trusted role
 * could never assume the support role; through an account root only IAM users who signed in with
 * MFA can. Named at synth (a CDK warning) and by `audit`; not refused, because a configuration
 * that trusts users as well is legitimate.
 */
export function mfaWarnings(desired: {
  readonly requireMfa: boolean;
  readonly trustedPrincipalArns: readonly string[];
}): string[] {
  if (!desired.requireMfa) return [];
  const roles = desired.trustedPrincipalArns.filter((arn) => /:(?:role|assumed-role)\//.test(arn));
  const roots = desired.trustedPrincipalArns.filter((arn) => /:root$/.test(arn));
  const warnings: string[] = [];
  if (roles.length > 0)
    warnings.push(
      `REQUIRE_MFA=true, but ${roles.join(', ')} ${roles.length === 1 ? 'is a role' : 'are roles'}: role sessions ` +
        '(IAM Identity Center / SSO and federated ones included) never carry aws:MultiFactorAuthPresent, so ' +
        `${roles.length === 1 ? 'it' : 'they'} can never assume the support role; trust IAM users instead, or set REQUIRE_MFA=false`,
    );
  if (roots.length > 0)
    warnings.push(
      `REQUIRE_MFA=true with ${roots.join(', ')}: only IAM users of ${roots.length === 1 ? 'that account' : 'those accounts'} ` +
        'who signed in with MFA can assume the support role; its roles and SSO users cannot',
    );
  return warnings;
}

export function auditVerdict(report: Omit<AuditReport, 'compliant'>): AuditReport {
  return {
    ...report,
    compliant: report.cis.compliant && report.role.exists && report.role.drift.length === 0,
  };
}
