import { describe, expect, it } from 'vitest';
import { alreadyReportedUnfixable } from '../../functions/core/unfixable-drift.js';

const NOW = new Date('2026-11-28T12:00:00Z');
const path = { kind: 'path' as const, property: 'path', before: '/x/', after: '/', remediable: false };
const skipped = { api: 'CreateRole' as const, status: 'skipped' as const, detail: 'path' };
const report = (
  createdAt: string | undefined,
  extra: Partial<Parameters<typeof alreadyReportedUnfixable>[0]> = {},
) => ({
  remaining: [path],
  actions: [skipped],
  ...(createdAt ? { roleCreatedAt: createdAt } : {}),
  ...extra,
});

describe('alreadyReportedUnfixable', () => {
  it('is false for the first sweep after the role was created (within a period and 10 minutes)', () => {
    expect(alreadyReportedUnfixable(report('2026-11-28T10:51:00Z'), NOW, 3600)).toBe(false);
  });

  it('is true for every later sweep', () => {
    expect(alreadyReportedUnfixable(report('2026-11-28T10:49:00Z'), NOW, 3600)).toBe(true);
  });

  it('is false when anything else drifted or was done, or the creation time is unknown', () => {
    const old = '2026-01-01T00:00:00Z';
    expect(
      alreadyReportedUnfixable(
        report(old, { remaining: [path, { ...path, kind: 'description', remediable: true }] }),
        NOW,
        3600,
      ),
    ).toBe(false);
    expect(
      alreadyReportedUnfixable(
        report(old, { actions: [skipped, { api: 'TagRole', status: 'succeeded' }] }),
        NOW,
        3600,
      ),
    ).toBe(false);
    expect(alreadyReportedUnfixable(report(undefined), NOW, 3600)).toBe(false);
    expect(alreadyReportedUnfixable(report(old, { remaining: [] }), NOW, 3600)).toBe(false);
  });
});
