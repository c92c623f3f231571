import { Logger } from '@aws-lambda-powertools/logger';
import { DetachRolePolicyCommand } from '@aws-sdk/client-iam';
import { SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IamRoleStore } from '../../functions/adapters/iam-role-store.js';
import { parseConfig } from '../../functions/core/config.js';
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
