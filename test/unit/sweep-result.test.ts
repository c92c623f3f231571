import { describe, expect, it } from 'vitest';
import {
  type AccountResult,
  SWEEP_RESULT_MAX_ACCOUNTS,
  SWEEP_RESULT_MAX_BYTES,
  sweepResult,
} from '../../functions/core/handle-org-event.js';
import { utf8Bytes } from '../../functions/core/message-budget.js';

/** 3 UTF-8 bytes per UTF-16 unit, quotes and backslashes (2 bytes in JSON), control characters (6). */
const HOSTILE = '漢"\\\u0001テ\n';
const hostile = (length: number) => HOSTILE.repeat(Math.ceil(length / HOSTILE.length)).slice(0, length);

/** An account with the worst drift an attacker can cause (50 tags, inline policies, trust) and a long reason. */
const WORST_DRIFT = [
  { property: 'trustPolicy', before: hostile(2048), after: hostile(2048) },
  ...Array.from({ length: 50 }, (_, t) => ({
    property: `tag:${hostile(128)}${t}`,
    before: null,
    after: hostile(256),
  })),
  { property: 'inlinePolicies', before: hostile(10_240), after: null },
];
const WORST_REASON = hostile(5000);
const WORST_ACTIONS: AccountResult['actions'] = [
  { api: 'UpdateAssumeRolePolicy', status: 'failed', detail: hostile(2000) },
];

function worstAccount(i: number, outcome: AccountResult['outcome']): AccountResult {
  return {
    account: String(100_000_000_000 + i),
    outcome,
    drift: WORST_DRIFT,
    actions: WORST_ACTIONS,
    reason: `${i} ${WORST_REASON}`,
  };
}

describe('a sweep result is bounded (it is the idempotency record, one DynamoDB item of at most 400 KB)', () => {
  for (const accounts of [1, 100, 1_000, 5_000]) {
    it(`${accounts} accounts with worst-case drift and reasons: under ${SWEEP_RESULT_MAX_BYTES} bytes, every account counted`, () => {
      // Prepare: half failed, a quarter not enrolled, the rest remediated.
      const results = Array.from({ length: accounts }, (_, i) =>
        worstAccount(i, i % 2 === 0 ? 'failed' : i % 4 === 1 ? 'not-enrolled' : 'remediated'),
      );

      // Act
      const bounded = sweepResult(results, accounts);

      // Assess
      expect(utf8Bytes(JSON.stringify(bounded))).toBeLessThanOrEqual(SWEEP_RESULT_MAX_BYTES);
      const { counts, total, omitted } = bounded.sweep;
      expect(total).toBe(accounts);
      expect(counts.failed + counts['not-enrolled'] + counts.remediated).toBe(accounts);
      expect(bounded.accounts.length + omitted).toBe(accounts);
      expect(bounded.accounts.length).toBeLessThanOrEqual(SWEEP_RESULT_MAX_ACCOUNTS);
      expect(bounded.accounts.length).toBeGreaterThan(0);
      // The worst first: failed accounts lead, in account order.
      expect(bounded.accounts[0]).toMatchObject({ account: '100000000000', outcome: 'failed' });
      expect(bounded.accounts.every((a) => !('drift' in a) && !('actions' in a))).toBe(true);
    });
  }

  it('5,000 compliant accounts: counted, the first 100 named', () => {
    const results = Array.from({ length: 5_000 }, (_, i) => ({
      account: String(100_000_000_000 + i),
      outcome: 'compliant' as const,
      drift: [],
      actions: [],
    }));
    const bounded = sweepResult(results, 0);
    expect(bounded.sweep).toMatchObject({
      total: 5_000,
      attention: 0,
      omitted: 4_900,
      counts: { compliant: 5_000 },
    });
    expect(utf8Bytes(JSON.stringify(bounded))).toBeLessThan(SWEEP_RESULT_MAX_BYTES);
  });
});
