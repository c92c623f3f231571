/**
 * The names the stacks give the guard's own roles, shared by functions/ and infra/. Exact names
 * under their own path: the SCP exempts exactly these ARNs (no prefix an attacker could satisfy
 * by creating a role), and the classifier and the member forwarding rule recognise exactly these
 * sessions as the guard's own.
 */

/** The path of every role the stacks create for the guard. */
export const GUARD_ROLE_PATH = '/support-role-guard/';
/** The single-account guard function's role. */
export const GUARD_ROLE_NAME = 'SupportRoleGuardFunction';
/** The central guard function's role (organization mode): it only assumes member remediation roles. */
export const CENTRAL_GUARD_ROLE_NAME = 'SupportRoleGuardCentral';
/** The remediation role in every member account, assumed by the central guard. */
export const DEFAULT_MEMBER_ROLE_NAME = 'SupportRoleGuardRemediation';

/**
 * The member template's forwarding rules on each member account's default bus, by exact name: the
 * optional SCP lets only the StackSet execution role change or remove them.
 */
export const MEMBER_RULE_NAMES = [
  'SupportRoleGuardMember-ForwardRoleMutations',
  'SupportRoleGuardMember-ForwardRemediationRoleChanges',
] as const;

/**
 * The role a service-managed StackSet runs as in a member account (`stacksets-exec-<hash>`, at
 * path `/`, created there by StackSets' service-linked role). One such role per member account
 * serves every service-managed StackSet of the organization. Who may use it is trusted as much as
 * the guard: the optional SCP lets it change the guard's member resources and denies everyone
 * else creating or changing a role of that name (infra/scp.ts), and the member forwarding rule
 * does not report its changes to the remediation role (template updates, account removals).
 */
export const STACKSET_EXECUTION_ROLE_ARN = 'arn:*:iam::*:role/stacksets-exec-*';

/** The StackSet that enrols member accounts (its instances say which accounts are enrolled). */
export const MEMBER_STACK_SET_NAME = 'SupportRoleGuardMembers';

/** The member remediation role of one account (under GUARD_ROLE_PATH). */
export function memberRoleArn(partition: string, account: string, memberRoleName: string): string {
  return `arn:${partition}:iam::${account}:role${GUARD_ROLE_PATH}${memberRoleName}`;
}
