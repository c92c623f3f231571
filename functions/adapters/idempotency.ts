import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyValidationError,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { makeHandlerIdempotent } from '@aws-lambda-powertools/idempotency/middleware';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
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

/**
 * Exactly one handling (and so one notification) per event: the first invocation runs and its
 * result is stored; a repeated delivery gets that result back, marked `duplicate`, without any
 * IAM write or message (the handler's reads, begun alongside the claim, are dropped). A failed
 * invocation leaves no record, so Lambda's retry runs again.
 */
export function idempotency(tableName: string, client: DynamoDBClient, onDuplicate: () => void = () => {}) {
  const middleware = makeHandlerIdempotent({
    persistenceStore: new DynamoDBPersistenceLayer({ tableName, awsSdkV3Client: client }),
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
