import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ACCOUNT, resolve } from '../support/cfn-resolve.js';
import {
  DeliveryModel,
  type DeliveryPath,
  decide,
  deliveryPaths,
  EVENTBRIDGE_KMS,
  fromOtherAccount,
  fromOtherService,
  OTHER_ACCOUNT,
  serviceStatements,
} from '../support/delivery.js';
import { synthGuard } from '../support/stack.js';

/**
 * The delivery matrix: every path a message travels in the SYNTHESIZED templates (single-account
 * stack, central organization stack, member StackSet template), judged by a real IAM policy
 * evaluator (@cloud-copilot/iam-simulate) over identity, resource and KMS key policies, as AWS
 * judges them. Each path must be allowed; the same request from another account or another
 * service must be denied. The paths are derived from the templates (every alarm action, rule
 * target, dead-letter queue, redrive and on-failure destination), so a new one is judged too.
 *
 * What the evaluator cannot model, and is asserted by statement instead:
 * - which context keys a service principal sends: the test supplies them as AWS documents them
 *   (aws:SourceArn and aws:SourceAccount for alarms, rules and SNS; none to KMS for EventBridge);
 * - that EventBridge assumes a target role only for a rule in the role's own account (PassRole).
 */
const ORG = 'o-abcdef1234';
const MEMBER = '222233334444';

const single = synthGuard({
  notifyEmails: 'oncall@example.com',
  notifyHttpsEndpoints: 'https://hooks.example.com/aws',
}).template.toJSON();
// The optional sends of the guard's own message: the chat topic and the event bus.
const withChatAndBus = synthGuard({
  chatSlackWorkspaceId: 'T0123ABCD',
  chatSlackChannelId: 'C0123ABCD',
  eventBusName: 'security-events',
}).template.toJSON();
const { app } = synthGuard({
  organizationId: ORG,
  targetOuIds: 'ou-ab12-cdef5678',
  notifyEmails: 'oncall@example.com',
  trustedPrincipalArns: 'arn:aws:iam::123456789012:role/CentralSupportTeam',
});
const central = Template.fromStack(app.node.findChild('SupportRoleGuardCentral') as never).toJSON();

function judged(stack: string, template: Record<string, unknown>) {
  const paths = deliveryPaths(template);
  const rows = paths.map((p) => [p.name, p] as [string, DeliveryPath]);
  const count = (type: string) =>
    Object.values(template.Resources as Record<string, { Type: string }>).filter((r) => r.Type === type)
      .length;

  describe(`delivery matrix: ${stack}`, () => {
    it('finds every alarm, rule target, dead-letter queue and destination', () => {
      const names = paths.map((p) => p.name);
      expect(names.filter((n) => n.startsWith('alarm '))).toHaveLength(count('AWS::CloudWatch::Alarm'));
      const targets = Object.values(
        template.Resources as Record<string, { Type: string; Properties: { Targets?: unknown[] } }>,
      )
        .filter((r) => r.Type === 'AWS::Events::Rule')
        .reduce((n, r) => n + (r.Properties.Targets ?? []).length, 0);
      expect(
        names.filter((n) => / → (\S+ )?(topic|function)$/.test(n) && n.startsWith('rule ')),
      ).toHaveLength(targets);
      expect(names.filter((n) => n.startsWith('rule ') && n.includes('dead-letter'))).toHaveLength(
        count('AWS::Events::Rule'),
      );
      // Every subscription with a dead-letter queue (the second channel's keep none: docs/deploy.md).
      const redriven = Object.values(
        template.Resources as Record<string, { Type: string; Properties: { RedrivePolicy?: unknown } }>,
      ).filter((r) => r.Type === 'AWS::SNS::Subscription' && r.Properties.RedrivePolicy !== undefined).length;
      expect(names.filter((n) => n.startsWith('subscription '))).toHaveLength(redriven);
      expect(names.some((n) => n.includes('on-failure destination'))).toBe(true);
      expect(names.some((n) => n.startsWith('deploy-time reconcile'))).toBe(true);
      expect(names.filter((n) => /^function \S+ → topic$/.test(n)).length).toBeGreaterThan(0);
      // Each optional send the function is configured for is a path too.
      const envs = Object.values(
        template.Resources as Record<
          string,
          { Type: string; Properties: { Environment?: { Variables?: Record<string, unknown> } } }
        >,
      )
        .filter((r) => r.Type === 'AWS::Lambda::Function')
        .map((r) => r.Properties.Environment?.Variables ?? {});
      expect(names.filter((n) => /^function \S+ → chat topic$/.test(n))).toHaveLength(
        envs.filter((e) => e.CHAT_TOPIC_ARN !== undefined).length,
      );
      expect(names.filter((n) => /^function \S+ → event bus$/.test(n))).toHaveLength(
        envs.filter((e) => e.EVENT_BUS_NAME !== undefined).length,
      );
    });

    it.each(rows)('%s: allowed', async (_name, path) => {
      for (const step of path.steps)
        expect(`${step.principal} ${step.action} ${step.resource}: ${await decide(step)}`).toBe(
          `${step.principal} ${step.action} ${step.resource}: Allowed`,
        );
    });

    it.each(rows)('%s: denied from another account', async (_name, path) => {
      for (const step of path.steps) {
        if (step.unscopable) continue; // asserted by statement below
        const other = fromOtherAccount(step);
        expect(
          `${other.principal} ${other.action} (${JSON.stringify(other.context)}): ${await decide(other)}`,
        ).not.toMatch(/: Allowed$/);
      }
    });

    it.each(rows)('%s: denied to another service', async (_name, path) => {
      for (const step of path.steps) {
        const other = fromOtherService(step);
        expect(`${other.principal} ${other.action} ${other.resource}: ${await decide(other)}`).not.toMatch(
          /: Allowed$/,
        );
      }
    });

    it('scopes every service grant on the topic by account and by the exact sources', () => {
      const m = new DeliveryModel(template);
      const [topicId] = m.ofType('AWS::SNS::Topic')[0] ?? [];
      const policy = m.topicPolicy(topicId as string);
      for (const service of ['cloudwatch.amazonaws.com', 'events.amazonaws.com']) {
        const statements = serviceStatements(policy, service);
        expect(statements.length, `${service} may publish`).toBeGreaterThan(0);
        for (const s of statements) {
          expect(s.Action).toEqual('sns:Publish');
          const condition = s.Condition as Record<string, Record<string, unknown>>;
          expect(condition.StringEquals?.['aws:SourceAccount']).toBe(ACCOUNT);
          const sources = [condition.ArnEquals?.['aws:SourceArn'] ?? []].flat() as string[];
          expect(sources.length, `${service} scoped by source ARN`).toBeGreaterThan(0);
          for (const arn of sources) expect(arn).not.toContain('*');
        }
      }
      // TLS only, for every principal.
      const deny = ((policy?.Statement ?? []) as Record<string, unknown>[]).find((s) => s.Effect === 'Deny');
      expect(deny).toMatchObject({ Principal: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
    });

    it('grants EventBridge the key without source keys (AWS sends none to KMS), and nothing more', () => {
      const m = new DeliveryModel(template);
      const [keyId] = m.ofType('AWS::KMS::Key')[0] ?? [];
      const statements = serviceStatements(m.keyPolicy(keyId as string), 'events.amazonaws.com');
      expect(statements, EVENTBRIDGE_KMS).toHaveLength(1);
      expect([statements[0]?.Action].flat().sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
      expect(statements[0]?.Resource).toBe('*'); // in a key policy: this key only
      // Every other service grant on the key is scoped to this account.
      for (const service of ['cloudwatch.amazonaws.com', 'sns.amazonaws.com'])
        for (const s of serviceStatements(m.keyPolicy(keyId as string), service))
          expect(
            (s.Condition as Record<string, Record<string, string>>).StringEquals?.['aws:SourceAccount'],
          ).toBe(ACCOUNT);
    });
  });
}

judged('single-account stack', single);
judged('single-account stack with a chat channel and an event bus', withChatAndBus);
judged('central organization stack', central);

describe('delivery matrix: member StackSet template → central bus', () => {
  const stackSet = Object.values(
    central.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>,
  ).find((r) => r.Type === 'AWS::CloudFormation::StackSet');
  const member = JSON.parse(stackSet?.Properties.TemplateBody as string) as Record<string, unknown>;
  const m = new DeliveryModel(central);
  const [busId] = m.ofType('AWS::Events::EventBus')[0] ?? [];
  const busArn = m.arnOf(busId as string);
  const busPolicy = {
    Version: '2012-10-17',
    Statement: m
      .ofType('AWS::Events::EventBusPolicy')
      .filter(([, p]) => m.idOf(p.Properties.EventBusName) === busId)
      .map(([, p]) => m.r(p.Properties.Statement)),
  };
  const mm = new DeliveryModel(member, { CentralBusArn: busArn, CentralGuardRoleArn: 'x' });
  const forwardRules = mm
    .ofType('AWS::Events::Rule')
    .flatMap(([, r]) =>
      (r.Properties.Targets as Record<string, unknown>[]).map((t) => ({ rule: r, target: t })),
    );
  const asMember = (arn: string) => arn.split(ACCOUNT).join(MEMBER);

  it('forwards every rule target to the central bus through a role', () => {
    expect(forwardRules.length).toBeGreaterThan(0);
    for (const { target } of forwardRules) {
      expect(mm.str(target.Arn)).toBe(busArn);
      expect(target.RoleArn).toBeDefined();
    }
  });

  it('member forwarding role → central bus: allowed inside the organization, denied outside', async () => {
    for (const { target } of forwardRules) {
      const roleId = mm.idOf(target.RoleArn) as string;
      const step = {
        principal: asMember(mm.arnOf(roleId)),
        action: 'events:PutEvents',
        resource: busArn,
        resourceAccount: ACCOUNT,
        identityPolicies: mm.roleIdentityPolicies(roleId),
        resourcePolicy: busPolicy,
        context: { 'aws:PrincipalOrgID': ORG, 'aws:SecureTransport': 'true' },
      };
      expect(`member forwarding → central bus: ${await decide(step)}`).toBe(
        'member forwarding → central bus: Allowed',
      );
      const outsider = {
        ...step,
        principal: `arn:aws:iam::${OTHER_ACCOUNT}:role/Forward`,
        context: { 'aws:PrincipalOrgID': 'o-zzzzzzzzzz', 'aws:SecureTransport': 'true' },
      };
      expect(await decide(outsider)).not.toBe('Allowed');
      // A service principal carries no aws:PrincipalOrgID.
      expect(
        await decide({ ...fromOtherService(step), context: { 'aws:SecureTransport': 'true' } }),
      ).not.toBe('Allowed');
      // The role reaches only the central bus.
      expect(
        await decide({
          ...step,
          resource: `arn:aws:events:us-east-1:${ACCOUNT}:event-bus/default`,
          resourcePolicy: undefined,
        }),
      ).not.toBe('Allowed');
    }
  });

  it('the forwarding role is assumable by EventBridge only (evaluator cannot model PassRole at PutTargets)', async () => {
    for (const { target } of forwardRules) {
      const roleId = mm.idOf(target.RoleArn) as string;
      const trust = mm.r(mm.resources[roleId]?.Properties.AssumeRolePolicyDocument) as Record<
        string,
        unknown
      >;
      const step = {
        principal: 'events.amazonaws.com',
        action: 'sts:AssumeRole',
        resource: asMember(mm.arnOf(roleId)),
        resourceAccount: MEMBER,
        identityPolicies: [],
        resourcePolicy: trust,
        context: { 'aws:SecureTransport': 'true' },
      };
      expect(await decide(step)).toBe('Allowed');
      expect(await decide(fromOtherService(step))).not.toBe('Allowed');
      expect(resolve(trust.Statement, member)).toEqual([
        { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' } },
      ]);
    }
  });
});
