import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyValidationError,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { makeHandlerIdempotent } from '@aws-lambda-powertools/idempotency/middleware';
import type { IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence';
import {
  type AttributeValue,
  BatchWriteItemCommand,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { GuardResult } from '../core/guard-result.js';

/**
 * The idempotency key of an event: the CloudTrail event id for a role change (EventBridge and
 * Lambda may deliver it more than once); for a sweep, its schedule time (plus the configuration
 * hash of the deploy-time sweep), so that a repeated delivery of the same sweep is not run twice.
 */
export const IDEMPOTENCY_KEY_PATH =
  "detail.eventID || join('', ['sweep:', time || '', ':', detail.configuration || ''])";

/** Records are kept 48 h: EventBridge retries a delivery for up to 24 h, Lambda's own retries within 6 h. */
export const IDEMPOTENCY_TTL_SECONDS = 48 * 3600;

/** The attributes of Powertools' records in the table (its defaults, named here once). */
const RECORD_ATTRIBUTES = { keyAttr: 'id', expiryAttr: 'expiration', statusAttr: 'status', dataAttr: 'data' };

/** BatchWriteItem takes at most 25 items; one is the completion. */
export const CLOSING_ITEMS_MAX = 24;
/** Waits before sending again what DynamoDB left unprocessed in the closing batch (then: each on its own). */
const UNPROCESSED_BACKOFF_MS = [50, 100];

/**
 * Items the invocation still has to write when its idempotency record is completed (the delivery
 * records of its messages): taken by the completion, which writes them in its own request.
 */
export interface ClosingWrites {
  /** Up to `max` items, taken; `giveBack` when they could not be written with the completion. */
  take(max: number): { readonly items: readonly Record<string, AttributeValue>[]; giveBack(): void };
}

/**
 * Powertools' DynamoDB layer, whose completion of the record (the handler's result, after the
 * message went out) also writes the invocation's closing items: one BatchWriteItem instead of the
 * completion's UpdateItem and a PutItem per delivery record sent alongside it. The completed
 * record is put whole (key, expiry, status, result), as the UpdateItem would leave it but for the
 * in-progress expiry, which Powertools reads only on a record in progress. What DynamoDB leaves
 * unprocessed is sent again (twice, after 50 and 100 ms); after that, or when the batch fails,
 * the items are given back (written on their own) and the completion is Powertools' own.
 */
class ClosingPersistenceLayer extends DynamoDBPersistenceLayer {
  constructor(
    private readonly table: string,
    private readonly dynamodb: DynamoDBClient,
    private readonly closing: ClosingWrites,
  ) {
    super({ tableName: table, awsSdkV3Client: dynamodb, ...RECORD_ATTRIBUTES });
  }

  protected override async _updateRecord(record: IdempotencyRecord): Promise<void> {
    const taken = this.isPayloadValidationEnabled() ? undefined : this.closing.take(CLOSING_ITEMS_MAX);
    if (!taken || taken.items.length === 0) return super._updateRecord(record);
    const completed = {
      ...this.getKey(record.idempotencyKey),
      ...marshall({
        [RECORD_ATTRIBUTES.expiryAttr]: record.expiryTimestamp,
        [RECORD_ATTRIBUTES.statusAttr]: record.getStatus(),
        ...(record.responseData !== undefined ? { [RECORD_ATTRIBUTES.dataAttr]: record.responseData } : {}),
      }),
    };
    try {
      let requests: WriteRequest[] = [completed, ...taken.items].map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 0; ; attempt++) {
        const out = await this.dynamodb.send(
          new BatchWriteItemCommand({ RequestItems: { [this.table]: requests } }),
        );
        requests = out.UnprocessedItems?.[this.table] ?? [];
        if (requests.length === 0) return;
        const wait = UNPROCESSED_BACKOFF_MS[attempt];
        if (wait === undefined) throw new Error(`${requests.length} items left unprocessed`);
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    } catch {
      // Written again their own way: both writes are idempotent (a record already there stays).
      taken.giveBack();
      return super._updateRecord(record);
    }
  }
}

/**
 * Exactly one handling (and so one notification) per event: the first invocation runs and its
 * result is stored; a repeated delivery gets that result back, marked `duplicate`, without any
 * IAM write or message (the handler's reads, begun alongside the claim, are dropped). A failed
 * invocation leaves no record, so Lambda's retry runs again.
 */
export function idempotency(
  tableName: string,
  client: DynamoDBClient,
  onDuplicate: () => void = () => {},
  closing?: ClosingWrites,
) {
  const middleware = makeHandlerIdempotent({
    persistenceStore: closing
      ? new ClosingPersistenceLayer(tableName, client, closing)
      : new DynamoDBPersistenceLayer({ tableName, awsSdkV3Client: client, ...RECORD_ATTRIBUTES }),
    config: new IdempotencyConfig({
      eventKeyJmesPath: IDEMPOTENCY_KEY_PATH,
      expiresAfterSeconds: IDEMPOTENCY_TTL_SECONDS,
      responseHook: (response) => {
        onDuplicate();
        return {
          ...(response as unknown as GuardResult),
          duplicate: true,
          notified: false,
        } as unknown as typeof response;
      },
    }),
  });
  return {
    ...middleware,
    /**
     * Powertools (2.35) deletes the event's record in `onError` even when its own `before` refused
     * this delivery (a duplicate of an event in progress): that deletes the claim of the invocation
     * still handling it, and the next duplicate runs the handler again (and notifies twice).
     * powertools-lambda-typescript#5675, fixed by #5676 in a release not out yet. A refused
     * delivery never acquired the record: its error leaves the record alone.
     */
    onError: async (request: Parameters<NonNullable<typeof middleware.onError>>[0]) => {
      const error = (request as { error?: unknown }).error;
      if (error instanceof IdempotencyAlreadyInProgressError || error instanceof IdempotencyValidationError)
        return;
      return middleware.onError?.(request);
    },
  };
}
