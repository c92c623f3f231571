/**
 * A loopback HTTP proxy for the benchmarks that holds each request back by its service's latency
 * before forwarding it to the emulator, counting calls per service and the peak of requests in
 * flight. The latency models the network and service time of a real AWS call made from Lambda.
 */
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

/**
 * Per-call latency, by the service name in the request's SigV4 scope. IAM's control plane is served
 * from us-east-1 and answers in tens of milliseconds from inside AWS, more under load; STS and SNS
 * are regional and faster; DynamoDB answers in single-digit milliseconds. Round numbers on the slow
 * side of what SDK traces show from Lambda, so the figures are not optimistic for the guard.
 */
export const LATENCY_MS: Readonly<Record<string, number>> = {
  iam: 60,
  sts: 40,
  sns: 30,
  events: 30,
  dynamodb: 10,
};

export interface LatencyProxy {
  readonly endpoint: string;
  readonly stats: {
    byService: Record<string, number>;
    /** Calls by `service:Action` (the Query protocol's Action, or the JSON protocol's X-Amz-Target). */
    byAction: Record<string, number>;
    inFlight: number;
    peak: number;
  };
  reset(): void;
  close(): Promise<void>;
}

/**
 * How the latency applies:
 * - `add`: the request waits its latency, then goes to the emulator; the emulator's own time comes
 *   on top (conservative: on a loaded machine the emulator's time is counted in every call).
 * - `floor`: the request goes to the emulator at once and its answer is held until the latency has
 *   passed since the request arrived, so each call lasts its latency, or the emulator's time when
 *   that is longer. This is how a real call behaves: the service's work is inside its latency. It
 *   also keeps an artefact of the emulator out of the comparison: one Python process answers
 *   concurrent requests one after another, which real AWS does not.
 */
export type LatencyMode = 'add' | 'floor';

export interface WireRequest {
  readonly service: string;
  readonly action: string;
  readonly body: string;
}

export interface WireAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

/**
 * Behaviour the emulator lacks, served on the wire: answers a request itself, or rewrites the
 * emulator's answer (`forward` sends the request on), or returns undefined to pass it through.
 * The request's latency applies either way.
 */
export type WireHandler = (
  request: WireRequest,
  forward: () => Promise<WireAnswer>,
) => Promise<WireAnswer> | undefined;

/** The call's operation: the Query protocol's Action (IAM, STS, CloudFormation) or the JSON protocol's X-Amz-Target. */
function actionOf(headers: IncomingMessage['headers'], body: string): string {
  const target = headers['x-amz-target'];
  if (typeof target === 'string') return target.slice(target.lastIndexOf('.') + 1);
  return /(?:^|&)Action=([^&]+)/.exec(body)?.[1] ?? '?';
}

export async function latencyProxy(
  target: string,
  latency: Readonly<Record<string, number>> = LATENCY_MS,
  mode: LatencyMode = 'add',
  handle?: WireHandler,
): Promise<LatencyProxy> {
  const upstream = new URL(target);
  const stats = {
    byService: {} as Record<string, number>,
    byAction: {} as Record<string, number>,
    inFlight: 0,
    peak: 0,
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const service =
      /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(String(req.headers.authorization))?.[1] ?? '?';
    stats.byService[service] = (stats.byService[service] ?? 0) + 1;
    stats.inFlight++;
    stats.peak = Math.max(stats.peak, stats.inFlight);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const arrived = performance.now();
      const delay = latency[service] ?? 0;
      const body = Buffer.concat(chunks);
      const action = actionOf(req.headers, body.toString());
      const key = `${service}:${action}`;
      stats.byAction[key] = (stats.byAction[key] ?? 0) + 1;
      const hold = (send: () => void) =>
        mode === 'floor' ? setTimeout(send, Math.max(0, arrived + delay - performance.now())) : send();
      const forward = () =>
        new Promise<WireAnswer>((resolve, reject) => {
          const out = request(
            {
              host: upstream.hostname,
              port: upstream.port,
              method: req.method,
              path: req.url,
              headers: req.headers,
            },
            (answer) => {
              const parts: Buffer[] = [];
              answer.on('data', (c: Buffer) => parts.push(c));
              answer.on('end', () =>
                resolve({
                  status: answer.statusCode ?? 500,
                  headers: answer.headers,
                  body: Buffer.concat(parts),
                }),
              );
              answer.on('error', reject);
            },
          );
          out.on('error', reject);
          out.end(body);
        });
      setTimeout(
        () => {
          (handle?.({ service, action, body: body.toString() }, forward) ?? forward()).then(
            (answer) =>
              hold(() => {
                stats.inFlight--;
                // Hop-by-hop headers stay on the emulator's side (RFC 9110, 7.6.1): the emulator
                // closes each connection, an AWS endpoint keeps it alive, and so does the proxy,
                // so that a client's calls reuse their connections as they would in AWS.
                const {
                  'content-length': _,
                  'transfer-encoding': __,
                  connection: ___,
                  'keep-alive': ____,
                  ...headers
                } = answer.headers;
                res.writeHead(answer.status, { ...headers, 'content-length': answer.body.length });
                res.end(answer.body);
              }),
            () => {
              stats.inFlight--;
              res.destroy();
            },
          );
        },
        mode === 'add' ? delay : 0,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stats,
    reset: () => {
      stats.byService = {};
      stats.byAction = {};
      stats.peak = 0;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The same proxy (no wire handler, no stats) in a worker thread of its own, for the benchmarks
 * that compare times: the network and the service it models are not on the measured code's event
 * loop, as a real call's are not on the Lambda's CPU. In process, the proxy's own work for each
 * request (reading it, forwarding it, holding and writing the answer) would be done by the same
 * thread as the code measured, and count most against the side that sends calls together.
 */
export async function latencyProxyThread(
  target: string,
  latency: Readonly<Record<string, number>> = LATENCY_MS,
  mode: LatencyMode = 'add',
): Promise<{ readonly endpoint: string; close(): Promise<void> }> {
  const { Worker } = await import('node:worker_threads');
  // The worker loads this module through tsx, as the benchmark itself runs.
  const code = `const { workerData, parentPort } = require('node:worker_threads');
import('tsx/esm/api')
  .then(({ register }) => { register(); return import(workerData.module); })
  .then(({ latencyProxy }) => latencyProxy(workerData.target, workerData.latency, workerData.mode))
  .then((proxy) => parentPort.postMessage(proxy.endpoint));`;
  const worker = new Worker(code, {
    eval: true,
    workerData: { module: import.meta.url, target, latency: { ...latency }, mode },
  });
  const endpoint = await new Promise<string>((resolve, reject) => {
    worker.once('message', (message: unknown) => resolve(String(message)));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the latency proxy's thread exited (${code})`)));
  });
  return {
    endpoint,
    close: async () => {
      await worker.terminate();
    },
  };
}
