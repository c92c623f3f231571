import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  AttachRolePolicyCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetRolePolicyCommand,
  IAMClient,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IamRoleStore } from '../../functions/adapters/iam-role-store.js';
import { parseConfig } from '../../functions/core/config.js';
import { reconcile } from '../../functions/core/reconcile.js';
import {
  REVOCATION_POLICY_NAME,
  revocationCutoff,
  revocationPolicy,
} from '../../functions/core/session-revocation.js';
import { createHandler } from '../../functions/handler/create-handler.js';
import { recordIamCalls } from '../../functions/local/wire-log.js';
import { latencyProxy } from '../../scripts/latency-proxy.js';
import {
  emulatorEndpoint,
  guardClients,
  idempotencyTable,
  recordingIam,
  settings,
  testClients,
  topicWithInbox,
  uniqueName,
  WireLog,
} from '../support/aws.js';
import { guardEnv, SUPPORT_ACCESS } from '../support/config.js';
import { fixture } from '../support/events.js';
import { type FaultPlan, type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { lambdaContext } from '../support/lambda.js';

const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const EXTRA = [ADMIN, 'arn:aws:iam::aws:policy/AWSDenyAll', 'arn:aws:iam::aws:policy/ReadOnlyAccess'];
const S3_ALL = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}';

let aws: ReturnType<typeof testClients>;
let proxy: FaultProxy;
beforeAll(async () => {
  aws = testClients();
  proxy = await startFaultProxy(emulatorEndpoint());
});
afterAll(async () => {
  await proxy.close();
});

/** A guarded role in desired state and the handler (one container) wired to it, its IAM calls on the wire log. */
async function setUp() {
  const roleName = uniqueName('AWSSupportRole');
  const topic = await topicWithInbox(aws, uniqueName('rt-topic'));
  const config = parseConfig(guardEnv({ SUPPORT_ROLE_NAME: roleName, NOTIFY_TOPIC_ARN: topic.topicArn }), {
    requireTopic: true,
  });
  const wire = new WireLog();
  const logger = new Logger({ serviceName: 'support-role-guard', logLevel: 'SILENT' });
  const handler = createHandler({ config, clients: guardClients(wire), logger });
  const store = new IamRoleStore(aws.iam);
  await reconcile({ desired: config.desired, mode: 'enforce', store, partition: 'aws' });
  return { roleName, topic, config, wire, invoke: (event: unknown) => handler(event, lambdaContext()) };
}

describe('round trips on the wire', () => {
  it('a compliant role costs 4 reads, 0 writes and 1 round trip', async () => {
    const guard = await setUp();

    const result = await guard.invoke(fixture('scheduled-sweep'));

    expect(result.outcome).toBe('compliant');
    expect([...guard.wire.calls].sort()).toEqual([
      'GetRole',
      'GetRolePolicy', // the session revocation, alongside: absent, or the exact shape the guard accepts
      'ListAttachedRolePolicies',
      'ListRolePolicies',
    ]);
    expect(guard.wire.roundTrips).toBe(1);
  });

  it('a warm container reads a role without the session revocation in 3 calls; one added since is read after the list, and judged', async () => {
    const guard = await setUp();
    const RoleName = guard.roleName;
    await guard.invoke(fixture('scheduled-sweep')); // the container's first read: the revocation alongside
    /** GetRolePolicy went out only once ListRolePolicies had answered. */
    const askedAfterTheList = () => {
      const list = guard.wire.timeline.find((c) => c.action === 'ListRolePolicies');
      const get = guard.wire.timeline.find((c) => c.action === 'GetRolePolicy');
      return list?.end !== undefined && get !== undefined && get.start >= list.end;
    };

    // Act: the next read knows the role had no revocation policy.
    guard.wire.clear();
    const warm = await guard.invoke(fixture('scheduled-sweep'));

    // Assess
    expect(warm.outcome).toBe('compliant');
    expect([...guard.wire.calls].sort()).toEqual(['GetRole', 'ListAttachedRolePolicies', 'ListRolePolicies']);
    expect(guard.wire.roundTrips).toBe(1);

    // A revocation of the console's shape appears: the list names it, its document is read after
    // the list (2 round trips), and accepted (compliant, nothing written).
    const cutoff = new Date(Date.now() - 60_000).toISOString();
    await aws.iam.send(
      new PutRolePolicyCommand({
        RoleName,
        PolicyName: REVOCATION_POLICY_NAME,
        PolicyDocument: JSON.stringify(revocationPolicy(cutoff)),
      }),
    );
    guard.wire.clear();
    const revoked = await guard.invoke(fixture('scheduled-sweep'));
    expect(revoked.outcome).toBe('compliant');
    expect(guard.wire.writes).toEqual([]);
    expect(askedAfterTheList()).toBe(true);
    expect(guard.wire.roundTrips).toBe(2);

    // Seen there: the next read asks for it alongside again (1 round trip).
    guard.wire.clear();
    await guard.invoke(fixture('scheduled-sweep'));
    expect(guard.wire.calls).toContain('GetRolePolicy');
    expect(guard.wire.roundTrips).toBe(1);

    // Gone, then a policy under its name that is not the console's shape: read after the list and
    // judged an inline policy like any other (it does not stay as written).
    await aws.iam.send(new DeleteRolePolicyCommand({ RoleName, PolicyName: REVOCATION_POLICY_NAME }));
    await guard.invoke(fixture('scheduled-sweep'));
    await aws.iam.send(
      new PutRolePolicyCommand({ RoleName, PolicyName: REVOCATION_POLICY_NAME, PolicyDocument: S3_ALL }),
    );
    guard.wire.clear();
    const added = await guard.invoke(fixture('scheduled-sweep'));
    expect(added.outcome).toBe('remediated');
    expect(askedAfterTheList()).toBe(true);
    const left = await aws.iam
      .send(new GetRolePolicyCommand({ RoleName, PolicyName: REVOCATION_POLICY_NAME }))
      .then((r) => decodeURIComponent(r.PolicyDocument ?? ''))
      .catch(() => undefined);
    expect(left === undefined || revocationCutoff(left) !== undefined).toBe(true);
  });

  it('an event naming the session revocation policy has it read alongside, even in a warm container', async () => {
    const guard = await setUp();
    const RoleName = guard.roleName;
    await guard.invoke(fixture('scheduled-sweep')); // seen without it
    await aws.iam.send(
      new PutRolePolicyCommand({
        RoleName,
        PolicyName: REVOCATION_POLICY_NAME,
        PolicyDocument: JSON.stringify(revocationPolicy(new Date(Date.now() - 60_000).toISOString())),
      }),
    );

    // Act
    guard.wire.clear();
    const result = await guard.invoke(
      fixture('put-role-policy', {
        roleName: RoleName,
        requestParameters: { policyName: REVOCATION_POLICY_NAME },
      }),
    );

    // Assess: the console's revocation is accepted; read in one round trip with the others.
    expect(result.outcome).toBe('compliant');
    const first = guard.wire.timeline.filter((c) => c.depth === 1).map((c) => c.action);
    expect(first).toContain('GetRolePolicy');
    expect(guard.wire.roundTrips).toBe(1);
  });

  it('reads, removes access and revokes together, restores and reads back in 4 round trips, the alias alongside', async () => {
    // Prepare: an extra managed policy, an inline policy, and the required policy detached.
    const guard = await setUp();
    const RoleName = guard.roleName;
    await aws.iam.send(new AttachRolePolicyCommand({ RoleName, PolicyArn: ADMIN }));
    await aws.iam.send(new PutRolePolicyCommand({ RoleName, PolicyName: 'x', PolicyDocument: S3_ALL }));
    await aws.iam.send(new DetachRolePolicyCommand({ RoleName, PolicyArn: SUPPORT_ACCESS }));

    // Act
    const result = await guard.invoke(fixture('detach-role-policy', { roleName: RoleName }));

    // Assess: read (with the alias) | detach + delete | revoke sessions (after the delete: the
    // inline quota) | attach | read back.
    expect(result.outcome).toBe('remediated');
    expect([...guard.wire.writes].sort()).toEqual([
      'AttachRolePolicy',
      'DeleteRolePolicy',
      'DetachRolePolicy',
      'PutRolePolicy',
    ]);
    expect(guard.wire.reads.filter((c) => c === 'GetRole')).toHaveLength(2);
    expect(guard.wire.calls.filter((c) => c === 'ListAccountAliases')).toHaveLength(1);
    expect(guard.wire.roundTrips).toBe(4);
    // Access is taken away before anything is restored.
    const { calls } = guard.wire;
    expect(calls.indexOf('AttachRolePolicy')).toBeGreaterThan(calls.indexOf('DetachRolePolicy'));
    expect(calls.indexOf('AttachRolePolicy')).toBeGreaterThan(calls.indexOf('DeleteRolePolicy'));
  });

  it('an event that names what it added: the detach and the revocation go out with the first reads, read back in the next round trip', async () => {
    // Prepare: AdministratorAccess attached, the event that did it; IAM's calls last 150 ms (so
    // that calls sent together overlap, and a write sent after a read's answer would show).
    const guard = await setUp();
    const RoleName = guard.roleName;
    await aws.iam.send(new AttachRolePolicyCommand({ RoleName, PolicyArn: ADMIN }));
    const latency = await latencyProxy(emulatorEndpoint(), { iam: 150 }, 'floor');
    const wire = new WireLog();
    const handler = createHandler({
      config: guard.config,
      clients: {
        ...guardClients(wire),
        iam: recordIamCalls(new IAMClient({ ...settings(), endpoint: latency.endpoint }), wire),
      },
      logger: new Logger({ serviceName: 'support-role-guard', logLevel: 'SILENT' }),
    });

    // Act
    const result = await handler(
      fixture('attach-role-policy', {
        roleName: RoleName,
        requestParameters: { policyArn: ADMIN },
        time: new Date(),
      }),
      lambdaContext(),
    );
    await latency.close();

    // Assess: reads + detach + revocation | read back: 2 IAM round trips.
    expect(result.outcome).toBe('remediated');
    expect(result.drift.map((d) => d.property)).toEqual([`managedPolicy:${ADMIN}`]);
    expect([...wire.writes].sort()).toEqual(['DetachRolePolicy', 'PutRolePolicy']);
    expect(wire.reads.filter((c) => c === 'GetRole')).toHaveLength(2);
    const depth = (action: string) => wire.timeline.find((t) => t.action === action)?.depth;
    expect(depth('DetachRolePolicy')).toBe(1);
    expect(depth('PutRolePolicy')).toBe(1);
    expect(wire.timeline.filter((t) => t.action === 'GetRole').map((t) => t.depth)).toEqual([1, 2]);
    expect(wire.roundTrips).toBe(2);
  });

  it('follows every page of both lists, the lists side by side', async () => {
    // Prepare: 4 attached and 5 inline policies, read 2 per page.
    const guard = await setUp();
    const RoleName = guard.roleName;
    for (const PolicyArn of EXTRA) await aws.iam.send(new AttachRolePolicyCommand({ RoleName, PolicyArn }));
    for (let i = 0; i < 5; i++)
      await aws.iam.send(new PutRolePolicyCommand({ RoleName, PolicyName: `p${i}`, PolicyDocument: S3_ALL }));
    const wire = new WireLog();
    const store = new IamRoleStore(recordingIam(wire), { pageSize: 2 });

    // Act
    const role = await store.read(RoleName);

    // Assess
    expect(role.exists && [...role.attachedPolicyArns].sort()).toEqual([...EXTRA, SUPPORT_ACCESS].sort());
    expect(role.exists && role.inlinePolicyNames).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
    const attachedPages = wire.calls.filter((c) => c === 'ListAttachedRolePolicies').length;
    expect(attachedPages).toBeGreaterThanOrEqual(2);
    // moto answers ListRolePolicies in one page whatever MaxItems says (IAM would page it too).
    expect(wire.calls.filter((c) => c === 'ListRolePolicies')).toHaveLength(1);
    // GetRole and both lists go out together; the attached list's next pages follow one by one.
    expect(wire.roundTrips).toBe(attachedPages);
  });

  it('looks the account alias up once per container', async () => {
    const guard = await setUp();
    const RoleName = guard.roleName;
    for (let i = 0; i < 2; i++) {
      await aws.iam.send(new DetachRolePolicyCommand({ RoleName, PolicyArn: SUPPORT_ACCESS }));
      const result = await guard.invoke(fixture('detach-role-policy', { roleName: RoleName }));
      expect(result.outcome).toBe('remediated');
    }
    expect(guard.wire.calls.filter((c) => c === 'ListAccountAliases')).toHaveLength(1);
    expect((await guard.topic.notifications()).length).toBe(2);
  });

  it('sends the message without waiting for the alias: the lookup runs on, and answers the next message', async () => {
    // Prepare: the guard's IAM calls go through the proxy, which holds ListAccountAliases until
    // told; 4 s of Lambda time, 1 s of it kept to notify (so the work's deadline is 3 s away).
    const guard = await setUp();
    const RoleName = guard.roleName;
    const wire = new WireLog();
    const iam = recordIamCalls(new IAMClient({ ...settings(), endpoint: proxy.endpoint }), wire);
    const handler = createHandler({
      config: guard.config,
      clients: { iam, sns: new SNSClient(settings()), eventBridge: new EventBridgeClient(settings()) },
      logger: new Logger({ serviceName: 'support-role-guard', logLevel: 'SILENT' }),
      notificationReserveMs: 1_000,
    });
    proxy.setPlan({ kind: 'hold', rate: 1, services: ['iam'], bodyContains: 'Action=ListAccountAliases&' });
    await aws.iam.send(new DetachRolePolicyCommand({ RoleName, PolicyArn: SUPPORT_ACCESS }));

    // Act
    const first = await handler(fixture('detach-role-policy', { roleName: RoleName }), lambdaContext(4_000));
    // Assess: remediated and notified while the lookup is still waiting for its answer (neither
    // waited for, nor cut short by the deadline).
    const stillLooking = proxy.heldOpen();
    proxy.setPlan(undefined);
    proxy.releaseHeld();
    expect(first).toMatchObject({ outcome: 'remediated', notified: true });
    expect(stillLooking).toBe(1);

    // Act: the next event in the same container.
    await aws.iam.send(new DetachRolePolicyCommand({ RoleName, PolicyArn: SUPPORT_ACCESS }));
    const second = await handler(fixture('detach-role-policy', { roleName: RoleName }), lambdaContext());

    // Assess: the alias was looked up once for both.
    expect(second).toMatchObject({ outcome: 'remediated', notified: true });
    expect(wire.calls.filter((c) => c === 'ListAccountAliases')).toHaveLength(1);
    expect((await guard.topic.notifications()).length).toBe(2);
  });
});

describe('round trips as deployed (idempotency table on the emulator)', () => {
  /**
   * The handler with its idempotency table, every call through a proxy that makes it last 150 ms
   * (so that calls sent together overlap, and calls one after another do not, whatever the
   * emulator's own time); IAM, SNS and DynamoDB calls on one wire log. `dynamodbEndpoint`: DynamoDB
   * through another endpoint instead (a fault proxy).
   */
  async function deployed(options: { readonly dynamodbEndpoint?: string } = {}) {
    const roleName = uniqueName('AWSSupportRole');
    const topic = await topicWithInbox(aws, uniqueName('rt-topic'));
    const table = uniqueName('idempotency');
    await idempotencyTable(table);
    const config = parseConfig(
      guardEnv({
        SUPPORT_ROLE_NAME: roleName,
        NOTIFY_TOPIC_ARN: topic.topicArn,
        IDEMPOTENCY_TABLE_NAME: table,
        STORM_WINDOW_SECONDS: '0',
      }),
      { requireTopic: true },
    );
    await reconcile({
      desired: config.desired,
      mode: 'enforce',
      store: new IamRoleStore(aws.iam),
      partition: 'aws',
    });
    const latency = await latencyProxy(emulatorEndpoint(), { iam: 150, sns: 150, dynamodb: 150 }, 'floor');
    const slow = { ...settings(), endpoint: latency.endpoint };
    const wire = new WireLog();
    const handler = createHandler({
      config,
      clients: {
        iam: recordIamCalls(new IAMClient(slow), wire),
        sns: recordIamCalls(new SNSClient(slow), wire),
        eventBridge: new EventBridgeClient(slow),
        // A plain client: one invocation, its calls free to overlap as DynamoDB's do.
        dynamodb: recordIamCalls(
          new DynamoDBClient(
            options.dynamodbEndpoint ? { ...settings(), endpoint: options.dynamodbEndpoint } : slow,
          ) as unknown as IAMClient,
          wire,
        ) as unknown as DynamoDBClient,
      },
      logger: new Logger({ serviceName: 'support-role-guard', logLevel: 'SILENT' }),
    });
    /** The delivery records in the table (their keys). */
    const records = async () =>
      ((await new DynamoDBClient(settings()).send(new ScanCommand({ TableName: table }))).Items ?? [])
        .map((item) => item.id?.S ?? '')
        .filter((id) => id.startsWith('delivery#'));
    return { roleName, topic, wire, handler, records, close: () => latency.close() };
  }

  const DYNAMODB_CALLS = ['PutItem', 'UpdateItem', 'GetItem', 'DeleteItem', 'BatchGetItem', 'BatchWriteItem'];
  it('a repair: the claim alongside the reads, the delivery record and the completion in one request (5 round trips)', async () => {
    // Prepare
    const g = await deployed();
    await aws.iam.send(new DetachRolePolicyCommand({ RoleName: g.roleName, PolicyArn: SUPPORT_ACCESS }));
    const event = fixture('detach-role-policy', { roleName: g.roleName, eventId: uniqueName('evt') });

    // Act: the event, then a repeated delivery of it.
    const result = await g.handler(event, lambdaContext());
    const dynamo = g.wire.calls.filter((c) => DYNAMODB_CALLS.includes(c));
    const trips = g.wire.roundTrips;
    const again = await g.handler(structuredClone(event), lambdaContext());

    // Assess: claim + reads + delivery-record read | attach | read back | publish | completion
    // with the delivery record (one BatchWriteItem). The reads do not wait for the claim. The
    // repeat gets the stored result: the completion written by the batch is Powertools' record.
    expect(result).toMatchObject({ outcome: 'remediated', notified: true });
    expect([...dynamo].sort()).toEqual(['BatchGetItem', 'BatchWriteItem', 'PutItem']);
    expect(g.wire.calls.filter((c) => c === 'Publish')).toHaveLength(1);
    expect(trips).toBe(5);
    expect(again).toMatchObject({ outcome: 'remediated', duplicate: true, notified: false });
    expect((await g.topic.notifications()).length).toBe(1);
    await g.close();
  });
  it('an event that names what it added: the detach and the revocation go out once the claim is in, and are read back; a repeat writes nothing', async () => {
    // Prepare
    const g = await deployed();
    await aws.iam.send(new AttachRolePolicyCommand({ RoleName: g.roleName, PolicyArn: ADMIN }));
    const event = fixture('attach-role-policy', {
      roleName: g.roleName,
      requestParameters: { policyArn: ADMIN },
      eventId: uniqueName('evt'),
      time: new Date(),
    });

    // Act: the event, then a repeated delivery of it.
    const result = await g.handler(event, lambdaContext());
    const timeline = [...g.wire.timeline];
    g.wire.clear();
    const again = await g.handler(structuredClone(event), lambdaContext());

    // Assess: the writes wait for the idempotency claim (a duplicate must never write), and the
    // second read (the read-back) for them; the repeat gets the stored result and writes nothing.
    expect(result).toMatchObject({ outcome: 'remediated', notified: true });
    const first = (action: string) => timeline.find((t) => t.action === action);
    const claim = first('PutItem');
    const [, readBack, ...more] = timeline.filter((t) => t.action === 'GetRole');
    expect(more).toEqual([]);
    for (const write of ['DetachRolePolicy', 'PutRolePolicy']) {
      expect(first(write)?.start).toBeGreaterThanOrEqual(claim?.end ?? Number.POSITIVE_INFINITY);
      expect(first(write)?.end).toBeLessThanOrEqual(readBack?.start ?? Number.NEGATIVE_INFINITY);
    }
    expect(again).toMatchObject({ outcome: 'remediated', duplicate: true, notified: false });
    expect(g.wire.writes.filter((c) => !DYNAMODB_CALLS.includes(c))).toEqual([]);
    await g.close();
  });

  /**
   * A repair with DynamoDB through the fault proxy, `plan` in force for the invocation; then a
   * repeated delivery of the event. Returns the DynamoDB calls of the invocation, its time, and
   * the faults injected.
   */
  async function repairThrough(plan: FaultPlan, timeoutMs?: number) {
    const g = await deployed({ dynamodbEndpoint: proxy.endpoint });
    await aws.iam.send(new DetachRolePolicyCommand({ RoleName: g.roleName, PolicyArn: SUPPORT_ACCESS }));
    const event = fixture('detach-role-policy', { roleName: g.roleName, eventId: uniqueName('evt') });
    proxy.setPlan(plan);
    const injectedBefore = proxy.stats.injected;
    const started = Date.now();
    const result = await g.handler(event, lambdaContext(timeoutMs)).finally(() => proxy.setPlan(undefined));
    const took = Date.now() - started;
    const after = g.wire.calls.filter((c) => DYNAMODB_CALLS.includes(c));
    const again = await g.handler(structuredClone(event), lambdaContext());
    return { g, result, after, again, took, injected: proxy.stats.injected - injectedBefore };
  }
  it('DynamoDB leaves the closing batch unprocessed once: the rest is sent again, and a repeat gets the stored result', async () => {
    // Prepare + act: the fault proxy answers the first BatchWriteItem with every item
    // unprocessed (as DynamoDB does when it is over capacity) and writes nothing.
    const { g, result, after, again, injected } = await repairThrough({
      kind: 'unprocessed',
      rate: 1,
      services: ['dynamodb'],
      limits: { dynamodb: 1 },
    });

    // Assess: sent twice, then written; the repeat is a duplicate with the stored result.
    expect(injected).toBe(1);
    expect(result).toMatchObject({ outcome: 'remediated', notified: true });
    expect(after.filter((c) => c === 'BatchWriteItem').length).toBe(2);
    expect(again).toMatchObject({ outcome: 'remediated', duplicate: true });
    expect((await g.topic.notifications()).length).toBe(1);
    await g.close();
  }, 60_000);
  it('DynamoDB never processes the closing batch: the completion and the record are written their own way', async () => {
    // Prepare + act: every BatchWriteItem answered with all its items unprocessed.
    const { g, result, after, again } = await repairThrough({
      kind: 'unprocessed',
      rate: 1,
      services: ['dynamodb'],
    });

    // Assess: the batch sent three times (twice again), then Powertools' own completion
    // (UpdateItem) and the record's PutItem (besides the claim's); the record is in the table,
    // the invocation succeeded and a repeat is a duplicate.
    expect(result).toMatchObject({ outcome: 'remediated', notified: true });
    expect(after.filter((c) => c === 'BatchWriteItem')).toHaveLength(3);
    expect(after.filter((c) => c === 'UpdateItem')).toHaveLength(1);
    expect(after.filter((c) => c === 'PutItem')).toHaveLength(2);
    expect(await g.records()).toHaveLength(1);
    expect(again).toMatchObject({ outcome: 'remediated', duplicate: true });
    expect((await g.topic.notifications()).length).toBe(1);
    await g.close();
  }, 60_000);
  it('DynamoDB writes the completion but leaves the record unprocessed: only the record is written again, on its own', async () => {
    // Prepare + act: every BatchWriteItem writes the completed record, never the delivery record.
    const { g, result, after, again } = await repairThrough({
      kind: 'unprocessed',
      rate: 1,
      services: ['dynamodb'],
      unprocessedMatching: 'delivery#',
    });

    // Assess: no UpdateItem (the completion was written by the first batch), the record by its
    // own PutItem; a repeat gets the stored result.
    expect(result).toMatchObject({ outcome: 'remediated', notified: true });
    expect(after.filter((c) => c === 'UpdateItem')).toHaveLength(0);
    expect(after.filter((c) => c === 'PutItem')).toHaveLength(2);
    expect(await g.records()).toHaveLength(1);
    expect(again).toMatchObject({ outcome: 'remediated', duplicate: true });
    await g.close();
  }, 60_000);
  it('DynamoDB writes the record but leaves the completion unprocessed: only the completion is written again, by Powertools', async () => {
    // Prepare + act: every BatchWriteItem writes the delivery record, never the completed record.
    const { g, result, after, again } = await repairThrough({
      kind: 'unprocessed',
      rate: 1,
      services: ['dynamodb'],
      unprocessedMatching: 'COMPLETED',
    });

    // Assess: Powertools' UpdateItem once; no PutItem but the claim's (the record was written by
    // the first batch); a repeat gets the stored result.
    expect(result).toMatchObject({ outcome: 'remediated', notified: true });
    expect(after.filter((c) => c === 'UpdateItem')).toHaveLength(1);
    expect(after.filter((c) => c === 'PutItem')).toHaveLength(1);
    expect(await g.records()).toHaveLength(1);
    expect(again).toMatchObject({ outcome: 'remediated', duplicate: true });
    await g.close();
  }, 60_000);
  it("the closing batch hangs: it is given up at the records' share of the time left, and the record is written on its own", async () => {
    // Prepare + act: DynamoDB never answers a BatchWriteItem; the Lambda has 20 s.
    const { g, result, after, again, took } = await repairThrough(
      { kind: 'hang', rate: 1, services: ['dynamodb'], targets: ['BatchWriteItem'] },
      20_000,
    );

    // Assess: given up after its share (an eighth of what is left, about 2.3 s; the invocation's
    // calls take about 1 s more at this proxy's 150 ms), sent once; the record and the
    // completion written their own way.
    expect(result).toMatchObject({ outcome: 'remediated', notified: true });
    expect(took).toBeLessThan(6_000);
    expect(after.filter((c) => c === 'BatchWriteItem')).toHaveLength(1);
    expect(after.filter((c) => c === 'UpdateItem')).toHaveLength(1);
    expect(await g.records()).toHaveLength(1);
    expect(again).toMatchObject({ outcome: 'remediated', duplicate: true });
    await g.close();
  }, 60_000);
  it('the completion fails after the message went out: its delivery record is written, and the retry does not send it again', async () => {
    // Prepare: the role drifted; DynamoDB through the fault proxy, which will fail the
    // idempotency record's completion (the closing batch, then Powertools' own UpdateItem).
    const g = await deployed({ dynamodbEndpoint: proxy.endpoint });
    const { roleName, topic, wire, handler } = g;
    await aws.iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: SUPPORT_ACCESS }));
    const event = fixture('detach-role-policy', { roleName, eventId: uniqueName('evt') });
    proxy.setPlan({ kind: 'error500', rate: 1, services: ['dynamodb'], bodyContains: 'COMPLETED' });

    // Act: the invocation, whose completion fails, then Lambda's retry of the same event.
    const first = await handler(event, lambdaContext())
      .catch((error: unknown) => error)
      .finally(() => proxy.setPlan(undefined));
    const writesAfterFirst = wire.calls.filter((c) => c === 'PutItem').length;
    const retry = await handler(structuredClone(event), lambdaContext());

    // Assess: the first failed in its completion, after the message; its delivery record was
    // written then (the claim's PutItem and the record's), and the retry sent nothing again.
    expect(proxy.stats.injected).toBeGreaterThan(0);
    expect(first).toBeInstanceOf(Error);
    expect(writesAfterFirst).toBe(2);
    expect(retry.outcome).toBe('compliant');
    expect((await topic.notifications()).map((n) => n.document.outcome)).toEqual(['remediated']);
    await g.close();
  }, 60_000);
});
