/**
 * `npm run bench:calls`: what one SDK call costs the guard's main thread, with and without the
 * clients' cached middleware stacks (`cacheMiddleware` with `cachedCalls`, functions/adapters/
 * aws-clients.ts). Each call is a GetRole with an abort signal, as the guard sends it, to a
 * loopback HTTP server in a worker thread that answers at once (so the server's work is not on
 * the measured thread), over a kept-alive connection. The variants alternate, round after round,
 * in one process, so that a busy machine weighs on both alike; the figure is the median over the
 * rounds of the main thread's busy time (event-loop utilization) per call. Prints its figures and
 * the command; not part of `npm test` (timings are this machine's).
 */
import { cpus, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { CLIENT_SETTINGS, cachedCalls } from '../functions/adapters/aws-clients.js';

const ROUNDS = Number(process.argv.find((a) => a.startsWith('--rounds='))?.slice('--rounds='.length) ?? 15);
const CALLS = 400;

const SERVER = `
const { createServer } = require('node:http');
const { parentPort } = require('node:worker_threads');
const body = '<GetRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetRoleResult><Role><Path>/</Path><AssumeRolePolicyDocument>%7B%22Version%22%3A%222012-10-17%22%7D</AssumeRolePolicyDocument><MaxSessionDuration>3600</MaxSessionDuration><RoleId>AROAEXAMPLE</RoleId><RoleName>AWSSupportRole</RoleName><Arn>arn:aws:iam::123456789012:role/AWSSupportRole</Arn><CreateDate>2026-01-01T00:00:00Z</CreateDate></Role></GetRoleResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetRoleResponse>';
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
`;

const worker = new Worker(SERVER, { eval: true });
const port = await new Promise<number>((resolve) => worker.once('message', resolve));
const settings = (cacheMiddleware: boolean) => ({
  ...CLIENT_SETTINGS,
  cacheMiddleware,
  region: 'us-east-1',
  endpoint: `http://127.0.0.1:${port}`,
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'example' },
});
const signal = new AbortController().signal;
const getRole = () => new GetRoleCommand({ RoleName: 'AWSSupportRole' });
/** Each variant: a client, and how it sends (the guard's calls carry an abort signal; ASR-style calls none). */
const variants: Record<string, [IAMClient, (client: IAMClient) => Promise<unknown>]> = {
  'the guard before: the stack resolved for every call (the SDK with { abortSignal })': [
    new IAMClient(settings(false)),
    (c) => c.send(getRole(), { abortSignal: signal }),
  ],
  'the guard now: cached stacks (cacheMiddleware, cachedCalls), the same { abortSignal }': [
    cachedCalls(new IAMClient(settings(true))),
    (c) => c.send(getRole(), { abortSignal: signal }),
  ],
  'a call without options, no cache (the SDK default)': [
    new IAMClient(settings(false)),
    (c) => c.send(getRole()),
  ],
  'a call without options, cached stacks (the benchmark baseline with CLIENT_SETTINGS)': [
    new IAMClient(settings(true)),
    (c) => c.send(getRole()),
  ],
};
const round = async ([client, send]: [IAMClient, (client: IAMClient) => Promise<unknown>], calls: number) => {
  const before = performance.eventLoopUtilization();
  for (let i = 0; i < calls; i++) await send(client);
  return performance.eventLoopUtilization(before).active / calls;
};
const busy: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
for (const variant of Object.values(variants)) await round(variant, CALLS); // warm-up
for (let r = 0; r < ROUNDS; r++)
  for (const [name, variant] of Object.entries(variants)) busy[name]?.push(await round(variant, CALLS));
await worker.terminate();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const [uncached, cached, bare, bareCached] = Object.values(busy).map(median) as [
  number,
  number,
  number,
  number,
];
process.stdout.write(
  [
    `Command: npm run bench:calls${ROUNDS === 15 ? '' : ` -- --rounds=${ROUNDS}`} (scripts/bench-calls.ts), ${new Date().toISOString()}, ${cpus()[0]?.model ?? '?'} x ${cpus().length}, Node ${process.version}, load average ${loadavg()[0]?.toFixed(2)}`,
    `Main-thread time per GetRole to a loopback server, median of ${ROUNDS} rounds of ${CALLS} calls, the variants alternating:`,
    ...Object.entries(busy).map(([name, xs]) => `  ${median(xs).toFixed(3)} ms  ${name}`),
    `  the guard saves ${(uncached - cached).toFixed(3)} ms a call (${((100 * (uncached - cached)) / uncached).toFixed(0)} %); a call without options gains ${(bare - bareCached).toFixed(3)} ms from the cache`,
    '',
  ].join('\n'),
);
