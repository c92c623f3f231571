import { randomBytes } from 'node:crypto';
import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { IAMClient } from '@aws-sdk/client-iam';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { inject } from 'vitest';
import type { AwsClients } from '../../functions/adapters/aws-clients.js';
import { CLIENT_SETTINGS } from '../../functions/adapters/aws-clients.js';
import type { NotificationDocument } from '../../functions/core/notification.js';

export const REGION = 'us-east-1';
export const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/** The moto server started by test/support/global-setup.ts. */
export function emulatorEndpoint(): string {
  return inject('emulatorEndpoint');
}

const settings = () => ({
  ...CLIENT_SETTINGS,
  region: REGION,
  endpoint: emulatorEndpoint(),
  credentials: CREDENTIALS,
});

/** Every IAM API call that went over the wire, by Action (retries included). */
export class WireLog {
  readonly calls: string[] = [];
  get writes(): string[] {
    return this.calls.filter((c) => !/^(Get|List)/.test(c));
  }
  get reads(): string[] {
    return this.calls.filter((c) => /^(Get|List)/.test(c));
  }
  clear(): void {
    this.calls.length = 0;
  }
}

/** An IAM client that records each HTTP request's Action (the guard's client in tests). */
export function recordingIam(log: WireLog): IAMClient {
  const iam = new IAMClient(settings());
  iam.middlewareStack.add(
    (next) => async (args) => {
      const body = (args.request as { body?: unknown }).body;
      const action = typeof body === 'string' ? /(?:^|&)Action=([^&]+)/.exec(body)?.[1] : undefined;
      if (action) log.calls.push(action);
      return next(args);
    },
    { step: 'finalizeRequest', name: 'wireLog' },
  );
  return iam;
}

export function guardClients(log: WireLog): AwsClients {
  return {
    iam: recordingIam(log),
    sns: new SNSClient(settings()),
    eventBridge: new EventBridgeClient(settings()),
  };
}

/** Clients for the test itself (the "attacker" and the observer). */
export function testClients() {
  return {
    iam: new IAMClient(settings()),
    sns: new SNSClient(settings()),
    sqs: new SQSClient(settings()),
    eventBridge: new EventBridgeClient(settings()),
  };
}

export const uniqueName = (prefix: string): string => `${prefix}-${randomBytes(4).toString('hex')}`;

export interface ReceivedNotification {
  readonly subject: string;
  readonly document: NotificationDocument;
}

/** An SQS queue standing in for a subscriber (the on-call inbox, or an event bus target). */
export class Inbox {
  private constructor(
    private readonly sqs: SQSClient,
    readonly queueUrl: string,
    readonly queueArn: string,
  ) {}

  static async create(sqs: SQSClient, name: string): Promise<Inbox> {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
    if (!QueueUrl) throw new Error('CreateQueue returned no URL');
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    return new Inbox(sqs, QueueUrl, Attributes?.QueueArn ?? '');
  }

  /** Everything delivered so far (drains the queue; short waits until it is empty). */
  async drain(): Promise<string[]> {
    const bodies: string[] = [];
    for (;;) {
      const { Messages = [] } = await this.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: this.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      if (Messages.length === 0) return bodies;
      bodies.push(...Messages.map((m) => m.Body ?? ''));
      await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
        }),
      );
    }
  }
}

/** A topic with an SQS "on-call inbox" subscribed, as the stack would set it up. */
export async function topicWithInbox(clients: ReturnType<typeof testClients>, name: string) {
  const { TopicArn } = await clients.sns.send(new CreateTopicCommand({ Name: name }));
  if (!TopicArn) throw new Error('CreateTopic returned no ARN');
  const inbox = await Inbox.create(clients.sqs, `${name}-inbox`);
  await clients.sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: inbox.queueArn }));
  return {
    topicArn: TopicArn,
    inbox,
    /** The SNS envelopes received, with the JSON document the `sqs` protocol gets. */
    async notifications(): Promise<ReceivedNotification[]> {
      return (await inbox.drain()).map((body) => {
        const envelope = JSON.parse(body) as { Subject: string; Message: string };
        return { subject: envelope.Subject, document: JSON.parse(envelope.Message) as NotificationDocument };
      });
    },
  };
}

/** A custom bus whose every support-role-guard event lands in an SQS queue. */
export async function busWithInbox(clients: ReturnType<typeof testClients>, name: string) {
  await clients.eventBridge.send(new CreateEventBusCommand({ Name: name }));
  const inbox = await Inbox.create(clients.sqs, `${name}-events`);
  await clients.eventBridge.send(
    new PutRuleCommand({
      Name: `${name}-all`,
      EventBusName: name,
      EventPattern: JSON.stringify({ source: ['support-role-guard'] }),
    }),
  );
  await clients.eventBridge.send(
    new PutTargetsCommand({
      Rule: `${name}-all`,
      EventBusName: name,
      Targets: [{ Id: 'inbox', Arn: inbox.queueArn }],
    }),
  );
  return { busName: name, inbox };
}
