import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { EVENT_SOURCE, type Notification } from '../core/notification.js';
import type { Notifier } from '../core/ports.js';

export interface AwsNotifierOptions {
  readonly sns: SNSClient;
  readonly topicArn: string;
  /** Receives only the chat rendering (Amazon Q Developer in chat applications drops anything else). */
  readonly chatTopicArn?: string;
  readonly eventBridge?: EventBridgeClient;
  readonly eventBusName?: string;
}

/**
 * SNS publish with MessageStructure=json: readable text for email (and the required `default`),
 * the versioned JSON document for machine protocols; when a chat topic is configured, the chat
 * rendering alone to it; then, when a bus is configured, the same document as an EventBridge
 * event for integrations.
 */
export class AwsNotifier implements Notifier {
  readonly #options: AwsNotifierOptions;

  constructor(options: AwsNotifierOptions) {
    this.#options = options;
  }

  async publish(notification: Notification): Promise<void> {
    const { sns, topicArn, chatTopicArn, eventBridge, eventBusName } = this.#options;
    const json = JSON.stringify(notification.document);
    await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: notification.subject,
        MessageStructure: 'json',
        Message: JSON.stringify({
          default: notification.text,
          email: notification.text,
          'email-json': json,
          sqs: json,
          lambda: json,
          http: json,
          https: json,
          firehose: json,
        }),
      }),
    );
    if (chatTopicArn && notification.chat) {
      await sns.send(
        new PublishCommand({ TopicArn: chatTopicArn, Message: JSON.stringify(notification.chat) }),
      );
    }
    if (eventBridge && eventBusName) {
      const out = await eventBridge.send(
        new PutEventsCommand({
          Entries: [
            {
              Source: EVENT_SOURCE,
              DetailType: notification.detailType,
              Detail: json,
              EventBusName: eventBusName,
            },
          ],
        }),
      );
      if ((out.FailedEntryCount ?? 0) > 0) {
        const entry = out.Entries?.find((e) => e.ErrorCode);
        throw new Error(
          `PutEvents to ${eventBusName} failed: ${entry?.ErrorCode ?? 'unknown'} ${entry?.ErrorMessage ?? ''}`,
        );
      }
    }
  }
}
