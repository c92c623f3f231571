import { describe, expect, it } from 'vitest';
import { RoleChangedConcurrentlyError } from '../../functions/core/errors.js';
import type { IamAction } from '../../functions/core/plan.js';
import type { RoleStore } from '../../functions/core/ports.js';
import { reconcile } from '../../functions/core/reconcile.js';
import type { RoleSnapshot } from '../../functions/core/role-snapshot.js';
import { guardConfig, SUPPORT_ACCESS } from '../support/config.js';
import { compliantRole } from '../support/roles.js';

const config = guardConfig();
const { desired } = config;

/** A store that returns the given snapshots in turn and records (or fails) writes. */
class ScriptedStore implements RoleStore {
  readonly applied: IamAction[] = [];
  reads = 0;
  constructor(
    private readonly snapshots: RoleSnapshot[],
    private readonly failures: Map<number, Error> = new Map(),
  ) {}
  async read(): Promise<RoleSnapshot> {
    const snapshot = this.snapshots[Math.min(this.reads, this.snapshots.length - 1)];
    this.reads++;
    if (!snapshot) throw new Error('no snapshot');
    return snapshot;
  }
  async apply(action: IamAction): Promise<void> {
    const failure = this.failures.get(this.applied.length);
    this.applied.push(action);
    if (failure) throw failure;
  }
}

const run = (store: RoleStore, mode: 'enforce' | 'detect' = 'enforce') =>
  reconcile({ desired, mode, store, partition: 'aws' });

describe('reconcile', () => {
  it('costs one read and no write when the role is compliant', async () => {
    const store = new ScriptedStore([compliantRole(desired)]);
    const report = await run(store);
    expect(report).toMatchObject({ drift: [], actions: [], remaining: [], verified: true });
    expect(store.reads).toBe(1);
    expect(store.applied).toEqual([]);
  });

  it('applies the plan and verifies by reading the role back', async () => {
    const store = new ScriptedStore([
      compliantRole(desired, { attachedPolicyArns: [] }),
      compliantRole(desired),
    ]);
    const report = await run(store);
    expect(store.applied.map((a) => a.api)).toEqual(['AttachRolePolicy']);
    expect(store.reads).toBe(2);
    expect(report.actions).toEqual([
      { api: 'AttachRolePolicy', status: 'succeeded', detail: `attach ${SUPPORT_ACCESS}` },
    ]);
    expect(report.remaining).toEqual([]);
    expect(report.error).toBeUndefined();
  });

  it('writes nothing in detect mode and reports the planned actions', async () => {
    const store = new ScriptedStore([compliantRole(desired, { attachedPolicyArns: [] })]);
    const report = await run(store, 'detect');
    expect(store.applied).toEqual([]);
    expect(report.actions).toEqual([
      { api: 'AttachRolePolicy', status: 'planned', detail: `attach ${SUPPORT_ACCESS}` },
    ]);
    expect(report.drift).toHaveLength(1);
  });

  it('re-reads and converges when the role changes under it (EntityAlreadyExists on create)', async () => {
    // Prepare: missing at first read; someone else creates it (without the policy) before we do.
    const store = new ScriptedStore(
      [{ exists: false }, compliantRole(desired, { attachedPolicyArns: [] }), compliantRole(desired)],
      new Map([[0, new RoleChangedConcurrentlyError('EntityAlreadyExistsException', 'CreateRole: exists')]]),
    );

    // Act
    const report = await run(store);

    // Assess
    expect(store.applied.map((a) => a.api)).toEqual(['CreateRole', 'AttachRolePolicy']);
    expect(report.actions.map((a) => [a.api, a.status])).toEqual([
      ['CreateRole', 'superseded'],
      ['AttachRolePolicy', 'succeeded'],
    ]);
    expect(report.error).toBeUndefined();
    expect(report.remaining).toEqual([]);
  });

  it('reports a failed write without retrying it blindly', async () => {
    const store = new ScriptedStore(
      [compliantRole(desired, { attachedPolicyArns: [] })],
      new Map([[0, Object.assign(new Error('not authorized'), { name: 'AccessDenied' })]]),
    );
    const report = await run(store);
    expect(report.error?.message).toBe('not authorized');
    expect(report.verified).toBe(false);
    expect(report.actions).toEqual([
      {
        api: 'AttachRolePolicy',
        status: 'failed',
        detail: `attach ${SUPPORT_ACCESS}: AccessDenied: not authorized`,
      },
    ]);
  });

  it('gives up after the rounds run out when the role keeps drifting', async () => {
    const drifting = compliantRole(desired, { attachedPolicyArns: [] });
    const store = new ScriptedStore([drifting]);
    const report = await reconcile({ desired, mode: 'enforce', store, partition: 'aws', maxRounds: 2 });
    expect(store.applied).toHaveLength(2);
    expect(report.error?.message).toMatch(/still differs after 2 rounds: managedPolicy:/);
  });

  it('reports drift IAM cannot fix in place as skipped, without writing', async () => {
    const store = new ScriptedStore([compliantRole(desired, { path: '/other/' })]);
    const report = await run(store);
    expect(store.applied).toEqual([]);
    expect(report.actions).toMatchObject([{ status: 'skipped', detail: expect.stringMatching(/path/) }]);
    expect(report.remaining).toMatchObject([{ kind: 'path' }]);
  });
});

describe('reconcile when the read-back fails', () => {
  it('keeps what it found and did, and is not verified', async () => {
    let reads = 0;
    const store: RoleStore = {
      read: async () => {
        reads++;
        if (reads > 1) throw Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });
        return compliantRole(desired, { attachedPolicyArns: [] });
      },
      apply: async () => {},
    };
    const report = await reconcile({ desired, mode: 'enforce', store, partition: 'aws' });
    expect(report.verified).toBe(false);
    expect(report.error?.message).toBe('Rate exceeded');
    expect(report.drift).toHaveLength(1);
    expect(report.actions).toEqual([
      { api: 'AttachRolePolicy', status: 'succeeded', detail: `attach ${SUPPORT_ACCESS}` },
    ]);
  });
});

/** A store whose writes wait until released, to observe which writes are in flight together. */
class GatedStore implements RoleStore {
  readonly waves: string[][] = [];
  #inFlight: string[] = [];
  reads = 0;
  constructor(
    private readonly snapshots: RoleSnapshot[],
    private readonly fail: (action: IamAction, wave: number) => Error | undefined = () => undefined,
  ) {}
  async read(): Promise<RoleSnapshot> {
    const snapshot = this.snapshots[Math.min(this.reads++, this.snapshots.length - 1)];
    if (!snapshot) throw new Error('no snapshot');
    return snapshot;
  }
  async apply(action: IamAction): Promise<void> {
    if (this.#inFlight.length === 0) this.waves.push([]);
    this.waves.at(-1)?.push(action.api);
    this.#inFlight.push(action.api);
    await new Promise((resolve) => setTimeout(resolve, 5));
    this.#inFlight.splice(this.#inFlight.indexOf(action.api), 1);
    const error = this.fail(action, this.waves.length);
    if (error) throw error;
  }
}

describe('reconcile sends independent writes together', () => {
  const tampered = compliantRole(desired, {
    trustPolicy: '{"Version":"2012-10-17","Statement":[]}',
    attachedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'],
    inlinePolicyNames: ['x'],
    description: 'changed',
    tags: { intruder: 'yes' },
  });

  it('takes access away in one round trip, then restores in the next (the tag writes apart)', async () => {
    const store = new GatedStore([tampered, compliantRole(desired)]);
    const report = await run(store);
    expect(store.waves).toEqual([
      ['UpdateAssumeRolePolicy', 'DeleteRolePolicy', 'DetachRolePolicy', 'UntagRole'],
      ['AttachRolePolicy', 'UpdateRole', 'TagRole'],
    ]);
    expect(report.error).toBeUndefined();
    expect(report.actions.every((a) => a.status === 'succeeded')).toBe(true);
  });

  it('restores nothing when a removal raced, and writes one at a time after a ConcurrentModification', async () => {
    const store = new GatedStore([tampered, tampered, compliantRole(desired)], (action, wave) =>
      wave === 1 && action.api === 'DetachRolePolicy'
        ? new RoleChangedConcurrentlyError('ConcurrentModificationException', 'DetachRolePolicy: busy')
        : undefined,
    );
    const report = await run(store);
    expect(store.waves[0]).toEqual([
      'UpdateAssumeRolePolicy',
      'DeleteRolePolicy',
      'DetachRolePolicy',
      'UntagRole',
    ]);
    expect(store.waves.slice(1).every((w) => w.length === 1)).toBe(true);
    expect(report.actions.filter((a) => a.status === 'superseded').map((a) => a.api)).toEqual([
      'DetachRolePolicy',
    ]);
    expect(report.error).toBeUndefined();
  });

  it('records every write of a wave when one of them fails', async () => {
    const store = new GatedStore([tampered], (action) =>
      action.api === 'DeleteRolePolicy'
        ? Object.assign(new Error('denied'), { name: 'AccessDenied' })
        : undefined,
    );
    const report = await run(store);
    expect(store.waves).toHaveLength(1);
    expect(report.actions.map((a) => [a.api, a.status])).toEqual([
      ['UpdateAssumeRolePolicy', 'succeeded'],
      ['DeleteRolePolicy', 'failed'],
      ['DetachRolePolicy', 'succeeded'],
      ['UntagRole', 'succeeded'],
    ]);
    expect(report.error?.message).toBe('denied');
  });
});
