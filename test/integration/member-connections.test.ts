import { createServer, request, type Server } from 'node:http';
import { STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemberAccess } from '../../functions/adapters/member-access.js';
import { emulatorEndpoint, settings } from '../support/aws.js';

// Each member account gets its own IAM client (its own credentials). A client with its own
// keep-alive agent holds its own sockets, never closed: over 1,000 accounts that runs into
// Lambda's 1,024 file descriptors (EMFILE). Counted here as the TCP connections the member
// clients open to a keep-alive relay in front of the emulator.
const ACCOUNTS = 12;
const AT_ONCE = 2;
/** A role read sends its four IAM reads together. */
const READS_AT_ONCE = 4;

let relay: Server;
let connections = 0;
let endpoint = '';
/**
 * An HTTP relay that keeps its client connections alive as AWS endpoints do (the emulator closes
 * each connection after one answer, which would hide the leak), forwarding each request to it.
 */
beforeAll(async () => {
  const upstream = new URL(emulatorEndpoint());
  relay = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const out = request(
        {
          hostname: upstream.hostname,
          port: upstream.port,
          path: req.url,
          method: req.method,
          headers: req.headers,
        },
        (answer) => {
          const body: Buffer[] = [];
          answer.on('data', (c: Buffer) => body.push(c));
          answer.on('end', () => {
            const { connection: _, ...headers } = answer.headers;
            res.writeHead(answer.statusCode ?? 502, headers);
            res.end(Buffer.concat(body));
          });
        },
      );
      out.on('error', () => res.destroy());
      out.end(Buffer.concat(chunks));
    });
  });
  relay.keepAliveTimeout = 60_000;
  relay.on('connection', () => {
    connections++;
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(relay.address() as { port: number }).port}`;
});
afterAll(async () => {
  relay.closeAllConnections();
  await new Promise((resolve) => relay.close(resolve));
});

describe('member IAM clients share their connections', () => {
  it(`${ACCOUNTS} accounts, ${AT_ONCE} at a time, open at most as many connections as requests in flight, not one set per account`, async () => {
    // Prepare
    const access = new MemberAccess({
      sts: new STSClient(settings()),
      partition: 'aws',
      region: 'us-east-1',
      memberRoleName: 'SupportRoleGuardRemediation',
      clientSettings: { endpoint },
    });
    const accounts = Array.from({ length: ACCOUNTS }, (_, i) => String(600_000_000_000 + i));

    // Act: the same reads a sweep makes, AT_ONCE accounts at a time
    const queue = [...accounts];
    await Promise.all(
      Array.from({ length: AT_ONCE }, async () => {
        for (let a = queue.shift(); a !== undefined; a = queue.shift())
          await access.storeFor(a, 'sweep').read('AWSSupportRole');
      }),
    );

    // Assess
    expect(connections).toBeGreaterThan(0);
    expect(connections).toBeLessThanOrEqual(AT_ONCE * READS_AT_ONCE);
  });
});
