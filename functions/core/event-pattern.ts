/**
 * The one definition of which events reach the guard. The CDK stack builds its EventBridge rules
 * from these functions and the handler's classifier uses the same constants, so the two cannot
 * disagree.
 */

/**
 * IAM API calls that change the support role (CloudTrail `eventName`). CreateRole too: a role
 * created under the support role's name while it is absent (with a trust policy of the creator's
 * choosing) is repaired at once, not at the next sweep.
 */
export const ROLE_MUTATION_EVENT_NAMES = [
  'AttachRolePolicy',
  'CreateRole',
  'DeleteRole',
  'DeleteRolePermissionsBoundary',
  'DeleteRolePolicy',
  'DetachRolePolicy',
  'PutRolePermissionsBoundary',
  'PutRolePolicy',
  'TagRole',
  'UntagRole',
  'UpdateAssumeRolePolicy',
  'UpdateRole',
  'UpdateRoleDescription',
] as const;

export type RoleMutationEventName = (typeof ROLE_MUTATION_EVENT_NAMES)[number];

/**
 * IAM API calls that change what a customer-managed policy grants (CloudTrail `eventName`, with
 * `requestParameters.policyArn`): the guard pins the content of the required policies and the
 * boundary it was given documents for (REQUIRED_POLICY_DOCUMENTS).
 */
export const POLICY_MUTATION_EVENT_NAMES = [
  'CreatePolicyVersion',
  'DeletePolicy',
  'DeletePolicyVersion',
  'SetDefaultPolicyVersion',
] as const;

export type PolicyMutationEventName = (typeof POLICY_MUTATION_EVENT_NAMES)[number];

export const CLOUDTRAIL_DETAIL_TYPE = 'AWS API Call via CloudTrail';
export const IAM_SOURCE = 'aws.iam';
export const IAM_EVENT_SOURCE = 'iam.amazonaws.com';
export const SCHEDULED_DETAIL_TYPE = 'Scheduled Event';
export const SCHEDULE_SOURCES = ['aws.events', 'aws.scheduler'] as const;

export interface RolePatternOptions {
  readonly roleName: string;
  /** The guard's own execution role: its calls are not events to react to. */
  readonly guardRoleArn?: string;
  /** The customer-managed policies whose content the guard pins: changes to them match too. */
  readonly pinnedPolicyArns?: readonly string[];
}

/**
 * The EventBridge pattern for successful calls that change the support role, made by anyone but
 * the guard. Role names compare case-insensitively (IAM does; CloudTrail keeps the caller's
 * spelling). Callers without a session issuer (IAM users, root) match through `exists: false`.
 */
export function roleMutationPattern(options: RolePatternOptions): Record<string, unknown> {
  const role = {
    eventName: [...ROLE_MUTATION_EVENT_NAMES],
    requestParameters: { roleName: [{ 'equals-ignore-case': options.roleName }] },
  };
  const pinned = options.pinnedPolicyArns ?? [];
  return {
    source: [IAM_SOURCE],
    'detail-type': [CLOUDTRAIL_DETAIL_TYPE],
    detail: {
      eventSource: [IAM_EVENT_SOURCE],
      ...(pinned.length === 0
        ? role
        : {
            $or: [
              role,
              {
                eventName: [...POLICY_MUTATION_EVENT_NAMES],
                requestParameters: { policyArn: pinned.map((arn) => ({ 'equals-ignore-case': arn })) },
              },
            ],
          }),
      errorCode: [{ exists: false }],
      ...(options.guardRoleArn
        ? {
            userIdentity: {
              sessionContext: {
                sessionIssuer: { arn: [{ 'anything-but': options.guardRoleArn }, { exists: false }] },
              },
            },
          }
        : {}),
    },
  };
}
