import { Logger } from '@aws-lambda-powertools/logger';
import {
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DetachRolePolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  ListAttachedRolePoliciesCommand,
  ListPolicyVersionsCommand,
} from '@aws-sdk/client-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { IamRoleStore } from '../../functions/adapters/iam-role-store.js';
import { parseConfig } from '../../functions/core/config.js';
import { canonicalPolicy, parsePolicyDocument } from '../../functions/core/policy-document.js';
import { reconcile } from '../../functions/core/reconcile.js';
import { createHandler } from '../../functions/handler/create-handler.js';
import { ACTORS, cloudTrailEvent } from '../../functions/local/cloudtrail.js';
import { guardClients, testClients, topicWithInbox, uniqueName, WireLog } from '../support/aws.js';
import { ACCOUNT, guardEnv, SUPPORT_ACCESS } from '../support/config.js';
import { fixture } from '../support/events.js';
import { lambdaContext } from '../support/lambda.js';

/** The Support Center console policy `audit` recommends, customer-managed: the pinned content. */
const PINNED = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'support-console:*', Resource: '*' }],
};
const grantAll = (n: number) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Sid: `All${n}`, Effect: 'Allow', Action: '*', Resource: '*' }],
  });

let aws: ReturnType<typeof testClients>;
beforeAll(() => {
  aws = testClients();
});

/** A customer-managed required policy with its pinned document, the role in desired state, the handler. */
async function setUp() {
  const roleName = uniqueName('AWSSupportRole');
  const policyName = uniqueName('SupportConsole');
  await aws.iam.send(
    new CreatePolicyCommand({
      PolicyName: policyName,
      Path: '/support/',
      PolicyDocument: JSON.stringify(PINNED),
    }),
  );
  const policyArn = `arn:aws:iam::${ACCOUNT}:policy/support/${policyName}`;
  const topic = await topicWithInbox(aws, uniqueName('pin-topic'));
  const config = parseConfig(
    guardEnv({
      SUPPORT_ROLE_NAME: roleName,
      NOTIFY_TOPIC_ARN: topic.topicArn,
      REQUIRED_POLICY_ARNS: `${SUPPORT_ACCESS},${policyArn}`,
      REQUIRED_POLICY_DOCUMENTS: JSON.stringify({ [policyArn]: PINNED }),
    }),
    { requireTopic: true },
  );
  const store = new IamRoleStore(aws.iam);
  const created = await reconcile({ desired: config.desired, mode: 'enforce', store, partition: 'aws' });
  if (created.error) throw created.error;
  const wire = new WireLog();
  const handler = createHandler({
    config,
    clients: guardClients(wire),
    logger: new Logger({ serviceName: 'support-role-guard', logLevel: 'SILENT' }),
  });
  const invoke = (eventName: string, input: Record<string, unknown>) => {
    wire.clear();
    return handler(cloudTrailEvent({ eventName, input, actor: ACTORS.alice }), lambdaContext());
  };
  /** What the policy grants now, read back from IAM: the default version's document, canonical. */
  const grants = async () => {
    const { Policy } = await aws.iam.send(new GetPolicyCommand({ PolicyArn: policyArn }));
    const { PolicyVersion } = await aws.iam.send(
      new GetPolicyVersionCommand({ PolicyArn: policyArn, VersionId: Policy?.DefaultVersionId }),
    );
    return canonicalPolicy(parsePolicyDocument(PolicyVersion?.Document ?? '{}'));
  };
  const versionCount = async () =>
    (await aws.iam.send(new ListPolicyVersionsCommand({ PolicyArn: policyArn }))).Versions?.length;
  return { roleName, policyArn, topic, wire, handler, invoke, grants, versionCount };
}

describe('a customer-managed required policy, pinned by content', () => {
  it('CreatePolicyVersion --set-as-default granting *: the pinned version is made default again', async () => {
    // Prepare: the attack, on the emulator.
    const g = await setUp();
    const attack = { PolicyArn: g.policyArn, PolicyDocument: grantAll(1), SetAsDefault: true };
    await aws.iam.send(new CreatePolicyVersionCommand(attack));
    expect(await g.grants()).toBe(canonicalPolicy(parsePolicyDocument(grantAll(1))));

    // Act
    const result = await g.invoke('CreatePolicyVersion', attack);

    // Assess: at the wire, and by reading IAM back.
    expect(result.outcome).toBe('remediated');
    expect(result.drift.map((d) => d.property)).toEqual([`policyContent:${g.policyArn}`]);
    expect(g.wire.writes).toEqual(['SetDefaultPolicyVersion', 'PutRolePolicy']);
    expect(await g.grants()).toBe(canonicalPolicy(PINNED));
    const [message] = await g.topic.notifications();
    expect(message?.document.trigger?.eventName).toBe('CreatePolicyVersion');
  });

  it('with the pinned version deleted and 5 versions used: the oldest is deleted and the document restored', async () => {
    // Prepare: the pinned v1 replaced and deleted, then every one of IAM's 5 versions used.
    const g = await setUp();
    const PolicyArn = g.policyArn;
    await aws.iam.send(
      new CreatePolicyVersionCommand({ PolicyArn, PolicyDocument: grantAll(2), SetAsDefault: true }),
    );
    await aws.iam.send(new DeletePolicyVersionCommand({ PolicyArn, VersionId: 'v1' }));
    for (let n = 3; n <= 6; n++)
      await aws.iam.send(new CreatePolicyVersionCommand({ PolicyArn, PolicyDocument: grantAll(n) }));
    expect(await g.versionCount()).toBe(5);

    // Act: the sweep (the dormant versions' events were not tampering).
    g.wire.clear();
    const result = await g.handler(fixture('scheduled-sweep'), lambdaContext());

    // Assess
    expect(result.outcome).toBe('remediated');
    expect(g.wire.writes).toEqual(['DeletePolicyVersion', 'PutRolePolicy', 'CreatePolicyVersion']);
    expect(await g.grants()).toBe(canonicalPolicy(PINNED));
    expect(await g.versionCount()).toBe(5);
  });

  it('DeletePolicy (after detaching it): the policy is created again with its document and attached', async () => {
    // Prepare
    const g = await setUp();
    await aws.iam.send(new DetachRolePolicyCommand({ RoleName: g.roleName, PolicyArn: g.policyArn }));
    await aws.iam.send(new DeletePolicyCommand({ PolicyArn: g.policyArn }));

    // Act
    const result = await g.invoke('DeletePolicy', { PolicyArn: g.policyArn });

    // Assess
    expect(result.outcome).toBe('remediated');
    expect(g.wire.writes).toEqual(['CreatePolicy', 'PutRolePolicy', 'AttachRolePolicy']);
    expect(await g.grants()).toBe(canonicalPolicy(PINNED));
    const { AttachedPolicies } = await aws.iam.send(
      new ListAttachedRolePoliciesCommand({ RoleName: g.roleName }),
    );
    expect(AttachedPolicies?.map((p) => p.PolicyArn).sort()).toEqual([SUPPORT_ACCESS, g.policyArn].sort());
  });

  it('a compliant sweep reads the pinned policy alongside the role and writes nothing', async () => {
    const g = await setUp();
    g.wire.clear();

    const result = await g.handler(fixture('scheduled-sweep'), lambdaContext());

    expect(result.outcome).toBe('compliant');
    expect(g.wire.writes).toEqual([]);
    expect([...g.wire.reads].sort()).toEqual([
      'GetPolicyVersion',
      'GetRole',
      'GetRolePolicy',
      'ListAttachedRolePolicies',
      'ListPolicyVersions',
      'ListRolePolicies',
    ]);
  });
});
