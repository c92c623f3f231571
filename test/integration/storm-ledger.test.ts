import { describe, expect, it } from 'vitest';
import { DynamoDbStormLedger } from '../../functions/adapters/storm-ledger.js';
import type { Act } from '../../functions/core/storm.js';
import { idempotencyTable, uniqueName } from '../support/aws.js';

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
    expect((await ledger.due(at(401))).map((f) => f.entries.length)).toEqual([2]);
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

    expect(due.map((f) => [f.actorArn, f.entries.length])).toEqual([[ALICE, 1]]);
    expect(await ledger.due(at(62))).toEqual([]);
  });
});
