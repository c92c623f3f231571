import type { IAMClient } from '@aws-sdk/client-iam';
import type { SNSClient } from '@aws-sdk/client-sns';

/** Every IAM API call that went over the wire, by Action (SDK retries included). */
export class WireLog {
  readonly calls: string[] = [];
  /** Each request's Action and form parameters, as sent. */
  readonly requests: { readonly action: string; readonly params: Readonly<Record<string, string>> }[] = [];
  /**
   * Round trips: the longest chain of requests each sent after the one before it had answered
   * (a request's depth is one more than the deepest request already answered when it went out).
   * Calls sent together share a round trip; calls sent one after another each cost one. Under a
   * fixed per-call latency, the time spent on the wire is this number times the latency.
   */
  roundTrips = 0;
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
    this.#answeredDepth = 0;
  }
}

/** Records the Action (and parameters) of each HTTP request the client sends (IAM and SNS speak the Query protocol). */
export function recordIamCalls<C extends IAMClient | SNSClient>(iam: C, log: WireLog): C {
  iam.middlewareStack.add(
    (next) => async (args) => {
      const body = (args.request as { body?: unknown }).body;
      const action = typeof body === 'string' ? /(?:^|&)Action=([^&]+)/.exec(body)?.[1] : undefined;
      if (action && typeof body === 'string') {
        log.calls.push(action);
        log.requests.push({ action, params: Object.fromEntries(new URLSearchParams(body)) });
      }
      const depth = log.started();
      try {
        return await next(args);
      } finally {
        log.finished(depth);
      }
    },
    { step: 'finalizeRequest', name: 'supportRoleGuardWireLog' },
  );
  return iam;
}
