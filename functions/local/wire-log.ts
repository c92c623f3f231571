import type { IAMClient } from '@aws-sdk/client-iam';
import type { SNSClient } from '@aws-sdk/client-sns';

/** Every IAM API call that went over the wire, by Action (SDK retries included). */
export class WireLog {
  readonly calls: string[] = [];
  /** Each request's Action and form parameters, as sent. */
  readonly requests: { readonly action: string; readonly params: Readonly<Record<string, string>> }[] = [];

  get writes(): string[] {
    return this.calls.filter((c) => !/^(Get|List)/.test(c));
  }

  get reads(): string[] {
    return this.calls.filter((c) => /^(Get|List)/.test(c));
  }

  clear(): void {
    this.calls.length = 0;
    this.requests.length = 0;
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
      return next(args);
    },
    { step: 'finalizeRequest', name: 'supportRoleGuardWireLog' },
  );
  return iam;
}
