/**
 * The one table of calls that could blind the guard, and what self-protection does about each.
 * infra/constructs/self-protection.ts builds one EventBridge rule per watch from it (two for a
 * twin), and docs/deploy.md lists the same watches (test/infra/self-protection.test.ts holds the
 * doc to this table). Resource identifiers are plain strings: CDK tokens at synth, ARNs in tests.
 */
import { CLOUDTRAIL_DETAIL_TYPE } from './event-pattern.js';
import { STACKSET_EXECUTION_ROLE_ARN } from './guard-roles.js';

/** What the guard is made of, as a watch names it. */
export interface GuardResources {
  /** Every rule the guard relies on, the watch rules (and their twins) included. */
  readonly ruleNames: readonly string[];
  readonly functionName: string;
  readonly topicArn: string;
  /**
   * The guard's other topics: the second channel (not encrypted with the key) and, when chat is
   * configured, the chat topic. Changes to them alert through the (main) topic.
   */
  readonly otherTopicArns: readonly string[];
  /** The topic's customer-managed key: its id and its ARN (KMS calls take either). */
  readonly keyId: string;
  readonly keyArn: string;
  readonly alarmNames: readonly string[];
  /** The guard's own account (a queue URL ends `/<account>/<queue name>`). */
  readonly account: string;
  /**
   * The guard's dead-letter queues, by name: SQS's API calls name a queue by its URL, and one queue
   * has more than one (`https://sqs.<region>.amazonaws.com/...`, and in us-east-1 the legacy
   * `https://queue.amazonaws.com/...`), so the watch matches the URL's end.
   */
  readonly queueNames: readonly string[];
  /** The guard's own role and (organization mode) the member remediation role's name. */
  readonly guardRoleArn: string;
  readonly guardRoleNames: readonly string[];
  /** Organization mode: the central bus the members forward to. */
  readonly centralBusName?: string;
}

export interface Watch {
  /** Rule id: the rule is named `<stack>-Watch<id>` (and `<stack>-Watch<id>Twin`). */
  readonly id: string;
  /** EventBridge source and CloudTrail eventSource. */
  readonly source: string;
  readonly eventSource: string;
  readonly eventNames: readonly string[];
  /** Lambda's CloudTrail event names carry API versions (DeleteFunction20150331): match by prefix. */
  readonly eventNamePrefix?: boolean;
  /** The alert says "someone changed <what>". */
  readonly what: string;
  /** Why a successful call of this kind can silence (or borrow) the guard. */
  readonly why: string;
  /**
   * Two rules with the same pattern: a call that disables, deletes or empties one is still seen by
   * the other (a rule cannot be relied on to see the call that removes it).
   */
  readonly twin?: boolean;
  /**
   * Also alert on the second channel (a topic not encrypted with the topic's key): for calls that
   * break the topic or its key, whose alert could not travel through them.
   */
  readonly secondChannel?: boolean;
  /** Only in organization mode (it needs `centralBusName`). */
  readonly organizationOnly?: boolean;
  /** The part of `detail` that names the guard's resource. */
  readonly matches: (r: GuardResources) => Record<string, unknown>;
}

/** Lambda takes a name, `name:qualifier`, a full or partial ARN, qualified or not: all of them. */
export function functionNameMatchers(name: string): unknown[] {
  return [
    name,
    { prefix: `${name}:` },
    { suffix: `:function:${name}` },
    { wildcard: `*:function:${name}:*` },
  ];
}

const LAMBDA_FUNCTION_CALLS = [
  'DeleteFunction',
  'UpdateFunctionConfiguration',
  'UpdateFunctionCode',
  'PutFunctionConcurrency',
  'DeleteFunctionConcurrency',
  'DeleteFunctionEventInvokeConfig',
  'PutFunctionEventInvokeConfig',
  'UpdateFunctionEventInvokeConfig',
  'RemovePermission',
  'AddPermission',
  'CreateEventSourceMapping',
  'CreateFunctionUrlConfig',
  'UpdateFunctionUrlConfig',
];

/** Calls that change what an IAM role may do or who may use it. */
export const GUARD_ROLE_CALLS = [
  'UpdateAssumeRolePolicy',
  'AttachRolePolicy',
  'PutRolePolicy',
  'DetachRolePolicy',
  'DeleteRolePolicy',
  'PutRolePermissionsBoundary',
  'DeleteRolePermissionsBoundary',
  'DeleteRole',
];

export const SELF_PROTECTION_WATCHES: readonly Watch[] = [
  {
    id: 'RuleChanges',
    source: 'aws.events',
    eventSource: 'events.amazonaws.com',
    eventNames: ['DeleteRule', 'DisableRule', 'PutRule'],
    what: 'a rule of the guard',
    why: 'a deleted, disabled or re-patterned rule delivers nothing',
    twin: true,
    matches: (r) => ({ requestParameters: { name: [...r.ruleNames] } }),
  },
  {
    id: 'TargetChanges',
    source: 'aws.events',
    eventSource: 'events.amazonaws.com',
    eventNames: ['RemoveTargets', 'PutTargets'],
    what: 'the targets of a rule of the guard',
    why: 'a rule without its target, or with another one, delivers nowhere',
    twin: true,
    matches: (r) => ({ requestParameters: { rule: [...r.ruleNames] } }),
  },
  {
    id: 'FunctionChanges',
    source: 'aws.lambda',
    eventSource: 'lambda.amazonaws.com',
    eventNames: LAMBDA_FUNCTION_CALLS,
    eventNamePrefix: true,
    what: 'the guard function',
    why: 'deleted, throttled to 0, re-coded or re-pointed, the function repairs nothing; an added permission, event source or URL lets others invoke it with events of their choosing',
    matches: (r) => ({ requestParameters: { functionName: functionNameMatchers(r.functionName) } }),
  },
  {
    id: 'TopicChanges',
    secondChannel: true,
    source: 'aws.sns',
    eventSource: 'sns.amazonaws.com',
    eventNames: [
      'DeleteTopic',
      'SetTopicAttributes',
      'AddPermission',
      'RemovePermission',
      'Subscribe',
      'PutDataProtectionPolicy',
    ],
    what: 'a notification topic (on-call, second channel or chat)',
    why: 'a deleted topic, a replaced topic policy or key, or a data-protection policy that denies messages drops every alert; a new subscription sends them elsewhere',
    matches: (r) => ({
      $or: [
        { requestParameters: { topicArn: [r.topicArn, ...r.otherTopicArns] } },
        { requestParameters: { resourceArn: [r.topicArn, ...r.otherTopicArns] } },
      ],
    }),
  },
  {
    id: 'SubscriptionChanges',
    secondChannel: true,
    source: 'aws.sns',
    eventSource: 'sns.amazonaws.com',
    eventNames: ['Unsubscribe', 'SetSubscriptionAttributes'],
    what: 'a subscription of a notification topic',
    why: 'an unsubscribed on-call, or a filter policy that matches nothing, receives nothing',
    matches: (r) => ({
      requestParameters: {
        subscriptionArn: [r.topicArn, ...r.otherTopicArns].map((arn) => ({ prefix: `${arn}:` })),
      },
    }),
  },
  {
    id: 'KeyChanges',
    secondChannel: true,
    source: 'aws.kms',
    eventSource: 'kms.amazonaws.com',
    eventNames: ['DisableKey', 'ScheduleKeyDeletion', 'PutKeyPolicy', 'CreateGrant'],
    what: "the notification topic's key",
    why: 'SNS, CloudWatch and EventBridge cannot encrypt with a disabled or pending-deletion key, or without the key policy grants: the topic and the dead-letter queues take nothing',
    // KMS records the key's ARN in `resources` whichever form the caller used; keyId as a fallback.
    matches: (r) => ({
      $or: [{ resources: { ARN: [r.keyArn] } }, { requestParameters: { keyId: [r.keyId, r.keyArn] } }],
    }),
  },
  {
    id: 'AlarmChanges',
    source: 'aws.monitoring',
    eventSource: 'monitoring.amazonaws.com',
    eventNames: ['DeleteAlarms', 'DisableAlarmActions', 'PutMetricAlarm'],
    what: 'an alarm of the guard',
    why: 'a deleted, muted or re-configured alarm no longer reports a broken guard',
    matches: (r) => ({
      $or: [
        { requestParameters: { alarmNames: [...r.alarmNames] } },
        { requestParameters: { alarmName: [...r.alarmNames] } },
      ],
    }),
  },
  {
    id: 'QueueChanges',
    source: 'aws.sqs',
    eventSource: 'sqs.amazonaws.com',
    eventNames: ['DeleteQueue', 'PurgeQueue', 'SetQueueAttributes'],
    what: 'a dead-letter queue of the guard',
    why: 'a deleted or purged queue loses the events and alerts that could not be delivered; a queue policy without the grants refuses them',
    matches: (r) => ({
      requestParameters: { queueUrl: r.queueNames.map((name) => ({ suffix: `/${r.account}/${name}` })) },
    }),
  },
  {
    id: 'TrailChanges',
    source: 'aws.cloudtrail',
    eventSource: 'cloudtrail.amazonaws.com',
    eventNames: ['StopLogging', 'DeleteTrail', 'UpdateTrail', 'PutEventSelectors'],
    what: 'a CloudTrail trail',
    why: 'EventBridge receives API-call events only while a trail records management events: without one, the guard and every watch hear nothing until the next sweep',
    // Any trail: the stack does not know which trail the account relies on.
    matches: () => ({}),
  },
  {
    id: 'GuardRoleChanges',
    source: 'aws.iam',
    eventSource: 'iam.amazonaws.com',
    eventNames: GUARD_ROLE_CALLS,
    what: "the guard's own role",
    why: "the guard's changes are excluded from the rule: whoever can use or re-trust its role changes the support role unseen, and a stripped role repairs and publishes nothing",
    matches: (r) => ({
      requestParameters: { roleName: r.guardRoleNames.map((name) => ({ 'equals-ignore-case': name })) },
    }),
  },
  {
    id: 'GuardRolePassed',
    source: 'aws.lambda',
    eventSource: 'lambda.amazonaws.com',
    eventNames: ['CreateFunction', 'UpdateFunctionConfiguration'],
    eventNamePrefix: true,
    what: "a function given the guard's own role",
    why: "a function that runs as the guard's role makes calls the rule takes for the guard's own",
    // The guard function's own deployment (its own name) is the one function that may run as the role.
    matches: (r) => ({
      requestParameters: {
        role: [{ 'equals-ignore-case': r.guardRoleArn }],
        functionName: [{ 'anything-but': r.functionName }],
      },
    }),
  },
  {
    id: 'CentralBusChanges',
    source: 'aws.events',
    eventSource: 'events.amazonaws.com',
    eventNames: ['PutPermission', 'RemovePermission', 'DeleteEventBus', 'UpdateEventBus'],
    what: 'the central event bus',
    why: "a bus policy without the organization's grant refuses every member's forwarded event",
    organizationOnly: true,
    matches: (r) => ({
      $or: [
        { requestParameters: { eventBusName: [r.centralBusName ?? ''] } },
        { requestParameters: { name: [r.centralBusName ?? ''] } },
      ],
    }),
  },
];

/**
 * The guard-role watch's pattern for roles of the given names alone (organization mode: the member
 * remediation role, forwarded from each member account to the central bus and alerted there).
 */
export function guardRoleChangesPattern(roleNames: readonly string[]): Record<string, unknown> {
  const watch = SELF_PROTECTION_WATCHES.find((w) => w.id === 'GuardRoleChanges');
  if (!watch) throw new Error('the watch table has no GuardRoleChanges row');
  return watchPattern(watch, { ...NO_RESOURCES, guardRoleNames: roleNames });
}

/**
 * Changes to the member remediation role, as each member account forwards them and the central bus
 * alerts on them: the guard-role watch's pattern, without the StackSet execution role's own
 * sessions. Every StackSet operation (a template update rewrites the RemediationPolicy with
 * PutRolePolicy; an account removal deletes the role) would otherwise send one alert per member
 * account. Calls without a session issuer (IAM users, the root user) still match.
 */
export function memberRoleChangesPattern(memberRoleName: string): Record<string, unknown> {
  const pattern = guardRoleChangesPattern([memberRoleName]);
  return {
    ...pattern,
    detail: {
      ...(pattern.detail as Record<string, unknown>),
      userIdentity: {
        sessionContext: {
          sessionIssuer: {
            arn: [{ 'anything-but': { wildcard: STACKSET_EXECUTION_ROLE_ARN } }, { exists: false }],
          },
        },
      },
    },
  };
}

const NO_RESOURCES: GuardResources = {
  ruleNames: [],
  functionName: '',
  topicArn: '',
  keyId: '',
  keyArn: '',
  alarmNames: [],
  otherTopicArns: [],
  account: '',
  queueNames: [],
  guardRoleArn: '',
  guardRoleNames: [],
};

/** The watches of this deployment (the central-bus watch only in organization mode). */
export function watchesFor(r: GuardResources): readonly Watch[] {
  return SELF_PROTECTION_WATCHES.filter((w) => !w.organizationOnly || r.centralBusName !== undefined);
}

/** The rule ids a watch is deployed as: itself, and its twin. */
export function watchRuleIds(watch: Watch): string[] {
  return watch.twin ? [watch.id, `${watch.id}Twin`] : [watch.id];
}

/** The EventBridge pattern of a watch: successful calls only. */
export function watchPattern(watch: Watch, r: GuardResources): Record<string, unknown> {
  return {
    source: [watch.source],
    'detail-type': [CLOUDTRAIL_DETAIL_TYPE],
    detail: {
      eventSource: [watch.eventSource],
      eventName: watch.eventNamePrefix
        ? watch.eventNames.map((prefix) => ({ prefix }))
        : [...watch.eventNames],
      errorCode: [{ exists: false }],
      ...watch.matches(r),
    },
  };
}
