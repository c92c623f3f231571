import { getEventListeners } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetRoleCommand, IAMClient, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_SETTINGS, cachedCalls } from '../../functions/adapters/aws-clients.js';
import { DeadlinePassedError, explainAbort } from '../../functions/core/deadline.js';

/**
 * `cachedCalls` on the wire: a loopback HTTP server stands in for IAM (one that answers, one that
 * never answers, one that always throttles), so that what the SDK sends, and when it stops, is
 * seen where it happens. The emulator is not needed: these are the SDK's own mechanics.
 */
const ROLE = `<GetRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetRoleResult><Role><Path>/</Path><AssumeRolePolicyDocument>%7B%7D</AssumeRolePolicyDocument><MaxSessionDuration>3600</MaxSessionDuration><RoleId>AROAEXAMPLE</RoleId><RoleName>R</RoleName><Arn>arn:aws:iam::123456789012:role/R</Arn><CreateDate>2026-01-01T00:00:00Z</CreateDate></Role></GetRoleResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetRoleResponse>`;
const THROTTLED = `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>2</RequestId></ErrorResponse>`;

type Behaviour = 'answer' | 'hang' | 'throttle';
let behaviour: Behaviour = 'answer';
/** Every request the server received, and those whose connection the client closed unanswered. */
let received = 0;
let closedUnanswered = 0;
let server: Server;
let endpoint: string;

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    received++;
    req.resume();
    req.on('end', () => {
      if (behaviour === 'hang') {
        res.on('close', () => {
          if (!res.writableEnded) closedUnanswered++;
        });
        return;
      }
      const [status, body] = behaviour === 'throttle' ? [400, THROTTLED] : [200, ROLE];
      res.writeHead(status, {
        'content-type': 'text/xml',
        'content-length': Buffer.byteLength(body),
        // The SDK waits at least this long before its next attempt (a backoff longer than the test's
        // waits, so that only the guard's own middleware can end the caller's wait in time).
        ...(behaviour === 'throttle' ? { 'retry-after': '3' } : {}),
      });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const client = () =>
  new IAMClient({
    ...CLIENT_SETTINGS,
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'example' },
  });
const reset = (b: Behaviour) => {
  behaviour = b;
  received = 0;
  closedUnanswered = 0;
};
const deadlinePassed = () => new DeadlinePassedError("the invocation's deadline passed (test)");
const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('cachedCalls: the resolved middleware stack is reused, and each call still stops at its abort signal', () => {
  it('the production settings ask for the cache', () => {
    expect(CLIENT_SETTINGS.cacheMiddleware).toBe(true);
  });

  it('a call with an abort signal is answered as before, through a stack resolved once per command', async () => {
    reset('answer');
    const iam = cachedCalls(client());
    const signal = new AbortController().signal;
    const first = await iam.send(new GetRoleCommand({ RoleName: 'R' }), { abortSignal: signal });
    expect(first.Role?.RoleName).toBe('R');
    // A middleware added now is not in the stack cached by the first call: the second call,
    // sent with its signal, is served by that cached stack (without the cache it would run).
    let ranAfter = 0;
    iam.middlewareStack.add(
      (next) => (args) => {
        ranAfter++;
        return next(args);
      },
      { step: 'initialize', name: 'testAddedLate' },
    );
    const second = await iam.send(new GetRoleCommand({ RoleName: 'R' }), { abortSignal: signal });
    expect(second.Role?.Arn).toBe('arn:aws:iam::123456789012:role/R');
    expect(ranAfter).toBe(0);
    expect(received).toBe(2);
  });

  it('a hung request is aborted on the wire when its signal aborts, with the error explainAbort reads', async () => {
    reset('hang');
    const iam = cachedCalls(client());
    const controller = new AbortController();
    const reason = deadlinePassed();
    const call = iam.send(new GetRoleCommand({ RoleName: 'R' }), { abortSignal: controller.signal });
    await settle(100);
    expect(received).toBe(1);
    const aborted = Date.now();
    controller.abort(reason);
    const error = await call.then(
      () => undefined,
      (e: unknown) => e as Error & { cause?: unknown },
    );
    expect(Date.now() - aborted).toBeLessThan(1_000); // the request timeout is 10 s
    expect(error?.name).toBe('AbortError');
    expect(error?.cause).toBe(reason);
    expect(explainAbort(error, { signal: controller.signal, remainingMs: () => 0 })).toBe(reason);
    await settle(100);
    expect(closedUnanswered).toBe(1); // the connection was closed, not left waiting
  });

  it("each call in flight adds one listener to the caller's signal, and none is left after", async () => {
    reset('hang');
    const iam = cachedCalls(client());
    const controller = new AbortController();
    const calls = [1, 2, 3].map((i) =>
      iam
        .send(new GetRoleCommand({ RoleName: `R${i}` }), { abortSignal: controller.signal })
        .catch((e: Error) => e.name),
    );
    await settle(100);
    expect(received).toBe(3);
    // One each: an invocation's deadline is shared by every call in flight (its listener limit
    // counts on it: create-handler.ts, LISTENERS_PER_ACCOUNT).
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(3);
    controller.abort(deadlinePassed());
    expect(await Promise.all(calls)).toEqual(['AbortError', 'AbortError', 'AbortError']);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    await settle(100);
    expect(closedUnanswered).toBe(3);
  });

  it('an abort during the retries ends the call at once, and no attempt reaches the wire after it', async () => {
    reset('throttle');
    const iam = cachedCalls(client());
    // Attempts that got past the retry loop's own middleware (a wire log sits here, as in the benchmark).
    let attempts = 0;
    iam.middlewareStack.add(
      (next) => (args) => {
        attempts++;
        return next(args);
      },
      { step: 'finalizeRequest', name: 'testAttempts' },
    );
    const controller = new AbortController();
    const call = iam.send(new ListRolePoliciesCommand({ RoleName: 'R' }), { abortSignal: controller.signal });
    const settled = call.then(
      () => 'answered',
      (e: Error) => e.name,
    );
    // The first answer (throttled, Retry-After: 3) has come back and the SDK waits 3 s before its
    // next attempt when the signal aborts.
    await settle(100);
    expect(received).toBe(1);
    const aborted = Date.now();
    controller.abort(deadlinePassed());
    expect(await settled).toBe('AbortError');
    expect(Date.now() - aborted).toBeLessThan(100);
    await settle(3_500); // past the backoff the SDK's loop waits out in the background
    expect(received).toBe(1);
    expect(attempts).toBe(1); // the attempt after the backoff ended before it was signed
  });

  it('a signal aborted before the call sends nothing', async () => {
    reset('answer');
    const iam = cachedCalls(client());
    const controller = new AbortController();
    controller.abort(deadlinePassed());
    await expect(
      iam.send(new GetRoleCommand({ RoleName: 'R' }), { abortSignal: controller.signal }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(received).toBe(0);
  });

  it('a client that cached stacks before it was prepared gets them resolved again, with the abort', async () => {
    reset('answer');
    const iam = client();
    await iam.send(new GetRoleCommand({ RoleName: 'R' })); // cached without the abort's middlewares
    cachedCalls(iam);
    reset('hang');
    const controller = new AbortController();
    const call = iam.send(new GetRoleCommand({ RoleName: 'R' }), { abortSignal: controller.signal });
    await settle(100);
    controller.abort(deadlinePassed());
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    await settle(100);
    expect(closedUnanswered).toBe(1);
  });

  it("a send's request timeout applies to each attempt, through the cached stack", async () => {
    reset('hang');
    const iam = cachedCalls(client());
    const started = Date.now();
    const error = await iam
      .send(new GetRoleCommand({ RoleName: 'R' }), { requestTimeout: 200 } as never)
      .then(
        () => undefined,
        (e: Error) => e,
      );
    expect(error?.name).toBe('TimeoutError');
    // 5 attempts of 200 ms and their backoff; the client's own timeout is 10 s an attempt.
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(received).toBe(CLIENT_SETTINGS.maxAttempts);
  });

  it('options besides the abort signal and the request timeout go to the SDK, which resolves the stack', async () => {
    reset('answer');
    const iam = cachedCalls(client());
    await iam.send(new GetRoleCommand({ RoleName: 'R' }));
    let ranAfter = 0;
    iam.middlewareStack.add(
      (next) => (args) => {
        ranAfter++;
        return next(args);
      },
      { step: 'initialize', name: 'testAddedLate' },
    );
    const out = await iam.send(new GetRoleCommand({ RoleName: 'R' }), {
      abortSignal: new AbortController().signal,
      unknownOption: true,
    } as never);
    expect(out.Role?.RoleName).toBe('R');
    expect(ranAfter).toBe(1);
  });

  it('preparing twice changes nothing, and a client without the cache is left as it is', async () => {
    reset('answer');
    const iam = cachedCalls(cachedCalls(client()));
    const signal = new AbortController().signal;
    await iam.send(new GetRoleCommand({ RoleName: 'R' }), { abortSignal: signal });
    const plain = new IAMClient({
      region: 'us-east-1',
      endpoint,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'example' },
    });
    const send = plain.send;
    expect(cachedCalls(plain).send).toBe(send);
    expect(received).toBe(1);
  });
});
