import type { GuardMode } from './config.js';
import type { ReconcileReport } from './reconcile.js';
import type { ActionResult, DriftEntry, Outcome } from './results.js';

export type { DriftEntry, Outcome } from './results.js';

/** What the handler returns (and the CLI prints) for one event. */
export interface GuardResult {
  readonly outcome: Outcome;
  readonly reason?: string;
  readonly eventId?: string;
  readonly drift: readonly DriftEntry[];
  readonly actions: readonly ActionResult[];
  /** Whether a notification was published for this event (by this invocation). */
  readonly notified: boolean;
  /**
   * A repeat by the same actor within the storm window: handled and logged, its message folded
   * into the follow-up sent when the window closes (docs/runbook.md, "REPEATED TAMPERING").
   */
  readonly folded?: boolean;
  /** A repeated delivery of an event already handled: the first result, nothing done again. */
  readonly duplicate?: boolean;
}

/** Thrown after a `failed` outcome was notified, so Lambda retries; carries the result. */
export class GuardFailure extends Error {
  readonly result: GuardResult;

  constructor(result: GuardResult, options?: ErrorOptions) {
    super(result.reason ?? 'remediation failed', options);
    this.name = 'GuardFailure';
    this.result = result;
  }
}

/** The outcome of a reconcile: failed beats everything; nothing to fix is compliant. */
export function outcomeOf(report: ReconcileReport, mode: GuardMode): Outcome {
  if (report.error) return 'failed';
  if (report.drift.length === 0) return 'compliant';
  if (mode === 'detect') return 'drift-detected';
  if (report.remaining.length > 0) return 'drift-detected';
  return 'remediated';
}
