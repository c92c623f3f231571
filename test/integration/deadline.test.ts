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
import { GuardFailure } from '../../functions/core/guard-result.js';
import { reconcile } from '../../functions/core/reconcile.js';
import { createHandler } from '../../functions/handler/create-handler.js';
import {
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
 * Test scale: the SDK settings of production (5 attempts) with a 3 s request timeout instead of
 * 10 s, a 12 s Lambda timeout instead of 60 s (300 s for the central function) and 5 s kept for
 * the message instead of 8 s (generous: the emulator answers slowly on a loaded machine). A hung
 * IAM call then costs the SDK about 15 s — more than the whole invocation, as 5 x 10 s plus the
 * alias lookup once did in 60 s — so only a deadline taken from the context can end the
 * invocation with a message.
 */
const TIMEOUT_MS = 12_000;
const MARGIN_MS = 5_000;

let proxy: FaultProxy;
beforeAll(async () => {
  proxy = await startFaultProxy(emulatorEndpoint());
});
afterAll(async () => {
  await proxy.close();
});

const hungIam = () => ({
  ...CLIENT_SETTINGS,
  requestHandler: { ...CLIENT_SETTINGS.requestHandler, requestTimeout: 3_000 },
  region: REGION,
  endpoint: proxy.endpoint,
  credentials: CREDENTIALS,
});

const silent = () => new Logger({ serviceName: 'support-role-guard', logLevel: 'SILENT' });

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

  it('the central function: a sweep whose member IAM calls all hang publishes its summary before the timeout', async () => {
    // Prepare: three member accounts, two swept at a time; every member IAM request hangs.
    const central = testClients();
    const topic = await topicWithInbox(central, uniqueName('deadline-org-topic'));
    const members = await Promise.all([isolatedAccount(), isolatedAccount(), isolatedAccount()]);
    const config = parseConfig(
      guardEnv({
        SUPPORT_ROLE_NAME: uniqueName('AWSSupportRole'),
        TRUSTED_PRINCIPAL_ARNS: 'arn:aws:iam::123456789012:role/CentralSupportTeam',
        NOTIFY_TOPIC_ARN: topic.topicArn,
        MEMBER_ROLE_NAME: 'SupportRoleGuardRemediation',
        MEMBER_ACCOUNT_IDS: members.map((m) => m.account).join(','),
        SWEEP_CONCURRENCY: '2',
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
});
