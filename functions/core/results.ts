import type { IamApi } from './plan.js';

/**
 * The plain data every layer above shares: what an event came to, what drifted, what was done.
 * Deciding (reconcile, guard-result) and rendering (notification) modules import these; this
 * module imports nothing that decides or renders.
 */
/**
 * `not-enrolled` (organization sweeps only): the account's remediation role cannot be assumed
 * because the member StackSet has not (yet) reached the account.
 */
export type Outcome = 'remediated' | 'compliant' | 'drift-detected' | 'ignored' | 'failed' | 'not-enrolled';

export interface DriftEntry {
  readonly property: string;
  readonly before: string | null;
  readonly after: string | null;
}

export type ActionStatus = 'succeeded' | 'failed' | 'planned' | 'superseded' | 'skipped';

/** What was done (or, in detect mode, would be done). */
export interface ActionResult {
  readonly api: IamApi;
  readonly status: ActionStatus;
  readonly detail?: string;
}
