import { ROLE_MUTATION_EVENT_NAMES } from '../functions/core/event-pattern.js';

export interface ScpOptions {
  /** The guarded role's name (the SCP applies to it in every account it is attached to). */
  readonly supportRoleName: string;
  /** Principals still allowed to change the role: the guard's role, plus any break-glass role. */
  readonly exemptPrincipalArnPatterns: readonly string[];
}

/** The guard's execution role in every account (CloudFormation names it SupportRoleGuard-GuardRole…). */
export const GUARD_ROLE_ARN_PATTERN = 'arn:*:iam::*:role/SupportRoleGuard-GuardRole*';

/**
 * An optional Service Control Policy: nobody but the guard (and the exempt principals) may change
 * the support role. It denies only the IAM calls that change the role — never sts:AssumeRole, so
 * the people who need AWS Support keep using the role.
 */
export function supportRoleScp(options: ScpOptions): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'OnlyTheGuardChangesTheSupportRole',
        Effect: 'Deny',
        Action: ['iam:CreateRole', ...ROLE_MUTATION_EVENT_NAMES.map((name) => `iam:${name}`)],
        Resource: `arn:*:iam::*:role/${options.supportRoleName}`,
        Condition: { ArnNotLike: { 'aws:PrincipalArn': [...options.exemptPrincipalArnPatterns] } },
      },
    ],
  };
}
