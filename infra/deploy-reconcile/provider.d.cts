/** Types of provider.cjs (the deploy-time reconcile custom resource provider, plain CommonJS). */
export interface Invocation {
  readonly StatusCode?: number;
  readonly FunctionError?: string;
  readonly Payload?: Uint8Array | string;
}

export interface ProviderDeps {
  readonly invoke?: (params: {
    FunctionName: string;
    InvocationType: string;
    Payload: string;
  }) => Promise<Invocation>;
  readonly respond?: (url: string, body: string) => Promise<void>;
  readonly now?: () => Date;
}

export declare const REASON_LIMIT: number;
export declare function sweepEvent(
  properties: { readonly Event: string },
  requestId: string,
  now: Date,
): Record<string, unknown> & { id: string; time: string };
export declare function verdict(
  invocation: Invocation,
  mode: string,
  maxFailedPercent?: string,
): { ok: boolean; reason: string };
export declare function handler(
  event: Record<string, unknown>,
  context: unknown,
  deps?: ProviderDeps,
): Promise<{ status: 'SUCCESS' | 'FAILED'; reason: string }>;
