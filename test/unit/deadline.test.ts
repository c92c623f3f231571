import { describe, expect, it } from 'vitest';
import {
  DeadlinePassedError,
  deadlineIn,
  explainAbort,
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
