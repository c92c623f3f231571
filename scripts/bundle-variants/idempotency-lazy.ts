/**
 * `npm run bench:bundle`'s lazy-loading variant of functions/adapters/idempotency.ts: the same
 * middleware, but Powertools' idempotency layer (its DynamoDB persistence layer and the JMESPath
 * engine of the key) is imported on the first invocation instead of at cold start (the handler
 * imports only `idempotency` from it). Measured, not
 * deployed: docs/benchmarks.md, "Bundle and import time, technique by technique", says why.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { MiddlewareObj, Request } from '@middy/core';

export function idempotency(
  tableName: string,
  client: DynamoDBClient,
  onDuplicate: () => void = () => {},
): MiddlewareObj {
  let inner: Promise<MiddlewareObj> | undefined;
  const load = () => {
    inner ??= import('../../functions/adapters/idempotency.js').then((m) =>
      m.idempotency(tableName, client, onDuplicate),
    );
    return inner;
  };
  return {
    before: async (request: Request) => (await load()).before?.(request),
    after: async (request: Request) => (await load()).after?.(request),
    onError: async (request: Request) => (await load()).onError?.(request),
  };
}
