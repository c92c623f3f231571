/**
 * The time kept, before the Lambda timeout, for telling on-call: the `failed` message (SNS
 * Publish to the topic, to the chat topic, PutEvents to the bus, all at once) and the log and
 * metrics flush. Each of those sends works to the Lambda timeout as well (`sendBudget`), so one
 * whose attempt hangs is given up in time for a second attempt. The work
 * gets the rest: 52 s of the 60 s function, 292 s of the 300 s central one.
 */
export const NOTIFICATION_RESERVE_MS = 8_000;

/** Of the time left when the message goes out, the part kept for flushing the log and the metrics. */
export const FLUSH_MARGIN_MS = 1_000;

/** The least time a send is given, even when the Lambda timeout is closer (it may still make it). */
export const MIN_SEND_MS = 250;

/** The time one channel of the message (the topic, the chat topic, the bus) may take. */
export interface SendBudget {
  /** Each of the delivery record's read (before the send) and write (after it). */
  readonly recordMs: number;
  /** The send, retries included: it is aborted after this long. */
  readonly sendMs: number;
  /** One attempt (the request timeout): a hung attempt is given up after this long, and retried. */
  readonly attemptMs: number;
}

/**
 * How one channel of a message spends the time to the Lambda timeout; `timeLeftMs` is the time
 * left now. The channels are sent at once, so each has all of it, less FLUSH_MARGIN_MS for the log
 * and metrics: an eighth each for reading and writing its delivery record (the idempotency table,
 * which only saves a retry from sending it twice), the rest for the send. Each attempt gets half
 * of the send's time (at most `maxAttemptMs`, the client's own request timeout): a first attempt
 * that hangs is given up with time left for a second. With the 8 s reserve: 0.875 s for each
 * record access, 5.25 s for the send, two attempts of 2.625 s.
 */
export function sendBudget(timeLeftMs: number, maxAttemptMs: number): SendBudget {
  const available = Math.max(0, timeLeftMs - FLUSH_MARGIN_MS);
  const recordMs = Math.max(1, Math.floor(available / 8));
  const sendMs = Math.max(MIN_SEND_MS, available - 2 * recordMs);
  return { recordMs, sendMs, attemptMs: Math.max(1, Math.min(maxAttemptMs, Math.floor(sendMs / 2))) };
}

/** The work of an invocation ran out of time; its message names what was interrupted. */
export class DeadlinePassedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DeadlinePassedError';
  }
}

/**
 * When the work of one invocation must stop. Every SDK call made under it gets `signal` and is
 * aborted when the deadline passes (the SDK then stops retrying too); waits end early.
 */
export interface Deadline {
  readonly signal: AbortSignal;
  /** Milliseconds of work time left (0 once passed). */
  remainingMs(): number;
}

/** A deadline `ms` from now, for the work before the reserved margin; `dispose` stops its timer. */
export function deadlineIn(ms: number, reserveMs: number): Deadline & { dispose(): void } {
  const controller = new AbortController();
  const budget = Math.max(0, ms);
  const at = Date.now() + budget;
  const passed = () =>
    controller.abort(
      new DeadlinePassedError(
        `the invocation's deadline passed: ${Math.round(budget / 100) / 10} s of work, ${reserveMs / 1000} s kept before the Lambda timeout to notify`,
      ),
    );
  const timer = setTimeout(passed, budget);
  timer.unref?.();
  return {
    signal: controller.signal,
    remainingMs: () => Math.max(0, at - Date.now()),
    dispose: () => clearTimeout(timer),
  };
}

/**
 * The error to report for a failure under a deadline: the deadline itself when the call was cut
 * short by it (the SDK's AbortError says only "Request aborted").
 */
export function explainAbort(error: unknown, deadline: Deadline | undefined): unknown {
  const reason = deadline?.signal.reason;
  return deadline?.signal.aborted && reason instanceof Error && (error as Error)?.name === 'AbortError'
    ? reason
    : error;
}

/**
 * Waits for an optional result until the deadline: when it passes first, `fallback` (the call
 * itself, given the same deadline's signal, is aborted by it).
 */
export async function untilDeadline<T>(
  work: Promise<T>,
  deadline: Deadline | undefined,
  fallback: T,
): Promise<T> {
  if (!deadline) return work;
  if (deadline.signal.aborted) return fallback;
  let onAbort: (() => void) | undefined;
  const passed = new Promise<T>((resolve) => {
    onAbort = () => resolve(fallback);
    deadline.signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, passed]);
  } finally {
    if (onAbort) deadline.signal.removeEventListener('abort', onAbort);
  }
}

/** Waits `ms`, or less when the deadline passes first: false when it did. */
export function pause(ms: number, deadline: Deadline | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    if (deadline?.signal.aborted) return resolve(false);
    const stop = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    function done(ok: boolean) {
      clearTimeout(timer);
      deadline?.signal.removeEventListener('abort', stop);
      resolve(ok);
    }
    deadline?.signal.addEventListener('abort', stop, { once: true });
  });
}
