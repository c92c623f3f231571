import type { PolicyDocument } from './policy-document.js';

/**
 * What the support role must look like. Built from configuration only: nothing read from an
 * event ever becomes desired state.
 */
export interface DesiredRole {
  readonly roleName: string;
  readonly path: string;
  readonly description: string;
  readonly maxSessionDuration: number;
  readonly trustedPrincipalArns: readonly string[];
  readonly requireMfa: boolean;
  readonly requiredPolicyArns: readonly string[];
  readonly permissionsBoundaryArn?: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly trustPolicy: PolicyDocument;
  /**
   * The content pinned for customer-managed required policies and the boundary (by ARN), from
   * REQUIRED_POLICY_DOCUMENTS: the default version's document must mean exactly this.
   */
  readonly policyDocuments?: Readonly<Record<string, PolicyDocument>>;
}

/** The ARNs whose content the guard pins (customer-managed, with a configured document). */
export function pinnedPolicyArns(desired: Pick<DesiredRole, 'policyDocuments'>): string[] {
  return Object.keys(desired.policyDocuments ?? {}).sort();
}

export const DEFAULT_DESCRIPTION =
  'Manages incidents with AWS Support (CIS 1.17 / Security Hub IAM.18). Kept in place by support-role-guard.';
export const DEFAULT_MAX_SESSION_DURATION = 3600;
export const DEFAULT_TAGS: Readonly<Record<string, string>> = Object.freeze({
  'managed-by': 'support-role-guard',
});

/** The trust policy: the chosen principals may assume the role (with MFA when required). */
export function buildTrustPolicy(principalArns: readonly string[], requireMfa: boolean): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: principalArns.length === 1 ? principalArns[0] : [...principalArns] },
        Action: 'sts:AssumeRole',
        ...(requireMfa ? { Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } } } : {}),
      },
    ],
  };
}

/** Compares IAM names (role names are case-insensitive in IAM). */
export function sameIamName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
