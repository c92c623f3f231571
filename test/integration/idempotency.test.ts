import { Logger } from '@aws-lambda-powertools/logger';
import { DetachRolePolicyCommand } from '@aws-sdk/client-iam';
import { describe, expect, it } from 'vitest';
import { IamRoleStore } from '../../functions/adapters/iam-role-store.js';
import { parseConfig } from '../../functions/core/config.js';
import { GuardFailure } from '../../functions/core/guard-result.js';
import { reconcile } from '../../functions/core/reconcile.js';
import { createHandler } from '../../functions/handler/create-handler.js';
import { ACTORS, cloudTrailEvent } from '../../functions/local/cloudtrail.js';
import {
  guardClients,
  idempotencyTable,
  testClients,
  topicWithInbox,
  uniqueName,
  WireLog,
} from '../support/aws.js';
import { guardEnv, SUPPORT_ACCESS } from '../support/config.js';
import { captureEmf, enabledMetrics } from '../support/emf.js';
import { fixture } from '../support/events.js';
import { lambdaContext } from '../support/lambda.js';

const silent = () => new Logger({ serviceName: 'support-role-guard', logLevel: 'SILENT' });

async function setUp(env: Record<string, string> = {}) {
  const aws = testClients();
  const roleName = uniqueName('AWSSupportRole');
  const table = uniqueName('idempotency');
  const dynamodb = await idempotencyTable(table);
  const topic = await topicWithInbox(aws, uniqueName('idem-topic'));
  const config = parseConfig(
    guardEnv({
      SUPPORT_ROLE_NAME: roleName,
      NOTIFY_TOPIC_ARN: topic.topicArn,
      IDEMPOTENCY_TABLE_NAME: table,
      ...env,
    }),
    { requireTopic: true },
  );
  await reconcile({
    desired: config.desired,
    mode: 'enforce',
    store: new IamRoleStore(aws.iam),
    partition: 'aws',
  });
  const wire = new WireLog();
  const handler = createHandler({ config, clients: { ...guardClients(wire), dynamodb }, logger: silent() });
  return { aws, roleName, topic, wire, handler, config, dynamodb };
}

describe('exactly one handling per event (idempotency table on the emulator)', () => {
  it('a repeated delivery returns the first result, writes nothing and sends nothing (only the reads begun with its claim)', async () => {
    // Prepare
    const g = await setUp();
    await g.aws.iam.send(new DetachRolePolicyCommand({ RoleName: g.roleName, PolicyArn: SUPPORT_ACCESS }));
    const event = fixture('detach-role-policy', { roleName: g.roleName, eventId: uniqueName('evt') });

    // Act
    const first = await g.handler(event, lambdaContext());
    const callsAfterFirst = g.wire.calls.length;
    const second = await g.handler(structuredClone(event), lambdaContext());

    // Assess
    expect(first).toMatchObject({ outcome: 'remediated', notified: true });
    expect(first.duplicate).toBeUndefined();
    expect(second).toMatchObject({
      outcome: 'remediated',
      notified: false,
      duplicate: true,
      actions: first.actions,
    });
    // The duplicate's only IAM calls are the reads begun alongside its claim (dropped once the
    // claim said duplicate): no write, no message. Three: the container has read the role
    // without the session revocation policy (the first delivery's read-back).
    expect([...g.wire.calls.slice(callsAfterFirst)].sort()).toEqual([
      'GetRole',
      'ListAttachedRolePolicies',
      'ListRolePolicies',
    ]);
    expect((await g.topic.notifications()).map((n) => n.document.outcome)).toEqual(['remediated']);
  });

  it('concurrent deliveries of one event notify exactly once and none of them fails', async () => {
    const g = await setUp();
    await g.aws.iam.send(new DetachRolePolicyCommand({ RoleName: g.roleName, PolicyArn: SUPPORT_ACCESS }));
    const event = fixture('detach-role-policy', { roleName: g.roleName, eventId: uniqueName('evt') });

    const results = await Promise.all(
      Array.from({ length: 6 }, () => g.handler(structuredClone(event), lambdaContext())),
    );

    expect(results.filter((r) => r.notified)).toHaveLength(1);
    expect(results.filter((r) => r.duplicate)).toHaveLength(5);
    expect(g.wire.writes).toEqual(['AttachRolePolicy']);
    expect(await g.topic.notifications()).toHaveLength(1);
  });

  it("a duplicate refused while the first is in progress leaves the first's claim: a later duplicate is refused too", async () => {
    // Prepare: a tampering event on a compliant role, fresh: its invocation reads the role again
    // for 3 s (IAM may not show the act yet), long enough for two duplicates to arrive meanwhile.
    const g = await setUp();
    const event = cloudTrailEvent({
      eventName: 'DetachRolePolicy',
      input: { RoleName: g.roleName, PolicyArn: SUPPORT_ACCESS },
      actor: ACTORS.alice,
    });
    const first = g.handler(structuredClone(event), lambdaContext());
    // The first holds the claim once its handler reads the role a second time.
    while (g.wire.calls.filter((c) => c === 'GetRole').length < 2)
      await new Promise((resolve) => setTimeout(resolve, 20));

    // Act: two duplicates, one after the other, while the first is still re-reading.
    const second = await g.handler(structuredClone(event), lambdaContext());
    const third = await g.handler(structuredClone(event), lambdaContext());
    const original = await first;

    // Assess: Powertools' middleware deleted the first's claim when it refused the second
    // (powertools-lambda-typescript#5675): the third then ran and notified again.
    expect(second).toMatchObject({ duplicate: true, notified: false });
    expect(third).toMatchObject({ duplicate: true, notified: false });
    expect(original).toMatchObject({ outcome: 'compliant', notified: true });
    expect(await g.topic.notifications()).toHaveLength(1);
  });

  it('a failed invocation leaves no record: the retry runs again, converges and notifies', async () => {
    // Prepare: the first invocation fails because a required policy does not exist yet.
    const missing = `arn:aws:iam::aws:policy/${uniqueName('later')}`; // AWS managed: nothing to pin
    const g = await setUp();
    const failing = createHandler({
      config: parseConfig(
        guardEnv({
          SUPPORT_ROLE_NAME: g.roleName,
          NOTIFY_TOPIC_ARN: g.config.notifyTopicArn,
          IDEMPOTENCY_TABLE_NAME: g.config.idempotencyTableName,
          REQUIRED_POLICY_ARNS: `${SUPPORT_ACCESS},${missing}`,
        }),
        { requireTopic: true },
      ),
      clients: { ...guardClients(new WireLog()), dynamodb: g.dynamodb },
      logger: silent(),
    });
    await g.aws.iam.send(new DetachRolePolicyCommand({ RoleName: g.roleName, PolicyArn: SUPPORT_ACCESS }));
    const event = fixture('detach-role-policy', { roleName: g.roleName, eventId: uniqueName('evt') });

    // Act
    const error = await failing(event, lambdaContext()).catch((e: unknown) => e);
    const retry = await g.handler(structuredClone(event), lambdaContext());

    // Assess
    expect(error).toBeInstanceOf(GuardFailure);
    expect(retry).toMatchObject({ notified: true });
    expect(retry.duplicate).toBeUndefined();
    expect((await g.topic.notifications()).map((n) => n.document.outcome)).toEqual(['failed', 'compliant']);
  });

  it('dedupes a sweep by its schedule time', async () => {
    const g = await setUp();
    await g.aws.iam.send(new DetachRolePolicyCommand({ RoleName: g.roleName, PolicyArn: SUPPORT_ACCESS }));
    const sweep = {
      ...fixture('scheduled-sweep'),
      time: `2026-11-27T${String(Math.floor(Math.random() * 24)).padStart(2, '0')}:00:00Z#${uniqueName('t')}`,
    };

    const first = await g.handler(sweep, lambdaContext());
    const again = await g.handler({ ...sweep, id: 'another-delivery-id' }, lambdaContext());

    expect(first).toMatchObject({ outcome: 'remediated', notified: true });
    expect(again).toMatchObject({ duplicate: true, notified: false });
    expect(await g.topic.notifications()).toHaveLength(1);
  });

  it('counts a repeated delivery in the DuplicateDelivery metric', async () => {
    // Prepare: a handler with metrics on, its EMF output captured.
    const g = await setUp();
    const metrics = enabledMetrics();
    const handler = createHandler({
      config: g.config,
      clients: { ...guardClients(new WireLog()), dynamodb: g.dynamodb },
      logger: silent(),
      metrics,
    });
    const event = fixture('other-role-detach', { eventId: uniqueName('evt') });

    // Act
    const emf = await captureEmf(async () => {
      await handler(event, lambdaContext());
      await handler(structuredClone(event), lambdaContext());
    });

    // Assess
    expect(emf.map((m) => Object.keys(m).filter((k) => !['_aws', 'service'].includes(k)))).toEqual([
      ['EventIgnored'],
      ['DuplicateDelivery'],
    ]);
  });
});
