import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { boundNotification, fullDetailParts } from '../core/message-budget.js';
import type { Notification } from '../core/notification.js';
import type { DeliveryLog, Notifier } from '../core/ports.js';

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
  /**
   * Records which channels received a message (by its `deliveryId`), so that a retried
   * invocation sends only what failed: without it, a retry sends every channel again.
   */
  readonly deliveries?: DeliveryLog;
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

  async publish(
    notification: Notification,
    options: { readonly signal?: AbortSignal; readonly deliveryId?: string } = {},
  ): Promise<void> {
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
    // Each channel on its own: one failing does not keep the others from being sent, and one
    // sent is recorded so that Lambda's retry of the invocation does not send it again.
    const channels: [string, () => Promise<void>][] = [
      [
        'topic',
        async () => {
          await sns.send(new PublishCommand({ TopicArn: topicArn, ...payloads.topic }), call);
        },
      ],
    ];
    if (chatTopicArn && payloads.chat) {
      const chat = payloads.chat;
      channels.push([
        'chat',
        async () => {
          await sns.send(new PublishCommand({ TopicArn: chatTopicArn, ...chat }), call);
        },
      ]);
    }
    if (eventBridge && eventBusName) {
      channels.push([
        'bus',
        async () => {
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
        },
      ]);
    }
    const { deliveries } = this.#options;
    const id = options.deliveryId;
    const failures: { channel: string; error: unknown }[] = [];
    await Promise.all(
      channels.map(async ([channel, send]) => {
        // The record is a help, never in the way: when it cannot be read the channel is sent
        // (a message twice beats a message lost); when it cannot be written, only a retry resends.
        const sent =
          deliveries && id
            ? await deliveries.delivered(id, channel, options.signal).catch(() => false)
            : false;
        if (sent) return;
        try {
          await send();
        } catch (error) {
          failures.push({ channel, error });
          return;
        }
        if (deliveries && id)
          await deliveries.record(id, channel, options.signal).catch((error: unknown) =>
            log?.('could not record a delivery; a retry would send it again', {
              channel,
              error: error instanceof Error ? error.message : String(error),
            }),
          );
      }),
    );
    if (failures.length === 1) throw failures[0]?.error;
    if (failures.length > 1)
      throw new AggregateError(
        failures.map((f) => f.error),
        `publishing failed on ${failures.map((f) => f.channel).join(', ')}: ${failures
          .map((f) => (f.error instanceof Error ? f.error.message : String(f.error)))
          .join('; ')}`,
      );
  }
}
