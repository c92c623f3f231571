import type { ReconcileReport } from './reconcile.js';

/** Slack after one sweep period: the schedule's own jitter, and a sweep that ran late. */
const MARGIN_SECONDS = 600;

/**
 * A role whose path differs from desired cannot be fixed in place (IAM cannot change a path), so
 * every sweep would find it again. It is reported once per change: the path changes only with a
 * new role, so the change is the role's creation. The CreateRole event reports it at once; the
 * first sweep after the creation reports it again (in case that event was lost); later sweeps
 * only log it. True when this sweep's finding is one of those later ones.
 */
export function alreadyReportedUnfixable(
  report: Pick<ReconcileReport, 'remaining' | 'actions' | 'roleCreatedAt'>,
  now: Date,
  sweepPeriodSeconds: number,
): boolean {
  if (report.remaining.length === 0 || report.remaining.some((d) => d.remediable)) return false;
  if (report.actions.some((a) => a.status !== 'skipped')) return false;
  const created = report.roleCreatedAt === undefined ? Number.NaN : Date.parse(report.roleCreatedAt);
  if (Number.isNaN(created)) return false; // unknown: say it, rather than stay silent
  return now.getTime() - created > (sweepPeriodSeconds + MARGIN_SECONDS) * 1000;
}
