import { ROLE_ARN_RE, ROLE_NAME_RE, ROLE_PATH_RE } from '../functions/core/arn.js';
import type { ConfigProblem } from '../functions/core/errors.js';
import { ROLE_MUTATION_EVENT_NAMES } from '../functions/core/event-pattern.js';
import {
  DEFAULT_MEMBER_ROLE_NAME,
  GUARD_ROLE_NAME,
  GUARD_ROLE_PATH,
  MEMBER_RULE_NAMES,
  STACKSET_EXECUTION_ROLE_ARN,
} from '../functions/core/guard-roles.js';

export interface ScpOptions {
  /**
   * `organization` (the central stack; the default): the member remediation role is exempt and the
   * guard's member resources are protected. `single-account`: the single-account guard role is
   * exempt (attach it only to accounts where that stack is deployed).
   */
  readonly mode?: 'organization' | 'single-account';
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

/**
 * Who creates the member template's resources in a member account: the execution role a
 * service-managed StackSet creates there (through its service-linked role, which SCPs do not
 * affect). The prefix is safe only because the SCP denies everyone creating or changing a role
 * of that name. One such role per member account serves EVERY service-managed StackSet of the
 * organization: whoever may create or update a service-managed StackSet (administrators of the
 * management account, whose StackSets service role may assume `stacksets-exec-*`, and every
 * StackSets delegated administrator) can change the guard's roles and rules in every member
 * account, and is trusted as much as the guard (docs/scp.md, "Who is trusted as much as the guard").
 */
export { STACKSET_EXECUTION_ROLE_ARN };

/** Every change to an EventBridge rule and its targets. */
export const SCP_RULE_ACTIONS = [
  'events:PutRule',
  'events:DeleteRule',
  'events:DisableRule',
  'events:PutTargets',
  'events:RemoveTargets',
  'events:TagResource',
  'events:UntagResource',
];

/** The options docs/scp.md shows (a test keeps the document equal to the code). */
export const DOCUMENTED_SCP_OPTIONS = {
  mode: 'organization',
  supportRoleName: 'AWSSupportRole',
  memberRoleName: DEFAULT_MEMBER_ROLE_NAME,
  exampleBreakGlass: 'arn:aws:iam::111122223333:role/BreakGlass',
} as const satisfies Partial<ScpOptions> & { exampleBreakGlass: string };

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
 * An optional Service Control Policy: nobody but the guard's own role (and the break-glass role)
 * may create or change the support role. The exemption is the exact ARN the stacks give that role
 * (name and path), never a prefix. It denies only the IAM calls that change the role, never
 * sts:AssumeRole, so the people who need AWS Support keep using it.
 *
 * In organization mode an exemption by name holds only if nobody else can create or re-trust a
 * role of that name, so it also protects what the member template deploys: every role under the
 * guard path and the break-glass role (only the StackSet execution role changes them), the
 * execution role's own name (nobody changes it: StackSets creates it through its service-linked
 * role, which SCPs do not affect; the pattern of Control Tower's own controls), and the member
 * forwarding rules.
 */
export function supportRoleScp(options: ScpOptions): Record<string, unknown> {
  const problems = scpOptionsProblems(options);
  if (problems.length > 0) throw new Error(problems.map((p) => `${p.name}: ${p.message}`).join('; '));
  const organization = (options.mode ?? 'organization') === 'organization';
  const glass = options.breakGlassRole ? [breakGlassArn(options.breakGlassRole)] : [];
  const exempt = [
    organization
      ? `arn:*:iam::*:role${GUARD_ROLE_PATH}${options.memberRoleName}`
      : `arn:*:iam::*:role${GUARD_ROLE_PATH}${GUARD_ROLE_NAME}`,
    ...glass,
  ];
  const onlyTheStackSet = { ArnNotLike: { 'aws:PrincipalArn': [STACKSET_EXECUTION_ROLE_ARN] } };
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
      ...(organization
        ? [
            {
              Sid: 'OnlyTheStackSetChangesTheGuardRoles',
              Effect: 'Deny',
              Action: [...SCP_ACTIONS],
              Resource: [`arn:*:iam::*:role${GUARD_ROLE_PATH}*`, ...glass],
              Condition: onlyTheStackSet,
            },
            {
              Sid: 'NobodyChangesTheStackSetExecutionRole',
              Effect: 'Deny',
              Action: [...SCP_ACTIONS],
              Resource: [STACKSET_EXECUTION_ROLE_ARN, 'arn:*:iam::*:role/*/stacksets-exec-*'],
            },
            {
              Sid: 'OnlyTheStackSetChangesTheForwardingRules',
              Effect: 'Deny',
              Action: [...SCP_RULE_ACTIONS],
              Resource: MEMBER_RULE_NAMES.map((name) => `arn:*:events:*:*:rule/${name}`),
              Condition: onlyTheStackSet,
            },
          ]
        : []),
    ],
  };
}
