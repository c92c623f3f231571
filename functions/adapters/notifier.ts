import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { boundNotification, fullDetailParts } from '../core/message-budget.js';
import type { Notification } from '../core/notification.js';
import type { Notifier } from '../core/ports.js';

export interface AwsNotifierOptions {
  readonly sns: SNSClient;
  readonly topicArn: string;
  /** Receives only the chat rendering (Amazon Q Developer in chat applications drops anything else). */
  readonly chatTopicArn?: string;
  readonly eventBridge?: EventBridgeClient;
  readonly eventBusName?: string;
  /** Structured log (the handler's logger, which stamps each entry with the correlation id). */
  readonly log?: (message: string, fields: Record<string, unknown>) => void;
  /** The correlation id the log entries carry: named in a cut message, so the full detail can be found. */
  readonly correlationId?: () => string | undefined;
}

/**
 * SNS publish with MessageStructure=json: readable text for email (and the required `default`),
 * the versioned JSON document for machine protocols; when a chat topic is configured, the chat
 * rendering alone to it; then, when a bus is configured, the same document as an EventBridge
 * event for integrations. Every payload is bounded first (functions/core/message-budget.ts): a
 * message that would pass 256 KB is cut, and its full detail is logged before anything is sent.
 */
export class AwsNotifier implements Notifier {
  readonly #options: AwsNotifierOptions;

  constructor(options: AwsNotifierOptions) {
    this.#options = options;
  }

  async publish(notification: Notification, options: { readonly signal?: AbortSignal } = {}): Promise<void> {
    const call = options.signal ? { abortSignal: options.signal } : {};
    const { sns, topicArn, chatTopicArn, eventBridge, eventBusName, log, correlationId } = this.#options;
    const reference = correlationId?.();
    const payloads = boundNotification(notification, reference ? { reference } : {});
    if (payloads.cut) {
      const parts = fullDetailParts(notification);
      log?.('message cut to fit the SNS size limit; the full detail follows', {
        subject: notification.subject,
        omitted: payloads.cut.omitted,
        shortenedValues: payloads.cut.shortenedValues,
        parts: parts.length,
      });
      for (const [i, detail] of parts.entries())
        log?.('full message detail', { part: i + 1, parts: parts.length, detail });
    }
    await sns.send(new PublishCommand({ TopicArn: topicArn, ...payloads.topic }), call);
    if (chatTopicArn && payloads.chat) {
      await sns.send(new PublishCommand({ TopicArn: chatTopicArn, ...payloads.chat }), call);
    }
    if (eventBridge && eventBusName) {
      const out = await eventBridge.send(
        new PutEventsCommand({ Entries: [{ ...payloads.event, EventBusName: eventBusName }] }),
        call,
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
