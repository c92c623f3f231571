import { IAMClient } from '@aws-sdk/client-iam';
import { CLIENT_SETTINGS } from '../adapters/aws-clients.js';
import { listPolicyHolders, policyAllowedActions } from '../adapters/iam-audit.js';
import { IamRoleStore } from '../adapters/iam-role-store.js';
import { supportAccessPolicyArn } from '../core/arn.js';
import { type AuditReport, auditVerdict, mfaWarnings, supportConsoleWarning } from '../core/audit.js';
import { parseConfig } from '../core/config.js';
import { detectDrift } from '../core/drift.js';
import { describeError } from '../core/errors.js';
import { iacOwner, iacOwnerWarning } from '../core/iac-owner.js';
import { desiredForCaller } from './desired.js';
import { type CommandIo, EXIT } from './io.js';
import { CONFIG_FLAGS_HELP, parseCommandArgs } from './options.js';
import { stackHoldingRole } from './stack-owner.js';

export const AUDIT_HELP = `Usage: support-role-guard audit [--json]

The CIS 1.17 / Security Hub IAM.18 check, read-only: which roles, users and groups hold
AWSSupportAccess (the control passes when at least one role does), whether the guarded role
matches its desired state (each drift listed), and whether the required policies grant the
Support Center console (support-console:*).

Options:
  --json       print the report as JSON
  -h, --help   show this help

${CONFIG_FLAGS_HELP}

Exit codes:
  0  compliant: a role holds AWSSupportAccess and the guarded role is in its desired state
  1  not compliant (the report says why)
  2  could not check (the failing API call and its error are named), or bad usage/configuration`;

/** A step that failed: names the API so that "could not check" says exactly what was refused. */
class CheckError extends Error {
  constructor(api: string, cause: unknown) {
    super(`${api} failed: ${describeError(cause)}`, { cause });
    this.name = 'CheckError';
  }
}

async function step<T>(api: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw new CheckError(api, error);
  }
}

export async function auditCommand(args: readonly string[], io: CommandIo): Promise<number> {
  const { values, env } = parseCommandArgs('audit', args, {});
  if (values.help) {
    io.out(AUDIT_HELP);
    return EXIT.ok;
  }
  const config = parseConfig(env);
  const iam = new IAMClient({ ...CLIENT_SETTINGS, region: config.region });
  const policyArn = supportAccessPolicyArn(config.partition);
  let report: AuditReport;
  try {
    const desired = await step('GetCallerIdentity', () => desiredForCaller(config));
    const holders = await step('ListEntitiesForPolicy', () => listPolicyHolders(iam, policyArn));
    const role = await step('GetRole/ListAttachedRolePolicies/ListRolePolicies', () =>
      new IamRoleStore(iam).read(config.desired.roleName),
    );
    const actions = (
      await Promise.all(
        config.desired.requiredPolicyArns.map((arn) =>
          step('GetPolicy/GetPolicyVersion', () => policyAllowedActions(iam, arn)),
        ),
      )
    ).flat();
    const warning = supportConsoleWarning(actions);
    const drift = detectDrift(desired, role, config.partition);
    const holder = role.exists ? await stackHoldingRole(config.region, config.desired.roleName) : {};
    const owner = role.exists ? iacOwner(role.tags, holder.stack) : undefined;
    report = auditVerdict({
      cis: { compliant: holders.roles.length > 0, policyArn, ...holders },
      role: {
        name: config.desired.roleName,
        exists: role.exists,
        drift: drift.map(({ property, before, after }) => ({ property, before, after })),
        ...(owner ? { managedBy: owner } : {}),
        trustedPrincipals: desired.trustedPrincipalArns,
      },
      warnings: [
        ...(owner ? [iacOwnerWarning(owner, drift.length)] : []),
        ...(holder.warning ? [holder.warning] : []),
        ...(warning ? [warning] : []),
        ...mfaWarnings(desired),
      ],
    });
  } catch (error) {
    if (!(error instanceof CheckError)) throw error;
    if (values.json) io.out(JSON.stringify({ checked: false, error: error.message }, null, 2));
    io.err(`support-role-guard: could not check: ${error.message}`);
    return EXIT.usage;
  }
  io.out(values.json ? JSON.stringify(report, null, 2) : render(report));
  return report.compliant ? EXIT.ok : EXIT.failure;
}

const names = (list: readonly string[]) => (list.length === 0 ? '(none)' : list.join(', '));

function render(r: AuditReport): string {
  const lines = [
    `CIS 1.17 / Security Hub IAM.18: ${r.cis.policyArn} is attached to`,
    `  roles:  ${names(r.cis.roles)}`,
    `  users:  ${names(r.cis.users)}`,
    `  groups: ${names(r.cis.groups)}`,
    r.cis.compliant
      ? '  PASS: at least one role holds it.'
      : `  FAIL: no role holds it${r.cis.users.length + r.cis.groups.length > 0 ? ' (users or groups do not count)' : ''}.`,
    '',
    `Guarded role ${r.role.name}: ${!r.role.exists ? 'MISSING' : r.role.drift.length === 0 ? 'in its desired state' : `${r.role.drift.length} drift(s)`}`,
    ...r.role.drift.map((d) => `  - ${d.property}: ${d.before ?? '(absent)'} -> ${d.after ?? '(absent)'}`),
    ...(r.role.managedBy ? [`  managed by: ${r.role.managedBy.tool} (${r.role.managedBy.evidence})`] : []),
    `  trusted (resolved for this account): ${names(r.role.trustedPrincipals ?? [])}`,
  ];
  if (r.warnings.length > 0) lines.push('', 'Warnings:', ...r.warnings.map((w) => `  - ${w}`));
  lines.push('', r.compliant ? 'COMPLIANT' : 'NOT COMPLIANT');
  return lines.join('\n');
}
