import { Logger } from '@aws-lambda-powertools/logger';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DetachRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_SETTINGS } from '../../functions/adapters/aws-clients.js';
import { IamRoleStore } from '../../functions/adapters/iam-role-store.js';
import { parseConfig } from '../../functions/core/config.js';
import { detectDrift } from '../../functions/core/drift.js';
import { GuardFailure } from '../../functions/core/guard-result.js';
import { reconcile } from '../../functions/core/reconcile.js';
import { createHandler } from '../../functions/handler/create-handler.js';
import { runDrill } from '../../functions/local/drill.js';
import { recordIamCalls } from '../../functions/local/wire-log.js';
import {
  CREDENTIALS,
  emulatorEndpoint,
  REGION,
  testClients,
  topicWithInbox,
  uniqueName,
  WireLog,
} from '../support/aws.js';
import { guardEnv, SUPPORT_ACCESS } from '../support/config.js';
import { fixture } from '../support/events.js';
import { FAULT_KINDS, type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { lambdaContext } from '../support/lambda.js';

let proxy: FaultProxy;
beforeAll(async () => {
  proxy = await startFaultProxy(emulatorEndpoint());
});
afterAll(async () => {
  await proxy.close();
});

/** Guard clients through the proxy, with a 1 s request timeout so that "slow" faults time out fast. */
function proxiedClients(wire: WireLog) {
  const settings = {
    ...CLIENT_SETTINGS,
    requestHandler: { ...CLIENT_SETTINGS.requestHandler, requestTimeout: 1000 },
    region: REGION,
    endpoint: proxy.endpoint,
    credentials: CREDENTIALS,
  };
  return {
    iam: recordIamCalls(new IAMClient(settings), wire),
    sns: new SNSClient(settings),
    eventBridge: new EventBridgeClient(settings),
  };
}

describe.each(FAULT_KINDS)('every drill scenario with %s faults at 30% of IAM and SNS requests', (kind) => {
  it('ends with the role in desired state, every tampering notified, and honest outcomes', async () => {
    // Prepare
    proxy.setPlan({ kind, rate: 0.3, services: ['iam', 'sns'], delayMs: 1500 }, 7);
    const injectedBefore = proxy.stats.injected;

    // Act
    const report = await runDrill({
      endpoint: emulatorEndpoint(),
      guardEndpoint: proxy.endpoint,
      guardClientSettings: { requestTimeoutMs: 1000 },
      retryFailedInvocations: true,
      expectations: 'resilient',
      roleName: uniqueName('AWSSupportRole'),
    });
    proxy.setPlan(undefined);

    // Assess
    expect(proxy.stats.injected - injectedBefore).toBeGreaterThan(5);
    for (const scenario of report.scenarios) expect(scenario.failures, scenario.name).toEqual([]);
    expect(report.passed).toBe(true);
  }, 180_000);
});

async function guardSetUp() {
  const aws = testClients();
  const roleName = uniqueName('AWSSupportRole');
  const topic = await topicWithInbox(aws, uniqueName('fault-topic'));
  const config = parseConfig(guardEnv({ SUPPORT_ROLE_NAME: roleName, NOTIFY_TOPIC_ARN: topic.topicArn }), {
    requireTopic: true,
  });
  const store = new IamRoleStore(aws.iam);
  await reconcile({ desired: config.desired, mode: 'enforce', store, partition: 'aws' });
  const wire = new WireLog();
  const handler = createHandler({
    config,
    clients: proxiedClients(wire),
    logger: new Logger({ serviceName: 'support-role-guard', logLevel: 'SILENT' }),
  });
  await aws.iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: SUPPORT_ACCESS }));
  const event = fixture('detach-role-policy', { roleName, eventId: uniqueName('evt') });
  const driftNow = async () => detectDrift(config.desired, await store.read(roleName));
  return { topic, handler, event, driftNow, wire };
}

describe('faults that outlast the SDK retries', () => {
  it('a total SNS outage: the role is restored, the handler throws, the retry after the outage notifies once', async () => {
    // Prepare
    const g = await guardSetUp();
    proxy.setPlan({ kind: 'error503', rate: 1, services: ['sns'] });

    // Act
    const error = await g.handler(g.event, lambdaContext()).catch((e: unknown) => e);
    proxy.setPlan(undefined);
    const retry = await g.handler(structuredClone(g.event), lambdaContext());

    // Assess
    expect(error).toMatchObject({ name: 'NotificationError' });
    expect(await g.driftNow()).toEqual([]);
    expect(retry).toMatchObject({ outcome: 'compliant', notified: true });
    const messages = await g.topic.notifications();
    expect(messages.map((m) => [m.document.outcome, m.document.trigger?.eventId])).toEqual([
      ['compliant', g.event.detail.eventID],
    ]);
  });

  it('IAM throttling past the retries: failed is notified, the handler throws, the retry remediates', async () => {
    // Prepare
    const g = await guardSetUp();
    proxy.setPlan({ kind: 'throttle', rate: 1, services: ['iam'] });

    // Act
    const error = await g.handler(g.event, lambdaContext()).catch((e: unknown) => e);
    const firstCalls = [...g.wire.calls];
    proxy.setPlan(undefined);
    const retry = await g.handler(structuredClone(g.event), lambdaContext());

    // Assess
    expect(error).toBeInstanceOf(GuardFailure);
    expect((error as GuardFailure).result).toMatchObject({
      outcome: 'failed',
      reason: expect.stringMatching(/Throttling/),
    });
    // The three reads go out together, each retried up to the SDK's attempts; no write.
    expect(firstCalls.filter((c) => c === 'GetRole')).toHaveLength(CLIENT_SETTINGS.maxAttempts);
    expect(firstCalls.filter((c) => !/^(Get|List)/.test(c))).toEqual([]);
    expect(retry).toMatchObject({ outcome: 'remediated', notified: true });
    expect(await g.driftNow()).toEqual([]);
    expect((await g.topic.notifications()).map((m) => m.document.outcome)).toEqual(['failed', 'remediated']);
  });

  it('never says remediated when the read-back could not verify it', async () => {
    // Prepare: the write goes through, then every IAM request fails (the read-back included).
    const g = await guardSetUp();
    proxy.setPlan({ kind: 'error500', rate: 1, services: ['iam'], afterAction: 'AttachRolePolicy' });

    // Act
    const error = await g.handler(g.event, lambdaContext()).catch((e: unknown) => e);
    proxy.setPlan(undefined);

    // Assess: the repair happened, but unverified it is reported as failed, with what was done.
    expect(error).toBeInstanceOf(GuardFailure);
    expect((error as GuardFailure).result).toMatchObject({
      outcome: 'failed',
      drift: [{ property: `managedPolicy:${SUPPORT_ACCESS}` }],
      actions: [{ api: 'AttachRolePolicy', status: 'succeeded' }],
    });
    expect(await g.driftNow()).toEqual([]);
    expect((await g.topic.notifications()).map((m) => m.document.outcome)).toEqual(['failed']);
  });
});
