import { Template as CdkTemplate } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { matchesPattern } from '../../functions/core/event-pattern-matcher.js';
import { ACCOUNT, REGION, resolve, type Template } from '../support/cfn-resolve.js';
import { cloudTrailEvent, kmsEvent } from '../support/cloudtrail.js';
import { synthGuard } from '../support/stack.js';

/**
 * Every single call that could blind the guard, as CloudTrail records it, routed through the
 * synthesized stack's rules with the EventBridge matcher: some watch rule other than the one the
 * call changes must take it, and deliver it to the topic.
 */
const { template } = synthGuard({ notifyEmails: 'oncall@example.com' });
const json = template.toJSON() as Template;
type Resource = { Type: string; Properties: Record<string, unknown> };
const all = Object.entries(json.Resources ?? {}) as [string, Resource][];
const ofType = (type: string) => all.filter(([, r]) => r.Type === type);
const str = (value: unknown) => resolve(value, json) as string;

const topicId = ofType('AWS::SNS::Topic')[0]?.[0] ?? '';
const topicArn = str({ Ref: topicId });
const keyLogicalId = ofType('AWS::KMS::Key')[0]?.[0] ?? '';
const keyId = str({ Ref: keyLogicalId });
const keyArn = str({ 'Fn::GetAtt': [keyLogicalId, 'Arn'] });
const [fnId] = ofType('AWS::Lambda::Function').find(([, r]) =>
  String(r.Properties.Description).includes('keeps'),
) ?? [''];
const functionName = str({ Ref: fnId });
const functionArn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${functionName}`;
const alarmNames = ofType('AWS::CloudWatch::Alarm').map(([, r]) => str(r.Properties.AlarmName));
const rules = ofType('AWS::Events::Rule').map(([, r]) => ({
  name: str(r.Properties.Name),
  pattern: resolve(r.Properties.EventPattern, json) as Record<string, unknown>,
  targets: (r.Properties.Targets as { Arn: unknown }[]).map((t) => str(t.Arn)),
  enabled: r.Properties.State !== 'DISABLED',
}));
const watchRules = rules.filter((r) => r.name.includes('-Watch'));
const subscriptionArn = `${topicArn}:8a21d249-4329-4871-acc6-7be709c6ea7f`;

/** The watch rules that would alert on `event`, leaving out `changed` (the rule the call changes). */
const alertingRules = (event: unknown, changed?: string) =>
  watchRules.filter(
    (r) => r.name !== changed && r.targets.includes(topicArn) && matchesPattern(r.pattern, event),
  );

describe('self-protection sees every call that could blind the guard', () => {
  const kmsCalls: [string, ReturnType<typeof kmsEvent>][] = [
    ['DisableKey (by key id)', kmsEvent('DisableKey', keyArn, { keyId })],
    [
      'ScheduleKeyDeletion (by key ARN)',
      kmsEvent('ScheduleKeyDeletion', keyArn, { keyId: keyArn, pendingWindowInDays: 7 }),
    ],
    [
      'PutKeyPolicy (a policy without the service grants)',
      kmsEvent('PutKeyPolicy', keyArn, {
        keyId,
        policyName: 'default',
        policy: '{"Version":"2012-10-17","Statement":[]}',
        bypassPolicyLockoutSafetyCheck: false,
      }),
    ],
    [
      'CreateGrant on the key',
      kmsEvent('CreateGrant', keyArn, {
        keyId: keyArn,
        granteePrincipal: `arn:aws:iam::${ACCOUNT}:role/Admin`,
        operations: ['Decrypt', 'RetireGrant'],
      }),
    ],
  ];
  const snsCalls: [string, ReturnType<typeof cloudTrailEvent>][] = [
    [
      'SetSubscriptionAttributes (a filter policy that drops every message)',
      cloudTrailEvent('sns', 'SetSubscriptionAttributes', {
        subscriptionArn,
        attributeName: 'FilterPolicy',
        attributeValue: '{"never":["matches"]}',
      }),
    ],
    [
      'Subscribe (another endpoint on the topic)',
      cloudTrailEvent('sns', 'Subscribe', {
        topicArn,
        protocol: 'https',
        endpoint: 'https://attacker.example.net/hook',
        returnSubscriptionArn: true,
      }),
    ],
    [
      'PutDataProtectionPolicy (deny the messages)',
      cloudTrailEvent('sns', 'PutDataProtectionPolicy', {
        resourceArn: topicArn,
        dataProtectionPolicy: '{}',
      }),
    ],
  ];
  const lambdaCalls: [string, ReturnType<typeof cloudTrailEvent>][] = [
    [
      'UpdateFunctionConfiguration by full ARN',
      cloudTrailEvent('lambda', 'UpdateFunctionConfiguration20150331v2', {
        functionName: functionArn,
        timeout: 1,
      }),
    ],
    [
      'PutFunctionConcurrency 0 by partial ARN',
      cloudTrailEvent('lambda', 'PutFunctionConcurrency20171031', {
        functionName: `${ACCOUNT}:function:${functionName}`,
        reservedConcurrentExecutions: 0,
      }),
    ],
    [
      'DeleteFunctionConcurrency (the reservation removed)',
      cloudTrailEvent('lambda', 'DeleteFunctionConcurrency20171031', { functionName }),
    ],
    [
      'RemovePermission by qualified ARN',
      cloudTrailEvent('lambda', 'RemovePermission20150331v2', {
        functionName: `${functionArn}:$LATEST`,
        statementId: 'AllowEventRule',
      }),
    ],
    [
      'RemovePermission by name:qualifier',
      cloudTrailEvent('lambda', 'RemovePermission20150331v2', {
        functionName: `${functionName}:$LATEST`,
        statementId: 'AllowEventRule',
      }),
    ],
    [
      'CreateEventSourceMapping (feed the guard events of your choosing)',
      cloudTrailEvent('lambda', 'CreateEventSourceMapping20150331', {
        functionName,
        eventSourceArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:crafted`,
      }),
    ],
  ];
  const alarmCalls: [string, ReturnType<typeof cloudTrailEvent>][] = [
    [
      'DeleteAlarms',
      cloudTrailEvent('monitoring', 'DeleteAlarms', { alarmNames: ['unrelated', alarmNames[0]] }),
    ],
    ['DisableAlarmActions', cloudTrailEvent('monitoring', 'DisableAlarmActions', { alarmNames })],
    [
      'PutMetricAlarm (actions removed)',
      cloudTrailEvent('monitoring', 'PutMetricAlarm', { alarmName: alarmNames[0], alarmActions: [] }),
    ],
  ];
  const queueUrls = ofType('AWS::SQS::Queue').map(
    ([id]) => `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${id}`,
  );
  const queueCalls: [string, ReturnType<typeof cloudTrailEvent>][] = queueUrls.flatMap((queueUrl) => [
    [`PurgeQueue ${queueUrl.split('/').pop()}`, cloudTrailEvent('sqs', 'PurgeQueue', { queueUrl })] as [
      string,
      ReturnType<typeof cloudTrailEvent>,
    ],
    [`DeleteQueue ${queueUrl.split('/').pop()}`, cloudTrailEvent('sqs', 'DeleteQueue', { queueUrl })] as [
      string,
      ReturnType<typeof cloudTrailEvent>,
    ],
  ]);
  const trailCalls: [string, ReturnType<typeof cloudTrailEvent>][] = [
    [
      'StopLogging',
      cloudTrailEvent('cloudtrail', 'StopLogging', {
        name: `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/main`,
      }),
    ],
    [
      'PutEventSelectors (management events off)',
      cloudTrailEvent('cloudtrail', 'PutEventSelectors', {
        trailName: 'main',
        eventSelectors: [{ readWriteType: 'ReadOnly', includeManagementEvents: true }],
      }),
    ],
  ];

  it('has five alarms and a function, topic and key to watch', () => {
    expect(alarmNames).toHaveLength(5);
    expect(functionName).not.toBe('');
    expect(keyArn).toMatch(/^arn:aws:kms:/);
  });

  it.each([...kmsCalls, ...snsCalls, ...lambdaCalls, ...alarmCalls, ...queueCalls, ...trailCalls])(
    '%s',
    (_, event) => {
      expect(alertingRules(event).map((r) => r.name)).not.toEqual([]);
    },
  );

  it.each(watchRules.map((r) => r.name))(
    'disabling, deleting or emptying watch rule %s is seen by another rule',
    (name) => {
      const calls = [
        cloudTrailEvent('events', 'DisableRule', { name }),
        cloudTrailEvent('events', 'DeleteRule', { name, force: false }),
        cloudTrailEvent('events', 'PutRule', { name, eventPattern: '{"source":["none"]}', state: 'ENABLED' }),
        cloudTrailEvent('events', 'RemoveTargets', { rule: name, ids: ['Target0'], force: false }),
      ];
      for (const call of calls) expect(alertingRules(call, name).map((r) => r.name)).not.toEqual([]);
    },
  );

  const guardRole = ofType('AWS::IAM::Role').find(
    ([, r]) => r.Properties.RoleName === 'SupportRoleGuardFunction',
  );
  const guardRoleArn = str({ 'Fn::GetAtt': [guardRole?.[0], 'Arn'] });
  it.each([
    ['UpdateAssumeRolePolicy', { policyDocument: '{"Statement":[]}' }],
    ['AttachRolePolicy', { policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }],
    ['PutRolePolicy', { policyName: 'x', policyDocument: '{}' }],
    ['DetachRolePolicy', { policyArn: 'arn:aws:iam::aws:policy/x' }],
    ['DeleteRolePolicy', { policyName: 'x' }],
    ['PutRolePermissionsBoundary', { permissionsBoundary: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }],
    ['DeleteRole', {}],
  ])("%s on the guard's own role", (eventName, params) => {
    const event = cloudTrailEvent('iam', eventName, { roleName: 'supportroleguardfunction', ...params });
    expect(alertingRules(event).map((r) => r.name)).toEqual(['SupportRoleGuard-WatchGuardRoleChanges']);
  });

  it("a function created or re-pointed to run as the guard's role, but not the guard's own", () => {
    expect(guardRoleArn).toBe(`arn:aws:iam::${ACCOUNT}:role/support-role-guard/SupportRoleGuardFunction`);
    const borrowed = [
      cloudTrailEvent('lambda', 'CreateFunction20150331', {
        functionName: 'innocent',
        role: guardRoleArn,
        runtime: 'nodejs22.x',
      }),
      cloudTrailEvent('lambda', 'UpdateFunctionConfiguration20150331v2', {
        functionName: 'other',
        role: guardRoleArn,
      }),
    ];
    for (const event of borrowed)
      expect(alertingRules(event).map((r) => r.name)).toEqual(['SupportRoleGuard-WatchGuardRolePassed']);
    const own = cloudTrailEvent('lambda', 'CreateFunction20150331', { functionName, role: guardRoleArn });
    expect(alertingRules(own)).toEqual([]);
  });

  it.each([...kmsCalls.filter(([n]) => !n.startsWith('CreateGrant')), ...snsCalls.slice(0, 1)])(
    '%s also reaches on-call through a topic that does not depend on the key',
    (_, event) => {
      const unkeyed = ofType('AWS::SNS::Topic')
        .filter(([, r]) => r.Properties.KmsMasterKeyId === undefined)
        .map(([id]) => str({ Ref: id }));
      const second = watchRules.filter(
        (r) => r.targets.some((t) => unkeyed.includes(t)) && matchesPattern(r.pattern, event),
      );
      expect(second.map((r) => r.name)).not.toEqual([]);
      expect(
        ofType('AWS::SNS::Subscription').filter(([, r]) => unkeyed.includes(str(r.Properties.TopicArn))),
      ).toHaveLength(1);
    },
  );

  it('stays quiet on other resources and on failed calls', () => {
    const quiet = [
      kmsEvent('DisableKey', `arn:aws:kms:${REGION}:${ACCOUNT}:key/other`, { keyId: 'other' }),
      cloudTrailEvent('lambda', 'UpdateFunctionConfiguration20150331v2', {
        functionName: `${functionName}Other`,
      }),
      cloudTrailEvent('lambda', 'DeleteFunction20150331', {
        functionName: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:x${functionName}`,
      }),
      cloudTrailEvent('sns', 'Subscribe', { topicArn: `${topicArn}-other`, protocol: 'email' }),
      cloudTrailEvent('monitoring', 'DeleteAlarms', { alarmNames: ['unrelated'] }),
      {
        ...kmsEvent('DisableKey', keyArn, { keyId }),
        detail: { ...kmsEvent('DisableKey', keyArn, { keyId }).detail, errorCode: 'AccessDeniedException' },
      },
    ];
    for (const event of quiet) expect(alertingRules(event)).toEqual([]);
  });
});

describe('organization mode: the remediation roles and the central bus', () => {
  const MEMBER = '222233334444';
  const { app } = synthGuard({
    organizationId: 'o-abcdef1234',
    targetOuIds: 'ou-ab12-cdef5678',
    trustedPrincipalArns: 'arn:aws:iam::123456789012:role/CentralSupportTeam',
  });
  const central = CdkTemplate.fromStack(
    app.node.findChild('SupportRoleGuardCentral') as never,
  ).toJSON() as Template;
  const stackSet = Object.values(central.Resources ?? {}).find(
    (r) => r.Type === 'AWS::CloudFormation::StackSet',
  );
  const member = JSON.parse(String(stackSet?.Properties?.TemplateBody)) as Template;
  const rulesOf = (t: Template) =>
    Object.values(t.Resources ?? {})
      .filter((r) => r.Type === 'AWS::Events::Rule' && r.Properties?.EventPattern)
      .map((r) => ({
        name: String(resolve(r.Properties?.Name ?? '', t)),
        bus:
          r.Properties?.EventBusName === undefined
            ? 'default'
            : String(resolve(r.Properties.EventBusName, t)),
        pattern: resolve(r.Properties?.EventPattern, t) as Record<string, unknown>,
      }));
  const centralTopic = Object.entries(central.Resources ?? {}).find(
    ([, r]) => r.Type === 'AWS::SNS::Topic',
  )?.[0];
  const centralWatches = Object.values(central.Resources ?? {})
    .filter((r) => r.Type === 'AWS::Events::Rule' && String(r.Properties?.Name).includes('-Watch'))
    .map((r) => ({
      name: String(r.Properties?.Name),
      bus:
        r.Properties?.EventBusName === undefined
          ? 'default'
          : String(resolve(r.Properties.EventBusName, central)),
      pattern: resolve(r.Properties?.EventPattern, central) as Record<string, unknown>,
      toTopic: ((r.Properties?.Targets ?? []) as { Arn: unknown }[]).some(
        (t) => (t.Arn as { Ref?: string }).Ref === centralTopic,
      ),
    }));

  it.each(['UpdateAssumeRolePolicy', 'AttachRolePolicy', 'PutRolePolicy', 'DeleteRole'])(
    "%s on a member's remediation role is forwarded and alerted on the central bus",
    (eventName) => {
      const event = {
        ...cloudTrailEvent('iam', eventName, { roleName: 'SupportRoleGuardRemediation' }),
        account: MEMBER,
      };
      expect(rulesOf(member).filter((r) => matchesPattern(r.pattern, event))).toHaveLength(1);
      const alerting = centralWatches.filter((r) => r.toTopic && matchesPattern(r.pattern, event));
      expect(alerting.map((r) => [r.name, r.bus])).toEqual([
        ['SupportRoleGuardCentral-WatchMemberRoleChanges', 'support-role-guard'],
      ]);
    },
  );

  /** The StackSet's execution role in the member account, as CloudTrail records its session. */
  const stackSetExecution = {
    type: 'AssumedRole',
    principalId: 'AROAEXAMPLESTACKSET01:1a2b3c4d-5e6f',
    arn: `arn:aws:sts::${MEMBER}:assumed-role/stacksets-exec-0123456789abcdef0123456789abcdef/1a2b3c4d-5e6f`,
    accountId: MEMBER,
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: 'AROAEXAMPLESTACKSET01',
        arn: `arn:aws:iam::${MEMBER}:role/stacksets-exec-0123456789abcdef0123456789abcdef`,
        accountId: MEMBER,
        userName: 'stacksets-exec-0123456789abcdef0123456789abcdef',
      },
    },
  };
  const remediationRoleCall = (eventName: string, userIdentity?: unknown) => ({
    ...cloudTrailEvent(
      'iam',
      eventName,
      { roleName: 'SupportRoleGuardRemediation', policyName: 'RemediationPolicy' },
      userIdentity === undefined ? {} : { userIdentity },
    ),
    account: MEMBER,
  });
  const forwarded = (event: unknown) => rulesOf(member).filter((r) => matchesPattern(r.pattern, event));
  const alerted = (event: unknown) =>
    centralWatches.filter((r) => r.toTopic && matchesPattern(r.pattern, event)).map((r) => r.name);

  it.each(['PutRolePolicy', 'DeleteRolePolicy', 'DeleteRole'])(
    "%s by the StackSet's own execution role (a template update, an account removal) is neither forwarded nor alerted",
    (eventName) => {
      const event = remediationRoleCall(eventName, stackSetExecution);
      expect(forwarded(event)).toEqual([]);
      expect(alerted(event)).toEqual([]);
    },
  );

  it('the same calls by an admin, an IAM user or the root user are forwarded and alerted', () => {
    const iamUser = {
      type: 'IAMUser',
      principalId: 'AIDAEXAMPLEUSER00001',
      arn: `arn:aws:iam::${MEMBER}:user/alice`,
      accountId: MEMBER,
      userName: 'alice',
    };
    const root = { type: 'Root', principalId: MEMBER, arn: `arn:aws:iam::${MEMBER}:root`, accountId: MEMBER };
    const lookalike = {
      ...stackSetExecution,
      sessionContext: {
        sessionIssuer: {
          ...stackSetExecution.sessionContext.sessionIssuer,
          arn: `arn:aws:iam::${MEMBER}:role/admin-stacksets-exec-x`,
        },
      },
    };
    for (const who of [undefined, iamUser, root, lookalike]) {
      const event = remediationRoleCall('PutRolePolicy', who);
      expect(forwarded(event).map((r) => r.name)).toEqual([
        'SupportRoleGuardMember-ForwardRemediationRoleChanges',
      ]);
      expect(alerted(event)).toEqual(['SupportRoleGuardCentral-WatchMemberRoleChanges']);
    }
  });

  it("changes to the central guard's role and to the central bus policy alert", () => {
    const roleChange = cloudTrailEvent('iam', 'PutRolePolicy', { roleName: 'SupportRoleGuardCentral' });
    const busChange = cloudTrailEvent('events', 'RemovePermission', {
      eventBusName: 'support-role-guard',
      statementId: 'OrganizationMembersForwardIamEvents',
      removeAllPermissions: false,
    });
    for (const event of [roleChange, busChange])
      expect(
        centralWatches.filter((r) => r.toTopic && r.bus === 'default' && matchesPattern(r.pattern, event)),
      ).not.toEqual([]);
  });
});

describe('the second channel and the chat topic are watched as the main topic is', () => {
  const chat = synthGuard({
    notifyEmails: 'oncall@example.com',
    chatSlackWorkspaceId: 'T0123ABCD',
    chatSlackChannelId: 'C0123ABCD',
  }).template.toJSON() as Template;
  const chatStr = (value: unknown) => resolve(value, chat) as string;
  const chatTopics = Object.entries(chat.Resources ?? {}).filter(
    ([, r]) => (r as Resource).Type === 'AWS::SNS::Topic',
  ) as [string, Resource][];
  const byName = (name: string) => {
    const found = chatTopics.find(([, r]) => String(r.Properties.DisplayName).includes(name));
    return found ? chatStr({ Ref: found[0] }) : '';
  };
  const mainArn = chatStr({
    Ref: chatTopics.find(([, r]) => r.Properties.KmsMasterKeyId !== undefined)?.[0],
  });
  const fallbackArn = chatStr({
    Ref: chatTopics.find(([, r]) => r.Properties.KmsMasterKeyId === undefined)?.[0],
  });
  const chatArn = byName('chat');
  const chatWatchRules = (Object.values(chat.Resources ?? {}) as Resource[])
    .filter((r) => r.Type === 'AWS::Events::Rule' && chatStr(r.Properties.Name).includes('-Watch'))
    .map((r) => ({
      name: chatStr(r.Properties.Name),
      pattern: resolve(r.Properties.EventPattern, chat) as Record<string, unknown>,
      targets: (r.Properties.Targets as { Arn: unknown }[]).map((t) => chatStr(t.Arn)),
    }));

  it('has three distinct topics: main, second channel and chat', () => {
    expect(new Set([mainArn, fallbackArn, chatArn]).size).toBe(3);
    expect(chatArn).toMatch(/^arn:aws:sns:/);
  });

  for (const [which, arn] of [
    ['second channel', () => fallbackArn],
    ['chat topic', () => chatArn],
  ] as const) {
    it.each([
      ['DeleteTopic', { topicArn: '' }],
      ['SetTopicAttributes', { topicArn: '', attributeName: 'Policy', attributeValue: '{}' }],
      ['Subscribe', { topicArn: '', protocol: 'https', endpoint: 'https://attacker.example.net/hook' }],
      ['Unsubscribe', { subscriptionArn: ':8a21d249-4329-4871-acc6-7be709c6ea7f' }],
      [
        'SetSubscriptionAttributes',
        { subscriptionArn: ':8a21d249', attributeName: 'FilterPolicy', attributeValue: '{}' },
      ],
    ])(`%s on the ${which} alerts through the main topic`, (eventName, params) => {
      const topic = arn();
      const filled = Object.fromEntries(
        Object.entries(params).map(([k, v]) => [
          k,
          k === 'topicArn' ? topic : k === 'subscriptionArn' ? `${topic}${v}` : v,
        ]),
      );
      const event = cloudTrailEvent('sns', eventName, filled);
      expect(
        chatWatchRules
          .filter((r) => r.targets.includes(mainArn) && matchesPattern(r.pattern, event))
          .map((r) => r.name),
      ).not.toEqual([]);
    });
  }
});

describe('a dead-letter queue named by its legacy URL (us-east-1: https://queue.amazonaws.com/...)', () => {
  it.each(ofType('AWS::SQS::Queue').map(([id]) => id))('PurgeQueue and DeleteQueue of %s alert', (id) => {
    const queueUrl = `https://queue.amazonaws.com/${ACCOUNT}/${id}`;
    for (const eventName of ['PurgeQueue', 'DeleteQueue', 'SetQueueAttributes'])
      expect(alertingRules(cloudTrailEvent('sqs', eventName, { queueUrl })).map((r) => r.name)).not.toEqual(
        [],
      );
  });

  it('a queue of the same name in another account stays quiet', () => {
    const [id] = ofType('AWS::SQS::Queue')[0] ?? [''];
    const queueUrl = `https://queue.amazonaws.com/999999999999/${id}`;
    expect(alertingRules(cloudTrailEvent('sqs', 'PurgeQueue', { queueUrl }))).toEqual([]);
    expect(alertingRules(cloudTrailEvent('sqs', 'PurgeQueue', { queueUrl: `${queueUrl}x` }))).toEqual([]);
  });
});

describe('the self-protection alert text holds no actor-controlled text that could become a link', () => {
  const transformers = watchRulesTargets()
    .map((t) => t.InputTransformer)
    .filter(Boolean) as {
    InputPathsMap: Record<string, string>;
    InputTemplate: unknown;
  }[];
  it('every watch alert has a transformer, none reads the caller identity, each links to the CloudTrail event', () => {
    expect(transformers.length).toBeGreaterThan(0);
    for (const t of transformers) {
      expect(Object.values(t.InputPathsMap)).not.toContainEqual(expect.stringMatching(/userIdentity/));
      const text = JSON.stringify(resolve(t.InputTemplate, json));
      const eventId = Object.entries(t.InputPathsMap).find(([, path]) => path === '$.detail.eventID')?.[0];
      const region = Object.entries(t.InputPathsMap).find(([, path]) => path === '$.region')?.[0];
      expect(text).toContain(
        `https://<${region}>.console.aws.amazon.com/cloudtrailv2/home?region=<${region}>#/events/<${eventId}>`,
      );
    }
  });
});

function watchRulesTargets() {
  return ofType('AWS::Events::Rule')
    .filter(([, r]) => str(r.Properties.Name).includes('-Watch'))
    .flatMap(([, r]) => r.Properties.Targets as { InputTransformer?: unknown }[]);
}
