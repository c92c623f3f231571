import { randomUUID } from 'node:crypto';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';

/** A Lambda context whose remaining time counts down from `timeoutMs` (60 s, the guard's timeout). */
export function lambdaContext(timeoutMs = 60_000): Context {
  const started = Date.now();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'support-role-guard-test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:support-role-guard-test',
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/support-role-guard-test',
    logStreamName: 'test',
    getRemainingTimeInMillis: () => Math.max(0, timeoutMs - (Date.now() - started)),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/**
 * Lambda's timeout, simulated: `invoke` runs the handler with a context that counts down from the
 * timeout; when it passes, the invocation ends as `timed-out` and the sandbox is frozen, so nothing
 * a client registered with `freezes` sends afterwards leaves it (as in Lambda, where a timed-out
 * function sends nothing more).
 */
export class SimulatedTimeout {
  #frozen = false;

  /** Requests this client sends after the timeout fail before reaching the wire. */
  freezes<C extends SNSClient | EventBridgeClient>(client: C): C {
    (client as SNSClient).middlewareStack.add(
      (next) => async (args) => {
        if (this.#frozen) throw new Error('the invocation timed out: the sandbox is frozen');
        return next(args);
      },
      { step: 'finalizeRequest', name: 'simulatedLambdaTimeout', priority: 'high' },
    );
    return client;
  }

  async invoke<R>(
    handler: (event: unknown, context: Context) => Promise<R>,
    event: unknown,
    timeoutMs: number,
  ): Promise<{ kind: 'returned'; value: R } | { kind: 'threw'; error: unknown } | { kind: 'timed-out' }> {
    this.#frozen = false;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<{ kind: 'timed-out' }>((resolve) => {
      timer = setTimeout(() => {
        this.#frozen = true;
        resolve({ kind: 'timed-out' });
      }, timeoutMs);
    });
    const run = handler(event, lambdaContext(timeoutMs)).then(
      (value) => ({ kind: 'returned' as const, value }),
      (error: unknown) => ({ kind: 'threw' as const, error }),
    );
    try {
      return await Promise.race([run, timedOut]);
    } finally {
      clearTimeout(timer);
      this.#frozen = true;
    }
  }
}
