import { randomUUID } from 'node:crypto';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoDbStormLedger } from '../../functions/adapters/storm-ledger.js';
import type { Act } from '../../functions/core/storm.js';
import { idempotencyTable, settings, uniqueName } from '../support/aws.js';
import { DYNAMODB_ITEM_MAX_BYTES, dynamoDbItemBytes } from '../support/dynamodb-size.js';

const ALICE = 'arn:aws:sts::123456789012:assumed-role/AdminRole/alice@example.com';
const act = (eventId: string, actorArn = ALICE): Act => ({
  account: '123456789012',
  roleName: 'AWSSupportRole',
  actorArn,
  eventId,
  eventName: 'DetachRolePolicy',
  time: `2026-11-28T04:00:0${eventId.slice(-1)}Z`,
});
const at = (seconds: number) => new Date(Date.parse('2026-11-28T04:00:00Z') + seconds * 1000);

describe('the storm ledger in the idempotency table', () => {
  it('folds repeats once each, re-admits a retried first act, and hands over closed windows exactly', async () => {
    // Prepare
    const table = uniqueName('storm-ledger');
    const ledger = new DynamoDbStormLedger(await idempotencyTable(table), table);

    // Act
    const first = await ledger.admit(act('e1'), at(0), 300);
    const retriedFirst = await ledger.admit(act('e1'), at(1), 300);
    const second = await ledger.admit(act('e2'), at(2), 300);
    const duplicate = await ledger.admit(act('e2'), at(3), 300);
    const third = await ledger.admit(act('e3'), at(4), 300);
    const otherActor = await ledger.admit(act('e4', 'arn:aws:iam::123456789012:user/bob'), at(5), 300);
    const notYet = await ledger.due(at(200));
    const afterWindow = await ledger.admit(act('e5'), at(400), 300);

    // Assess
    expect(first).toEqual({ kind: 'first', followUps: [] });
    expect(retriedFirst).toEqual({ kind: 'first', followUps: [] });
    expect(second).toEqual({ kind: 'folded', count: 1 });
    expect(duplicate).toEqual({ kind: 'folded', count: 1 });
    expect(third).toEqual({ kind: 'folded', count: 2 });
    expect(otherActor).toEqual({ kind: 'first', followUps: [] });
    expect(notYet).toEqual([]);
    expect(afterWindow.kind).toBe('first');
    const followUps = afterWindow.kind === 'first' ? afterWindow.followUps : [];
    expect(followUps).toHaveLength(1);
    expect(followUps[0]?.entries).toEqual(
      expect.arrayContaining([
        '2026-11-28T04:00:02Z|DetachRolePolicy|e2',
        '2026-11-28T04:00:03Z|DetachRolePolicy|e3',
      ]),
    );
    expect(followUps[0]?.entries).toHaveLength(2);

    // Not yet settled (the publish could have failed): the sweep still finds it; once settled, never again.
    expect(followUps[0]).toMatchObject({
      count: 2,
      firstTime: '2026-11-28T04:00:02Z',
      lastTime: '2026-11-28T04:00:03Z',
      eventNames: { DetachRolePolicy: 2 },
    });
    expect((await ledger.due(at(401))).map((f) => f.count)).toEqual([2]);
    if (followUps[0]) await ledger.settle(followUps[0]);
    expect(await ledger.due(at(402))).toEqual([]);
  });

  it('lets the sweep close a window nobody reopened, and send it once', async () => {
    const table = uniqueName('storm-ledger');
    const ledger = new DynamoDbStormLedger(await idempotencyTable(table), table);
    await ledger.admit(act('e1'), at(0), 60);
    await ledger.admit(act('e2'), at(1), 60);

    const due = await ledger.due(at(61));
    for (const f of due) await ledger.settle(f);

    expect(due.map((f) => [f.actorArn, f.count])).toEqual([[ALICE, 1]]);
    expect(await ledger.due(at(62))).toEqual([]);
  });

  it("names the open window's opener (the incident's thread) without folding anything", async () => {
    // Prepare
    const table = uniqueName('storm-ledger');
    const ledger = new DynamoDbStormLedger(await idempotencyTable(table), table);
    const bob = 'arn:aws:iam::123456789012:user/bob';
    const open = (seconds: number, actor = ALICE) =>
      ledger.openWindow('123456789012', 'AWSSupportRole', actor, at(seconds));

    // Act
    const before = await open(0);
    await ledger.admit(act('e1'), at(0), 300);
    await ledger.admit(act('e2'), at(1), 300);
    const during = [await open(2), await open(3)];
    const otherActor = await open(4, bob);
    const otherRole = await ledger.openWindow('123456789012', 'OtherRole', ALICE, at(4));
    const third = await ledger.admit(act('e3'), at(5), 300);
    const closed = await open(300);
    const due = await ledger.due(at(301));

    // Assess
    expect(before).toBeUndefined();
    expect(during).toEqual(['e1', 'e1']);
    expect(otherActor).toBeUndefined();
    expect(otherRole).toBeUndefined();
    // Reading counted nothing: the window holds exactly the two folded acts.
    expect(third).toEqual({ kind: 'folded', count: 2 });
    expect(closed).toBeUndefined();
    expect(due.map((f) => [f.opener, f.count])).toEqual([['e1', 2]]);
  });
});

/** The largest DynamoDB answer on the wire (its Content-Length), from the client's middleware. */
function largestAnswer(client: DynamoDBClient): () => number {
  let largest = 0;
  client.middlewareStack.add(
    (next) => async (args) => {
      const out = await next(args);
      const headers = (out.response as { headers?: Record<string, string> }).headers ?? {};
      largest = Math.max(largest, Number(headers['content-length'] ?? 0));
      return out;
    },
    { step: 'deserialize', name: 'measureAnswers' },
  );
  return () => largest;
}

/** Every storm item in the table, with its size as DynamoDB counts it. */
async function stormItemSizes(client: DynamoDBClient, table: string): Promise<number[]> {
  const sizes: number[] = [];
  let start: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: table, ...(start ? { ExclusiveStartKey: start } : {}) }),
    );
    for (const item of page.Items ?? [])
      if (item.id?.S?.startsWith('storm')) sizes.push(dynamoDbItemBytes(item));
    start = page.LastEvaluatedKey;
  } while (start);
  return sizes;
}

/** A burst's acts by one actor: CloudTrail-shaped ids (UUIDs), 100 ms apart. */
const burst = (count: number): Act[] =>
  Array.from({ length: count }, (_, i) => ({
    account: '123456789012',
    roleName: 'AWSSupportRole',
    actorArn: ALICE,
    eventId: randomUUID(),
    eventName: i % 2 === 0 ? 'DetachRolePolicy' : 'AttachRolePolicy',
    time: new Date(Date.parse('2026-11-28T04:00:00Z') + 1_000 + i * 100).toISOString(),
  }));

/** Admits every delivery, `workers` at a time (concurrent invocations). */
async function admitAll(ledger: DynamoDbStormLedger, deliveries: Act[], workers: number, window: number) {
  const queue = [...deliveries];
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (let a = queue.shift(); a; a = queue.shift()) await ledger.admit(a, at(1), window);
    }),
  );
}

describe('the storm ledger in a long burst', () => {
  it('stops growing once the kept detail is full: every item under 400 KB and every answer small, however long the burst', async () => {
    // Prepare
    const table = uniqueName('storm-ledger');
    const client = await idempotencyTable(table);
    const largest = largestAnswer(client);
    const reader = new DynamoDBClient(settings()); // the test's own reads, not measured
    const ledger = new DynamoDbStormLedger(client, table);
    const acts = burst(241);

    // Act: the first act opens a one-hour window; 240 repeats are folded into it. The ledger's
    // item is measured after 120 repeats (past the ~100 entries of detail it keeps) and after 240.
    await ledger.admit(acts[0] as Act, at(0), 3_600);
    await admitAll(ledger, acts.slice(1, 121), 4, 3_600);
    const after120 = Math.max(...(await stormItemSizes(reader, table)));
    await admitAll(ledger, acts.slice(121), 4, 3_600);
    const after240 = Math.max(...(await stormItemSizes(reader, table)));
    const answers = largest();
    const due = await ledger.due(at(3_601));

    // Assess, as DynamoDB counts the size (moto does not refuse an in-place ADD past the limit):
    // the item does not grow with the acts (the count's digits aside), so no burst reaches 400 KB.
    expect(after240 - after120).toBeLessThanOrEqual(2);
    expect(after240).toBeLessThan(DYNAMODB_ITEM_MAX_BYTES / 10);
    expect(answers).toBeLessThan(32 * 1024);
    expect(due).toHaveLength(1);
    expect(due[0]).toMatchObject({
      count: 240,
      firstTime: acts[1]?.time,
      lastTime: acts[240]?.time,
      eventNames: { AttachRolePolicy: 120, DetachRolePolicy: 120 },
    });
    expect(due[0]?.entries.length).toBeLessThanOrEqual(100);
  }, 300_000);

  it('counts exactly with every act delivered twice and 8 concurrent invocations, and settles exactly once', async () => {
    // Prepare
    const table = uniqueName('storm-ledger');
    const ledger = new DynamoDbStormLedger(await idempotencyTable(table), table);
    const acts = burst(121);
    const deliveries = acts.slice(1).flatMap((a) => [a, { ...a }]);
    for (let i = deliveries.length - 1; i > 0; i--) {
      const j = (i * 7919) % (i + 1); // a fixed shuffle: redeliveries arrive out of order
      [deliveries[i], deliveries[j]] = [deliveries[j] as Act, deliveries[i] as Act];
    }

    // Act
    await ledger.admit(acts[0] as Act, at(0), 300);
    await admitAll(ledger, deliveries, 8, 300);
    const due = await ledger.due(at(301));
    for (const f of due) await ledger.settle(f);
    await ledger.settle(due[0] as (typeof due)[number]); // settled twice (a retried flush): nothing more goes

    // Assess
    expect(due.map((f) => f.count)).toEqual([120]);
    expect(due[0]).toMatchObject({ firstTime: acts[1]?.time, lastTime: acts[120]?.time });
    expect(await ledger.due(at(302))).toEqual([]);
  }, 300_000);
});
