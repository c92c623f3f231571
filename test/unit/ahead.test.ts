import { describe, expect, it } from 'vitest';
import { InlineQuotaExceededError, RoleChangedConcurrentlyError } from '../../functions/core/errors.js';
import { type IamAction, type NamedChange, removalsNamedBy } from '../../functions/core/plan.js';
import type { RoleStore } from '../../functions/core/ports.js';
import { reconcile } from '../../functions/core/reconcile.js';
import type { RoleSnapshot } from '../../functions/core/role-snapshot.js';
import {
  REVOCATION_MARGIN_MS,
  REVOCATION_POLICY_NAME,
  revocationPolicy,
} from '../../functions/core/session-revocation.js';
import { guardConfig } from '../support/config.js';
import { compliantRole } from '../support/roles.js';

const { desired } = guardConfig();
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const FOREIGN = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::999999999999:root' }, Action: 'sts:AssumeRole' },
  ],
});
const NOW = new Date('2026-12-02T10:00:00.000Z');
const EVENT_TIME = '2026-12-02T09:59:59Z';
const attach = (policyArn: unknown): NamedChange => ({
  eventName: 'AttachRolePolicy',
  requestParameters: { roleName: desired.roleName, policyArn },
});

describe('removalsNamedBy: what an event names to take away, decided without a read', () => {
  it('detaches a managed policy the desired role does not carry, never a required one', () => {
    expect(removalsNamedBy(attach(ADMIN), desired)).toEqual([
      {
        write: { api: 'DetachRolePolicy', roleName: desired.roleName, policyArn: ADMIN },
        drift: expect.objectContaining({ kind: 'extra-managed-policy', property: `managedPolicy:${ADMIN}` }),
      },
    ]);
    expect(removalsNamedBy(attach(desired.requiredPolicyArns[0]), desired)).toEqual([]);
  });

  it.each([
    ['not a string', 42],
    ['not an ARN', 'AdministratorAccess'],
    ['longer than any IAM ARN', `arn:aws:iam::aws:policy/${'x'.repeat(2_048)}`],
    ['empty', ''],
    ['in another partition', 'arn:aws-cn:iam::aws:policy/AdministratorAccess'],
    ['not an IAM policy', 'arn:aws:s3:::some-bucket'],
    ['not an ARN of this shape', 'arn:foo'],
    // IAM resolves a policy ARN regardless of case: detaching this would detach the required policy.
    ['a required one in another case', 'arn:aws:iam::aws:policy/awssupportaccess'],
    ['a required one in upper case', 'ARN:AWS:IAM::AWS:POLICY/AWSSUPPORTACCESS'],
  ])('names nothing for a policy ARN that is %s', (_why, policyArn) => {
    expect(removalsNamedBy(attach(policyArn), desired)).toEqual([]);
  });

  it("deletes an inline policy it put, but not one under the session revocation's name", () => {
    const put = (policyName: string): NamedChange => ({
      eventName: 'PutRolePolicy',
      requestParameters: { policyName },
    });
    expect(removalsNamedBy(put('x'), desired).map((r) => r.write)).toEqual([
      { api: 'DeleteRolePolicy', roleName: desired.roleName, policyName: 'x' },
    ]);
    expect(removalsNamedBy(put(REVOCATION_POLICY_NAME), desired)).toEqual([]);
    // IAM's names are not case-sensitive: this name is the revocation's, whose shape only a read can judge.
    expect(removalsNamedBy(put(REVOCATION_POLICY_NAME.toLowerCase()), desired)).toEqual([]);
    // Not a name IAM accepts ([\w+=,.@-]): the call failed, nothing to delete.
    expect(removalsNamedBy(put('no spaces allowed'), desired)).toEqual([]);
  });

  it('writes the desired trust (never the recorded one) after a change of the trust to another', () => {
    const change = (policyDocument: unknown): NamedChange => ({
      eventName: 'UpdateAssumeRolePolicy',
      requestParameters: { policyDocument },
    });
    const [removal, ...more] = removalsNamedBy(change(FOREIGN), desired);
    expect(more).toEqual([]);
    expect(removal?.write).toEqual({
      api: 'UpdateAssumeRolePolicy',
      roleName: desired.roleName,
      policyDocument: JSON.stringify(desired.trustPolicy),
    });
    expect(removal?.drift).toMatchObject({ kind: 'trust-policy', property: 'trustPolicy' });
    expect(removal?.drift.before).toContain('999999999999');
    expect(removalsNamedBy(change(JSON.stringify(desired.trustPolicy)), desired)).toEqual([]);
    expect(removalsNamedBy(change('{not json'), desired)).toEqual([]);
  });

  it('names nothing for a restore or any other change (they wait for the read)', () => {
    for (const eventName of [
      'DetachRolePolicy',
      'DeleteRole',
      'PutRolePermissionsBoundary',
      'UpdateRole',
      'TagRole',
    ])
      expect(removalsNamedBy({ eventName, requestParameters: { policyArn: ADMIN } }, desired)).toEqual([]);
  });
});

/**
 * A store whose first read answers only once `gate` writes were sent (so a test passes only if
 * they go out alongside it), then the snapshots in turn; writes recorded, failed as scripted.
 */
class AheadStore implements RoleStore {
  readonly applied: IamAction[] = [];
  readonly order: string[] = [];
  reads = 0;
  /** Writes sent before the first read answered (those sent ahead of it). */
  sentBeforeFirstAnswer = 0;
  #answered = false;
  #sent: () => void = () => {};
  readonly #gate: Promise<void>;
  constructor(
    private readonly snapshots: RoleSnapshot[],
    private readonly options: {
      gate?: number;
      fail?: (action: IamAction) => Error | undefined;
      failRead?: Error;
      knownCutoff?: string;
    } = {},
  ) {
    this.#gate =
      (options.gate ?? 0) > 0 ? new Promise((resolve) => (this.#sent = resolve)) : Promise.resolve();
  }
  async read(): Promise<RoleSnapshot> {
    const n = this.reads++;
    this.order.push('read');
    if (n === 0) await this.#gate;
    if (n === 0) this.#answered = true;
    if (n === 0 && this.options.failRead) throw this.options.failRead;
    const snapshot = this.snapshots[Math.min(n, this.snapshots.length - 1)];
    if (!snapshot) throw new Error('no snapshot');
    return snapshot;
  }
  async apply(action: IamAction): Promise<void> {
    this.applied.push(action);
    this.order.push(action.api);
    if (!this.#answered) this.sentBeforeFirstAnswer++;
    if (this.applied.length === (this.options.gate ?? 0)) this.#sent();
    const failure = this.options.fail?.(action);
    if (failure) throw failure;
  }
  knownRevocationCutoff(): string | undefined {
    return this.options.knownCutoff;
  }
}

const adminEvent = { eventName: 'AttachRolePolicy', requestParameters: { policyArn: ADMIN } };
/** Reconciles after `event` (AdministratorAccess attached unless said), revoking sessions unless `revoke` is false. */
const run = (
  store: RoleStore,
  options: { mode?: 'enforce' | 'detect'; eventTime?: string; event?: NamedChange; revoke?: boolean } = {},
) => {
  const at = { eventTime: options.eventTime ?? EVENT_TIME };
  const revoke = options.revoke ?? true;
  return reconcile({
    desired,
    mode: options.mode ?? 'enforce',
    store,
    partition: 'aws',
    ...(revoke ? { revokeSessions: true, sessionRelevantChange: at } : {}),
    tamperingEvent: at,
    eventRemovals: removalsNamedBy(options.event ?? adminEvent, desired),
    clock: () => NOW,
    readBackBackoffMs: [1, 1],
  });
};
const withAdmin = compliantRole(desired, { attachedPolicyArns: [...desired.requiredPolicyArns, ADMIN] });
const revoked = (cutoff: string) =>
  compliantRole(desired, {
    inlinePolicyNames: [REVOCATION_POLICY_NAME],
    revocationPolicy: JSON.stringify(revocationPolicy(cutoff)),
  });

describe('reconcile: the writes an event names go out alongside the first read', () => {
  it('sends the detach and the revocation before the first read answers, then reads back; nothing written twice', async () => {
    const store = new AheadStore([withAdmin, compliantRole(desired)], { gate: 2 });
    const report = await run(store);
    expect(store.sentBeforeFirstAnswer).toBe(2);
    // (the writes in the plan's order: the revocation, then the detach)
    expect(store.order).toEqual(['read', 'PutRolePolicy', 'DetachRolePolicy', 'read']);
    expect(report).toMatchObject({ verified: true, remaining: [] });
    expect(report.error).toBeUndefined();
    expect(report.drift.map((d) => d.property)).toEqual([`managedPolicy:${ADMIN}`]);
    const cutoff = new Date(NOW.getTime() + REVOCATION_MARGIN_MS).toISOString();
    expect(store.applied).toContainEqual(expect.objectContaining({ api: 'PutRolePolicy', cutoff }));
    expect(report.actions.map((a) => [a.api, a.status])).toEqual([
      ['PutRolePolicy', 'succeeded'],
      ['DetachRolePolicy', 'succeeded'],
    ]);
  });

  it('a first read served after the detach still reports what the act did, and reads back', async () => {
    const store = new AheadStore([compliantRole(desired)]);
    const report = await run(store);
    expect(report.drift.map((d) => d.property)).toEqual([`managedPolicy:${ADMIN}`]);
    expect(report).toMatchObject({ verified: true, remaining: [] });
    expect(store.reads).toBe(2);
    expect(store.applied.map((a) => a.api).sort()).toEqual(['DetachRolePolicy', 'PutRolePolicy']);
  });

  it('a role that proves an earlier repair (its revocation covers the act): the act is not reported again', async () => {
    // An earlier repair's revocation: its cut-off the margin after a time after the act.
    // The policy is gone: IAM answers the detach sent ahead NoSuchEntity.
    const earlier = new Date(Date.parse(EVENT_TIME) + 2_000 + REVOCATION_MARGIN_MS).toISOString();
    const store = new AheadStore([revoked(earlier)], {
      fail: (a) =>
        a.api === 'DetachRolePolicy'
          ? new RoleChangedConcurrentlyError('NoSuchEntity', 'not attached')
          : undefined,
    });
    const report = await run(store);
    expect(report.drift).toEqual([]);
    expect(report.verified).toBe(true);
    expect(store.reads).toBe(2);
  });

  it('a trust change a repair already took away: the desired trust written ahead proves nothing, so it is not reported', async () => {
    const earlier = new Date(Date.parse(EVENT_TIME) + 2_000 + REVOCATION_MARGIN_MS).toISOString();
    const store = new AheadStore([revoked(earlier)]);
    const change = { eventName: 'UpdateAssumeRolePolicy', requestParameters: { policyDocument: FOREIGN } };
    const report = await run(store, { event: change });
    expect(store.applied.map((a) => a.api)).toEqual(['UpdateAssumeRolePolicy', 'PutRolePolicy']);
    expect(report.drift).toEqual([]);
    expect(report).toMatchObject({ verified: true, remaining: [] });
  });

  it('a detach IAM carried out proves the act even on a role created after the event', async () => {
    const recreated = compliantRole(desired, {
      createdAt: new Date(Date.parse(EVENT_TIME) + 5_000).toISOString(),
    });
    const store = new AheadStore([recreated]);
    const report = await run(store);
    expect(report.drift.map((d) => d.property)).toEqual([`managedPolicy:${ADMIN}`]);
    expect(report).toMatchObject({ verified: true, remaining: [] });
  });

  it('sends nothing ahead in detect mode', async () => {
    const store = new AheadStore([withAdmin]);
    const report = await run(store, { mode: 'detect' });
    expect(store.applied).toEqual([]);
    expect(report.actions.every((a) => a.status === 'planned')).toBe(true);
  });

  it("sends nothing ahead when the store's latest revocation covers the event (a repair ran after it)", async () => {
    const store = new AheadStore([revoked(new Date(NOW.getTime() + REVOCATION_MARGIN_MS).toISOString())], {
      knownCutoff: new Date(NOW.getTime() + REVOCATION_MARGIN_MS).toISOString(),
    });
    const report = await run(store);
    expect(store.applied).toEqual([]);
    expect(store.reads).toBe(1);
    expect(report).toMatchObject({ drift: [], verified: true });
  });

  it('a write sent ahead that IAM refuses: reported failed, with what the read showed, nothing more written', async () => {
    const denied = Object.assign(new Error('not authorized to perform: iam:DetachRolePolicy'), {
      name: 'AccessDenied',
    });
    const store = new AheadStore([withAdmin], {
      fail: (a) => (a.api === 'DetachRolePolicy' ? denied : undefined),
    });
    const report = await run(store);
    expect(report.verified).toBe(false);
    expect(report.error?.message).toMatch(/not authorized/);
    expect(report.drift.map((d) => d.property)).toEqual([`managedPolicy:${ADMIN}`]);
    expect(store.applied.map((a) => a.api).sort()).toEqual(['DetachRolePolicy', 'PutRolePolicy']);
    expect(report.actions).toContainEqual(
      expect.objectContaining({ api: 'DetachRolePolicy', status: 'failed' }),
    );
  });

  it('the first read fails after writes went out ahead: the report says what was written, not verified', async () => {
    const store = new AheadStore([withAdmin], { failRead: new Error('IAM is unavailable') });
    const report = await run(store);
    expect(report.verified).toBe(false);
    expect(report.error?.message).toMatch(/unavailable/);
    expect(report.actions.map((a) => [a.api, a.status])).toEqual([
      ['PutRolePolicy', 'succeeded'],
      ['DetachRolePolicy', 'succeeded'],
    ]);
  });

  it('a write sent ahead that raced is planned again from the read', async () => {
    let raced = false;
    const store = new AheadStore([withAdmin, compliantRole(desired)], {
      fail: (a) => {
        if (a.api !== 'DetachRolePolicy' || raced) return undefined;
        raced = true;
        return new RoleChangedConcurrentlyError('ConcurrentModification', 'busy');
      },
    });
    const report = await run(store);
    expect(store.applied.map((a) => a.api)).toEqual([
      'PutRolePolicy',
      'DetachRolePolicy',
      'DetachRolePolicy',
    ]);
    expect(report).toMatchObject({ verified: true, remaining: [] });
    expect(report.error).toBeUndefined();
  });

  it('an event older than the window of a first delivery is read first: nothing sent ahead (a replay or a late retry)', async () => {
    // An hour old: an earlier repair has most likely taken the act away (and revoked): a write
    // sent ahead would revoke the sessions begun since, for nothing. The read decides.
    const store = new AheadStore([withAdmin, compliantRole(desired)]);
    const report = await run(store, { eventTime: '2026-12-02T09:00:00Z' });
    expect(store.sentBeforeFirstAnswer).toBe(0);
    expect(store.applied.map((a) => a.api).sort()).toEqual(['DetachRolePolicy', 'PutRolePolicy']);
    expect(report.drift.map((d) => d.property)).toEqual([`managedPolicy:${ADMIN}`]);
    expect(report).toMatchObject({ verified: true, remaining: [] });
  });

  it("the inline quota refuses the revocation sent ahead (the attacker filled it): no failure, the read's plan deletes and revokes", async () => {
    let refused = false;
    const filled = compliantRole(desired, {
      trustPolicy: encodeURIComponent(FOREIGN),
      inlinePolicyNames: ['a', 'b'],
    });
    const cutoff = new Date(NOW.getTime() + REVOCATION_MARGIN_MS).toISOString();
    const store = new AheadStore([filled, revoked(cutoff)], {
      fail: (a) => {
        if (a.api !== 'PutRolePolicy' || refused) return undefined;
        refused = true;
        return new InlineQuotaExceededError('LimitExceeded', 'Maximum policy size of 10240 bytes exceeded');
      },
    });
    const change = { eventName: 'UpdateAssumeRolePolicy', requestParameters: { policyDocument: FOREIGN } };
    const report = await run(store, { event: change });
    expect(report.error).toBeUndefined();
    expect(report).toMatchObject({ verified: true, remaining: [] });
    expect(store.sentBeforeFirstAnswer).toBe(2);
    const deleted = store.applied.flatMap((a) => (a.api === 'DeleteRolePolicy' ? [a.policyName] : []));
    expect(deleted.sort()).toEqual(['a', 'b']);
    expect(store.applied.filter((a) => a.api === 'UpdateAssumeRolePolicy')).toHaveLength(1);
    expect(report.actions.filter((a) => a.api === 'PutRolePolicy').map((a) => a.status)).toEqual([
      'superseded',
      'succeeded',
    ]);
  });

  it('the trust changed again after the write sent ahead, before the read: the desired trust is written again, not waited for', async () => {
    // The guard's write sent ahead lands, then the attacker's second change: the read shows a
    // trust the event did not name, which that write did not take away.
    const AGAIN = FOREIGN.replace('999999999999', '888888888888');
    let trust = FOREIGN;
    let answered = false;
    const writes: string[] = [];
    const store: RoleStore = {
      async read() {
        await new Promise((resolve) => setTimeout(resolve, 5));
        answered = true;
        return compliantRole(desired, { trustPolicy: encodeURIComponent(trust) });
      },
      async apply(action) {
        writes.push(action.api);
        if (action.api === 'UpdateAssumeRolePolicy')
          trust = answered ? JSON.stringify(desired.trustPolicy) : AGAIN;
      },
    };
    const change = { eventName: 'UpdateAssumeRolePolicy', requestParameters: { policyDocument: FOREIGN } };
    const report = await run(store, { event: change, revoke: false });
    expect(report.error).toBeUndefined();
    expect(report).toMatchObject({ verified: true, remaining: [] });
    expect(writes).toEqual(['UpdateAssumeRolePolicy', 'UpdateAssumeRolePolicy']);
    expect(report.drift.map((d) => d.before).join()).toContain('888888888888');
  });

  it('an inline policy put into a full quota: the revocation refused alongside its delete goes again right after it, before the read-back', async () => {
    let refused = false;
    const put = { eventName: 'PutRolePolicy', requestParameters: { policyName: 'filler' } };
    const filled = compliantRole(desired, { inlinePolicyNames: ['filler'] });
    const cutoff = new Date(NOW.getTime() + REVOCATION_MARGIN_MS).toISOString();
    const store = new AheadStore([filled, revoked(cutoff)], {
      fail: (a) => {
        if (a.api !== 'PutRolePolicy' || refused) return undefined;
        refused = true;
        return new InlineQuotaExceededError('LimitExceeded', 'Maximum policy size of 10240 bytes exceeded');
      },
    });
    const report = await run(store, { event: put });
    expect(report.error).toBeUndefined();
    expect(report).toMatchObject({ verified: true, remaining: [] });
    // The second revocation goes out before the read-back (the deferral), not after a read.
    expect(store.order).toEqual(['read', 'DeleteRolePolicy', 'PutRolePolicy', 'PutRolePolicy', 'read']);
    expect(report.actions.filter((a) => a.api === 'PutRolePolicy').map((a) => a.status)).toEqual([
      'succeeded',
    ]);
  });

  it('an event that named the policy in another case than IAM lists it: one drift, one detach', async () => {
    // IAM resolves the ARN regardless of case; it lists the policy as it was created.
    const lower = { eventName: 'AttachRolePolicy', requestParameters: { policyArn: ADMIN.toLowerCase() } };
    const store = new AheadStore([withAdmin, compliantRole(desired)]);
    const report = await run(store, { event: lower, revoke: false });
    expect(report.drift.map((d) => d.property)).toEqual([`managedPolicy:${ADMIN}`]);
    expect(store.applied.map((a) => a.api)).toEqual(['DetachRolePolicy']);
    expect(report).toMatchObject({ verified: true, remaining: [] });
    expect(store.reads).toBe(2);
  });
});
