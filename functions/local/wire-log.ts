import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { SNSClient } from '@aws-sdk/client-sns';

/** Every IAM API call that went over the wire, by Action (SDK retries included). */
export class WireLog {
  readonly calls: string[] = [];
  /**
   * Each request's Action and form parameters, as sent; for a JSON-protocol service (EventBridge)
   * the target's operation and the body as sent, in `json`.
   */
  readonly requests: {
    readonly action: string;
    readonly params: Readonly<Record<string, string>>;
    readonly json?: string;
  }[] = [];
  /**
   * Round trips: the longest chain of requests each sent after the one before it had answered
   * (a request's depth is one more than the deepest request already answered when it went out).
   * Calls sent together share a round trip; calls sent one after another each cost one. Under a
   * fixed per-call latency, the time spent on the wire is this number times the latency.
   */
  roundTrips = 0;
  /** Each request's action, round trip and times (performance.now(), ms), in the order sent. */
  readonly timeline: { action: string; depth: number; start: number; end?: number }[] = [];
  #answeredDepth = 0;

  /** Called by the recording middleware when a request goes out; returns its depth. */
  started(): number {
    const depth = this.#answeredDepth + 1;
    this.roundTrips = Math.max(this.roundTrips, depth);
    return depth;
  }

  /** Called when the request's answer (or error) came back. */
  finished(depth: number): void {
    this.#answeredDepth = Math.max(this.#answeredDepth, depth);
  }

  get writes(): string[] {
    return this.calls.filter((c) => !/^(Get|List)/.test(c));
  }

  get reads(): string[] {
    return this.calls.filter((c) => /^(Get|List)/.test(c));
  }

  clear(): void {
    this.calls.length = 0;
    this.requests.length = 0;
    this.roundTrips = 0;
    this.timeline.length = 0;
    this.#answeredDepth = 0;
  }
}

/**
 * Records the Action (and parameters) of each HTTP request the client sends (IAM and SNS speak the
 * Query protocol; EventBridge speaks JSON, its operation named by the X-Amz-Target header).
 */
export function recordIamCalls<C extends IAMClient | SNSClient | EventBridgeClient>(iam: C, log: WireLog): C {
  (iam.middlewareStack as IAMClient['middlewareStack']).add(
    (next) => async (args) => {
      const request = args.request as { body?: unknown; headers?: Record<string, string> };
      // Query bodies are strings; JSON ones (EventBridge) are bytes.
      const body = request.body instanceof Uint8Array ? new TextDecoder().decode(request.body) : request.body;
      const action = typeof body === 'string' ? /(?:^|&)Action=([^&]+)/.exec(body)?.[1] : undefined;
      const target = Object.entries(request.headers ?? {})
        .find(([name]) => name.toLowerCase() === 'x-amz-target')?.[1]
        ?.split('.')
        .pop();
      if (action && typeof body === 'string') {
        log.calls.push(action);
        log.requests.push({ action, params: Object.fromEntries(new URLSearchParams(body)) });
      } else if (target && typeof body === 'string') {
        log.calls.push(target);
        log.requests.push({ action: target, params: {}, json: body });
      }
      const depth = log.started();
      const entry: { action: string; depth: number; start: number; end?: number } = {
        action: action ?? target ?? '?',
        depth,
        start: performance.now(),
      };
      log.timeline.push(entry);
      try {
        return await next(args);
      } finally {
        entry.end = performance.now();
        log.finished(depth);
      }
    },
    { step: 'finalizeRequest', name: 'supportRoleGuardWireLog' },
  );
  return iam;
}
