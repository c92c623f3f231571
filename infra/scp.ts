import { ROLE_ARN_RE, ROLE_NAME_RE, ROLE_PATH_RE } from '../functions/core/arn.js';
import type { ConfigProblem } from '../functions/core/errors.js';
import { ROLE_MUTATION_EVENT_NAMES } from '../functions/core/event-pattern.js';
import { DEFAULT_MEMBER_ROLE_NAME, GUARD_ROLE_NAME, GUARD_ROLE_PATH } from '../functions/core/guard-roles.js';

export interface ScpOptions {
  /** The guarded role's name (the SCP applies to it, under any path, in every account it is attached to). */
  readonly supportRoleName: string;
  /** The member remediation role's name (organization mode; `memberRoleName`). */
  readonly memberRoleName: string;
  /**
   * An optional break-glass role: an ARN (that account only) or a path and name such as
   * `/admin/BreakGlass` or `BreakGlass` (that role in every account). No wildcards.
   */
  readonly breakGlassRole?: string;
}

/** Every IAM call that changes the support role (the twelve the guard listens to) and creating it. */
export const SCP_ACTIONS = [
  ...new Set(['iam:CreateRole', ...ROLE_MUTATION_EVENT_NAMES.map((name) => `iam:${name}`)]),
];

/** The options docs/scp.md shows (a test keeps the document equal to the code). */
export const DOCUMENTED_SCP_OPTIONS = {
  supportRoleName: 'AWSSupportRole',
  memberRoleName: DEFAULT_MEMBER_ROLE_NAME,
  exampleBreakGlass: 'arn:aws:iam::111122223333:role/BreakGlass',
} as const;

const BREAK_GLASS_PATH_NAME_RE = /^(?:\/(?:[\x21-\x7e]*\/)?)?[\w+=,.@-]{1,64}$/;

/** What is wrong with the options, each naming the bad value (empty when none). */
export function scpOptionsProblems(options: ScpOptions): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const glass = options.breakGlassRole;
  if (glass !== undefined) {
    if (/[*?]/.test(glass))
      problems.push({
        name: 'breakGlassRole',
        message: `${JSON.stringify(glass)} has a wildcard; name one role (an ARN, or /path/Name for every account)`,
      });
    else if (glass.startsWith('arn:') ? !ROLE_ARN_RE.test(glass) : !BREAK_GLASS_PATH_NAME_RE.test(glass))
      problems.push({
        name: 'breakGlassRole',
        message: `${JSON.stringify(glass)} is not a role ARN (arn:aws:iam::ACCOUNT:role/NAME) nor a role name with an optional /path/`,
      });
    else if (!glass.startsWith('arn:') && glass.includes('/') && !glass.startsWith('/'))
      problems.push({
        name: 'breakGlassRole',
        message: `${JSON.stringify(glass)}: a path starts with "/" (/path/Name)`,
      });
  }
  if (!ROLE_NAME_RE.test(options.supportRoleName))
    problems.push({
      name: 'supportRoleName',
      message: `${JSON.stringify(options.supportRoleName)} is not a role name`,
    });
  if (!ROLE_NAME_RE.test(options.memberRoleName))
    problems.push({
      name: 'memberRoleName',
      message: `${JSON.stringify(options.memberRoleName)} is not a role name`,
    });
  return problems;
}

function breakGlassArn(glass: string): string {
  if (glass.startsWith('arn:')) return glass;
  const slash = glass.lastIndexOf('/');
  const path = slash < 0 ? '/' : glass.slice(0, slash + 1);
  if (!ROLE_PATH_RE.test(path)) throw new Error(`bad break-glass path ${JSON.stringify(glass)}`);
  return `arn:*:iam::*:role${path}${glass.slice(slash + 1)}`;
}

/**
 * An optional Service Control Policy: nobody but the guard's own roles (and the break-glass role)
 * may create or change the support role. The exemptions are the exact ARNs the stacks give those
 * roles (name and path), never a prefix. It denies only the IAM calls that change the role, never
 * sts:AssumeRole, so the people who need AWS Support keep using it. The StackSet execution role is
 * not exempt: the member template never creates or touches the support role.
 */
export function supportRoleScp(options: ScpOptions): Record<string, unknown> {
  const problems = scpOptionsProblems(options);
  if (problems.length > 0) throw new Error(problems.map((p) => `${p.name}: ${p.message}`).join('; '));
  const exempt = [
    `arn:*:iam::*:role${GUARD_ROLE_PATH}${GUARD_ROLE_NAME}`,
    `arn:*:iam::*:role${GUARD_ROLE_PATH}${options.memberRoleName}`,
    ...(options.breakGlassRole ? [breakGlassArn(options.breakGlassRole)] : []),
  ];
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'OnlyTheGuardChangesTheSupportRole',
        Effect: 'Deny',
        Action: [...SCP_ACTIONS],
        // Any path: an attacker must not create the role under another path before the guard does.
        Resource: [
          `arn:*:iam::*:role/${options.supportRoleName}`,
          `arn:*:iam::*:role/*/${options.supportRoleName}`,
        ],
        Condition: { ArnNotLike: { 'aws:PrincipalArn': exempt } },
      },
    ],
  };
}
