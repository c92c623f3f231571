import {
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

  async record(id: string, channel: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            id: { S: key(id, channel) },
            expiration: { N: String(Math.ceil(this.clock().getTime() / 1000) + KEEP_SECONDS) },
          },
          ConditionExpression: 'attribute_not_exists(id)',
        }),
        signal ? { abortSignal: signal } : {},
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}

const key = (id: string, channel: string): string => `delivery#${id}#${channel}`;
