import {
  type AttributeValue,
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { DeliveryLog } from '../core/ports.js';

/** A delivery record lives a day: longer than Lambda's and EventBridge's retries of one event. */
const KEEP_SECONDS = 24 * 3600;

/**
 * Which channels (the on-call topic, the chat topic, the bus) already received a message, in the
 * idempotency table (`delivery#<message>#<channel>` items, next to Powertools' records and the
 * storm ledger's). A retried invocation then sends only what did not go out the first time.
 */
export class DynamoDbDeliveryLog implements DeliveryLog {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async delivered(id: string, channel: string, signal?: AbortSignal): Promise<boolean> {
    const out = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: { id: { S: key(id, channel) } },
        ConsistentRead: true,
      }),
      signal ? { abortSignal: signal } : {},
    );
    return out.Item !== undefined;
  }

  /** The record's item, as `record` writes it (the idempotency record's completion writes it too). */
  item(id: string, channel: string): Record<string, AttributeValue> {
    return {
      id: { S: key(id, channel) },
      expiration: { N: String(Math.ceil(this.clock().getTime() / 1000) + KEEP_SECONDS) },
    };
  }

  async record(id: string, channel: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: this.item(id, channel),
          ConditionExpression: 'attribute_not_exists(id)',
        }),
        signal ? { abortSignal: signal } : {},
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}

/**
 * The delivery records of `ids` on `channels`, read at once (one BatchGetItem, consistent) before
 * they are needed: the handler starts it alongside the idempotency claim. The view answers those
 * keys from that read and any other key (or one the read did not return, or all of them when it
 * failed) from `log` itself, as before. Writes go to `log`. Reading is no side effect: a prefetch
 * whose invocation turns out to be a duplicate is dropped. The read goes out once `after` settles
 * (the handler passes the moment its reads of the role are on the wire, so that they go first).
 */
export function prefetchDeliveries(
  log: DynamoDbDeliveryLog,
  client: DynamoDBClient,
  tableName: string,
  ids: readonly string[],
  channels: readonly string[],
  signal?: AbortSignal,
  after: Promise<unknown> = Promise.resolve(),
): DeliveryLog {
  const keys = ids.flatMap((id) => channels.map((channel) => key(id, channel)));
  const read: Promise<Set<string> | undefined> =
    keys.length === 0
      ? Promise.resolve(undefined)
      : after
          .then(() =>
            client.send(
              new BatchGetItemCommand({
                RequestItems: {
                  [tableName]: { Keys: keys.map((k) => ({ id: { S: k } })), ConsistentRead: true },
                },
              }),
              signal ? { abortSignal: signal } : {},
            ),
          )
          .then((out) => {
            // Keys DynamoDB did not process are unknown: asked again one by one, never assumed absent.
            if ((out.UnprocessedKeys?.[tableName]?.Keys?.length ?? 0) > 0) return undefined;
            return new Set(
              (out.Responses?.[tableName] ?? []).map((item) => item.id?.S).filter((k): k is string => !!k),
            );
          })
          .catch(() => undefined);
  return {
    async delivered(id, channel, readSignal) {
      // Waited for within the read's own share of the time, as a read of its own would be.
      const known = keys.includes(key(id, channel)) ? await within(read, readSignal) : undefined;
      return known ? known.has(key(id, channel)) : log.delivered(id, channel, readSignal);
    },
    record: (id, channel, writeSignal) => log.record(id, channel, writeSignal),
  };
}

/** `promise`, or a rejection with the signal's reason once it is aborted. */
function within<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason);
    signal.addEventListener('abort', abort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

const key = (id: string, channel: string): string => `delivery#${id}#${channel}`;
