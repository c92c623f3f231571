import {
  CreateEventBusCommand,
  type EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateTopicCommand, type SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { NotificationDocument } from '../core/notification.js';

/** The clients the inbox helpers need (against the emulator). */
export interface InboxClients {
  readonly sns: SNSClient;
  readonly sqs: SQSClient;
  readonly eventBridge: EventBridgeClient;
}

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
export async function topicWithInbox(clients: InboxClients, name: string) {
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
export async function busWithInbox(clients: InboxClients, name: string) {
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
