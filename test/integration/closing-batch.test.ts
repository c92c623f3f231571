import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  ClosingPersistenceLayer,
  IDEMPOTENCY_KEY_PATH,
  IDEMPOTENCY_TTL_SECONDS,
} from '../../functions/adapters/idempotency.js';
import { idempotencyTable, uniqueName } from '../support/aws.js';

/**
 * The completed record the closing batch puts whole must be the item Powertools' own UpdateItem
 * leaves (but for the in-progress expiry): the layer copies Powertools' item layout, so a
 * Powertools upgrade that changes it must fail here, not drop an attribute in production.
 */
describe('the closing batch writes the record Powertools would', () => {
  it('same attributes and values as the UpdateItem of the same result, the in-progress expiry aside; the closing item written too', async () => {
    // Prepare: one table, Powertools' layer and the guard's, configured alike.
    const table = uniqueName('closing');
    const dynamodb = await idempotencyTable(table);
    const config = new IdempotencyConfig({
      eventKeyJmesPath: IDEMPOTENCY_KEY_PATH,
      expiresAfterSeconds: IDEMPOTENCY_TTL_SECONDS,
    });
    const closingItem = { id: { S: `delivery#${uniqueName('evt')}#topic` }, expiration: { N: '1' } };
    const given: number[][] = [];
    const ours = new ClosingPersistenceLayer(table, dynamodb, {
      take: () => ({ items: [closingItem], giveBack: (unwritten) => given.push([...unwritten]) }),
    });
    const theirs = new DynamoDBPersistenceLayer({ tableName: table, awsSdkV3Client: dynamodb });
    ours.configure({ config, functionName: 'guard' });
    theirs.configure({ config, functionName: 'guard' });
    const result = {
      outcome: 'remediated',
      drift: [{ property: 'attached policies', before: '[]', after: '["AWSSupportAccess"]' }],
      actions: [{ api: 'AttachRolePolicy', status: 'succeeded', detail: 'attach AWSSupportAccess' }],
      notified: true,
    };
    const ourEvent = { detail: { eventID: uniqueName('evt') } };
    const theirEvent = { detail: { eventID: uniqueName('evt') } };

    // Act: claim, then complete, each event through its layer.
    await ours.saveInProgress(ourEvent, 60_000);
    await theirs.saveInProgress(theirEvent, 60_000);
    await ours.saveSuccess(ourEvent, result);
    await theirs.saveSuccess(theirEvent, result);

    // Assess: the items, key and expiry aside, are the same; the expiry is the TTL from now in
    // both; the closing item is in the table; nothing was given back; Powertools reads ours back.
    const item = async (id: string | undefined) =>
      (await dynamodb.send(new GetItemCommand({ TableName: table, Key: { id: { S: id ?? '' } } }))).Item ??
      {};
    const keyOf = (event: unknown) =>
      (ours as unknown as { getHashedIdempotencyKey(d: unknown): string }).getHashedIdempotencyKey(event);
    const ourItem = await item(keyOf(ourEvent));
    // Both layers are configured alike, so either computes the other's key.
    const theirItem = await item(keyOf(theirEvent));
    const { id: _a, expiration: ourExpiry, ...ourRest } = ourItem;
    const { id: _b, expiration: theirExpiry, in_progress_expiration: inProgress, ...theirRest } = theirItem;
    expect(inProgress?.N).toBeDefined();
    expect(ourRest).toEqual(theirRest);
    expect(Object.keys(ourRest).sort()).toEqual(['data', 'status']);
    expect(Math.abs(Number(ourExpiry?.N) - Number(theirExpiry?.N))).toBeLessThanOrEqual(2);
    expect((await item(closingItem.id.S)).id?.S).toBe(closingItem.id.S);
    expect(given).toEqual([]);
    const read = await ours.getRecord(ourEvent);
    expect(read.getStatus()).toBe('COMPLETED');
    expect(read.getResponse()).toEqual(result);
  });
});
