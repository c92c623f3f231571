import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../functions/core/errors.js';
import { ROLE_MUTATION_EVENT_NAMES } from '../../functions/core/event-pattern.js';
import { SELF_PROTECTION_WATCHES, watchRuleIds } from '../../functions/core/self-protection.js';
import { settingsFromContext } from '../../infra/settings.js';
import { RegionError, SupportRoleGuardStack } from '../../infra/stack.js';
import { OPS_ROLE, synthGuard } from '../support/stack.js';

const SUPPORT_ACCESS = 'arn:aws:iam::aws:policy/AWSSupportAccess';
const { template } = synthGuard({
  notifyEmails: 'oncall@example.com,security@example.com',
  notifyHttpsEndpoints: 'https://hooks.example.com/aws',
});
const resources = (type: string) => template.findResources(type);
const only = (type: string, props: Record<string, unknown> = {}) => {
  const found = template.findResources(type, { Properties: props });
  expect(Object.keys(found)).toHaveLength(1);
  return Object.values(found)[0] as { Properties: Record<string, unknown> };
};
const logicalId = (type: string, props: Record<string, unknown> = {}) =>
  Object.keys(template.findResources(type, { Properties: props }))[0] ?? '';

describe('settings from context', () => {
  it('needs only trustedPrincipalArns; everything else has a default', () => {
    const settings = settingsFromContext({ trustedPrincipalArns: OPS_ROLE }, 'us-east-1');
    expect(settings.guard.desired.roleName).toBe('AWSSupportRole');
    expect(settings.guard.mode).toBe('enforce');
    expect(settings.guard.desired.requiredPolicyArns).toEqual([SUPPORT_ACCESS]);
    expect(settings.sweepSchedule).toBe('rate(1 hour)');
    expect(settings.sweepPeriodSeconds).toBe(3600);
    expect(settings.environment).toEqual({
      SUPPORT_ROLE_NAME: 'AWSSupportRole',
      TRUSTED_PRINCIPAL_ARNS: OPS_ROLE,
    });
  });

  it('names every bad context key, with the handler parser behind it', () => {
    const error = (() => {
      try {
        settingsFromContext(
          {
            trustedPrincipalArns: '*',
            mode: 'fix',
            sweepSchedule: 'often',
            notifyEmails: 'oncall',
            notifyHttpsEndpoints: 'http://x',
          },
          'us-east-1',
        );
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.name).sort()).toEqual([
      'mode',
      'notifyEmails',
      'notifyHttpsEndpoints',
      'sweepSchedule',
      'trustedPrincipalArns',
    ]);
    expect((error as ConfigError).message).toContain('trustedPrincipalArns: "*" is a wildcard');
  });

  it('requires trustedPrincipalArns', () => {
    expect(() => settingsFromContext({}, 'us-east-1')).toThrow(/trustedPrincipalArns: is required/);
  });

  it.each([
    ['rate(5 minutes)', 300],
    ['rate(12 hours)', 43_200],
    ['cron(0 */6 * * ? *)', 43_200],
  ])('accepts sweep schedule %s', (schedule, seconds) => {
    expect(
      settingsFromContext({ trustedPrincipalArns: OPS_ROLE, sweepSchedule: schedule }, 'us-east-1')
        .sweepPeriodSeconds,
    ).toBe(seconds);
  });

  it.each(['rate(1 minute)', 'rate(1 day)', 'hourly'])('refuses sweep schedule %s', (schedule) => {
    expect(() =>
      settingsFromContext({ trustedPrincipalArns: OPS_ROLE, sweepSchedule: schedule }, 'us-east-1'),
    ).toThrow(/sweepSchedule/);
  });
});

describe('region', () => {
  it('refuses another region at synth, saying why and how to deploy', () => {
    expect(() => synthGuard({ region: 'eu-west-1' })).toThrow(RegionError);
    expect(() => synthGuard({ region: 'eu-west-1' })).toThrow(
      /reach EventBridge only in us-east-1.*-c region=us-east-1/,
    );
  });

  it('asserts us-east-1 at deploy time when synthesized without a region', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const settings = settingsFromContext({ trustedPrincipalArns: OPS_ROLE }, 'us-east-1');
    const stack = new SupportRoleGuardStack(app, 'Agnostic', { settings });
    const rules = Template.fromStack(stack).toJSON().Rules;
    expect(rules.DeployInUsEast1.Assertions[0].Assert).toEqual({
      'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'],
    });
  });
});

describe('the guard function', () => {
  const fn = only('AWS::Lambda::Function', { Description: Match.stringLikeRegexp('keeps AWSSupportRole') });
  const roleId = logicalId('AWS::IAM::Role', { Description: Match.stringLikeRegexp('may repair only') });

  it('runs nodejs24.x on arm64 with its configuration in the environment', () => {
    expect(fn.Properties).toMatchObject({
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: 60,
      MemorySize: 256,
      TracingConfig: { Mode: 'Active' },
      Role: { 'Fn::GetAtt': [roleId, 'Arn'] },
    });
    expect((fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
      SUPPORT_ROLE_NAME: 'AWSSupportRole',
      TRUSTED_PRINCIPAL_ARNS: OPS_ROLE,
      NOTIFY_TOPIC_ARN: { Ref: logicalId('AWS::SNS::Topic') },
      GUARD_ROLE_ARN: { 'Fn::GetAtt': [roleId, 'Arn'] },
    });
  });

  it('logs to its own log group with retention, without the basic execution managed policy', () => {
    const logGroupId = (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
    // Its own, and the deploy-time reconcile provider's: each with 90 days of retention.
    for (const group of Object.values(resources('AWS::Logs::LogGroup')) as {
      Properties: Record<string, unknown>;
    }[])
      expect(group.Properties.RetentionInDays).toBe(90);
    expect(resources('AWS::Logs::LogGroup')[logGroupId]).toBeDefined();
    const guardRole = resources('AWS::IAM::Role')[roleId] as { Properties: Record<string, unknown> };
    expect(guardRole.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('retries asynchronous invocations and keeps failures in a KMS-encrypted queue', () => {
    const config = only('AWS::Lambda::EventInvokeConfig');
    expect(config.Properties).toMatchObject({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 21600 });
    const queueId = logicalId('AWS::SQS::Queue', { KmsMasterKeyId: Match.anyValue() });
    expect(config.Properties.DestinationConfig).toEqual({
      OnFailure: { Destination: { 'Fn::GetAtt': [expect.any(String), 'Arn'] } },
    });
    expect(queueId).not.toBe('');
    for (const queue of Object.values(resources('AWS::SQS::Queue')) as {
      Properties: Record<string, unknown>;
    }[]) {
      expect(queue.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [logicalId('AWS::KMS::Key'), 'Arn'] });
    }
  });
});

describe('the EventBridge rules', () => {
  const roleId = logicalId('AWS::IAM::Role', { Description: Match.stringLikeRegexp('may repair only') });
  const mutations = only('AWS::Events::Rule', { Name: 'SupportRoleGuard-RoleMutations' });

  it('selects the role mutations by the one shared pattern', () => {
    expect(mutations.Properties.EventPattern).toEqual({
      source: ['aws.iam'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: {
        eventSource: ['iam.amazonaws.com'],
        eventName: [...ROLE_MUTATION_EVENT_NAMES],
        requestParameters: { roleName: [{ 'equals-ignore-case': 'AWSSupportRole' }] },
        errorCode: [{ exists: false }],
        userIdentity: {
          sessionContext: {
            sessionIssuer: {
              arn: [{ 'anything-but': { 'Fn::GetAtt': [roleId, 'Arn'] } }, { exists: false }],
            },
          },
        },
      },
    });
  });

  it.each(['SupportRoleGuard-RoleMutations', 'SupportRoleGuard-Sweep'])(
    '%s delivers with retries and a DLQ',
    (name) => {
      const rule = only('AWS::Events::Rule', { Name: name });
      expect(rule.Properties.Targets).toEqual([
        expect.objectContaining({
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
          DeadLetterConfig: {
            Arn: { 'Fn::GetAtt': [expect.stringMatching(/^TriggersUndeliveredEvents/), 'Arn'] },
          },
        }),
      ]);
    },
  );

  it('sweeps hourly by default, or on the configured schedule', () => {
    expect(only('AWS::Events::Rule', { Name: 'SupportRoleGuard-Sweep' }).Properties.ScheduleExpression).toBe(
      'rate(1 hour)',
    );
    const custom = synthGuard({ sweepSchedule: 'rate(15 minutes)' }).template;
    custom.hasResourceProperties('AWS::Events::Rule', {
      Name: 'SupportRoleGuard-Sweep',
      ScheduleExpression: 'rate(15 minutes)',
    });
  });
});

describe('the support role at deploy time', () => {
  it('is reconciled by invoking the guard with a sweep on create and update (a custom resource)', () => {
    const reconcile = only('Custom::SupportRoleReconcile');
    expect(JSON.stringify(reconcile.Properties.Event)).toContain('Scheduled Event');
    expect(reconcile.Properties.FunctionName).toEqual({
      Ref: logicalId('AWS::Lambda::Function', { Description: Match.stringLikeRegexp('keeps') }),
    });
  });

  it('is not a CloudFormation resource, so deleting the stack keeps it', () => {
    template.resourcePropertiesCountIs('AWS::IAM::Role', { RoleName: 'AWSSupportRole' }, 0);
    expect(JSON.stringify(template.toJSON())).not.toContain('"RoleName":"AWSSupportRole"');
  });
});

describe('the notification topic', () => {
  it('is encrypted with a rotating customer-managed key that CloudWatch and EventBridge may use', () => {
    const keyId = logicalId('AWS::KMS::Key');
    expect(only('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() }).Properties.KmsMasterKeyId).toEqual({
      'Fn::GetAtt': [keyId, 'Arn'],
    });
    const key = only('AWS::KMS::Key');
    expect(key.Properties.EnableKeyRotation).toBe(true);
    const statements = (key.Properties.KeyPolicy as { Statement: { Principal?: { Service?: string } }[] })
      .Statement;
    const services = statements.map((s) => s.Principal?.Service).filter(Boolean);
    expect(services).toEqual(expect.arrayContaining(['cloudwatch.amazonaws.com', 'events.amazonaws.com']));
  });

  it('refuses requests without TLS', () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('subscribes the configured emails and HTTPS endpoints, to the topic and to the second channel', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 6);
    const fallback = only('AWS::SNS::Topic', { DisplayName: 'support-role-guard (second channel)' });
    expect(fallback.Properties.KmsMasterKeyId).toBeUndefined();
    const fallbackId = logicalId('AWS::SNS::Topic', { DisplayName: 'support-role-guard (second channel)' });
    for (const Endpoint of ['oncall@example.com', 'security@example.com', 'https://hooks.example.com/aws'])
      template.hasResourceProperties('AWS::SNS::Subscription', { Endpoint, TopicArn: { Ref: fallbackId } });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'https',
      Endpoint: 'https://hooks.example.com/aws',
    });
    synthGuard().template.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});

describe('alarms', () => {
  const topicRef = { Ref: logicalId('AWS::SNS::Topic') };

  it('cover function errors, the three failed-event queues and missing sweeps, all routed to the topic', () => {
    const alarms = Object.values(resources('AWS::CloudWatch::Alarm')) as {
      Properties: Record<string, unknown>;
    }[];
    expect(alarms).toHaveLength(5);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([topicRef]);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
      Threshold: 1,
    });
    expect(
      alarms.filter((a) => a.Properties.MetricName === 'ApproximateNumberOfMessagesVisible'),
    ).toHaveLength(3);
  });

  it('alarm when no sweep succeeded within two schedule periods', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'SupportRoleGuard',
      MetricName: 'SweepCompleted',
      Dimensions: [{ Name: 'service', Value: 'support-role-guard' }],
      Period: 3600,
      EvaluationPeriods: 2,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
  });
});

describe('REQUIRE_MFA with role principals', () => {
  it('is a synth warning that names the role', () => {
    const { stack } = synthGuard({ requireMfa: 'true' });
    Annotations.fromStack(stack).hasWarning(
      '*',
      Match.stringLikeRegexp(`REQUIRE_MFA=true, but ${OPS_ROLE} is a role`),
    );
  });

  it('is no warning without it', () => {
    const { stack } = synthGuard({});
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('REQUIRE_MFA'))).toEqual([]);
  });
});

describe('reserved concurrency of the guard function', () => {
  const reserved = (t: Template) =>
    Object.values(t.findResources('AWS::Lambda::Function'))
      .map((f) => f as { Properties: { Description?: string; ReservedConcurrentExecutions?: number } })
      .find((f) => String(f.Properties.Description).includes('keeps'))?.Properties
      .ReservedConcurrentExecutions;

  it('reserves 5 by default, so that other functions cannot starve the guard', () => {
    expect(reserved(template)).toBe(5);
  });

  it('says at synth the concurrency quota it needs (Lambda keeps 100 unreserved), or that none is reserved', () => {
    Annotations.fromStack(synthGuard({}).stack).hasInfo(
      '*',
      Match.stringLikeRegexp(
        'quota must be at least 105 \\(Lambda keeps 100 unreserved\\).*reservedConcurrency=none',
      ),
    );
    Annotations.fromStack(synthGuard({ reservedConcurrency: 'none' }).stack).hasInfo(
      '*',
      Match.stringLikeRegexp('no concurrency reserved'),
    );
  });

  it('takes another number, or none, from the reservedConcurrency context key', () => {
    expect(reserved(synthGuard({ reservedConcurrency: '20' }).template)).toBe(20);
    expect(reserved(synthGuard({ reservedConcurrency: 'none' }).template)).toBeUndefined();
  });

  it.each(['0', '-1', '2.5', 'lots', '1001'])('refuses %j by name', (value) => {
    expect(() =>
      settingsFromContext({ trustedPrincipalArns: OPS_ROLE, reservedConcurrency: value }, 'us-east-1'),
    ).toThrow(/reservedConcurrency/);
  });
});

describe('self-protection', () => {
  const watches = Object.values(resources('AWS::Events::Rule')).filter((r) =>
    String((r as { Properties: { Name?: string } }).Properties.Name).includes('-Watch'),
  ) as {
    Properties: {
      Name: string;
      EventPattern: { source: string[]; detail: Record<string, unknown> };
      Targets: Record<string, unknown>[];
    };
  }[];

  it('deploys every single-account watch of the table, twins as two rules', () => {
    const expected = SELF_PROTECTION_WATCHES.filter((w) => !w.organizationOnly).flatMap(watchRuleIds);
    expect(watches.map((w) => w.Properties.Name.replace('SupportRoleGuard-Watch', '')).sort()).toEqual(
      expected.sort(),
    );
    const ruleWatch = watches.find((w) => w.Properties.Name === 'SupportRoleGuard-WatchRuleChangesTwin');
    expect(ruleWatch?.Properties.EventPattern.detail.requestParameters).toEqual({
      name: expect.arrayContaining([
        'SupportRoleGuard-RoleMutations',
        'SupportRoleGuard-Sweep',
        'SupportRoleGuard-WatchRuleChanges',
        'SupportRoleGuard-WatchRuleChangesTwin',
      ]),
    });
  });

  it('sends readable text through an input transformer, no Lambda involved', () => {
    for (const watch of watches) {
      const [target] = watch.Properties.Targets;
      expect(target?.Arn).toEqual({ Ref: logicalId('AWS::SNS::Topic') });
      const transformer = target?.InputTransformer as {
        InputTemplate: string;
        InputPathsMap: Record<string, string>;
      };
      expect(transformer.InputTemplate).toMatch(/SELF-PROTECTION: someone changed/);
      expect(Object.values(transformer.InputPathsMap)).toEqual(
        expect.arrayContaining(['$.detail.eventName', '$.detail.eventID', '$.region']),
      );
    }
  });
});

describe('least privilege of the guard role', () => {
  const policy = only('AWS::IAM::Policy', {
    Roles: [{ Ref: logicalId('AWS::IAM::Role', { Description: Match.stringLikeRegexp('may repair only') }) }],
  });
  const statements = (policy.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement;
  const roleArn = {
    'Fn::Join': [
      '',
      ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':role/AWSSupportRole'],
    ],
  };
  const bySid = (sid: string) => statements.find((s) => s.Sid === sid);

  it('touches only the support role, with the IAM actions the adapter needs', () => {
    const iam = statements.filter(
      (s) => JSON.stringify(s.Action).includes('iam:') && s.Sid !== 'ReadAccountAliasForMessages',
    );
    // Writes on the desired ARN only; the reads also on the role of that name at any other path.
    for (const s of iam)
      if (s.Sid === 'ReadSupportRole') expect(s.Resource).toContainEqual(roleArn);
      else expect(s.Resource).toEqual(roleArn);
    expect(iam.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort()).toEqual([
      'iam:AttachRolePolicy',
      'iam:CreateRole',
      'iam:DeleteRolePermissionsBoundary',
      'iam:DeleteRolePolicy',
      'iam:DetachRolePolicy',
      'iam:GetRole',
      'iam:GetRolePolicy',
      'iam:ListAttachedRolePolicies',
      'iam:ListRolePolicies',
      'iam:PutRolePolicy',
      'iam:TagRole',
      'iam:UntagRole',
      'iam:UpdateAssumeRolePolicy',
      'iam:UpdateRole',
    ]);
  });

  it('attaches only the required policies and detaches only the others', () => {
    expect(bySid('AttachRequiredPoliciesOnly')?.Condition).toEqual({
      ArnEquals: { 'iam:PolicyARN': [SUPPORT_ACCESS] },
    });
    expect(bySid('DetachAnythingButRequiredPolicies')?.Condition).toEqual({
      ArnNotEquals: { 'iam:PolicyARN': [SUPPORT_ACCESS] },
    });
  });

  it('publishes only to its topic and uses only its key', () => {
    expect(bySid('Notify')).toMatchObject({
      Action: 'sns:Publish',
      Resource: { Ref: logicalId('AWS::SNS::Topic') },
    });
    expect(bySid('EncryptNotifications')?.Resource).toEqual({
      'Fn::GetAtt': [logicalId('AWS::KMS::Key'), 'Arn'],
    });
  });

  it('uses "*" only for X-Ray and the account alias, which have no resource-level permissions', () => {
    const wildcard = statements.filter((s) => s.Resource === '*');
    expect(wildcard).toEqual([
      expect.objectContaining({ Sid: 'ReadAccountAliasForMessages', Action: 'iam:ListAccountAliases' }),
      expect.objectContaining({ Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'] }),
    ]);
  });

  it('may put events only to the configured bus', () => {
    const withBus = synthGuard({ eventBusName: 'security-events' }).template;
    withBus.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'PublishOutcomeEvents',
            Action: 'events:PutEvents',
            Resource: { 'Fn::Join': ['', Match.arrayWith([':event-bus/security-events'])] },
          }),
        ]),
      },
    });
    expect(statements.some((s) => s.Sid === 'PublishOutcomeEvents')).toBe(false);
  });
});

describe('the idempotency table', () => {
  it('expires records through TTL and is named in the function environment', () => {
    const table = only('AWS::DynamoDB::GlobalTable');
    expect(table.Properties).toMatchObject({
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
      BillingMode: 'PAY_PER_REQUEST',
    });
    const fn = only('AWS::Lambda::Function', { Description: Match.stringLikeRegexp('keeps AWSSupportRole') });
    expect(
      (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables.IDEMPOTENCY_TABLE_NAME,
    ).toEqual({
      Ref: logicalId('AWS::DynamoDB::GlobalTable'),
    });
  });
});

describe('a pinned customer-managed policy', () => {
  const CONSOLE = 'arn:aws:iam::123456789012:policy/support/SupportConsole';
  const document = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 'support-console:*', Resource: '*' }],
  };

  it('joins the role-mutation rule with its four version events, and the document reaches the function', () => {
    // Prepare: the documents in a file, as `-c requiredPolicyDocuments=policies.json` gives them.
    const dir = mkdtempSync(join(tmpdir(), 'srg-pins-'));
    const file = join(dir, 'policies.json');
    writeFileSync(file, JSON.stringify({ [CONSOLE]: document }, null, 2));

    // Act
    const { template: t } = synthGuard({
      requiredPolicyArns: `arn:aws:iam::aws:policy/AWSSupportAccess,${CONSOLE}`,
      requiredPolicyDocuments: file,
    });

    // Assess
    const rule = Object.values(
      t.findResources('AWS::Events::Rule', { Properties: { Name: 'SupportRoleGuard-RoleMutations' } }),
    )[0] as { Properties: { EventPattern: { detail: { $or: Record<string, unknown>[] } } } };
    expect(rule.Properties.EventPattern.detail.$or[1]).toEqual({
      eventName: ['CreatePolicyVersion', 'DeletePolicy', 'DeletePolicyVersion', 'SetDefaultPolicyVersion'],
      requestParameters: { policyArn: [{ 'equals-ignore-case': CONSOLE }] },
    });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ REQUIRED_POLICY_DOCUMENTS: JSON.stringify({ [CONSOLE]: document }) }),
      },
    });
  });

  it('refuses a file it cannot read, naming the context key', () => {
    expect(() =>
      settingsFromContext(
        {
          trustedPrincipalArns: OPS_ROLE,
          requiredPolicyArns: CONSOLE,
          requiredPolicyDocuments: '/nonexistent/p.json',
        },
        'us-east-1',
      ),
    ).toThrow(/requiredPolicyDocuments.*neither a JSON object nor a readable file/);
  });
});
