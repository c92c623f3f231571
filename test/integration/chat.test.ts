import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DetachRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IamRoleStore } from '../../functions/adapters/iam-role-store.js';
import { chatThreadId } from '../../functions/core/chat-message.js';
import { parseConfig } from '../../functions/core/config.js';
import { GuardFailure } from '../../functions/core/guard-result.js';
import { reconcile } from '../../functions/core/reconcile.js';
import { createHandler } from '../../functions/handler/create-handler.js';
import { ACTORS, cloudTrailEvent, GUARD_ROLE_ARN } from '../../functions/local/cloudtrail.js';
import {
  emulatorEndpoint,
  guardClients,
  idempotencyTable,
  settings,
  testClients,
  topicWithInbox,
  uniqueName,
  WireLog,
} from '../support/aws.js';
import { guardEnv, SUPPORT_ACCESS } from '../support/config.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { lambdaContext } from '../support/lambda.js';

describe('the chat topic (Amazon Q Developer in chat applications)', () => {
  it('receives only the custom-notification format; the on-call topic keeps the JSON document', async () => {
    // Prepare: the on-call topic and the chat topic, each with an inbox on the wire.
    const aws = testClients();
    const roleName = uniqueName('AWSSupportRole');
    const topic = await topicWithInbox(aws, uniqueName('oncall'));
    const chat = await topicWithInbox(aws, uniqueName('chat'));
    const config = parseConfig(
      guardEnv({
        SUPPORT_ROLE_NAME: roleName,
        NOTIFY_TOPIC_ARN: topic.topicArn,
        CHAT_TOPIC_ARN: chat.topicArn,
        GUARD_ROLE_ARN,
      }),
      { requireTopic: true },
    );
    const store = new IamRoleStore(aws.iam);
    await reconcile({ desired: config.desired, mode: 'enforce', store, partition: 'aws' });
    const handler = createHandler({
      config,
      clients: guardClients(new WireLog()),
      logger: new Logger({ serviceName: 'support-role-guard', logLevel: 'SILENT' }),
    });
    await aws.iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: SUPPORT_ACCESS }));
    const event = cloudTrailEvent({
      eventName: 'DetachRolePolicy',
      input: { RoleName: roleName, PolicyArn: SUPPORT_ACCESS },
      actor: ACTORS.alice,
    });

    // Act
    await handler(event, lambdaContext());

    // Assess
    const onCall = await topic.notifications();
    expect(onCall.map((n) => n.document.outcome)).toEqual(['remediated']);
    const bodies = await chat.inbox.drain();
    expect(bodies).toHaveLength(1);
    const envelope = JSON.parse(bodies[0] ?? '{}') as { Message: string };
    const message = JSON.parse(envelope.Message) as Record<string, unknown>;
    expect(Object.keys(message).sort()).toEqual(['content', 'id', 'metadata', 'source', 'version']);
    expect(message).toMatchObject({
      version: '1.0',
      source: 'custom',
      content: { textType: 'client-markdown', title: expect.stringContaining(`REMEDIATED: ${roleName}`) },
      metadata: {
        eventType: 'support-role-guard-remediated',
        threadId: expect.stringMatching(/^support-role-guard-123456789012-[0-9a-f]{8}$/),
      },
    });
    expect(JSON.stringify(message)).not.toContain('schemaVersion');
  });
});

describe('the two deliveries are independent (a fault on one topic only, on the wire)', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy(emulatorEndpoint());
  });
  afterAll(async () => {
    await proxy.close();
  });

  async function guardBehindProxy() {
    const aws = testClients();
    const roleName = uniqueName('AWSSupportRole');
    const topic = await topicWithInbox(aws, uniqueName('oncall'));
    const chat = await topicWithInbox(aws, uniqueName('chat'));
    const table = uniqueName('chat-idempotency');
    const config = parseConfig(
      guardEnv({
        SUPPORT_ROLE_NAME: roleName,
        NOTIFY_TOPIC_ARN: topic.topicArn,
        CHAT_TOPIC_ARN: chat.topicArn,
        GUARD_ROLE_ARN,
        IDEMPOTENCY_TABLE_NAME: table,
      }),
      { requireTopic: true },
    );
    const store = new IamRoleStore(aws.iam);
    await reconcile({ desired: config.desired, mode: 'enforce', store, partition: 'aws' });
    const handler = createHandler({
      config,
      clients: {
        ...guardClients(new WireLog()),
        sns: new SNSClient({ ...settings(), endpoint: proxy.endpoint, maxAttempts: 2 }),
        dynamodb: await idempotencyTable(table),
      },
      logger: new Logger({ serviceName: 'support-role-guard', logLevel: 'SILENT' }),
    });
    await aws.iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: SUPPORT_ACCESS }));
    const event = cloudTrailEvent({
      eventName: 'DetachRolePolicy',
      input: { RoleName: roleName, PolicyArn: SUPPORT_ACCESS },
      actor: ACTORS.alice,
    });
    return { handler, topic, chat, event };
  }

  it.each([
    ['the chat topic', 'chat'],
    ['the on-call topic', 'topic'],
  ] as const)(
    'a failure of %s alone: Lambda retries, and neither the e-mail nor the chat message is sent twice',
    async (_, failing) => {
      // Prepare: SNS answers 500 to every Publish to one topic, and only to it.
      const g = await guardBehindProxy();
      const arn = failing === 'chat' ? g.chat.topicArn : g.topic.topicArn;
      proxy.setPlan({
        kind: 'error500',
        rate: 1,
        services: ['sns'],
        bodyContains: `TopicArn=${encodeURIComponent(arn)}`,
      });

      // Act: the invocation fails (so that Lambda retries it); the fault clears; Lambda's retry.
      const first = await g.handler(g.event, lambdaContext()).then(
        () => 'returned',
        () => 'threw',
      );
      proxy.setPlan(undefined);
      await g.handler(structuredClone(g.event), lambdaContext());

      // Assess: each topic received the message exactly once.
      expect(first).toBe('threw');
      expect((await g.topic.notifications()).map((n) => n.document.outcome)).toHaveLength(1);
      expect(await g.chat.inbox.drain()).toHaveLength(1);
    },
    120_000,
  );
});

const ALICE_ARN = String(ACTORS.alice.userIdentity.arn);

describe("a failure inside the actor's open storm window (faults on the wire)", () => {
  let proxy: FaultProxy;
  let dynamodbProxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy(emulatorEndpoint());
    dynamodbProxy = await startFaultProxy(emulatorEndpoint());
  });
  afterAll(async () => {
    await proxy.close();
    await dynamodbProxy.close();
  });

  /** The guard with the chat topic and the idempotency table (the storm ledger); IAM and DynamoDB each through a proxy. */
  async function guardWithLedger() {
    const aws = testClients();
    const roleName = uniqueName('AWSSupportRole');
    const topic = await topicWithInbox(aws, uniqueName('oncall'));
    const chat = await topicWithInbox(aws, uniqueName('chat'));
    const table = uniqueName('chat-storm');
    const config = parseConfig(
      guardEnv({
        SUPPORT_ROLE_NAME: roleName,
        NOTIFY_TOPIC_ARN: topic.topicArn,
        CHAT_TOPIC_ARN: chat.topicArn,
        GUARD_ROLE_ARN,
        IDEMPOTENCY_TABLE_NAME: table,
      }),
      { requireTopic: true },
    );
    await reconcile({
      desired: config.desired,
      mode: 'enforce',
      store: new IamRoleStore(aws.iam),
      partition: 'aws',
    });
    await idempotencyTable(table);
    const handler = createHandler({
      config,
      clients: {
        ...guardClients(new WireLog()),
        iam: new IAMClient({ ...settings(), endpoint: proxy.endpoint }),
        dynamodb: new DynamoDBClient({ ...settings(), endpoint: dynamodbProxy.endpoint }),
      },
      logger: new Logger({ serviceName: 'support-role-guard', logLevel: 'SILENT' }),
    });
    const detach = async () => {
      await aws.iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: SUPPORT_ACCESS }));
      return cloudTrailEvent({
        eventName: 'DetachRolePolicy',
        input: { RoleName: roleName, PolicyArn: SUPPORT_ACCESS },
        actor: ACTORS.alice,
      });
    };
    const threads = async () =>
      (await chat.inbox.drain()).map((body) => {
        const message = JSON.parse((JSON.parse(body) as { Message: string }).Message) as {
          content: { title: string };
          metadata: { threadId: string };
        };
        return [message.content.title, message.metadata.threadId] as const;
      });
    const attachRefused = () =>
      proxy.setPlan({
        kind: 'error',
        rate: 1,
        services: ['iam'],
        bodyContains: 'Action=AttachRolePolicy',
        error: {
          status: 403,
          code: 'AccessDenied',
          message: 'not authorized to perform iam:AttachRolePolicy',
        },
      });
    return { handler, topic, detach, threads, attachRefused };
  }

  it("posts REMEDIATION FAILED in the thread of the incident's first act, not a thread of its own", async () => {
    // Prepare
    const g = await guardWithLedger();

    // Act: alice's first act is repaired and opens her window; her second, within it, cannot be
    // repaired (IAM refuses the attach).
    await g.handler(await g.detach(), lambdaContext());
    const [[, opened] = ['', '']] = await g.threads();
    const second = await g.detach();
    g.attachRefused();
    const failure = await g.handler(second, lambdaContext()).catch((error: unknown) => error);
    proxy.setPlan(undefined);

    // Assess: the failure is told at once, on its own, in the incident's thread.
    expect(failure).toBeInstanceOf(GuardFailure);
    expect((await g.topic.notifications()).map((n) => n.document.outcome)).toEqual(['remediated', 'failed']);
    expect(await g.threads()).toEqual([[expect.stringContaining('REMEDIATION FAILED'), opened]]);
    expect(opened).toMatch(/^support-role-guard-123456789012-[0-9a-f]{8}$/);
  }, 60_000);

  it('when the ledger cannot be read, the failure still goes out at once, in a thread of its own', async () => {
    // Prepare
    const g = await guardWithLedger();
    await g.handler(await g.detach(), lambdaContext());
    const [[, opened] = ['', '']] = await g.threads();
    const second = await g.detach();

    // Act: IAM refuses the attach and DynamoDB fails every request on the storm ledger's items.
    g.attachRefused();
    dynamodbProxy.setPlan({ kind: 'error500', rate: 1, services: ['dynamodb'], bodyContains: '"storm#' });
    const failure = await g.handler(second, lambdaContext()).catch((error: unknown) => error);
    proxy.setPlan(undefined);
    dynamodbProxy.setPlan(undefined);

    // Assess
    expect(dynamodbProxy.stats.injected).toBeGreaterThan(0);
    expect(failure).toBeInstanceOf(GuardFailure);
    expect((await g.topic.notifications()).map((n) => n.document.outcome)).toEqual(['remediated', 'failed']);
    const { eventID } = (second as { detail: { eventID: string } }).detail;
    const own = chatThreadId('123456789012', ALICE_ARN, eventID);
    expect(own).not.toBe(opened);
    expect(await g.threads()).toEqual([[expect.stringContaining('REMEDIATION FAILED'), own]]);
  }, 60_000);
});
