import { Logger } from '@aws-lambda-powertools/logger';
import {
  GetRolePolicyCommand,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateRoleCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { beforeAll, describe, expect, it } from 'vitest';
import { IamRoleStore } from '../../functions/adapters/iam-role-store.js';
import { parseConfig } from '../../functions/core/config.js';
import { reconcile } from '../../functions/core/reconcile.js';
import { REVOCATION_POLICY_NAME, revocationPolicy } from '../../functions/core/session-revocation.js';
import { createHandler } from '../../functions/handler/create-handler.js';
import { guardClients, settings, testClients, topicWithInbox, uniqueName, WireLog } from '../support/aws.js';
import { ACCOUNT, guardEnv } from '../support/config.js';
import { fixture } from '../support/events.js';
import { lambdaContext } from '../support/lambda.js';

const ATTACKER = 'arn:aws:iam::999999999999:root';
const ATTACKER_TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: ATTACKER }, Action: 'sts:AssumeRole' }],
});
const ALLOW_ALL = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

let aws: ReturnType<typeof testClients>;
beforeAll(() => {
  aws = testClients();
});

async function setUp(env: Record<string, string> = {}) {
  const roleName = uniqueName('AWSSupportRole');
  const topic = await topicWithInbox(aws, uniqueName('revoke-topic'));
  const config = parseConfig(
    guardEnv({ SUPPORT_ROLE_NAME: roleName, NOTIFY_TOPIC_ARN: topic.topicArn, ...env }),
    {
      requireTopic: true,
    },
  );
  const wire = new WireLog();
  const logger = new Logger({ serviceName: 'support-role-guard', logLevel: 'SILENT' });
  const handler = createHandler({ config, clients: guardClients(wire), logger });
  await reconcile({
    desired: config.desired,
    mode: 'enforce',
    store: new IamRoleStore(aws.iam),
    partition: 'aws',
  });
  const revocation = async () => {
    const { PolicyNames } = await aws.iam.send(new ListRolePoliciesCommand({ RoleName: roleName }));
    if (!PolicyNames?.includes(REVOCATION_POLICY_NAME)) return undefined;
    const { PolicyDocument } = await aws.iam.send(
      new GetRolePolicyCommand({ RoleName: roleName, PolicyName: REVOCATION_POLICY_NAME }),
    );
    const raw = PolicyDocument ?? '';
    return JSON.parse(raw.startsWith('{') ? raw : decodeURIComponent(raw)) as Record<string, unknown>;
  };
  const sweep = () => {
    wire.clear();
    return handler(fixture('scheduled-sweep'), lambdaContext());
  };
  return { roleName, topic, wire, handler, revocation, sweep };
}

/** The cut-off written in a revocation document read back (empty when there is none). */
const cutoffOf = (document: Record<string, unknown> | undefined): string =>
  (document?.Statement as { Condition?: { DateLessThan?: Record<string, string> } } | undefined)?.Condition
    ?.DateLessThan?.['aws:TokenIssueTime'] ?? '';

/** What IAM decides for a request of a session of the role issued at `issued`, given the role's policies. */
async function decideSession(policies: Record<string, unknown>[], issued: Date): Promise<string> {
  const response = await runSimulation(
    {
      identityPolicies: policies.map((policy, i) => ({ name: `p${i}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: {
        principal: `arn:aws:sts::${ACCOUNT}:assumed-role/AWSSupportRole/attacker`,
        action: 'support:DescribeCases',
        resource: { resource: '*', accountId: ACCOUNT },
        contextVariables: { 'aws:TokenIssueTime': issued.toISOString() },
      },
    },
    {},
  );
  if (response.resultType === 'error') throw new Error(`simulation error: ${JSON.stringify(response)}`);
  return (response as { overallResult: string }).overallResult;
}

describe('sessions issued while the role was open', () => {
  it('are revoked: the attacker opens the role for 12 hours, assumes it, and the session is denied after the repair', async () => {
    // Prepare: the attack, on the emulator.
    const guard = await setUp();
    const RoleName = guard.roleName;
    await aws.iam.send(new UpdateRoleCommand({ RoleName, MaxSessionDuration: 43_200 }));
    await aws.iam.send(new UpdateAssumeRolePolicyCommand({ RoleName, PolicyDocument: ATTACKER_TRUST }));
    const sts = new STSClient(settings());
    const session = await sts.send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${ACCOUNT}:role/${RoleName}`,
        RoleSessionName: 'attacker',
        DurationSeconds: 43_200,
      }),
    );
    const issued = new Date((session.Credentials?.Expiration?.getTime() ?? 0) - 43_200_000);
    const before = new Date();
    guard.wire.clear();

    // Act
    const result = await guard.handler(
      fixture('update-assume-role-policy', {
        roleName: RoleName,
        requestParameters: { policyDocument: ATTACKER_TRUST },
      }),
      lambdaContext(),
    );
    const after = new Date();

    // Assess: on the wire, the trust and duration restored and the sessions revoked, once.
    expect(result.outcome).toBe('remediated');
    expect([...guard.wire.writes].sort()).toEqual(['PutRolePolicy', 'UpdateAssumeRolePolicy', 'UpdateRole']);
    // Read back from IAM: the console's document, with a cut-off of the repair's time.
    const document = await guard.revocation();
    const cutoff = cutoffOf(document);
    expect(document).toEqual(revocationPolicy(cutoff));
    expect(Date.parse(cutoff)).toBeGreaterThanOrEqual(before.getTime());
    expect(Date.parse(cutoff)).toBeLessThanOrEqual(after.getTime());
    expect(Date.parse(cutoff)).toBeGreaterThan(issued.getTime());
    // The attacker's session is denied by the policy read back; one issued after the cut-off is not.
    expect(await decideSession([ALLOW_ALL, document ?? {}], issued)).toBe('ExplicitlyDenied');
    expect(await decideSession([ALLOW_ALL, document ?? {}], new Date(Date.parse(cutoff) + 1000))).toBe(
      'Allowed',
    );
    // The message says sessions were revoked, and from when.
    const [message] = await guard.topic.notifications();
    expect(message?.document.actions).toContainEqual({
      api: 'PutRolePolicy',
      status: 'succeeded',
      detail: `revoke every session issued before ${cutoff} (inline policy AWSRevokeOlderSessions)`,
    });
  });

  it('is accepted on the next read: a sweep finds the role compliant and leaves the policy in place', async () => {
    // Prepare: a revocation by the guard.
    const guard = await setUp();
    await aws.iam.send(new UpdateRoleCommand({ RoleName: guard.roleName, MaxSessionDuration: 43_200 }));
    await guard.sweep();
    const written = await guard.revocation();

    // Act
    const result = await guard.sweep();

    // Assess
    expect(written).toBeDefined();
    expect(result.outcome).toBe('compliant');
    expect(guard.wire.writes).toEqual([]);
    expect(await guard.revocation()).toEqual(written);
  });

  it("accepts the console's own revocation (same name, same shape) instead of removing it", async () => {
    // Prepare: on-call clicks "Revoke active sessions" in the IAM console.
    const guard = await setUp();
    const console = JSON.stringify(revocationPolicy('2026-11-28T11:47:00Z'));
    await aws.iam.send(
      new PutRolePolicyCommand({
        RoleName: guard.roleName,
        PolicyName: REVOCATION_POLICY_NAME,
        PolicyDocument: console,
      }),
    );

    // Act
    const result = await guard.sweep();

    // Assess
    expect(result.outcome).toBe('compliant');
    expect(guard.wire.writes).toEqual([]);
    expect(await guard.revocation()).toEqual(JSON.parse(console));
  });

  it('removes a different Deny policy under that name (REVOKE_SESSIONS=false), or overwrites it with a revocation', async () => {
    // Prepare: a plain Deny-all under the revocation's name (it locks everyone out, whenever issued).
    const lockOut = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }],
    });
    const off = await setUp({ REVOKE_SESSIONS: 'false' });
    const on = await setUp();
    for (const guard of [off, on])
      await aws.iam.send(
        new PutRolePolicyCommand({
          RoleName: guard.roleName,
          PolicyName: REVOCATION_POLICY_NAME,
          PolicyDocument: lockOut,
        }),
      );

    // Act
    const removed = await off.sweep();
    const replaced = await on.sweep();

    // Assess
    expect(removed.outcome).toBe('remediated');
    expect(off.wire.writes).toEqual(['DeleteRolePolicy']);
    expect(await off.revocation()).toBeUndefined();
    expect(replaced.outcome).toBe('remediated');
    expect(on.wire.writes).toEqual(['PutRolePolicy']);
    const document = await on.revocation();
    const cutoff = cutoffOf(document);
    expect(document).toEqual(revocationPolicy(cutoff));
  });
});
