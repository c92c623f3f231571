import { Logger } from '@aws-lambda-powertools/logger';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DetachRolePolicyCommand } from '@aws-sdk/client-iam';
import { SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_SETTINGS } from '../../functions/adapters/aws-clients.js';
import { IamRoleStore } from '../../functions/adapters/iam-role-store.js';
import { parseConfig } from '../../functions/core/config.js';
import { reconcile } from '../../functions/core/reconcile.js';
import { STORM_FOLLOW_UP_FAILED_METRIC } from '../../functions/core/telemetry.js';
import { createHandler } from '../../functions/handler/create-handler.js';
import { ACTORS, cloudTrailEvent, GUARD_ROLE_ARN } from '../../functions/local/cloudtrail.js';
import {
  CREDENTIALS,
  emulatorEndpoint,
  guardClients,
  idempotencyTable,
  REGION,
  settings,
  testClients,
  topicWithInbox,
  uniqueName,
  WireLog,
} from '../support/aws.js';
import { guardEnv, SUPPORT_ACCESS } from '../support/config.js';
import { captureEmf, enabledMetrics } from '../support/emf.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { lambdaContext, SimulatedTimeout } from '../support/lambda.js';

let proxy: FaultProxy;
beforeAll(async () => {
  proxy = await startFaultProxy(emulatorEndpoint());
});
afterAll(async () => {
  await proxy.close();
});

const T0 = Date.parse('2026-11-28T04:00:00.000Z');
const sweep = (time: number) => ({
  version: '0',
  id: `sweep-${time}`,
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: new Date(time).toISOString().replace(/\.\d+Z$/, 'Z'),
  region: 'us-east-1',
  resources: [],
  detail: {},
});

/** The guard with its SNS client behind the fault proxy, a clock the test moves and a 60 s window. */
async function stormGuard(options: { requestTimeout?: number; lambda?: SimulatedTimeout } = {}) {
  const aws = testClients();
  const roleName = uniqueName('AWSSupportRole');
  const topic = await topicWithInbox(aws, uniqueName('flush-topic'));
  const table = uniqueName('flush-idempotency');
  const config = parseConfig(
    guardEnv({
      SUPPORT_ROLE_NAME: roleName,
      NOTIFY_TOPIC_ARN: topic.topicArn,
      GUARD_ROLE_ARN,
      IDEMPOTENCY_TABLE_NAME: table,
      STORM_WINDOW_SECONDS: '60',
    }),
    { requireTopic: true },
  );
  await reconcile({
    desired: config.desired,
    mode: 'enforce',
    store: new IamRoleStore(aws.iam),
    partition: 'aws',
  });
  const sns = new SNSClient({
    ...CLIENT_SETTINGS,
    requestHandler: { ...CLIENT_SETTINGS.requestHandler, requestTimeout: options.requestTimeout ?? 10_000 },
    region: REGION,
    endpoint: proxy.endpoint,
    credentials: CREDENTIALS,
  });
  const clock = { now: T0 };
  const metrics = enabledMetrics();
  const handler = createHandler({
    config,
    clients: {
      ...guardClients(new WireLog()),
      sns: options.lambda ? options.lambda.freezes(sns) : sns,
      eventBridge: options.lambda
        ? options.lambda.freezes(new EventBridgeClient(settings()))
        : new EventBridgeClient(settings()),
      dynamodb: await idempotencyTable(table),
    },
    clock: () => new Date(clock.now),
    logger: new Logger({ serviceName: 'support-role-guard', logLevel: 'SILENT' }),
    metrics,
    notificationReserveMs: 2_000,
  });
  const act = () =>
    cloudTrailEvent({
      eventName: 'DetachRolePolicy',
      input: { RoleName: roleName, PolicyArn: SUPPORT_ACCESS },
      actor: ACTORS.alice,
    });
  const detach = () =>
    aws.iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: SUPPORT_ACCESS }));
  return { handler, topic, clock, act, detach };
}

/** Only the repeated-tampering follow-up's Publish (its subject, as the SDK sends it). */
const FOLLOW_UP = 'REPEATED%20TAMPERING';

describe('the storm flush (the follow-up sent when a window closes)', () => {
  it('fails on its own: the new act is notified and the invocation succeeds; the sweep sends the follow-up later, exact', async () => {
    // Prepare: a window with one first act and two repeats; it closes.
    const g = await stormGuard();
    await g.detach();
    g.clock.now = T0 + 1_000;
    await g.handler(g.act(), lambdaContext());
    g.clock.now = T0 + 2_000;
    await g.handler(g.act(), lambdaContext());
    g.clock.now = T0 + 3_000;
    await g.handler(g.act(), lambdaContext());
    // Act: a new act after the window opens the next one and closes the first; its follow-up
    // cannot be published (SNS answers 500 to it, and only to it, every attempt).
    await g.detach();
    g.clock.now = T0 + 120_000;
    proxy.setPlan({ kind: 'error500', rate: 1, services: ['sns'], bodyContains: FOLLOW_UP });
    let result: unknown;
    const emf = await captureEmf(async () => {
      result = await g.handler(g.act(), lambdaContext());
    });
    proxy.setPlan(undefined);
    const afterFault = await g.topic.notifications();
    g.clock.now = T0 + 3_600_000;
    await g.handler(sweep(g.clock.now), lambdaContext());
    await g.handler(sweep(g.clock.now + 1), lambdaContext());

    // Assess: the current repair's own message went out and the invocation did not fail.
    expect(result).toMatchObject({ outcome: 'remediated', notified: true });
    expect(afterFault.map((m) => m.document.outcome)).toEqual(['remediated', 'remediated']);
    expect(emf.some((d) => d[STORM_FOLLOW_UP_FAILED_METRIC] === 1)).toBe(true);
    // Never lost: the ledger kept it; the sweep sent it once, with the exact count.
    const all = await g.topic.notifications();
    expect(all).toHaveLength(1);
    expect(all[0]?.document).toMatchObject({ kind: 'repeated-tampering', count: 2 });
  }, 120_000);

  it('is bounded by the deadline: a hung follow-up publish does not hold the invocation past it', async () => {
    // Prepare: SNS's request timeout is longer than the whole invocation; the follow-up hangs.
    const lambda = new SimulatedTimeout();
    const g = await stormGuard({ requestTimeout: 30_000, lambda });
    await g.detach();
    g.clock.now = T0 + 1_000;
    await g.handler(g.act(), lambdaContext());
    g.clock.now = T0 + 2_000;
    await g.handler(g.act(), lambdaContext());
    await g.detach();
    g.clock.now = T0 + 120_000;
    proxy.setPlan({ kind: 'hang', rate: 1, services: ['sns'], bodyContains: FOLLOW_UP });

    // Act
    const ended = await lambda.invoke(g.handler, g.act(), 8_000);
    proxy.setPlan(undefined);

    // Assess: the invocation returned by itself, its own message sent; the follow-up waits in the ledger.
    expect(ended).toMatchObject({ kind: 'returned', value: { outcome: 'remediated', notified: true } });
    expect((await g.topic.notifications()).map((m) => m.document.outcome)).toEqual([
      'remediated',
      'remediated',
    ]);
    g.clock.now = T0 + 3_600_000;
    expect(await lambda.invoke(g.handler, sweep(g.clock.now), 60_000)).toMatchObject({ kind: 'returned' });
    expect((await g.topic.notifications()).map((m) => m.document)).toMatchObject([
      { kind: 'repeated-tampering', count: 1 },
    ]);
  }, 120_000);
});
