import { describe, expect, it } from 'vitest';
import {
  DeadlinePassedError,
  deadlineIn,
  explainAbort,
  FLUSH_MARGIN_MS,
  MIN_SEND_MS,
  NOTIFICATION_RESERVE_MS,
  sendBudget,
  untilDeadline,
} from '../../functions/core/deadline.js';

const abortError = () => Object.assign(new Error('Request aborted'), { name: 'AbortError' });

describe('deadline', () => {
  it('aborts its signal with a reason that names the work time and the reserve', async () => {
    // Prepare
    const deadline = deadlineIn(0, 8_000);

    // Act
    await new Promise((resolve) => setTimeout(resolve, 5));

    // Assess
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.signal.reason).toBeInstanceOf(DeadlinePassedError);
    expect(String(deadline.signal.reason.message)).toMatch(/deadline passed: 0 s of work, 8 s kept/);
    expect(deadline.remainingMs()).toBe(0);
  });

  it('explains an aborted call by the deadline, and leaves any other error alone', () => {
    const passed = deadlineIn(0, 1_000);
    const running = deadlineIn(60_000, 1_000);
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });
    return new Promise<void>((resolve) =>
      setTimeout(() => {
        expect(explainAbort(abortError(), passed)).toBeInstanceOf(DeadlinePassedError);
        expect(explainAbort(throttled, passed)).toBe(throttled);
        expect(explainAbort(abortError(), running)).toMatchObject({ name: 'AbortError' });
        running.dispose();
        resolve();
      }, 5),
    );
  });

  it('waits for an optional result only until the deadline', async () => {
    // Prepare
    const deadline = deadlineIn(10, 1_000);
    const never = new Promise<string>(() => {});

    // Act
    const late = await untilDeadline(never, deadline, 'fallback');
    const afterwards = await untilDeadline(Promise.resolve('value'), deadline, 'fallback');
    const without = await untilDeadline(Promise.resolve('value'), undefined, 'fallback');

    // Assess
    expect(late).toBe('fallback');
    expect(afterwards).toBe('fallback');
    expect(without).toBe('value');
  });
});

describe("sendBudget: the reserve split between a channel's delivery record, its send and their attempts", () => {
  const REQUEST_TIMEOUT = 10_000;

  it('in the 8 s reserve: an eighth for each record access, the rest for the send, two attempts', () => {
    const budget = sendBudget(NOTIFICATION_RESERVE_MS, REQUEST_TIMEOUT);
    expect(budget).toEqual({ recordMs: 875, sendMs: 5_250, attemptMs: 2_625 });
    expect(2 * budget.recordMs + budget.sendMs + FLUSH_MARGIN_MS).toBe(NOTIFICATION_RESERVE_MS);
  });

  it('never gives an attempt more than the client request timeout, nor a send less than the minimum', () => {
    expect(sendBudget(60_000, REQUEST_TIMEOUT)).toMatchObject({ sendMs: 44_250, attemptMs: REQUEST_TIMEOUT });
    expect(sendBudget(0, REQUEST_TIMEOUT)).toMatchObject({ sendMs: MIN_SEND_MS, attemptMs: MIN_SEND_MS / 2 });
  });

  it('fits a hung first attempt, its retry and both record accesses inside the time left, for any reserve of at least 2 s', () => {
    for (let reserve = 2_000; reserve <= 300_000; reserve += 1_000) {
      const { recordMs, sendMs, attemptMs } = sendBudget(reserve, REQUEST_TIMEOUT);
      expect(attemptMs * 2).toBeLessThanOrEqual(sendMs);
      expect(reserve - 2 * recordMs - sendMs).toBeGreaterThanOrEqual(FLUSH_MARGIN_MS);
    }
  });
});
