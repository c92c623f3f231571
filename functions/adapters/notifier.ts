import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { sendBudget } from '../core/deadline.js';
import { boundNotification, fullDetailParts } from '../core/message-budget.js';
import type { Notification } from '../core/notification.js';
import type { DeliveryLog, Notifier } from '../core/ports.js';
import { CLIENT_SETTINGS } from './aws-clients.js';

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
  /**
   * The time left before the Lambda timeout (the invocation's `context.getRemainingTimeInMillis`).
   * When given, every channel works to it (`sendBudget`, functions/core/deadline.ts): the delivery
   * record's read and write and the send are each aborted when their share is spent, and each
   * attempt of the send has its own timeout, so a hung attempt is given up in time for a second.
   * Without it the client's own settings apply unchanged (the CLI).
   */
  readonly timeLeftMs?: () => number;
  /**
   * When every channel of a publish went out, its delivery records are not waited for: they are
   * held until the code that follows the publish yields to the event loop, so that the
   * idempotency record's completion, when it comes first, takes them into its own request
   * (`takeHeld`); otherwise they are written then, on their own. The caller awaits `settled()`
   * before the invocation ends. When a channel failed they are always written before publish throws.
   */
  readonly deferRecords?: boolean;
}

/** The channels a notifier with these options sends on (the names of their delivery records). */
export function channelsOf(
  options: Pick<AwsNotifierOptions, 'chatTopicArn' | 'eventBridge' | 'eventBusName'>,
): string[] {
  return [
    'topic',
    ...(options.chatTopicArn ? ['chat'] : []),
    ...(options.eventBridge && options.eventBusName ? ['bus'] : []),
  ];
}

/** Aborted when any of `signals` is (AbortSignal.any, Node 20.3+). */
const anyOf = (signals: (AbortSignal | undefined)[]): AbortSignal | undefined => {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  return present.length <= 1 ? present[0] : AbortSignal.any(present);
};

/**
 * SNS publish with MessageStructure=json: readable text for email (and the required `default`),
 * the versioned JSON document for machine protocols; when a chat topic is configured, the chat
 * rendering alone to it; then, when a bus is configured, the same document as an EventBridge
 * event for integrations. Every payload is bounded first (functions/core/message-budget.ts): a
 * message that would pass 256 KB is cut, and its full detail is logged before anything is sent.
 * Given the time left before the Lambda timeout, each channel works to it (a hung attempt is given
 * up and retried in time; the channels are sent at once, so one hung channel delays no other).
 */
export class AwsNotifier implements Notifier {
  readonly #options: AwsNotifierOptions;
  readonly #pending: Promise<void>[] = [];
  /** Delivery records due (`deferRecords`), not yet written nor taken. */
  readonly #held: HeldRecord[] = [];
  #flushing = false;

  constructor(options: AwsNotifierOptions) {
    this.#options = options;
  }

  /** Resolves when the delivery records deferred by `deferRecords` are written (never rejects). */
  async settled(): Promise<void> {
    this.#writeHeld();
    while (this.#pending.length > 0) await Promise.all(this.#pending.splice(0));
  }

  /**
   * Up to `max` of the delivery records held (`deferRecords`), taken to be written by the caller
   * in a request of its own (the idempotency record's completion), within `signal` (the records'
   * share of the time left); `giveBack` returns those that request did not write (their indexes),
   * which are then written here at once.
   */
  takeHeld(max: number): {
    readonly records: readonly HeldRecord[];
    readonly signal?: AbortSignal;
    giveBack(unwritten: readonly number[]): void;
  } {
    const records = this.#held.splice(0, Math.max(0, max));
    const recordMs = this.#recordMs();
    return {
      records,
      ...(recordMs !== undefined && records.length > 0
        ? { signal: timeoutSignal(recordMs, 'writing the delivery records with the completion') }
        : {}),
      giveBack: (unwritten) => {
        this.#held.push(...unwritten.flatMap((i) => (records[i] ? [records[i]] : [])));
        this.#writeHeld();
      },
    };
  }

  /** The share of the time left for writing a delivery record (undefined: the client's own settings). */
  #recordMs(): number | undefined {
    const left = this.#options.timeLeftMs?.();
    return left === undefined
      ? undefined
      : sendBudget(left, CLIENT_SETTINGS.requestHandler.requestTimeout).recordMs;
  }

  /** Writes the held records now, each on its own (a failure is logged: only a retry would resend). */
  #writeHeld(): void {
    const { deliveries, log } = this.#options;
    const records = this.#held.splice(0);
    if (!deliveries || records.length === 0) return;
    const recordMs = this.#recordMs();
    this.#pending.push(
      writeRecords(deliveries, records, log, () =>
        recordMs === undefined ? undefined : timeoutSignal(recordMs, 'recording the delivery'),
      ),
    );
  }

  async publish(
    notification: Notification,
    options: { readonly signal?: AbortSignal; readonly deliveryId?: string } = {},
  ): Promise<void> {
    // The time each channel may take (they are sent at once): the delivery record's read and
    // write, and the send with its attempts; each part is aborted when its share is spent.
    const left = this.#options.timeLeftMs?.();
    const budget =
      left === undefined ? undefined : sendBudget(left, CLIENT_SETTINGS.requestHandler.requestTimeout);
    const within = (ms: number | undefined, what: string) =>
      anyOf([options.signal, ms === undefined ? undefined : timeoutSignal(ms, what)]);
    const sendSignal = () => within(budget?.sendMs, 'the send');
    const call = () => {
      const abortSignal = sendSignal();
      return {
        ...(abortSignal ? { abortSignal } : {}),
        ...(budget ? { requestTimeout: budget.attemptMs } : {}),
      };
    };
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
          await sns.send(new PublishCommand({ TopicArn: topicArn, ...payloads.topic }), call());
        },
      ],
    ];
    if (chatTopicArn && payloads.chat) {
      const chat = payloads.chat;
      channels.push([
        'chat',
        async () => {
          await sns.send(new PublishCommand({ TopicArn: chatTopicArn, ...chat }), call());
        },
      ]);
    }
    if (eventBridge && eventBusName) {
      channels.push([
        'bus',
        async () => {
          const out = await eventBridge.send(
            new PutEventsCommand({ Entries: [{ ...payloads.event, EventBusName: eventBusName }] }),
            call(),
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
    const sent: string[] = [];
    await Promise.all(
      channels.map(async ([channel, send]) => {
        // The record is a help, never in the way: when it cannot be read the channel is sent
        // (a message twice beats a message lost); when it cannot be written, only a retry resends.
        const already =
          deliveries && id
            ? await deliveries
                .delivered(id, channel, within(budget?.recordMs, 'reading the delivery record'))
                .catch(() => false)
            : false;
        if (already) return;
        try {
          await send();
        } catch (error) {
          failures.push({ channel, error: explainTimeout(error, channel, budget, options.signal) });
          return;
        }
        sent.push(channel);
      }),
    );
    if (deliveries && id && sent.length > 0 && failures.length === 0 && this.#options.deferRecords) {
      // Every channel went out: nothing in this publish fails, so the records need not be waited
      // for. Held until what follows yields to the event loop (one turn, no I/O waited for): the
      // idempotency record's completion, when it comes first, writes them in its own request.
      this.#held.push(...sent.map((channel) => ({ id, channel })));
      if (!this.#flushing) {
        this.#flushing = true;
        setImmediate(() => {
          this.#flushing = false;
          this.#writeHeld();
        });
      }
    } else if (deliveries && id && sent.length > 0) {
      // Not deferred (the CLI), or a channel failed: the invocation will throw and Lambda retry
      // it, so the channels that went out are recorded before this throws (a retry must not send
      // them again).
      await writeRecords(
        deliveries,
        sent.map((channel) => ({ id, channel })),
        log,
        () => within(budget?.recordMs, 'recording the delivery'),
      );
    }
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

/** A delivery record due: the message's delivery id and the channel it went out on. */
export interface HeldRecord {
  readonly id: string;
  readonly channel: string;
}

/**
 * Writes each record on its own, each with the signal `signal()` gives; never rejects (a record
 * that cannot be written is logged: only a retry would send its channel again).
 */
async function writeRecords(
  deliveries: DeliveryLog,
  records: readonly HeldRecord[],
  log: AwsNotifierOptions['log'],
  signal: () => AbortSignal | undefined,
): Promise<void> {
  await Promise.all(
    records.map(({ id, channel }) =>
      deliveries.record(id, channel, signal()).catch((error: unknown) =>
        log?.('could not record a delivery; a retry would send it again', {
          channel,
          error: error instanceof Error ? error.message : String(error),
        }),
      ),
    ),
  );
}

/** A signal aborted after `ms`, its reason naming what ran out of time. */
function timeoutSignal(ms: number, what: string): AbortSignal {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new Error(`${what} did not finish within its ${ms} ms before the Lambda timeout`)),
    ms,
  );
  timer.unref?.();
  return controller.signal;
}

/** A send cut short by its share of the time says so (the SDK's AbortError says only "Request aborted"). */
function explainTimeout(
  error: unknown,
  channel: string,
  budget: { readonly sendMs: number; readonly attemptMs: number } | undefined,
  signal: AbortSignal | undefined,
): unknown {
  if (!budget || (error as Error)?.name !== 'AbortError' || signal?.aborted) return error;
  return new Error(
    `the ${channel} send did not succeed within its ${budget.sendMs} ms of the time before the Lambda timeout (${budget.attemptMs} ms per attempt)`,
    { cause: error },
  );
}
