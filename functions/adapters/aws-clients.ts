import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { IAMClient } from '@aws-sdk/client-iam';
import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { SNSClient } from '@aws-sdk/client-sns';
import type { STSClient } from '@aws-sdk/client-sts';

/**
 * SDK client settings, chosen for a Lambda with a 60 s timeout: up to 5 attempts with the
 * standard retry mode (exponential backoff with jitter; throttling errors back off longer), a 3 s
 * connection timeout and a 10 s request timeout that really aborts the request
 * (`throwOnRequestTimeout`: without it the SDK only logs a warning and keeps waiting), so one
 * stuck call cannot eat the whole invocation: 5 x 10 s + backoff stays under 60 s.
 * The standard AWS variables (AWS_REGION, AWS_ENDPOINT_URL, credentials) apply unchanged.
 * `cacheMiddleware`: each command's middleware stack is resolved once per client (see `cachedCalls`).
 */
export const CLIENT_SETTINGS = {
  maxAttempts: 5,
  cacheMiddleware: true,
  retryMode: 'standard',
  requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000, throwOnRequestTimeout: true },
} as const;

/**
 * Security Hub is best effort (it must never hold up the repair or the message): 2 attempts and a
 * 5 s request timeout, so it costs at most ~11 s of the invocation even when it hangs.
 */
export const SECURITY_HUB_CLIENT_SETTINGS = {
  maxAttempts: 2,
  cacheMiddleware: true,
  retryMode: 'standard',
  requestHandler: { connectionTimeout: 3_000, requestTimeout: 5_000, throwOnRequestTimeout: true },
} as const;

export interface AwsClients {
  readonly iam: IAMClient;
  readonly sns: SNSClient;
  /** When EVENT_BUS_NAME is set (the stack bundles a stand-in that throws without it). */
  readonly eventBridge?: EventBridgeClient;
  /** For the idempotency table (when IDEMPOTENCY_TABLE_NAME is set). */
  readonly dynamodb?: DynamoDBClient;
  /** Organization mode: assuming the member roles, and listing the accounts. */
  readonly sts?: STSClient;
  readonly organizations?: OrganizationsClient;
  /**
   * Organization mode: the member StackSet's instances (which accounts are enrolled). Single
   * account: the stack that holds the support role, if any (DescribeStackResources).
   */
  readonly cloudformation?: CloudFormationClient;
  /** When SECURITY_HUB_ANNOTATE or SECURITY_HUB_IMPORT_FINDINGS is on. */
  readonly securityHub?: SecurityHubClient;
}

/** IAM is global: its endpoint lives in us-east-1 of the partition unless AWS_ENDPOINT_URL says otherwise. */
export function createClients(
  region: string,
  options: { dynamodb?: boolean; eventBridge?: boolean; organization?: boolean; securityHub?: boolean } = {},
): AwsClients {
  return {
    iam: new IAMClient({ ...CLIENT_SETTINGS, region }),
    sns: new SNSClient({ ...CLIENT_SETTINGS, region }),
    cloudformation: new CloudFormationClient({ ...CLIENT_SETTINGS, region }),
    ...(options.eventBridge ? { eventBridge: new EventBridgeClient({ ...CLIENT_SETTINGS, region }) } : {}),
    ...(options.dynamodb ? { dynamodb: new DynamoDBClient({ ...CLIENT_SETTINGS, region }) } : {}),
    ...(options.securityHub
      ? { securityHub: new SecurityHubClient({ ...SECURITY_HUB_CLIENT_SETTINGS, region }) }
      : {}),
  };
}

/** Where a call's options ride with the command through the SDK's middleware (see `cachedCalls`). */
const CALL_OPTIONS = Symbol('support-role-guard.callOptions');
const prepared = new WeakSet<object>();

/** The per-call options the guard sends: its deadline's signal, and a request timeout per attempt. */
interface CallOptions {
  readonly abortSignal?: AbortSignal;
  readonly requestTimeout?: number;
}
const CARRIED: ReadonlySet<string> = new Set(['abortSignal', 'requestTimeout']);

interface SdkClient {
  send(command: object, options?: unknown, callback?: unknown): Promise<unknown>;
  readonly config: { readonly cacheMiddleware?: boolean; readonly requestHandler?: unknown };
  readonly middlewareStack: {
    add(middleware: unknown, options: { step: string; priority?: string; name: string }): void;
    addRelativeTo(
      middleware: unknown,
      options: { relation: 'before' | 'after'; toMiddleware: string; name: string },
    ): void;
  };
}
type Args = Record<string | symbol, unknown> & { request?: Record<symbol, unknown> };
type Next = (args: Args) => Promise<unknown>;
interface HttpHandler {
  handle(request: Record<symbol, unknown>, options?: CallOptions): Promise<unknown>;
}

/**
 * Lets a client with `cacheMiddleware` (CLIENT_SETTINGS) reuse its resolved middleware stacks on
 * the guard's calls, which carry options. The SDK reuses a command's resolved stack only for a
 * send without options, and the guard passes each call its deadline's signal (`abortSignal`), and
 * each send of a message a request timeout per attempt (`requestTimeout`). Resolving the stack
 * again is a sizeable part of the SDK's own work for a call (a fresh middleware stack, sorted and
 * composed; docs/design.md has the figures). Once prepared, a send whose options are only those goes to the SDK without options,
 * the options riding on the command: the caller's wait ends when the signal aborts (the SDK's
 * retry waits included, as with the option), and the request handler gets both options for each
 * attempt. The SDK's retry loop reads the signal only from the option, so after an abort during a
 * backoff it waits that backoff out in the background; its next attempt then ends before it is
 * signed or sent, and the loop with it. Each call in flight adds one listener to its signal, as
 * the SDK's own handling did (the attempts listen on a signal of the call's own).
 * The error is the SDK's own shape (an `AbortError` whose cause is the signal's reason), which
 * `explainAbort` reads. Any other options go to the SDK unchanged. Idempotent; a client without
 * `cacheMiddleware` is left as it is. Checked on the wire by test/integration/cached-calls.test.ts.
 */
export function cachedCalls<T extends object>(client: T): T {
  const c = client as unknown as SdkClient;
  if (prepared.has(c) || c.config?.cacheMiddleware !== true) return client;
  prepared.add(c);
  c.middlewareStack.add(
    (next: Next) => (args: Args) => {
      const options = args[CALL_OPTIONS] as CallOptions | undefined;
      const signal = options?.abortSignal;
      if (!signal) return next(args);
      if (signal.aborted) return Promise.reject(abortError(signal));
      // The attempts listen on a signal of this call's own, aborted from here: the caller's
      // signal (an invocation's deadline, shared by every call in flight) gets one listener a call.
      const own = new AbortController();
      args[CALL_OPTIONS] = { ...options, abortSignal: own.signal };
      return new Promise((resolve, reject) => {
        const abort = () => {
          own.abort(signal.reason);
          reject(abortError(signal));
        };
        signal.addEventListener('abort', abort, { once: true });
        next(args)
          .then(resolve, reject)
          .finally(() => signal.removeEventListener('abort', abort));
      });
    },
    { step: 'initialize', priority: 'high', name: 'supportRoleGuardAbortWait' },
  );
  // Each attempt, inside the SDK's retry loop: once the signal has aborted (the caller was let go
  // above while the loop waited out a backoff), the attempt ends here, before it is signed, and
  // the loop with it (an AbortError is not retried).
  c.middlewareStack.addRelativeTo(
    (next: Next) => (args: Args) => {
      const signal = (args[CALL_OPTIONS] as CallOptions | undefined)?.abortSignal;
      return signal?.aborted ? Promise.reject(abortError(signal)) : next(args);
    },
    { relation: 'after', toMiddleware: 'retryMiddleware', name: 'supportRoleGuardAbortAttempt' },
  );
  // The innermost middleware, after signing (which makes a new request): each attempt's request.
  c.middlewareStack.add(
    (next: Next) => (args: Args) => {
      const options = args[CALL_OPTIONS];
      if (options && args.request) args.request[CALL_OPTIONS] = options;
      return next(args);
    },
    { step: 'deserialize', priority: 'low', name: 'supportRoleGuardCallOptions' },
  );
  const handler = c.config.requestHandler as HttpHandler | undefined;
  if (handler && typeof handler.handle === 'function' && !prepared.has(handler)) {
    prepared.add(handler);
    const handle = handler.handle.bind(handler);
    handler.handle = (request, options = {}) => {
      const carried = request[CALL_OPTIONS] as CallOptions | undefined;
      return handle(request, carried ? { ...carried, ...options } : options);
    };
  }
  // Stacks the client cached before (calls sent without options) lack the two middlewares above:
  // dropped, as the SDK drops them itself on a send with options, to be resolved again with them.
  delete (c as { handlers?: unknown }).handlers;
  const send = c.send.bind(c);
  (c as { send: SdkClient['send'] }).send = (command, options, callback) => {
    const carried =
      callback === undefined &&
      typeof options === 'object' &&
      options !== null &&
      Object.keys(options).every((k) => CARRIED.has(k));
    // A command sent again keeps no options of an earlier send.
    delete (command as Record<symbol, unknown>)[CALL_OPTIONS];
    if (!carried) return send(command, options, callback);
    if (Object.keys(options).length > 0) (command as Record<symbol, unknown>)[CALL_OPTIONS] = options;
    return send(command);
  };
  return client;
}

/** The SDK's own abort error (node-http-handler's buildAbortError): `explainAbort` reads its name. */
function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  const error = new Error(
    reason instanceof Error || reason === undefined ? 'Request aborted' : String(reason),
  );
  error.name = 'AbortError';
  if (reason instanceof Error) (error as Error & { cause?: unknown }).cause = reason;
  return error;
}
