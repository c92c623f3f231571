import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.js';
import { ConfigError } from '../../functions/core/errors.js';
import { actEntry, renderFollowUp, stormKey } from '../../functions/core/storm.js';
import { guardEnv } from '../support/config.js';

const ALICE = 'arn:aws:sts::123456789012:assumed-role/AdminRole/alice@example.com';
const entries = [
  actEntry({ time: '2026-11-28T04:00:09Z', eventName: 'DetachRolePolicy', eventId: 'e3' }),
  actEntry({ time: '2026-11-28T04:00:01Z', eventName: 'DetachRolePolicy', eventId: 'e1' }),
  actEntry({ time: '2026-11-28T04:00:05Z', eventName: 'DeleteRole', eventId: 'e2' }),
];

describe('renderFollowUp', () => {
  it('gives the exact count, first and last time, and the event names with their counts', () => {
    // Act
    const n = renderFollowUp(
      {
        key: stormKey('123456789012', 'AWSSupportRole', ALICE),
        account: '123456789012',
        roleName: 'AWSSupportRole',
        actorArn: ALICE,
        count: 3,
        firstTime: '2026-11-28T04:00:01Z',
        lastTime: '2026-11-28T04:00:09Z',
        eventNames: { DetachRolePolicy: 2, DeleteRole: 1 },
        entries,
      },
      new Date('2026-11-28T05:00:00Z'),
    );

    // Assess
    expect(n.subject).toBe(
      '[support-role-guard] REPEATED TAMPERING: 3 more by alice@example.com in 123456789012',
    );
    expect(n.detailType).toBe('Support Role Repeated Tampering');
    expect(n.document).toEqual({
      schemaVersion: '1.0',
      kind: 'repeated-tampering',
      summary: expect.stringContaining('made 3 more changes to the AWS Support role AWSSupportRole'),
      account: '123456789012',
      roleName: 'AWSSupportRole',
      actorArn: ALICE,
      count: 3,
      firstTime: '2026-11-28T04:00:01Z',
      lastTime: '2026-11-28T04:00:09Z',
      eventNames: { DetachRolePolicy: 2, DeleteRole: 1 },
      eventIds: ['e1', 'e2', 'e3'],
      time: '2026-11-28T05:00:00.000Z',
    });
    expect(n.text).toContain('  - DetachRolePolicy: 2\n  - DeleteRole: 1');
    expect(n.text).toContain('first at 2026-11-28T04:00:01Z, last at 2026-11-28T04:00:09Z');
  });

  it('keeps the detail bounded: the exact count, the kept event ids, and says how many more there were', () => {
    // Prepare: 5,000 acts folded; the ledger kept the first 100.
    const kept = Array.from({ length: 100 }, (_, i) =>
      actEntry({
        time: `2026-11-28T04:01:${String(i % 60).padStart(2, '0')}Z`,
        eventName: 'DetachRolePolicy',
        eventId: `e${i}`,
      }),
    );

    // Act
    const n = renderFollowUp(
      {
        key: stormKey('123456789012', 'AWSSupportRole', ALICE),
        account: '123456789012',
        roleName: 'AWSSupportRole',
        actorArn: ALICE,
        count: 5_000,
        firstTime: '2026-11-28T04:01:00Z',
        lastTime: '2026-11-28T04:05:59Z',
        eventNames: { DetachRolePolicy: 4_000, AttachRolePolicy: 1_000 },
        entries: kept,
      },
      new Date('2026-11-28T05:00:00Z'),
    );

    // Assess
    expect(n.document).toMatchObject({
      count: 5_000,
      firstTime: '2026-11-28T04:01:00Z',
      lastTime: '2026-11-28T04:05:59Z',
    });
    expect((n.document as { readonly eventIds: readonly string[] }).eventIds).toHaveLength(100);
    expect(n.text).toContain('CloudTrail event ids: 100 in the JSON document and 4900 more');
    expect(n.text).toContain('  - DetachRolePolicy: 4000\n  - AttachRolePolicy: 1000');
    expect(n.subject).toContain('5000 more');
  });

  it('keys the ledger by account, role (case-insensitively, as IAM) and actor', () => {
    expect(stormKey('123456789012', 'AWSSupportRole', ALICE)).toBe(
      stormKey('123456789012', 'awssupportrole', ALICE),
    );
    expect(stormKey('123456789012', 'AWSSupportRole', ALICE)).not.toBe(
      stormKey('210987654321', 'AWSSupportRole', ALICE),
    );
  });
});

describe('STORM_WINDOW_SECONDS', () => {
  it('defaults to 5 minutes, takes 0 to switch folding off', () => {
    expect(parseConfig(guardEnv()).stormWindowSeconds).toBe(300);
    expect(parseConfig(guardEnv({ STORM_WINDOW_SECONDS: '0' })).stormWindowSeconds).toBe(0);
  });

  it.each(['-1', '5m', '86401'])('refuses %s, naming the variable', (value) => {
    expect(() => parseConfig(guardEnv({ STORM_WINDOW_SECONDS: value }))).toThrow(ConfigError);
    expect(() => parseConfig(guardEnv({ STORM_WINDOW_SECONDS: value }))).toThrow(/STORM_WINDOW_SECONDS/);
  });
});
