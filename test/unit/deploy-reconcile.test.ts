import { search } from '@aws-lambda-powertools/jmespath';
import { describe, expect, it } from 'vitest';
import { IDEMPOTENCY_KEY_PATH } from '../../functions/adapters/idempotency.js';
import type { Outcome } from '../../functions/core/guard-result.js';
import { sweepResult } from '../../functions/core/handle-org-event.js';
import {
  handler,
  type Invocation,
  REASON_LIMIT,
  sweepEvent,
  verdict,
} from '../../infra/deploy-reconcile/provider.cjs';

/** The deploy-time reconcile provider's decisions (its Lambda call and HTTP answer injected). */
const EVENT = JSON.stringify({
  version: '0',
  id: 'deploy-0123456789abcdef',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: '',
  region: 'us-east-1',
  resources: [],
  detail: { configuration: '0123456789abcdef' },
});
const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

function request(type: 'Create' | 'Update' | 'Delete', mode = 'enforce', organization = false) {
  return {
    RequestType: type,
    RequestId: `req-${type}`,
    ResponseURL: 'https://cloudformation-custom-resource-response.example/put',
    StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/SupportRoleGuard/1',
    LogicalResourceId: 'InitialReconcile',
    PhysicalResourceId: 'support-role-guard-deploy-reconcile-old',
    ResourceProperties: {
      FunctionName: 'guard',
      Mode: mode,
      ConfigurationHash: '0123456789abcdef',
      Event: EVENT,
      ...(organization ? { MaxFailedPercent: '10' } : {}),
    },
  };
}

async function run(
  type: 'Create' | 'Update' | 'Delete',
  invocation: Invocation | Error,
  mode = 'enforce',
  organization = false,
) {
  const sent: { url: string; body: Record<string, unknown> }[] = [];
  const invoked: Record<string, unknown>[] = [];
  await handler(
    request(type, mode, organization),
    {},
    {
      invoke: async (params) => {
        invoked.push(params);
        if (invocation instanceof Error) throw invocation;
        return invocation;
      },
      respond: async (url: string, body: string) => {
        sent.push({ url, body: JSON.parse(body) });
      },
      now: () => new Date('2026-11-28T05:00:00.000Z'),
    },
  );
  expect(sent).toHaveLength(1);
  return { response: sent[0]?.body ?? {}, url: sent[0]?.url, invoked };
}

describe('deploy-time reconcile provider', () => {
  it('sends each deployment its own sweep: the time of the deployment, the configuration and the request', () => {
    const now = new Date('2026-11-28T05:00:00.000Z');
    const a = sweepEvent({ Event: EVENT }, 'req-1', now);
    const b = sweepEvent({ Event: EVENT }, 'req-2', now);
    expect(a).toMatchObject({
      id: 'deploy-0123456789abcdef-req-1',
      time: '2026-11-28T05:00:00.000Z',
      detail: { configuration: '0123456789abcdef:req-1' },
    });
    // The guard's idempotency key tells them apart, even at the same second.
    expect(search(IDEMPOTENCY_KEY_PATH, a)).toBe('sweep:2026-11-28T05:00:00.000Z:0123456789abcdef:req-1');
    expect(search(IDEMPOTENCY_KEY_PATH, b)).not.toBe(search(IDEMPOTENCY_KEY_PATH, a));
  });

  it.each(['Create', 'Update'] as const)('%s: a compliant or repaired role is a success', async (type) => {
    const { response, invoked, url } = await run(type, {
      StatusCode: 200,
      Payload: encode({ outcome: 'remediated', reason: 'attached AWSSupportAccess' }),
    });
    expect(invoked).toHaveLength(1);
    expect(invoked[0]).toMatchObject({ FunctionName: 'guard', InvocationType: 'RequestResponse' });
    expect(JSON.parse(invoked[0]?.Payload as string)).toMatchObject({
      id: `deploy-0123456789abcdef-req-${type}`,
    });
    expect(url).toBe('https://cloudformation-custom-resource-response.example/put');
    expect(response).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: 'support-role-guard-deploy-reconcile-0123456789abcdef',
      RequestId: `req-${type}`,
      LogicalResourceId: 'InitialReconcile',
      Data: { Outcome: 'remediated' },
    });
  });

  it("a function error (the guard threw) fails the deployment with the guard's reason", async () => {
    const { response } = await run('Create', {
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: encode({
        errorType: 'GuardFailure',
        errorMessage: 'AttachRolePolicy: NoSuchEntity: policy missing',
      }),
    });
    expect(response.Status).toBe('FAILED');
    expect(response.Reason).toBe(
      'the guard could not reconcile the support role at deploy time (Unhandled): GuardFailure: AttachRolePolicy: NoSuchEntity: policy missing',
    );
  });

  it('a timeout of the guard fails the deployment, saying so', async () => {
    const { response } = await run('Update', {
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: encode({ errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 60.00 seconds' }),
    });
    expect(response).toMatchObject({ Status: 'FAILED' });
    expect(response.Reason).toMatch(/Task timed out after 60\.00 seconds/);
  });

  it('drift left in enforce mode, or an ignored sweep, fails; drift in detect mode is reported and passes', async () => {
    const drift = {
      StatusCode: 200,
      Payload: encode({ outcome: 'drift-detected', reason: 'trust policy differs' }),
    };
    expect((await run('Create', drift, 'enforce')).response).toMatchObject({
      Status: 'FAILED',
      Reason: 'the deploy-time reconcile ended drift-detected: trust policy differs',
    });
    expect((await run('Create', drift, 'detect')).response).toMatchObject({
      Status: 'SUCCESS',
      Data: { Outcome: 'drift-detected' },
    });
    const ignored = { StatusCode: 200, Payload: encode({ outcome: 'ignored', reason: 'not a sweep' }) };
    expect((await run('Create', ignored)).response).toMatchObject({ Status: 'FAILED' });
    const garbage = { StatusCode: 200, Payload: new TextEncoder().encode('not json') };
    expect((await run('Create', garbage)).response).toMatchObject({
      Status: 'FAILED',
      Reason: 'the deploy-time reconcile ended with "not json"',
    });
  });

  it('a failed invoke (permissions, throttling) fails the deployment naming the function', async () => {
    const denied = Object.assign(new Error('not authorized to perform: lambda:InvokeFunction'), {
      name: 'AccessDeniedException',
    });
    const { response } = await run('Create', denied);
    expect(response).toMatchObject({
      Status: 'FAILED',
      Reason:
        'could not invoke the guard guard: AccessDeniedException: not authorized to perform: lambda:InvokeFunction',
    });
  });

  it('delete does nothing (the support role is kept) and keeps the physical id', async () => {
    const { response, invoked } = await run('Delete', new Error('must not be called'));
    expect(invoked).toHaveLength(0);
    expect(response).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: 'support-role-guard-deploy-reconcile-old',
    });
  });

  it('cuts a long reason to the limit CloudFormation shows', () => {
    const long = verdict(
      { FunctionError: 'Unhandled', Payload: encode({ errorType: 'E', errorMessage: 'x'.repeat(5000) }) },
      'enforce',
    );
    expect(long.ok).toBe(false);
    expect(long.reason.length).toBe(REASON_LIMIT);
    expect(long.reason.endsWith('…')).toBe(true);
  });

  describe('organization mode: the central deployment does not hang on the worst member account', () => {
    /** The guard's own (bounded) sweep result: counts of every account, at most 100 named. */
    const sweep = (outcomes: Partial<Record<Outcome, number>>, notified = true) => {
      let n = 0;
      const results = Object.entries(outcomes).flatMap(([outcome, count]) =>
        Array.from({ length: count ?? 0 }, () => ({
          account: String(100_000_000_000 + n++),
          outcome: outcome as Outcome,
          drift: [],
          actions: [],
        })),
      );
      const worst = outcomes.failed ? 'failed' : outcomes['not-enrolled'] ? 'not-enrolled' : 'compliant';
      const attention = results.filter((r) => r.outcome !== 'compliant').length;
      return {
        StatusCode: 200,
        Payload: encode({ outcome: worst, notified, ...sweepResult(results, attention) }),
      };
    };

    it('a sweep of 1,000 accounts (more than the result names) is judged on the counts of all of them', async () => {
      const within = await run('Update', sweep({ compliant: 900, failed: 100 }), 'enforce', true);
      expect(within.response).toMatchObject({ Status: 'SUCCESS' });
      expect(within.response.Reason).toMatch(/100 of 1000 accounts failed \(at most 10 % may\)/);
      const over = await run('Update', sweep({ compliant: 899, failed: 101 }), 'enforce', true);
      expect(over.response).toMatchObject({ Status: 'FAILED' });
      expect(over.response.Reason).toMatch(/101 of 1000 accounts failed, more than 10 %/);
    });

    it.each(['Create', 'Update'] as const)(
      '%s: a completed sweep passes with a broken or not-enrolled member account, saying how many failed',
      async (type) => {
        const { response } = await run(
          type,
          sweep({ compliant: 97, failed: 1, 'not-enrolled': 2 }),
          'enforce',
          true,
        );
        expect(response).toMatchObject({ Status: 'SUCCESS' });
        expect(response.Reason).toMatch(
          /1 of 100 accounts failed \(at most 10 % may\); the summary was published/,
        );
      },
    );

    it('a not-enrolled account past its grace period alone never fails the deployment', async () => {
      const { response } = await run('Update', sweep({ compliant: 3, 'not-enrolled': 1 }), 'enforce', true);
      expect(response).toMatchObject({ Status: 'SUCCESS' });
    });

    it('more than 10 % of the accounts failed: the deployment fails, naming the share', async () => {
      const { response } = await run('Update', sweep({ compliant: 8, failed: 2 }), 'enforce', true);
      expect(response).toMatchObject({ Status: 'FAILED' });
      expect(response.Reason).toMatch(/2 of 10 accounts failed, more than 10 %/);
    });

    it('an invocation error (the account listing or the summary failed) still fails it', async () => {
      const error = {
        FunctionError: 'Unhandled',
        Payload: encode({
          errorType: 'NotificationError',
          errorMessage: 'publishing the sweep summary failed',
        }),
      };
      expect((await run('Update', error, 'enforce', true)).response).toMatchObject({ Status: 'FAILED' });
    });
  });
});
