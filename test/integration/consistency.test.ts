import { Logger } from '@aws-lambda-powertools/logger';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  DeletePolicyCommand,
  DetachRolePolicyCommand,
  GetRolePolicyCommand,
  IAMClient,
  PutRolePolicyCommand,
  TagRoleCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateRoleCommand,
} from '@aws-sdk/client-iam';
import { SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_SETTINGS } from '../../functions/adapters/aws-clients.js';
import { IamRoleStore } from '../../functions/adapters/iam-role-store.js';
import { parseConfig } from '../../functions/core/config.js';
import { detectDrift } from '../../functions/core/drift.js';
import { GuardFailure } from '../../functions/core/guard-result.js';
import { READ_BACK_BACKOFF_MS, reconcile, STALE_READ_WINDOW_MS } from '../../functions/core/reconcile.js';
import { REVOCATION_POLICY_NAME, revocationCutoff } from '../../functions/core/session-revocation.js';
import { createHandler } from '../../functions/handler/create-handler.js';
import { ACTORS, cloudTrailEvent } from '../../functions/local/cloudtrail.js';
import { FOREIGN_TRUST } from '../../functions/local/drill-scenarios.js';
import { recordIamCalls } from '../../functions/local/wire-log.js';
import {
  CREDENTIALS,
  emulatorEndpoint,
  REGION,
  settings,
  testClients,
  topicWithInbox,
  uniqueName,
  WireLog,
} from '../support/aws.js';
import { ACCOUNT, guardEnv, SUPPORT_ACCESS } from '../support/config.js';
import { fixture } from '../support/events.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { lambdaContext } from '../support/lambda.js';

const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const BOUND = READ_BACK_BACKOFF_MS.length;

let proxy: FaultProxy;
beforeAll(async () => {
  proxy = await startFaultProxy(emulatorEndpoint());
});
afterAll(async () => {
  await proxy.close();
});

/** A guard whose IAM client goes through the proxy (recorded on the wire); the attacker and SNS go direct. */
async function guardSetUp(env: Record<string, string> = {}) {
  const aws = testClients();
  const roleName = uniqueName('AWSSupportRole');
  const topic = await topicWithInbox(aws, uniqueName('consistency-topic'));
  const config = parseConfig(
    guardEnv({ SUPPORT_ROLE_NAME: roleName, NOTIFY_TOPIC_ARN: topic.topicArn, ...env }),
    { requireTopic: true },
  );
  const store = new IamRoleStore(aws.iam);
  await reconcile({ desired: config.desired, mode: 'enforce', store, partition: 'aws' });
  const wire = new WireLog();
  const iam = recordIamCalls(
    new IAMClient({ ...CLIENT_SETTINGS, region: REGION, endpoint: proxy.endpoint, credentials: CREDENTIALS }),
    wire,
  );
  const handler = createHandler({
    config,
    clients: { iam, sns: new SNSClient(settings()), eventBridge: new EventBridgeClient(settings()) },
    logger: new Logger({ serviceName: 'support-role-guard', logLevel: 'SILENT' }),
  });
  const driftNow = async () => detectDrift(config.desired, await store.read(roleName));
  return { aws, roleName, topic, handler, wire, driftNow };
}

describe('verification under IAM eventual consistency (stale reads served on the wire)', () => {
  it.each(Array.from({ length: BOUND }, (_, i) => i + 1))(
    '%i stale reads after the write: converges, one write, remediated',
    async (n) => {
      // Prepare
      const g = await guardSetUp();
      await g.aws.iam.send(new DetachRolePolicyCommand({ RoleName: g.roleName, PolicyArn: SUPPORT_ACCESS }));
      const staleBefore = proxy.stats.stale;
      proxy.setStaleReads(n);

      // Act
      const result = await g.handler(
        fixture('detach-role-policy', { roleName: g.roleName, eventId: uniqueName('evt') }),
        lambdaContext(),
      );
      proxy.setStaleReads(0);

      // Assess: the read-back's three reads (role, attached, inline: the first read found no
      // revocation policy, so it is asked for only if the list names it) were served stale n
      // times; the write went out once.
      expect(proxy.stats.stale - staleBefore).toBe(3 * n);
      expect(result).toMatchObject({ outcome: 'remediated', notified: true });
      expect(g.wire.writes).toEqual(['AttachRolePolicy']);
      expect(g.wire.calls.filter((c) => c === 'GetRole')).toHaveLength(n + 2);
      // read, write, then the read-back and its n re-reads, one after another
      expect(g.wire.roundTrips).toBe(2 + n + 1);
      expect(await g.driftNow()).toEqual([]);
      expect((await g.topic.notifications()).map((m) => m.document.outcome)).toEqual(['remediated']);
    },
  );

  it('a repair in two waves, stale after each write: every write exactly once', async () => {
    // Prepare: access added (admin, an inline policy) and the support policy taken away.
    const g = await guardSetUp();
    await g.aws.iam.send(new AttachRolePolicyCommand({ RoleName: g.roleName, PolicyArn: ADMIN }));
    await g.aws.iam.send(
      new PutRolePolicyCommand({
        RoleName: g.roleName,
        PolicyName: 'backdoor',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
        }),
      }),
    );
    await g.aws.iam.send(new DetachRolePolicyCommand({ RoleName: g.roleName, PolicyArn: SUPPORT_ACCESS }));
    proxy.setStaleReads(2);

    // Act
    const result = await g.handler(
      fixture('detach-role-policy', { roleName: g.roleName, eventId: uniqueName('evt') }),
      lambdaContext(),
    );
    proxy.setStaleReads(0);

    // Assess
    expect(result).toMatchObject({ outcome: 'remediated' });
    // An added inline and managed policy also revoke older sessions (PutRolePolicy, same wave).
    expect([...g.wire.writes].sort()).toEqual([
      'AttachRolePolicy',
      'DeleteRolePolicy',
      'DetachRolePolicy',
      'PutRolePolicy',
    ]);
    expect(await g.driftNow()).toEqual([]);
  });

  it('a race in a wave, stale reads after it: the writes that went through are not repeated', async () => {
    // Prepare: the description changed and a tag added: one wave, UpdateRole and UntagRole
    // together. UntagRole is answered ConcurrentModification once (it did not take effect; a
    // NoSuchEntity would mean the tag is already gone); UpdateRole goes through, and the next
    // reads are stale.
    const g = await guardSetUp();
    await g.aws.iam.send(new UpdateRoleCommand({ RoleName: g.roleName, Description: 'changed by hand' }));
    await g.aws.iam.send(
      new TagRoleCommand({ RoleName: g.roleName, Tags: [{ Key: 'intruder', Value: 'yes' }] }),
    );
    const before = { ...proxy.stats.byAction };
    proxy.setStaleReads(2);
    proxy.setPlan({
      kind: 'error',
      rate: 1,
      services: ['iam'],
      bodyContains: 'Action=UntagRole&',
      limits: { iam: 1 },
      error: {
        status: 409,
        code: 'ConcurrentModification',
        message: 'Rate exceeded for concurrent modifications of the role.',
      },
    });

    // Act
    const result = await g.handler(
      fixture('update-role', { roleName: g.roleName, eventId: uniqueName('evt') }),
      lambdaContext(),
    );
    proxy.setPlan(undefined);
    proxy.setStaleReads(0);

    // Assess, counted at the proxy: UpdateRole once (it went through; the stale re-reads are
    // waited out, not answered with a second write); UntagRole twice (the first never took effect).
    const sent = (action: string) => (proxy.stats.byAction[action] ?? 0) - (before[action] ?? 0);
    expect(result).toMatchObject({ outcome: 'remediated' });
    expect(sent('UpdateRole')).toBe(1);
    expect(sent('UntagRole')).toBe(2);
    // The event names a session-relevant change: the revocation goes out once, with the removals.
    expect(sent('PutRolePolicy')).toBe(1);
    expect(result.actions.map((a) => `${a.api} ${a.status}`)).toEqual([
      'PutRolePolicy succeeded',
      'UpdateRole succeeded',
      'UntagRole superseded',
      'UntagRole succeeded',
    ]);
    expect(await g.driftNow()).toEqual([]);
  });

  it('a pinned policy it just recreated, not yet visible to the attach: waited for, remediated', async () => {
    // Prepare: a pinned customer-managed policy, detached and deleted. IAM answers the first
    // AttachRolePolicy of it NoSuchEntity (the new policy not visible yet), as AWS may.
    const pinned = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'support:*', Resource: '*' }],
    };
    const policyName = uniqueName('Pinned');
    const policyArn = `arn:aws:iam::${ACCOUNT}:policy/${policyName}`;
    const aws = testClients();
    await aws.iam.send(
      new CreatePolicyCommand({ PolicyName: policyName, PolicyDocument: JSON.stringify(pinned) }),
    );
    const g = await guardSetUp({
      REQUIRED_POLICY_ARNS: `${SUPPORT_ACCESS},${policyArn}`,
      REQUIRED_POLICY_DOCUMENTS: JSON.stringify({ [policyArn]: pinned }),
    });
    await g.aws.iam.send(new DetachRolePolicyCommand({ RoleName: g.roleName, PolicyArn: policyArn }));
    await g.aws.iam.send(new DeletePolicyCommand({ PolicyArn: policyArn }));
    const before = { ...proxy.stats.byAction };
    proxy.setPlan({
      kind: 'error',
      rate: 1,
      services: ['iam'],
      bodyContains: 'Action=AttachRolePolicy&',
      limits: { iam: 1 },
      error: {
        status: 404,
        code: 'NoSuchEntity',
        message: `Policy ${policyArn} does not exist or is not attachable.`,
      },
    });

    // Act
    const result = await g.handler(
      fixture('detach-role-policy', { roleName: g.roleName, eventId: uniqueName('evt') }),
      lambdaContext(),
    );
    proxy.setPlan(undefined);

    // Assess: not a configuration error; the policy created once, the attachment sent again.
    const sent = (action: string) => (proxy.stats.byAction[action] ?? 0) - (before[action] ?? 0);
    expect(result).toMatchObject({ outcome: 'remediated' });
    expect(sent('CreatePolicy')).toBe(1);
    expect(sent('AttachRolePolicy')).toBe(2);
    expect(result.actions.filter((a) => a.api === 'AttachRolePolicy').map((a) => a.status)).toEqual([
      'superseded',
      'succeeded',
    ]);
    expect(await g.driftNow()).toEqual([]);
  });

  it.each([1, 3, 5])(
    'the list shows the revocation it just put but GetRolePolicy does not yet (%i stale): asked again, kept, remediated',
    async (n) => {
      // Prepare: a session-relevant act (AdministratorAccess attached); replicas of different
      // ages after the guard's writes: the inline list fresh, GetRolePolicy stale (absent).
      const g = await guardSetUp();
      await g.aws.iam.send(new AttachRolePolicyCommand({ RoleName: g.roleName, PolicyArn: ADMIN }));
      proxy.setStaleReads(n, { reads: ['GetRolePolicy'] });

      // Act
      const result = await g.handler(
        cloudTrailEvent({
          eventName: 'AttachRolePolicy',
          input: { RoleName: g.roleName, PolicyArn: ADMIN },
          actor: ACTORS.alice,
        }),
        lambdaContext(),
      );
      proxy.setStaleReads(0);

      // Assess: the guard's own revocation is never taken for an unknown inline policy and removed.
      expect(result).toMatchObject({ outcome: 'remediated', notified: true });
      expect(g.wire.writes).not.toContain('DeleteRolePolicy');
      expect(g.wire.writes).toContain('DetachRolePolicy');
      const { PolicyDocument } = await g.aws.iam.send(
        new GetRolePolicyCommand({ RoleName: g.roleName, PolicyName: REVOCATION_POLICY_NAME }),
      );
      expect(revocationCutoff(decodeURIComponent(PolicyDocument ?? ''))).toBeDefined();
      expect(await g.driftNow()).toEqual([]);
    },
  );

  it(`past the bound (${BOUND + 1} stale reads): failed, "applied, not verified", no write repeated; the retry finds it restored`, async () => {
    // Prepare
    const g = await guardSetUp();
    await g.aws.iam.send(new DetachRolePolicyCommand({ RoleName: g.roleName, PolicyArn: SUPPORT_ACCESS }));
    const event = fixture('detach-role-policy', { roleName: g.roleName, eventId: uniqueName('evt') });
    proxy.setStaleReads(BOUND + 1);

    // Act
    const error = await g.handler(event, lambdaContext()).catch((e: unknown) => e);
    proxy.setStaleReads(0);
    const writes = [...g.wire.writes];
    const retry = await g.handler(structuredClone(event), lambdaContext());

    // Assess
    expect(error).toBeInstanceOf(GuardFailure);
    expect((error as GuardFailure).result).toMatchObject({
      outcome: 'failed',
      reason: expect.stringMatching(/applied, not verified/),
      actions: [{ api: 'AttachRolePolicy', status: 'succeeded' }],
    });
    expect(writes).toEqual(['AttachRolePolicy']);
    expect(retry).toMatchObject({ outcome: 'compliant', notified: true });
    const messages = await g.topic.notifications();
    expect(messages.map((m) => m.document.outcome)).toEqual(['failed', 'compliant']);
    expect(messages[0]?.document.error).toMatch(/applied, not verified/);
  });
});

/** The attacker's IAM client, through the proxy under its own access key (its writes start stale reads). */
const ATTACKER_KEY = 'ATTACKERKEY';
const attackerIam = () =>
  new IAMClient({
    ...CLIENT_SETTINGS,
    region: REGION,
    endpoint: proxy.endpoint,
    credentials: { accessKeyId: ATTACKER_KEY, secretAccessKey: 'attacker' },
  });

/** A replica that saw the role before the attack: the proxy records each read's answer. */
async function readThroughProxy(roleName: string) {
  const iam = new IAMClient({
    ...CLIENT_SETTINGS,
    region: REGION,
    endpoint: proxy.endpoint,
    credentials: CREDENTIALS,
  });
  await new IamRoleStore(iam).read(roleName);
}

describe("a stale FIRST read: the guard's first reads after the attacker's write do not show it yet", () => {
  const attacks = {
    'AttachRolePolicy AdministratorAccess': {
      eventName: 'AttachRolePolicy',
      input: (r: string) => ({ RoleName: r, PolicyArn: ADMIN }),
      run: (iam: IAMClient, r: string) =>
        iam.send(new AttachRolePolicyCommand({ RoleName: r, PolicyArn: ADMIN })),
      repair: ['DetachRolePolicy', 'PutRolePolicy'],
      // The event names what to take away: sent alongside the first read, with the revocation.
      ahead: 'managedPolicy:arn:aws:iam::aws:policy/AdministratorAccess',
      revokedFirst: true,
    },
    'DetachRolePolicy AWSSupportAccess': {
      eventName: 'DetachRolePolicy',
      input: (r: string) => ({ RoleName: r, PolicyArn: SUPPORT_ACCESS }),
      run: (iam: IAMClient, r: string) =>
        iam.send(new DetachRolePolicyCommand({ RoleName: r, PolicyArn: SUPPORT_ACCESS })),
      repair: ['AttachRolePolicy'],
      ahead: undefined,
      revokedFirst: false,
    },
    'UpdateAssumeRolePolicy to a foreign account': {
      eventName: 'UpdateAssumeRolePolicy',
      input: (r: string) => ({ RoleName: r, PolicyDocument: FOREIGN_TRUST }),
      run: (iam: IAMClient, r: string) =>
        iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: r, PolicyDocument: FOREIGN_TRUST })),
      repair: ['PutRolePolicy', 'UpdateAssumeRolePolicy'],
      ahead: 'trustPolicy',
      revokedFirst: true,
    },
  } as const;

  /** The attack, with `n` stale reads after it; the event as CloudTrail delivers it (now). */
  async function attack(name: keyof typeof attacks, n: number, time?: Date) {
    const g = await guardSetUp();
    const a = attacks[name];
    proxy.setStaleReads(n, { afterWritesBy: ATTACKER_KEY });
    await readThroughProxy(g.roleName);
    await a.run(attackerIam(), g.roleName);
    const event = cloudTrailEvent({
      eventName: a.eventName,
      input: a.input(g.roleName),
      actor: ACTORS.alice,
      ...(time ? { time } : {}),
    });
    return { g, event, staleBefore: proxy.stats.stale };
  }

  it.each([
    ['AttachRolePolicy AdministratorAccess', 1],
    ['AttachRolePolicy AdministratorAccess', BOUND],
    ['UpdateAssumeRolePolicy to a foreign account', 2],
  ] as const)(
    '%s, %i stale reads: taken away alongside the first read, remediated, each write once, no re-read',
    async (name, n) => {
      // Prepare
      const { g, event, staleBefore } = await attack(name, n);

      // Act
      const result = await g.handler(event, lambdaContext());
      proxy.setStaleReads(0);

      // Assess: the removal the event names and the revocation went out before the first read's
      // answer (IAM's write path has the act), each once; the first read and the read-back are
      // stale (the state before the act, the same as after the repair); no re-read. The drift the
      // stale read did not show is reported as CloudTrail recorded it, and the outcome verified.
      const { repair, ahead } = attacks[name];
      const { calls } = g.wire;
      expect(calls.filter((c) => c === 'GetRole')).toHaveLength(2);
      expect(calls.indexOf(repair[0])).toBeLessThan(calls.lastIndexOf('GetRole'));
      expect(calls.indexOf(repair[1])).toBeLessThan(calls.lastIndexOf('GetRole'));
      // (the first read's four calls; with two or more, the read-back's too, the revocation's
      // document perhaps aside: only the guard's own write put it there)
      const stale = proxy.stats.stale - staleBefore;
      expect(stale).toBeGreaterThanOrEqual(n >= 2 ? 4 + 3 : 4);
      expect(stale).toBeLessThanOrEqual(n >= 2 ? 4 + 4 : 4);
      expect([...g.wire.writes].sort()).toEqual([...repair].sort());
      expect(result).toMatchObject({ outcome: 'remediated', notified: true });
      expect(result.drift.map((d) => d.property)).toContain(ahead);
      expect(await g.driftNow()).toEqual([]);
      expect((await g.topic.notifications()).map((m) => m.document.outcome)).toEqual(['remediated']);
    },
  );

  it.each([['DetachRolePolicy AWSSupportAccess', 2]] as const)(
    '%s, %i stale reads: read again, remediated, each repair write once',
    async (name, n) => {
      // Prepare
      const { g, event, staleBefore } = await attack(name, n);

      // Act
      const result = await g.handler(event, lambdaContext());
      proxy.setStaleReads(0);

      // Assess: n stale reads of the role (the guard's own writes serve none), then the one that
      // shows the attack; the repair from it, each write once, verified. A session-relevant act's
      // revocation went out first, before the re-reads.
      const { repair, revokedFirst } = attacks[name];
      // Each read asks for the session revocation alongside while the store may find it there: the
      // first read, and every re-read after the guard revoked; once a read found it absent (and the
      // guard put none), only the three others go out again.
      expect(proxy.stats.stale - staleBefore).toBe(revokedFirst ? 4 * n : 4 + 3 * (n - 1));
      expect(g.wire.calls.filter((c) => c === 'GetRole')).toHaveLength(n + 1 + 1);
      expect(result).toMatchObject({ outcome: 'remediated', notified: true });
      expect([...g.wire.writes].sort()).toEqual(
        [...(revokedFirst ? ['PutRolePolicy'] : []), ...repair].sort(),
      );
      if (revokedFirst) {
        expect(g.wire.writes[0]).toBe('PutRolePolicy');
        const { calls } = g.wire;
        expect(calls.indexOf('PutRolePolicy')).toBeLessThan(
          calls.indexOf('GetRole', calls.indexOf('GetRole') + 1),
        );
      }
      expect(await g.driftNow()).toEqual([]);
      expect((await g.topic.notifications()).map((m) => m.document.outcome)).toEqual(['remediated']);
    },
  );

  it(`past the bound (${BOUND + 1} stale reads): compliant, saying it read again ${BOUND} times over 3 s`, async () => {
    // Prepare
    const { g, event } = await attack('DetachRolePolicy AWSSupportAccess', BOUND + 1);

    // Act
    const result = await g.handler(event, lambdaContext());
    proxy.setStaleReads(0);

    // Assess: nothing written; the honest reason; the sweep is what finds it now.
    expect(result).toMatchObject({
      outcome: 'compliant',
      notified: true,
      reason: expect.stringMatching(new RegExp(`read again ${BOUND} times over 3 s`)),
    });
    expect(g.wire.writes).toEqual([]);
    expect(g.wire.calls.filter((c) => c === 'GetRole')).toHaveLength(1 + BOUND);
    expect(await g.driftNow()).not.toEqual([]);
  });

  it('a repeat of the event after the repair (the revocation covers it): one read, no pause', async () => {
    // Prepare: the attack repaired, with a revocation planned after the event. CloudTrail's times
    // are whole seconds and its events arrive seconds after the call: recorded 2 s before the
    // guard handles it (a repair planned in the same second as the event proves nothing).
    const { g, event } = await attack(
      'AttachRolePolicy AdministratorAccess',
      1,
      new Date(Date.now() - 2_000),
    );
    await g.handler(event, lambdaContext());
    proxy.setStaleReads(0);
    const reads = g.wire.calls.filter((c) => c === 'GetRole').length;

    // Act: the same act delivered again (another id: not the idempotency layer's duplicate).
    const again = structuredClone(event);
    (again.detail as { eventID: string }).eventID = uniqueName('evt');
    const result = await g.handler(again, lambdaContext());

    // Assess
    expect(result).toMatchObject({ outcome: 'compliant' });
    expect(result.reason).not.toMatch(/read again/);
    expect(g.wire.calls.filter((c) => c === 'GetRole').length - reads).toBe(1);
  });

  it('a sweep, a benign event and an event older than the window: one read round each, no pause', async () => {
    // Prepare: a compliant role; reads would be stale if anything wrote (nothing does).
    const g = await guardSetUp();
    const old = new Date(Date.now() - STALE_READ_WINDOW_MS - 60_000);
    const events = [
      fixture('scheduled-sweep', { eventId: uniqueName('sweep') }),
      // Deleting an inline policy takes nothing from the desired state: not a tampering act.
      cloudTrailEvent({
        eventName: 'DeleteRolePolicy',
        input: { RoleName: g.roleName, PolicyName: 'x' },
        actor: ACTORS.alice,
      }),
      cloudTrailEvent({
        eventName: 'DetachRolePolicy',
        input: { RoleName: g.roleName, PolicyArn: SUPPORT_ACCESS },
        actor: ACTORS.alice,
        time: old,
      }),
    ];

    for (const event of events) {
      // Act
      g.wire.clear();
      const result = await g.handler(event, lambdaContext());

      // Assess: the four reads of the role once, together.
      expect(result).toMatchObject({ outcome: 'compliant' });
      expect(g.wire.calls.filter((c) => c === 'GetRole')).toHaveLength(1);
      expect(g.wire.roundTrips).toBe(1);
    }
  });
});
