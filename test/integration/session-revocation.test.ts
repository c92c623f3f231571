import { Logger } from '@aws-lambda-powertools/logger';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  GetRolePolicyCommand,
  IAMClient,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateRoleCommand,
} from '@aws-sdk/client-iam';
import { SNSClient } from '@aws-sdk/client-sns';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_SETTINGS } from '../../functions/adapters/aws-clients.js';
import { IamRoleStore } from '../../functions/adapters/iam-role-store.js';
import { parseConfig } from '../../functions/core/config.js';
import { GuardFailure } from '../../functions/core/guard-result.js';
import { reconcile } from '../../functions/core/reconcile.js';
import {
  REVOCATION_MARGIN_MS,
  REVOCATION_POLICY_NAME,
  revocationPolicy,
} from '../../functions/core/session-revocation.js';
import { createHandler } from '../../functions/handler/create-handler.js';
import { recordIamCalls } from '../../functions/local/wire-log.js';
import {
  CREDENTIALS,
  emulatorEndpoint,
  guardClients,
  REGION,
  settings,
  testClients,
  topicWithInbox,
  uniqueName,
  WireLog,
} from '../support/aws.js';
import { ACCOUNT, guardEnv } from '../support/config.js';
import { fixture } from '../support/events.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { lambdaContext } from '../support/lambda.js';

const ATTACKER = 'arn:aws:iam::999999999999:root';
const ATTACKER_TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: ATTACKER }, Action: 'sts:AssumeRole' }],
});
const ALLOW_ALL = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

let aws: ReturnType<typeof testClients>;
let proxy: FaultProxy;
beforeAll(async () => {
  aws = testClients();
  proxy = await startFaultProxy(emulatorEndpoint());
});
afterAll(async () => {
  await proxy.close();
});

/** Clients through the fault proxy (the guard's, recorded on `wire`, or the attacker's). */
function proxiedClients(wire: WireLog) {
  const through = { ...CLIENT_SETTINGS, region: REGION, endpoint: proxy.endpoint, credentials: CREDENTIALS };
  return {
    iam: recordIamCalls(new IAMClient(through), wire),
    sns: new SNSClient(through),
    eventBridge: new EventBridgeClient(through),
  };
}

async function setUp(env: Record<string, string> = {}, options: { proxied?: boolean } = {}) {
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
  const clients = options.proxied ? proxiedClients(wire) : guardClients(wire);
  const handler = createHandler({ config, clients, logger });
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
  return { roleName, config, topic, wire, handler, revocation, sweep };
}

/** The attacker assumes the role (trusted by the attacker at that moment); returns when the session was issued. */
async function assumeAsAttacker(roleName: string, seconds = 3_600): Promise<Date> {
  const sts = new STSClient(settings());
  const session = await sts.send(
    new AssumeRoleCommand({
      RoleArn: `arn:aws:iam::${ACCOUNT}:role/${roleName}`,
      RoleSessionName: 'attacker',
      DurationSeconds: seconds,
    }),
  );
  return new Date((session.Credentials?.Expiration?.getTime() ?? 0) - seconds * 1000);
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
    // The cut-off is the repair's time plus the margin for IAM to apply the restore everywhere.
    expect(Date.parse(cutoff)).toBeGreaterThanOrEqual(before.getTime() + REVOCATION_MARGIN_MS);
    expect(Date.parse(cutoff)).toBeLessThanOrEqual(after.getTime() + REVOCATION_MARGIN_MS);
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
      detail: `revoke every session issued before ${cutoff} (2 minutes after the repair, while IAM applies it everywhere; inline policy AWSRevokeOlderSessions)`,
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

  it("takes a revocation planted far in the future for no cut-off of the store's (it would turn off the writes sent ahead)", async () => {
    // Prepare: a revocation of the right shape whose cut-off is a year away (a lock-out), then one
    // as the guard writes it (the margin after now).
    const guard = await setUp();
    const put = (cutoff: string) =>
      aws.iam.send(
        new PutRolePolicyCommand({
          RoleName: guard.roleName,
          PolicyName: REVOCATION_POLICY_NAME,
          PolicyDocument: JSON.stringify(revocationPolicy(cutoff)),
        }),
      );
    await put(new Date(Date.now() + 365 * 86_400_000).toISOString());
    const store = new IamRoleStore(aws.iam);

    // Act
    const planted = await store.read(guard.roleName);
    const plantedCutoff = store.knownRevocationCutoff(guard.roleName);
    const near = new Date(Date.now() + REVOCATION_MARGIN_MS).toISOString();
    await put(near);
    await store.read(guard.roleName);

    // Assess
    expect(planted.exists && planted.inlinePolicyNames).toEqual([REVOCATION_POLICY_NAME]);
    expect(plantedCutoff).toBeUndefined();
    expect(store.knownRevocationCutoff(guard.roleName)).toBe(near);
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

describe('sessions revoked whatever the guard reads when the event named a session-relevant change', () => {
  /** The attacker opens the trust, assumes the role and puts the trust back; the wire log cleared. */
  async function openedAndUndone() {
    const guard = await setUp();
    const RoleName = guard.roleName;
    await aws.iam.send(new UpdateAssumeRolePolicyCommand({ RoleName, PolicyDocument: ATTACKER_TRUST }));
    const issued = await assumeAsAttacker(RoleName);
    await aws.iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName,
        PolicyDocument: JSON.stringify(guard.config.desired.trustPolicy),
      }),
    );
    guard.wire.clear();
    return { guard, RoleName, issued };
  }

  it('the attacker opens the trust, assumes the role and puts the trust back before the guard reads: revoked', async () => {
    // Prepare: the attack, undone by the attacker before the guard looks.
    const { guard, RoleName, issued } = await openedAndUndone();

    // Act: the event of the attacker's first call arrives.
    const result = await guard.handler(
      fixture('update-assume-role-policy', {
        roleName: RoleName,
        requestParameters: { policyDocument: ATTACKER_TRUST },
      }),
      lambdaContext(),
    );

    // Assess: on the wire, the revocation only (the configuration was already back).
    expect(result.outcome).toBe('compliant');
    expect(guard.wire.writes).toEqual(['PutRolePolicy']);
    // Read back from IAM: the attacker's session is denied.
    const document = await guard.revocation();
    const cutoff = cutoffOf(document);
    expect(document).toEqual(revocationPolicy(cutoff));
    expect(await decideSession([ALLOW_ALL, document ?? {}], issued)).toBe('ExplicitlyDenied');
    // On-call hears of it: sessions revoked, and from when.
    expect(result.reason).toMatch(/sessions were revoked/);
    const [message] = await guard.topic.notifications();
    // A repeated delivery of that event: the revocation in place covers it, nothing is written.
    guard.wire.clear();
    const repeated = await guard.handler(
      fixture('update-assume-role-policy', {
        roleName: RoleName,
        requestParameters: { policyDocument: ATTACKER_TRUST },
      }),
      lambdaContext(),
    );
    expect(repeated.outcome).toBe('compliant');
    expect(guard.wire.writes).toEqual([]);
    expect(await guard.revocation()).toEqual(document);
    expect(message?.document.actions).toContainEqual(
      expect.objectContaining({
        api: 'PutRolePolicy',
        status: 'succeeded',
        detail: expect.stringContaining(cutoff),
      }),
    );
  });

  it('the same attack delivered at once: the desired trust and the revocation go ahead of the read, and the act is reported as CloudTrail recorded it', async () => {
    // Prepare: the attack, undone by the attacker before the guard looks.
    const { guard, RoleName, issued } = await openedAndUndone();

    // Act: the event of the attacker's first call, a first delivery (its time is now).
    const result = await guard.handler(
      fixture('update-assume-role-policy', {
        roleName: RoleName,
        requestParameters: { policyDocument: ATTACKER_TRUST },
        time: new Date(),
      }),
      lambdaContext(),
    );

    // Assess: both writes before the first read's answer could say the trust was back; the trust
    // write goes through whatever the trust was, and nothing on the role proves an earlier
    // repair, so the act is reported as recorded (the foreign account), and verified.
    expect([...guard.wire.writes].sort()).toEqual(['PutRolePolicy', 'UpdateAssumeRolePolicy']);
    expect(guard.wire.calls.indexOf('UpdateAssumeRolePolicy')).toBeLessThan(
      guard.wire.calls.lastIndexOf('GetRole'),
    );
    expect(result.outcome).toBe('remediated');
    expect(result.drift.map((d) => [d.property, d.before?.includes('999999999999')])).toEqual([
      ['trustPolicy', true],
    ]);
    const document = await guard.revocation();
    expect(await decideSession([ALLOW_ALL, document ?? {}], issued)).toBe('ExplicitlyDenied');
  });

  it('the revocation fails while the trust restore succeeds: the invocation fails and its retry revokes', async () => {
    // Prepare: the attack; the guard's PutRolePolicy will fail on the wire.
    const guard = await setUp({}, { proxied: true });
    const RoleName = guard.roleName;
    await aws.iam.send(new UpdateAssumeRolePolicyCommand({ RoleName, PolicyDocument: ATTACKER_TRUST }));
    const issued = await assumeAsAttacker(RoleName);
    const event = fixture('update-assume-role-policy', {
      roleName: RoleName,
      requestParameters: { policyDocument: ATTACKER_TRUST },
      eventId: uniqueName('evt'),
    });
    proxy.setPlan({
      kind: 'error',
      rate: 1,
      services: ['iam'],
      bodyContains: 'Action=PutRolePolicy&',
      error: {
        status: 409,
        code: 'LimitExceeded',
        message: 'Maximum policy size of 10240 bytes exceeded for role',
      },
    });
    guard.wire.clear();

    // Act: the invocation, then Lambda's retry with the same event.
    const error = await guard.handler(event, lambdaContext()).catch((e: unknown) => e);
    proxy.setPlan(undefined);
    const firstWrites = [...guard.wire.writes];
    const afterFirst = await guard.revocation();
    guard.wire.clear();
    const retry = await guard.handler(structuredClone(event), lambdaContext());

    // Assess: the first invocation restored the trust, failed to revoke, and failed.
    expect(error).toBeInstanceOf(GuardFailure);
    // (the SDK retries LimitExceeded as throttling, so the revocation went out up to 5 times)
    expect(firstWrites[0]).toBe('UpdateAssumeRolePolicy');
    expect(new Set(firstWrites.slice(1))).toEqual(new Set(['PutRolePolicy']));
    expect(afterFirst).toBeUndefined();
    // The retry sees a compliant role and revokes anyway, at the wire and in IAM.
    expect(retry.outcome).toBe('compliant');
    expect(guard.wire.writes).toEqual(['PutRolePolicy']);
    const document = await guard.revocation();
    expect(document).toEqual(revocationPolicy(cutoffOf(document)));
    expect(await decideSession([ALLOW_ALL, document ?? {}], issued)).toBe('ExplicitlyDenied');
    expect((await guard.topic.notifications()).map((m) => m.document.outcome)).toEqual([
      'failed',
      'compliant',
    ]);
  });

  it("an attacker who filled the role's inline quota cannot make the revocation fail: refused alongside the deletes, it goes again after them", async () => {
    // Prepare: IAM's 10,240-character aggregate inline quota on the wire; the attacker's writes
    // go through it too, and the guard's deletes are answered late (as a busy IAM might).
    const guard = await setUp({}, { proxied: true });
    const RoleName = guard.roleName;
    proxy.setInlinePolicyQuota(10_240);
    const attacker = proxiedClients(new WireLog()).iam;
    const filler = (n: number) =>
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Sid: 'x'.repeat(n), Effect: 'Allow', Action: '*', Resource: '*' }],
      });
    await attacker.send(new UpdateAssumeRolePolicyCommand({ RoleName, PolicyDocument: ATTACKER_TRUST }));
    await attacker.send(
      new PutRolePolicyCommand({ RoleName, PolicyName: 'a', PolicyDocument: filler(5_000) }),
    );
    await attacker.send(
      new PutRolePolicyCommand({ RoleName, PolicyName: 'b', PolicyDocument: filler(5_000) }),
    );
    const issued = await assumeAsAttacker(RoleName);
    proxy.setPlan({
      kind: 'slow',
      rate: 1,
      services: ['iam'],
      bodyContains: 'Action=DeleteRolePolicy&',
      delayMs: 300,
    });
    guard.wire.clear();

    // Act
    const result = await guard
      .handler(
        fixture('put-role-policy', { roleName: RoleName, requestParameters: { policyName: 'b' } }),
        lambdaContext(),
      )
      .finally(() => {
        proxy.setPlan(undefined);
        proxy.setInlinePolicyQuota(undefined);
      });

    // Assess: at the wire, the revocation went out alongside the deletes (one round trip when the
    // quota allows it), was refused while they were under way, and went again after them.
    expect(result.outcome).toBe('remediated');
    const puts = guard.wire.timeline.filter((e) => e.action === 'PutRolePolicy');
    const deletes = guard.wire.timeline.filter((e) => e.action === 'DeleteRolePolicy');
    expect(deletes).toHaveLength(2);
    expect(puts.length).toBeGreaterThanOrEqual(2);
    expect(puts[0]?.start).toBeLessThan(Math.min(...deletes.map((d) => d.end ?? Number.POSITIVE_INFINITY)));
    expect(guard.wire.writes.filter((w) => w === 'UpdateAssumeRolePolicy')).toHaveLength(1);
    expect(result.actions.filter((a) => a.api === 'PutRolePolicy').map((a) => a.status)).toEqual([
      'succeeded',
    ]);
    // Read back from IAM: only the revocation is left, and it denies the attacker's session.
    const { PolicyNames } = await aws.iam.send(new ListRolePoliciesCommand({ RoleName }));
    expect(PolicyNames).toEqual([REVOCATION_POLICY_NAME]);
    const document = await guard.revocation();
    expect(await decideSession([ALLOW_ALL, document ?? {}], issued)).toBe('ExplicitlyDenied');
  });
});
