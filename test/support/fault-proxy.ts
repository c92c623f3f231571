import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FaultKind =
  | 'throttle'
  | 'error500'
  | 'error503'
  | 'reset'
  | 'slow'
  | 'accessDenied'
  | 'hang'
  | 'hold'
  | 'error'
  | 'unprocessed';
export const FAULT_KINDS: readonly FaultKind[] = ['throttle', 'error500', 'error503', 'reset', 'slow'];

export interface FaultPlan {
  readonly kind: FaultKind;
  /** Share of matching requests that fail (0..1), decided by a seeded generator (reproducible). */
  readonly rate: number;
  /** Which services' requests may fail ('iam', 'sns', 'dynamodb', ...). */
  readonly services: readonly string[];
  /**
   * For `slow`: how long the response is held back (longer than the client's request timeout).
   * `hang` never answers; `hold` keeps the request until `releaseHeld()`, then forwards it.
   * `unprocessed` applies to DynamoDB's BatchWriteItem only: answered as DynamoDB does when it
   * leaves items unprocessed (in UnprocessedItems, not written): every item, or only those whose
   * JSON contains `unprocessedMatching` (the others are forwarded and written).
   */
  readonly delayMs?: number;
  /** Faults start only after a request with this Action went through (e.g. after the first write). */
  readonly afterAction?: string;
  /** For `unprocessed`: only the items whose JSON contains this text are left unprocessed. */
  readonly unprocessedMatching?: string;
  /** Only requests of these JSON-protocol operations (X-Amz-Target, e.g. `BatchWriteItem`) may fail. */
  readonly targets?: readonly string[];
  /** Only requests whose form body contains this text (URL-encoded as sent) may fail. */
  readonly bodyContains?: string;
  /** For `error`: the service's error answered as it would (the Query protocol's ErrorResponse). */
  readonly error?: { readonly status: number; readonly code: string; readonly message: string };
  /**
   * At most this many faults per service (e.g. `{ sns: 1 }`: only the first SNS request fails,
   * later ones go through); a service not named here has no limit.
   */
  readonly limits?: Readonly<Record<string, number>>;
}

export interface FaultProxy {
  readonly endpoint: string;
  setPlan(plan: FaultPlan | undefined, seed?: number): void;
  /**
   * IAM's eventual consistency, on the wire: after each IAM write that succeeded, the next `n`
   * requests of each role read (GetRole, ListAttachedRolePolicies, ListRolePolicies,
   * GetRolePolicy, by their exact parameters) are answered with the response that read last got
   * before the first write of the series — the stale pre-write state. 0 turns it off.
   * `afterWritesBy` (an access key id): only writes signed with that key start serving stale
   * reads (the attacker's, not the guard's own). Only reads the proxy saw answered before the
   * write can be served stale: read the role through the proxy first. `reads`: only these reads
   * are served stale (replicas of different ages: say, a fresh list and a stale GetRolePolicy).
   */
  setStaleReads(
    n: number,
    options?: { readonly afterWritesBy?: string; readonly reads?: readonly string[] },
  ): void;
  /** Forwards the requests held by a `hold` plan (their answers go back to the clients). */
  releaseHeld(): void;
  /** Requests held by a `hold` plan whose client is still waiting (not given up, not released). */
  heldOpen(): number;
  /**
   * IAM's aggregate inline-policy quota per role (10,240 characters, whitespace not counted), which
   * the emulator does not enforce: PutRolePolicy is answered LimitExceeded when the role's other
   * inline policies, as the proxy saw them answered (written or deleted through it), plus the new
   * one exceed `chars`. A delete counts once its answer went back. undefined turns it off.
   */
  setInlinePolicyQuota(chars: number | undefined): void;
  readonly stats: {
    requests: number;
    injected: number;
    byService: Record<string, number>;
    /** Reads answered with a stale (pre-write) response. */
    stale: number;
    /** Every request that reached the proxy, by its Query-protocol Action (injected ones too). */
    byAction: Record<string, number>;
  };
  close(): Promise<void>;
}

/** A small seeded PRNG (mulberry32): the same seed injects the same faults. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const accessKeyOf = (req: IncomingMessage): string | undefined =>
  /Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1];

const serviceOf = (req: IncomingMessage): string =>
  /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1] ?? 'unknown';

/** The role reads whose answers a stale replica may serve (the Query protocol's Action). */
const ROLE_READS = new Set(['GetRole', 'ListAttachedRolePolicies', 'ListRolePolicies', 'GetRolePolicy']);
const actionOf = (body: string): string | undefined => /(?:^|&)Action=([^&]+)/.exec(body)?.[1];

interface Answer {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

const queryError = (status: number, code: string, message: string) =>
  `<ErrorResponse><Error><Type>${status < 500 ? 'Sender' : 'Receiver'}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>fault-injected</RequestId></ErrorResponse>`;

/**
 * A fault-injecting HTTP proxy on loopback between the SDK clients and the emulator: per request,
 * per the plan, it answers Throttling (400), 500 or 503 itself, resets the connection, or forwards
 * the request and holds the response back past the client's timeout (the write happened; the
 * client does not know), or hangs: keeps the connection open and never answers (nothing reaches
 * the emulator). Everything else is forwarded untouched.
 */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  let plan: FaultPlan | undefined;
  let armed = true;
  let random = prng(1);
  /** Faults injected per service under the current plan (for its `limits`). */
  let planned: Record<string, number> = {};
  const stats = {
    requests: 0,
    injected: 0,
    byService: {} as Record<string, number>,
    stale: 0,
    byAction: {} as Record<string, number>,
  };
  const held: { req: IncomingMessage; body: Buffer; res: ServerResponse }[] = [];
  let staleReads = 0;
  let staleAfterWritesBy: string | undefined;
  let staleOnly: ReadonlySet<string> | undefined;
  let inlineQuota: number | undefined;
  /** Per role (lower-cased name): each inline policy's counted size, as answered. */
  const inline = new Map<string, Map<string, number>>();
  const inlineOf = (form: URLSearchParams) => {
    const role = (form.get('RoleName') ?? '').toLowerCase();
    if (!inline.has(role)) inline.set(role, new Map());
    return inline.get(role) as Map<string, number>;
  };
  /** Tracks the role's inline policies from answered PutRolePolicy / DeleteRolePolicy. */
  const track = (service: string, body: string, status: number) => {
    if (inlineQuota === undefined || service !== 'iam' || status >= 300) return;
    const form = new URLSearchParams(body);
    const policies = inlineOf(form);
    const name = form.get('PolicyName') ?? '';
    if (form.get('Action') === 'PutRolePolicy')
      policies.set(name, (form.get('PolicyDocument') ?? '').replace(/\s/g, '').length);
    if (form.get('Action') === 'DeleteRolePolicy') policies.delete(name);
  };
  const overQuota = (service: string, body: string): boolean => {
    if (inlineQuota === undefined || service !== 'iam') return false;
    const form = new URLSearchParams(body);
    if (form.get('Action') !== 'PutRolePolicy') return false;
    const name = form.get('PolicyName') ?? '';
    let total = (form.get('PolicyDocument') ?? '').replace(/\s/g, '').length;
    for (const [other, size] of inlineOf(form)) if (other !== name) total += size;
    return total > inlineQuota;
  };
  /** The last answer each role read got from the emulator, keyed by its form body. */
  const fresh = new Map<string, Answer>();
  /** After a write: the pre-write answer of each read, and how many more times to serve it. */
  const stale = new Map<string, { answer: Answer; left: number }>();

  /** Records role reads' answers; after a write that succeeded, starts serving the old ones. */
  const observe = (service: string, body: string, answer: Answer, accessKey: string | undefined) => {
    const action = actionOf(body);
    if (staleReads === 0 || service !== 'iam' || !action) return;
    if (ROLE_READS.has(action)) {
      fresh.set(body, answer);
    } else if (
      !/^(Get|List)/.test(action) &&
      answer.status < 300 &&
      (staleAfterWritesBy === undefined || accessKey === staleAfterWritesBy)
    ) {
      for (const [key, before] of fresh)
        if (!staleOnly || staleOnly.has(actionOf(key) ?? ''))
          stale.set(key, { answer: stale.get(key)?.answer ?? before, left: staleReads });
    }
  };

  const forward = (req: IncomingMessage, body: Buffer, res: ServerResponse, delayMs = 0) => {
    const out = request(
      {
        hostname: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          const send = () => {
            if (res.destroyed) return;
            track(serviceOf(req), body.toString(), answer.statusCode ?? 502);
            observe(
              serviceOf(req),
              body.toString(),
              { status: answer.statusCode ?? 502, headers: answer.headers, body: Buffer.concat(chunks) },
              accessKeyOf(req),
            );
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            res.end(Buffer.concat(chunks));
          };
          if (delayMs > 0) setTimeout(send, delayMs).unref();
          else send();
        });
      },
    );
    out.on('error', () => res.destroy());
    out.end(body);
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const service = serviceOf(req);
      stats.requests++;
      const action = actionOf(body.toString());
      if (action) stats.byAction[action] = (stats.byAction[action] ?? 0) + 1;
      const inject =
        plan !== undefined &&
        armed &&
        plan.services.includes(service) &&
        (plan.kind !== 'unprocessed' || req.headers['x-amz-target'] === 'DynamoDB_20120810.BatchWriteItem') &&
        (plan.targets === undefined ||
          plan.targets.includes(
            String(req.headers['x-amz-target'] ?? '')
              .split('.')
              .pop() ?? '',
          )) &&
        (plan.bodyContains === undefined || body.toString().includes(plan.bodyContains)) &&
        (plan.limits?.[service] === undefined || (planned[service] ?? 0) < plan.limits[service]) &&
        random() < plan.rate;
      if (plan?.afterAction && !armed && body.toString().includes(`Action=${plan.afterAction}&`))
        armed = true;
      const replay = service === 'iam' ? stale.get(body.toString()) : undefined;
      if (!inject && replay) {
        stats.stale++;
        if (--replay.left <= 0) stale.delete(body.toString());
        res.writeHead(replay.answer.status, replay.answer.headers);
        return res.end(replay.answer.body);
      }
      if (overQuota(service, body.toString())) {
        res.writeHead(409, { 'content-type': 'text/xml' });
        return res.end(
          queryError(409, 'LimitExceeded', `Maximum policy size of ${inlineQuota} bytes exceeded for role`),
        );
      }
      if (!inject || !plan) return forward(req, body, res);
      stats.injected++;
      stats.byService[service] = (stats.byService[service] ?? 0) + 1;
      planned[service] = (planned[service] ?? 0) + 1;
      switch (plan.kind) {
        case 'throttle':
          res.writeHead(400, { 'content-type': 'text/xml' });
          return res.end(queryError(400, 'Throttling', 'Rate exceeded'));
        case 'error500':
          res.writeHead(500, { 'content-type': 'text/xml' });
          return res.end(queryError(500, 'ServiceFailure', 'injected internal error'));
        case 'error503':
          res.writeHead(503, { 'content-type': 'text/xml' });
          return res.end(queryError(503, 'ServiceUnavailable', 'injected unavailability'));
        case 'accessDenied':
          res.writeHead(403, { 'content-type': 'text/xml' });
          return res.end(
            queryError(403, 'AccessDenied', 'User is not authorized to perform: sts:AssumeRole (injected)'),
          );
        case 'error': {
          const { status, code, message } = plan.error ?? {
            status: 400,
            code: 'ValidationError',
            message: '',
          };
          res.writeHead(status, { 'content-type': 'text/xml' });
          return res.end(queryError(status, code, message));
        }
        case 'reset':
          return req.socket.destroy();
        case 'slow':
          return forward(req, body, res, plan.delayMs ?? 1500);
        case 'hang':
          return; // until the client gives up (or the proxy closes)
        case 'hold':
          held.push({ req, body, res });
          return;
        case 'unprocessed': {
          const { RequestItems } = JSON.parse(body.toString()) as { RequestItems: Record<string, unknown[]> };
          const matching = plan.unprocessedMatching;
          const left = (item: unknown) => matching === undefined || JSON.stringify(item).includes(matching);
          const split = (keep: boolean) =>
            Object.fromEntries(
              Object.entries(RequestItems)
                .map(([table, items]) => [table, items.filter((i) => left(i) === keep)] as const)
                .filter(([, items]) => items.length > 0),
            );
          const unprocessed = split(true);
          const written = split(false);
          const answer = () => {
            res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
            res.end(JSON.stringify({ UnprocessedItems: unprocessed }));
          };
          if (Object.keys(written).length === 0) return answer();
          // The items DynamoDB did process: written on the emulator, then the partial answer.
          const forwarded = Buffer.from(JSON.stringify({ RequestItems: written }));
          const out = request(
            {
              hostname: upstream.hostname,
              port: upstream.port,
              path: req.url,
              method: 'POST',
              headers: { ...req.headers, 'content-length': String(forwarded.length) },
            },
            (r) => {
              r.resume();
              r.on('end', answer);
            },
          );
          out.on('error', () => res.destroy());
          return out.end(forwarded);
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    setStaleReads(n, options = {}) {
      staleReads = n;
      staleAfterWritesBy = options.afterWritesBy;
      staleOnly = options.reads ? new Set(options.reads) : undefined;
      fresh.clear();
      stale.clear();
    },
    releaseHeld() {
      for (const { req, body, res } of held.splice(0)) if (!res.destroyed) forward(req, body, res);
    },
    heldOpen: () => held.filter(({ res }) => !res.destroyed && !res.req.socket.destroyed).length,
    setInlinePolicyQuota(chars) {
      inlineQuota = chars;
      inline.clear();
    },
    setPlan(next, seed = 1) {
      plan = next;
      armed = next?.afterAction === undefined;
      random = prng(seed);
      planned = {};
    },
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
