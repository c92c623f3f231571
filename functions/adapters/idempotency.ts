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
/**
 * Base waits before sending again what DynamoDB left unprocessed in the closing batch, each
 * jittered (x 0.5-1.5); after them, what is left is written its own way.
 */
const UNPROCESSED_BACKOFF_MS = [50, 150];

/**
 * Items the invocation still has to write when its idempotency record is completed (the delivery
 * records of its messages): taken by the completion, which writes them in its own request.
 */
export interface ClosingWrites {
  take(max: number): {
    /** Up to `max` items, taken: no one else writes them unless given back. */
    readonly items: readonly Record<string, AttributeValue>[];
    /** When the batch must give up (the records' share of the time left before the Lambda timeout). */
    readonly signal?: AbortSignal;
    /** The items (their indexes in `items`) not known to be written: written their own way, now. */
    giveBack(unwritten: readonly number[]): void;
  };
}

/**
 * Powertools' DynamoDB layer, whose completion of the record (the handler's result, after the
 * message went out) also writes the invocation's closing items: one BatchWriteItem instead of the
 * completion's UpdateItem and a PutItem per delivery record sent alongside it. The completed
 * record is put whole (key, expiry, status, result), as the UpdateItem would leave it but for the
 * in-progress expiry, which Powertools reads only on a record in progress
 * (test/integration/closing-batch.test.ts compares the two items). BatchWriteItem is not atomic:
 * what DynamoDB leaves unprocessed is sent again (twice, jittered); the batch gives up at the
 * records' time share. Then what is not known to be written goes its own way: the records given
 * back (each its own PutItem), the completion Powertools' own UpdateItem; the fallback is logged.
 */
export class ClosingPersistenceLayer extends DynamoDBPersistenceLayer {
  constructor(
    private readonly table: string,
    private readonly dynamodb: DynamoDBClient,
    private readonly closing: ClosingWrites,
    private readonly log: (message: string, fields: Record<string, unknown>) => void = () => {},
  ) {
    super({ tableName: table, awsSdkV3Client: dynamodb, ...RECORD_ATTRIBUTES });
  }

  protected override async _updateRecord(record: IdempotencyRecord): Promise<void> {
    if (this.isPayloadValidationEnabled()) return super._updateRecord(record);
    let completed: Record<string, AttributeValue>;
    try {
      completed = this.#completed(record);
    } catch {
      return super._updateRecord(record); // nothing taken: Powertools' own path says what is wrong
    }
    const taken = this.closing.take(CLOSING_ITEMS_MAX);
    if (taken.items.length === 0) return super._updateRecord(record);
    // An item by its primary key (the table's hash key: the layer uses no sort key).
    const keyOf = (item: Record<string, AttributeValue> | undefined) =>
      JSON.stringify(item?.[RECORD_ATTRIBUTES.keyAttr] ?? null);
    // Not yet known to be written: the request's items (a key twice is DynamoDB's ValidationException).
    let pending: WriteRequest[] = [completed, ...taken.items].map((Item) => ({ PutRequest: { Item } }));
    const isPending = (item: Record<string, AttributeValue>) =>
      pending.some((r) => keyOf(r.PutRequest?.Item) === keyOf(item));
    let failure: unknown;
    try {
      for (let attempt = 0; ; attempt++) {
        const out = await this.dynamodb.send(
          new BatchWriteItemCommand({ RequestItems: { [this.table]: pending } }),
          taken.signal ? { abortSignal: taken.signal } : {},
        );
        pending = out.UnprocessedItems?.[this.table] ?? [];
        if (pending.length === 0) return;
        const base = UNPROCESSED_BACKOFF_MS[attempt];
        if (base === undefined || taken.signal?.aborted) break;
        await new Promise((resolve) => setTimeout(resolve, base * (0.5 + Math.random())));
      }
    } catch (error) {
      failure = error;
    }
    this.log('the closing batch did not write everything; the rest is written its own way', {
      unprocessed: pending.length,
      ...(failure ? { error: failure instanceof Error ? failure.message : String(failure) } : {}),
    });
    taken.giveBack(taken.items.flatMap((item, i) => (isPending(item) ? [i] : [])));
    if (isPending(completed)) return super._updateRecord(record);
  }

  /** The completed record as Powertools' UpdateItem leaves it (but for the in-progress expiry). */
  #completed(record: IdempotencyRecord): Record<string, AttributeValue> {
    return {
      ...this.getKey(record.idempotencyKey),
      ...marshall({
        [RECORD_ATTRIBUTES.expiryAttr]: record.expiryTimestamp,
        [RECORD_ATTRIBUTES.statusAttr]: record.getStatus(),
        ...(record.responseData !== undefined ? { [RECORD_ATTRIBUTES.dataAttr]: record.responseData } : {}),
      }),
    };
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
  log?: (message: string, fields: Record<string, unknown>) => void,
) {
  const middleware = makeHandlerIdempotent({
    persistenceStore: closing
      ? new ClosingPersistenceLayer(tableName, client, closing, log)
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
