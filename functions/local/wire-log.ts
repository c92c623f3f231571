import type { IAMClient } from '@aws-sdk/client-iam';

/** Every IAM API call that went over the wire, by Action (SDK retries included). */
export class WireLog {
  readonly calls: string[] = [];

  get writes(): string[] {
    return this.calls.filter((c) => !/^(Get|List)/.test(c));
  }

  get reads(): string[] {
    return this.calls.filter((c) => /^(Get|List)/.test(c));
  }

  clear(): void {
    this.calls.length = 0;
  }
}

/** Records the Action of each HTTP request the client sends (IAM speaks the Query protocol). */
export function recordIamCalls(iam: IAMClient, log: WireLog): IAMClient {
  iam.middlewareStack.add(
    (next) => async (args) => {
      const body = (args.request as { body?: unknown }).body;
      const action = typeof body === 'string' ? /(?:^|&)Action=([^&]+)/.exec(body)?.[1] : undefined;
      if (action) log.calls.push(action);
      return next(args);
    },
    { step: 'finalizeRequest', name: 'supportRoleGuardWireLog' },
  );
  return iam;
}
