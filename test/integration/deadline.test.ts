import { Logger } from '@aws-lambda-powertools/logger';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DetachRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { SNSClient } from '@aws-sdk/client-sns';
import { STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_SETTINGS } from '../../functions/adapters/aws-clients.js';
import { IamRoleStore } from '../../functions/adapters/iam-role-store.js';
import { organizationPorts } from '../../functions/adapters/member-access.js';
import { parseConfig } from '../../functions/core/config.js';
import { NOTIFICATION_RESERVE_MS } from '../../functions/core/deadline.js';
import { GuardFailure } from '../../functions/core/guard-result.js';
import { reconcile } from '../../functions/core/reconcile.js';
import { createHandler } from '../../functions/handler/create-handler.js';
import {
  busWithInbox,
  CREDENTIALS,
  emulatorEndpoint,
  isolatedAccount,
  REGION,
  settings,
  testClients,
  topicWithInbox,
  uniqueName,
} from '../support/aws.js';
import { guardEnv, SUPPORT_ACCESS } from '../support/config.js';
import { fixture } from '../support/events.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { SimulatedTimeout } from '../support/lambda.js';

/**
 * Test scale: the SDK settings of production (5 attempts) with a 4 s IAM request timeout instead
 * of 10 s, a 16 s Lambda timeout instead of 60 s (300 s for the central function) and the
 * production reserve of 8 s kept for the message (the emulator answers slowly on a loaded
 * machine, and each send's attempts get their share of it). A hung IAM call then costs the SDK
 * about 20 s — more than the whole invocation, as 5 x 10 s plus the alias lookup once did in
 * 60 s — so only a deadline taken from the context can end the invocation with a message.
 */
const MARGIN_MS = NOTIFICATION_RESERVE_MS;
const TIMEOUT_MS = 2 * MARGIN_MS;

let proxy: FaultProxy;
beforeAll(async () => {
  proxy = await startFaultProxy(emulatorEndpoint());
});
afterAll(async () => {
  await proxy.close();
});

const hungIam = () => ({
  ...CLIENT_SETTINGS,
  requestHandler: { ...CLIENT_SETTINGS.requestHandler, requestTimeout: 4_000 },
  region: REGION,
  endpoint: proxy.endpoint,
  credentials: CREDENTIALS,
});

const silent = () => new Logger({ serviceName: 'support-role-guard', logLevel: 'SILENT' });

/**
 * The central function over `accounts` swept `concurrency` at a time, whose member IAM calls go
 * through the fault proxy (AssumeRole answers directly).
 */
async function centralOverHungMembers(accounts: readonly string[], concurrency: number, topicName: string) {
  const central = testClients();
  const topic = await topicWithInbox(central, uniqueName(topicName));
  const config = parseConfig(
    guardEnv({
      SUPPORT_ROLE_NAME: uniqueName('AWSSupportRole'),
      TRUSTED_PRINCIPAL_ARNS: 'arn:aws:iam::123456789012:role/CentralSupportTeam',
      NOTIFY_TOPIC_ARN: topic.topicArn,
      MEMBER_ROLE_NAME: 'SupportRoleGuardRemediation',
      MEMBER_ACCOUNT_IDS: accounts.join(','),
      SWEEP_CONCURRENCY: String(concurrency),
    }),
    { requireTopic: true },
  );
  const lambda = new SimulatedTimeout();
  const direct = settings();
  const handler = createHandler({
    config,
    clients: {
      iam: new IAMClient(direct),
      sns: lambda.freezes(new SNSClient(direct)),
      eventBridge: lambda.freezes(new EventBridgeClient(direct)),
      sts: new STSClient(direct),
    },
    logger: silent(),
    memberClientSettings: { endpoint: proxy.endpoint, requestHandler: hungIam().requestHandler },
    organizationPorts,
    notificationReserveMs: MARGIN_MS,
  });
  return { topic, lambda, handler };
}

/** Runs `work` and returns what it gave with the process warnings emitted meanwhile. */
async function withWarnings<T>(work: () => Promise<T>): Promise<{ value: T; warnings: Error[] }> {
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);
  process.on('warning', onWarning);
  try {
    return { value: await work(), warnings };
  } finally {
    await new Promise((resolve) => setImmediate(resolve)); // a warning is emitted on a later tick
    process.off('warning', onWarning);
  }
}

describe('a hung IAM never ends the invocation in silence', () => {
  it('one account: every IAM call hangs, and `failed` is published before the timeout', async () => {
    // Prepare: the role drifted; every IAM request of the guard hangs from the first read on.
    const aws = testClients();
    const roleName = uniqueName('AWSSupportRole');
    const topic = await topicWithInbox(aws, uniqueName('deadline-topic'));
    const config = parseConfig(guardEnv({ SUPPORT_ROLE_NAME: roleName, NOTIFY_TOPIC_ARN: topic.topicArn }), {
      requireTopic: true,
    });
    await reconcile({
      desired: config.desired,
      mode: 'enforce',
      store: new IamRoleStore(aws.iam),
      partition: 'aws',
    });
    await aws.iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: SUPPORT_ACCESS }));
    const lambda = new SimulatedTimeout();
    const handler = createHandler({
      config,
      clients: {
        iam: new IAMClient(hungIam()),
        sns: lambda.freezes(new SNSClient(settings())),
        eventBridge: lambda.freezes(new EventBridgeClient(settings())),
      },
      logger: silent(),
      notificationReserveMs: MARGIN_MS,
    });
    proxy.setPlan({ kind: 'hang', rate: 1, services: ['iam'] });

    // Act
    const ended = await lambda.invoke(
      handler,
      fixture('detach-role-policy', { roleName, eventId: uniqueName('evt') }),
      TIMEOUT_MS,
    );
    proxy.setPlan(undefined);

    // Assess: the invocation ended by itself, with `failed` told and the deadline as the reason.
    expect(ended.kind).toBe('threw');
    const error = ended.kind === 'threw' ? ended.error : undefined;
    expect(error).toBeInstanceOf(GuardFailure);
    expect((error as GuardFailure).result).toMatchObject({
      outcome: 'failed',
      notified: true,
      reason: expect.stringMatching(/deadline/),
    });
    const messages = await topic.notifications();
    expect(messages.map((m) => m.document.outcome)).toEqual(['failed']);
    expect(messages[0]?.document.error).toMatch(/deadline/);
  }, 60_000);

  it('one account: the first Publish and the first PutEvents hang too, and every message still goes out before the timeout', async () => {
    // Prepare: the role drifted; the topic, a chat topic and a bus are configured. Every IAM
    // request hangs; so do the first SNS request (the Publish of `failed` to the topic) and the
    // first PutEvents. The production SNS and EventBridge client settings: 10 s per attempt, which
    // alone is longer than the reserve.
    const aws = testClients();
    const roleName = uniqueName('AWSSupportRole');
    const topic = await topicWithInbox(aws, uniqueName('deadline-topic'));
    const chat = await topicWithInbox(aws, uniqueName('deadline-chat'));
    const bus = await busWithInbox(aws, uniqueName('deadline-bus'));
    const config = parseConfig(
      guardEnv({
        SUPPORT_ROLE_NAME: roleName,
        NOTIFY_TOPIC_ARN: topic.topicArn,
        CHAT_TOPIC_ARN: chat.topicArn,
        EVENT_BUS_NAME: bus.busName,
      }),
      { requireTopic: true },
    );
    await reconcile({
      desired: config.desired,
      mode: 'enforce',
      store: new IamRoleStore(aws.iam),
      partition: 'aws',
    });
    await aws.iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: SUPPORT_ACCESS }));
    const lambda = new SimulatedTimeout();
    const proxied = { ...settings(), endpoint: proxy.endpoint };
    const handler = createHandler({
      config,
      clients: {
        iam: new IAMClient(hungIam()),
        sns: lambda.freezes(new SNSClient(proxied)),
        eventBridge: lambda.freezes(new EventBridgeClient(proxied)),
      },
      logger: silent(),
    });
    proxy.setPlan({
      kind: 'hang',
      rate: 1,
      services: ['iam', 'sns', 'events'],
      limits: { sns: 1, events: 1 },
    });
    const injected = { ...proxy.stats.byService };

    // Act
    const ended = await lambda.invoke(
      handler,
      fixture('detach-role-policy', { roleName, eventId: uniqueName('evt') }),
      TIMEOUT_MS,
    );
    proxy.setPlan(undefined);

    // Assess: both hangs happened, and yet `failed` reached the topic, the chat topic and the bus.
    // (A hung Publish left standing ends in middy's TimeoutError just before the Lambda timeout.)
    expect(ended.kind).toBe('threw');
    const error = ended.kind === 'threw' ? ended.error : undefined;
    expect(error).toBeInstanceOf(GuardFailure);
    expect((error as GuardFailure).result).toMatchObject({ outcome: 'failed', notified: true });
    expect((proxy.stats.byService.sns ?? 0) - (injected.sns ?? 0)).toBe(1);
    expect((proxy.stats.byService.events ?? 0) - (injected.events ?? 0)).toBe(1);
    expect((await topic.notifications()).map((m) => m.document.outcome)).toEqual(['failed']);
    expect(await chat.inbox.drain()).toHaveLength(1);
    const events = (await bus.inbox.drain()).map((b) => JSON.parse(b) as { detail: { outcome: string } });
    expect(events.map((e) => e.detail.outcome)).toEqual(['failed']);
  }, 60_000);

  it('the central function: a sweep whose member IAM calls all hang publishes its summary before the timeout', async () => {
    // Prepare: three member accounts, two swept at a time; every member IAM request hangs.
    const members = await Promise.all([isolatedAccount(), isolatedAccount(), isolatedAccount()]);
    const { topic, lambda, handler } = await centralOverHungMembers(
      members.map((m) => m.account),
      2,
      'deadline-org-topic',
    );
    proxy.setPlan({ kind: 'hang', rate: 1, services: ['iam'] });

    // Act
    const ended = await lambda.invoke(
      handler,
      { ...fixture('scheduled-sweep'), id: uniqueName('sweep'), time: uniqueName('t') },
      TIMEOUT_MS,
    );
    proxy.setPlan(undefined);

    // Assess: one summary naming every account as failed, each with the deadline as the reason.
    expect(ended.kind).toBe('returned');
    const messages = await topic.notifications();
    expect(messages.map((m) => m.document.outcome)).toEqual(['failed']);
    const result = ended.kind === 'returned' ? ended.value : undefined;
    expect(result).toMatchObject({ outcome: 'failed', notified: true });
    const accounts = (result as { accounts?: { outcome: string; reason?: string }[] }).accounts ?? [];
    expect(accounts).toHaveLength(3);
    for (const a of accounts)
      expect(a).toMatchObject({ outcome: 'failed', reason: expect.stringMatching(/deadline/) });
  }, 60_000);

  it("the central function: 8 accounts' reads hung at once (four calls each) share the deadline without a MaxListenersExceededWarning", async () => {
    // Prepare: 8 member accounts swept at once; AssumeRole answers, and every member IAM request
    // hangs, so each account's four reads of the role wait on the one deadline signal together.
    const members = await Promise.all(Array.from({ length: 8 }, () => isolatedAccount()));
    const { lambda, handler } = await centralOverHungMembers(
      members.map((m) => m.account),
      8,
      'deadline-reads-topic',
    );
    proxy.setPlan({ kind: 'hang', rate: 1, services: ['iam'] });

    // Act
    const { value: ended, warnings } = await withWarnings(() =>
      lambda
        .invoke(
          handler,
          { ...fixture('scheduled-sweep'), id: uniqueName('sweep'), time: uniqueName('t') },
          TIMEOUT_MS,
        )
        .finally(() => proxy.setPlan(undefined)),
    );

    // Assess: every account cut short by the deadline, and no listener warning on the signal.
    expect(ended.kind).toBe('returned');
    const result = ended.kind === 'returned' ? ended.value : undefined;
    const accounts = (result as { accounts?: { outcome: string; reason?: string }[] }).accounts ?? [];
    expect(accounts).toHaveLength(8);
    for (const a of accounts)
      expect(a).toMatchObject({ outcome: 'failed', reason: expect.stringMatching(/deadline/) });
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message)).toEqual(
      [],
    );
  }, 60_000);

  it('the central function: 50 accounts swept at once share the deadline without a MaxListenersExceededWarning', async () => {
    // Prepare: 50 member accounts, all swept at once (SWEEP_CONCURRENCY's maximum); every
    // AssumeRole hangs, so every account's call waits on the one deadline signal at the same time.
    const central = testClients();
    const topic = await topicWithInbox(central, uniqueName('deadline-wide-topic'));
    const accounts = Array.from({ length: 50 }, (_, i) => String(300_000_000_000 + i * 7_919));
    const config = parseConfig(
      guardEnv({
        SUPPORT_ROLE_NAME: uniqueName('AWSSupportRole'),
        TRUSTED_PRINCIPAL_ARNS: 'arn:aws:iam::123456789012:role/CentralSupportTeam',
        NOTIFY_TOPIC_ARN: topic.topicArn,
        MEMBER_ROLE_NAME: 'SupportRoleGuardRemediation',
        MEMBER_ACCOUNT_IDS: accounts.join(','),
        SWEEP_CONCURRENCY: '50',
      }),
      { requireTopic: true },
    );
    const lambda = new SimulatedTimeout();
    const direct = settings();
    const handler = createHandler({
      config,
      clients: {
        iam: new IAMClient(direct),
        sns: lambda.freezes(new SNSClient(direct)),
        eventBridge: lambda.freezes(new EventBridgeClient(direct)),
        sts: new STSClient({ ...direct, endpoint: proxy.endpoint }),
      },
      logger: silent(),
      organizationPorts,
      notificationReserveMs: MARGIN_MS,
    });
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    proxy.setPlan({ kind: 'hang', rate: 1, services: ['sts'] });

    // Act
    let ended: Awaited<ReturnType<typeof lambda.invoke>>;
    try {
      ended = await lambda.invoke(
        handler,
        { ...fixture('scheduled-sweep'), id: uniqueName('sweep'), time: uniqueName('t') },
        TIMEOUT_MS,
      );
    } finally {
      proxy.setPlan(undefined);
      await new Promise((resolve) => setImmediate(resolve)); // a warning is emitted on a later tick
      process.off('warning', onWarning);
    }

    // Assess: the summary went out, and Node never warned of a listener leak on the signal.
    expect(ended.kind).toBe('returned');
    expect((await topic.notifications()).map((m) => m.document.outcome)).toEqual(['failed']);
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message)).toEqual(
      [],
    );
  }, 60_000);
});
