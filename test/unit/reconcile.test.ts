import { describe, expect, it, vi } from 'vitest';
import { deadlineIn } from '../../functions/core/deadline.js';
import {
  InlineQuotaExceededError,
  MissingPolicyError,
  NotVerifiedError,
  RoleChangedConcurrentlyError,
} from '../../functions/core/errors.js';
import type { IamAction } from '../../functions/core/plan.js';
import type { RoleStore } from '../../functions/core/ports.js';
import { READ_BACK_BACKOFF_MS, reconcile, STALE_READ_WINDOW_MS } from '../../functions/core/reconcile.js';
import type { RoleSnapshot } from '../../functions/core/role-snapshot.js';
import {
  REVOCATION_MARGIN_MS,
  REVOCATION_POLICY_NAME,
  revocationPolicy,
} from '../../functions/core/session-revocation.js';
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

  it('gives up after the rounds run out when someone keeps changing the role', async () => {
    // Prepare: each read shows a tag the guard has not seen before (another automation fighting it).
    const store = new ScriptedStore(
      Array.from({ length: 5 }, (_, i) =>
        compliantRole(desired, { tags: { ...desired.tags, intruder: `v${i}` } }),
      ),
    );

    // Act
    const report = await reconcile({ desired, mode: 'enforce', store, partition: 'aws', maxRounds: 2 });

    // Assess
    expect(store.applied.map((a) => a.api)).toEqual(['UntagRole', 'UntagRole']);
    expect(report.error?.message).toMatch(/still differs after 2 rounds: tag:intruder/);
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
      // UpdateRole restores only the description here: it grants nothing, so it goes with the removals.
      ['UpdateAssumeRolePolicy', 'DeleteRolePolicy', 'DetachRolePolicy', 'UpdateRole', 'UntagRole'],
      ['AttachRolePolicy', 'TagRole'],
    ]);
    expect(report.error).toBeUndefined();
    expect(report.actions.every((a) => a.status === 'succeeded')).toBe(true);
  });

  it('shortens sessions with the removals, lengthens them only after', async () => {
    const longer = compliantRole(desired, { ...tampered, maxSessionDuration: 43_200 });
    const shorter = compliantRole(desired, { ...tampered, maxSessionDuration: 900 });
    const wavesOf = async (role: RoleSnapshot) => {
      const store = new GatedStore([role, compliantRole(desired)]);
      await run(store);
      return store.waves.map((wave) => wave.includes('UpdateRole'));
    };
    expect(desired.maxSessionDuration).toBeGreaterThan(900);
    expect(desired.maxSessionDuration).toBeLessThan(43_200);
    expect(await wavesOf(longer)).toEqual([true, false]);
    expect(await wavesOf(shorter)).toEqual([false, true]);
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
      'UpdateRole',
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
      ['UpdateRole', 'succeeded'],
      ['UntagRole', 'succeeded'],
    ]);
    expect(report.error?.message).toBe('denied');
  });
});

describe('reconcile revokes sessions alongside the inline deletes (IAM inline quota)', () => {
  const opened = compliantRole(desired, {
    trustPolicy: '{"Version":"2012-10-17","Statement":[]}',
    inlinePolicyNames: ['filler'],
  });
  const revoking = (store: RoleStore) =>
    reconcile({ desired, mode: 'enforce', store, partition: 'aws', revokeSessions: true });
  const quotaFull = () =>
    new InlineQuotaExceededError(
      'LimitExceededException',
      'Maximum policy size of 10240 bytes exceeded for role',
    );

  it('sends the revocation with the deletes, one round trip, when the quota allows it', async () => {
    const store = new GatedStore([opened, compliantRole(desired)]);
    const report = await revoking(store);
    expect(store.waves).toEqual([['UpdateAssumeRolePolicy', 'DeleteRolePolicy', 'PutRolePolicy']]);
    expect(report.error).toBeUndefined();
  });

  it('sends it again after the deletes when the quota the attacker filled refused it alongside them', async () => {
    const store = new GatedStore([opened, compliantRole(desired)], (action, wave) =>
      wave === 1 && action.api === 'PutRolePolicy' ? quotaFull() : undefined,
    );
    const report = await revoking(store);
    expect(store.waves).toEqual([
      ['UpdateAssumeRolePolicy', 'DeleteRolePolicy', 'PutRolePolicy'],
      ['PutRolePolicy'],
    ]);
    expect(report.error).toBeUndefined();
    expect(report.actions.map((a) => [a.api, a.status])).toEqual([
      ['UpdateAssumeRolePolicy', 'succeeded'],
      ['DeleteRolePolicy', 'succeeded'],
      ['PutRolePolicy', 'succeeded'],
    ]);
  });

  it('reports the refused revocation when its wave failed, so the failed message says so', async () => {
    const store = new GatedStore([opened], (action) =>
      action.api === 'PutRolePolicy'
        ? quotaFull()
        : action.api === 'UpdateAssumeRolePolicy'
          ? Object.assign(new Error('denied'), { name: 'AccessDenied' })
          : undefined,
    );
    const report = await revoking(store);
    expect(store.waves).toEqual([['UpdateAssumeRolePolicy', 'DeleteRolePolicy', 'PutRolePolicy']]);
    expect(report.actions.map((a) => [a.api, a.status])).toEqual([
      ['UpdateAssumeRolePolicy', 'failed'],
      ['DeleteRolePolicy', 'succeeded'],
      ['PutRolePolicy', 'failed'],
    ]);
    expect(report.actions[2]?.detail).toMatch(/inline policy quota/);
  });

  it('fails when the quota refuses the revocation with no delete to wait for', async () => {
    const trustOnly = compliantRole(desired, { trustPolicy: '{"Version":"2012-10-17","Statement":[]}' });
    const store = new GatedStore([trustOnly, compliantRole(desired)], (action) =>
      action.api === 'PutRolePolicy' ? quotaFull() : undefined,
    );
    const report = await revoking(store);
    expect(store.waves).toEqual([['UpdateAssumeRolePolicy', 'PutRolePolicy']]);
    expect(report.actions.find((a) => a.api === 'PutRolePolicy')?.status).toBe('failed');
    expect(report.error?.name).toBe('InlineQuotaExceededError');
  });
});

describe('reconcile under eventual consistency (a read-back that still shows the old state)', () => {
  const detached = compliantRole(desired, { attachedPolicyArns: [] });
  const instant = [0, 0, 0, 0];
  const runWith = (store: RoleStore, extra: Partial<Parameters<typeof reconcile>[0]> = {}) =>
    reconcile({ desired, mode: 'enforce', store, partition: 'aws', readBackBackoffMs: instant, ...extra });

  it('waits 200, 400, 800 and 1,600 ms between re-reads by default (3 s in all)', () => {
    expect(READ_BACK_BACKOFF_MS).toEqual([200, 400, 800, 1_600]);
  });

  it('re-reads a stale read-back and converges without repeating the write', async () => {
    // Prepare: the first three read-backs still show the policy detached.
    const store = new ScriptedStore([detached, detached, detached, detached, compliantRole(desired)]);

    // Act
    const report = await runWith(store);

    // Assess
    expect(store.applied.map((a) => a.api)).toEqual(['AttachRolePolicy']);
    expect(store.reads).toBe(5);
    expect(report).toMatchObject({ remaining: [], verified: true });
    expect(report.error).toBeUndefined();
  });

  it('waits for writes that are only partly visible, without repeating any', async () => {
    // Prepare: admin attached and support detached; the read-back shows the detach, not the attach.
    const tampered = compliantRole(desired, {
      attachedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'],
    });
    const store = new ScriptedStore([tampered, detached, compliantRole(desired)]);

    // Act
    const report = await runWith(store);

    // Assess
    expect(store.applied.map((a) => a.api)).toEqual(['DetachRolePolicy', 'AttachRolePolicy']);
    expect(report).toMatchObject({ remaining: [], verified: true });
  });

  it('repeats a write only when a read shows that someone else changed what it repaired', async () => {
    // Prepare: the read-back shows a state the guard never saw (an intruder tag as well) and its
    // own attachment not yet; then the attachment, the intruder tag still there.
    const changed = compliantRole(desired, {
      attachedPolicyArns: [],
      tags: { ...desired.tags, intruder: 'yes' },
    });
    const intruderOnly = compliantRole(desired, { tags: { ...desired.tags, intruder: 'yes' } });
    const store = new ScriptedStore([detached, changed, intruderOnly, compliantRole(desired)]);

    // Act
    const report = await runWith(store);

    // Assess: the attachment waited for, not sent again; a new round for the intruder tag only.
    expect(store.applied.map((a) => a.api)).toEqual(['AttachRolePolicy', 'UntagRole']);
    expect(report).toMatchObject({ remaining: [], verified: true });
  });

  it('after a race, the writes that went through are waited for, not sent again', async () => {
    // Prepare: description and an added tag (one wave: UpdateRole and UntagRole); UntagRole races
    // (ConcurrentModification: it did not take effect), UpdateRole goes through; the next read is
    // stale, then shows the description.
    const intruder = { ...desired.tags, intruder: 'yes' };
    const both = compliantRole(desired, { description: 'changed by hand', tags: intruder });
    const describedOnly = compliantRole(desired, { tags: intruder });
    const store = new ScriptedStore(
      [both, both, describedOnly, compliantRole(desired)],
      new Map([[1, new RoleChangedConcurrentlyError('ConcurrentModification', 'UntagRole: busy')]]),
    );

    // Act
    const report = await runWith(store);

    // Assess: the stale read waited out; UntagRole again (it never took effect; a removal, sent at
    // once from the stale read), UpdateRole not.
    expect(store.applied.map((a) => a.api)).toEqual(['UpdateRole', 'UntagRole', 'UntagRole']);
    expect(report).toMatchObject({ remaining: [], verified: true });
  });

  it('a CreateRole answered EntityAlreadyExists is already done: waited for, not sent again', async () => {
    // Prepare: another invocation created the role; IAM still answers "missing" for 3 reads.
    const missing: RoleSnapshot = { exists: false };
    const store = new ScriptedStore(
      [missing, missing, missing, missing, compliantRole(desired)],
      new Map([[0, new RoleChangedConcurrentlyError('EntityAlreadyExistsException', 'CreateRole: exists')]]),
    );

    // Act
    const report = await runWith(store);

    // Assess
    expect(store.applied.map((a) => a.api)).toEqual(['CreateRole']);
    expect(report).toMatchObject({ remaining: [], verified: true });
    expect(report.error).toBeUndefined();
    expect(report.actions).toMatchObject([
      { api: 'CreateRole', status: 'superseded', detail: expect.stringMatching(/already/) },
    ]);
  });

  it.each([
    [
      'DetachRolePolicy',
      { attachedPolicyArns: [SUPPORT_ACCESS, 'arn:aws:iam::aws:policy/AdministratorAccess'] },
    ],
    ['DeleteRolePolicy', { inlinePolicyNames: ['backdoor'] }],
    ['UntagRole', { tags: { ...desired.tags, intruder: 'yes' } }],
    ['DeleteRolePermissionsBoundary', { permissionsBoundaryArn: 'arn:aws:iam::aws:policy/PowerUserAccess' }],
  ] as const)(
    'a %s answered NoSuchEntity is already done: waited for, not sent again',
    async (api, drift) => {
      // Prepare: a concurrent invocation removed it first; the reads stay stale for 3 re-reads.
      const tampered = compliantRole(desired, drift);
      const store = new ScriptedStore(
        [tampered, tampered, tampered, tampered, compliantRole(desired)],
        new Map([[0, new RoleChangedConcurrentlyError('NoSuchEntity', `${api}: not there`)]]),
      );

      // Act
      const report = await reconcile({
        desired,
        mode: 'enforce',
        store,
        partition: 'aws',
        readBackBackoffMs: instant,
      });

      // Assess
      expect(store.applied.map((a) => a.api)).toEqual([api]);
      expect(report).toMatchObject({ remaining: [], verified: true });
      expect(report.error).toBeUndefined();
    },
  );

  it('pauses with the backoff before a round that follows a superseded write', async () => {
    // Prepare: ConcurrentModification on the write; the re-read shows the drift still there.
    vi.useFakeTimers();
    try {
      const store = new ScriptedStore(
        [detached, detached, compliantRole(desired)],
        new Map([[0, new RoleChangedConcurrentlyError('ConcurrentModificationException', 'busy')]]),
      );

      // Act
      const done = reconcile({ desired, mode: 'enforce', store, partition: 'aws' });
      await vi.advanceTimersByTimeAsync((READ_BACK_BACKOFF_MS[0] ?? 0) - 1);
      const beforePause = store.applied.length;
      await vi.advanceTimersByTimeAsync(1);
      const report = await done;

      // Assess: the second attempt only after the first pause.
      expect(beforePause).toBe(1);
      expect(store.applied.map((a) => a.api)).toEqual(['AttachRolePolicy', 'AttachRolePolicy']);
      expect(report.actions[0]?.detail).not.toMatch(/the role changed meanwhile/);
      expect(report).toMatchObject({ remaining: [], verified: true });
    } finally {
      vi.useRealTimers();
    }
  });

  it('removes new drift at once while an earlier repair still looks stale', async () => {
    // Prepare: AWSSupportAccess detached; every read-back still shows it detached (stale, or an
    // attacker re-detaching it) and AdministratorAccess added.
    const admin = 'arn:aws:iam::aws:policy/AdministratorAccess';
    const readsAtWrite: number[] = [];
    const store = new ScriptedStore([detached, compliantRole(desired, { attachedPolicyArns: [admin] })]);
    const apply = store.apply.bind(store);
    store.apply = async (action) => {
      readsAtWrite.push(store.reads);
      return apply(action);
    };

    // Act
    const report = await runWith(store);

    // Assess: the detach went out right after the read that showed it, once; the report is honest.
    expect(store.applied.map((a) => `${a.api} ${'policyArn' in a ? a.policyArn : ''}`)).toEqual([
      `AttachRolePolicy ${SUPPORT_ACCESS}`,
      `DetachRolePolicy ${admin}`,
    ]);
    expect(readsAtWrite).toEqual([1, 2]);
    expect(report.verified).toBe(false);
    expect(report.error).toBeInstanceOf(NotVerifiedError);
    expect(report.error?.message).toMatch(/or it was changed back/);
  });

  it('a pinned policy it just recreated, not yet visible to the attach: a race, waited for', async () => {
    // Prepare: the pinned policy was deleted (and so detached); CreatePolicy goes through, the
    // AttachRolePolicy right after it is answered NoSuchEntity for the policy.
    const pinned = 'arn:aws:iam::123456789012:policy/guard/pinned';
    const pinning = {
      ...desired,
      requiredPolicyArns: [...desired.requiredPolicyArns, pinned],
      policyDocuments: {
        [pinned]: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'support:*', Resource: '*' }],
        },
      },
    };
    const version = {
      versionId: 'v1',
      isDefault: true,
      document: JSON.stringify(pinning.policyDocuments[pinned]),
    };
    const detachedRole = compliantRole(pinning, { attachedPolicyArns: [SUPPORT_ACCESS] });
    const roles = [detachedRole, detachedRole, compliantRole(pinning)];
    const policies = [null, { versions: [version] }, { versions: [version] }];
    let reads = 0;
    const applied: string[] = [];
    const store: RoleStore = {
      read: async () => roles[Math.min(reads++, roles.length - 1)] as RoleSnapshot,
      readPolicies: async () => ({ [pinned]: policies[Math.min(reads - 1, policies.length - 1)] ?? null }),
      apply: async (action) => {
        applied.push(action.api);
        if (action.api === 'AttachRolePolicy' && applied.filter((a) => a === 'AttachRolePolicy').length === 1)
          throw new MissingPolicyError('NoSuchEntity', pinned, 'AttachRolePolicy: Policy does not exist');
      },
    };

    // Act
    const report = await reconcile({
      desired: pinning,
      mode: 'enforce',
      store,
      partition: 'aws',
      readBackBackoffMs: instant,
    });

    // Assess
    expect(applied).toEqual(['CreatePolicy', 'AttachRolePolicy', 'AttachRolePolicy']);
    expect(report.error).toBeUndefined();
    expect(report).toMatchObject({ remaining: [], verified: true });
    expect(report.actions.map((a) => `${a.api} ${a.status}`)).toEqual([
      'CreatePolicy succeeded',
      'AttachRolePolicy superseded',
      'AttachRolePolicy succeeded',
    ]);
  });

  it('past the bound: failed as "applied, not verified", the write done once', async () => {
    // Prepare
    const store = new ScriptedStore([detached]);

    // Act
    const report = await runWith(store);

    // Assess: the read-back and one re-read per pause, then an honest failure.
    expect(store.applied.map((a) => a.api)).toEqual(['AttachRolePolicy']);
    expect(store.reads).toBe(1 + 1 + instant.length);
    expect(report.verified).toBe(false);
    expect(report.error).toBeInstanceOf(NotVerifiedError);
    expect(report.error?.message).toMatch(
      /^applied, not verified: IAM still showed managedPolicy:\S+ as before the writes after 4 re-reads/,
    );
    expect(report.actions).toMatchObject([{ api: 'AttachRolePolicy', status: 'succeeded' }]);
  });

  it('stops waiting when the deadline passes, and says so', async () => {
    // Prepare
    const store = new ScriptedStore([detached]);
    const deadline = deadlineIn(0, 8_000);
    await new Promise((resolve) => setTimeout(resolve, 5));

    // Act
    const report = await runWith(store, { deadline, readBackBackoffMs: READ_BACK_BACKOFF_MS });

    // Assess
    expect(store.reads).toBe(2);
    expect(report.error?.message).toMatch(/^applied, not verified: .* when the invocation's deadline passed/);
  });
});

describe('reconcile after a tampering event whose first read may be stale', () => {
  const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
  const eventTime = '2026-11-27T20:14:31Z';
  const at = (ms: number) => () => new Date(Date.parse(eventTime) + ms);
  const tampered = compliantRole(desired, { attachedPolicyArns: [SUPPORT_ACCESS, ADMIN] });
  const instant = [0, 0, 0, 0];
  const runAfter = (store: RoleStore, extra: Partial<Parameters<typeof reconcile>[0]> = {}) =>
    reconcile({
      desired,
      mode: 'enforce',
      store,
      partition: 'aws',
      readBackBackoffMs: instant,
      tamperingEvent: { eventTime },
      clock: at(2_000),
      ...extra,
    });

  it('reads again while the role still looks as before the event, then repairs from the read that shows it', async () => {
    // Prepare: the first two reads do not show the attacker's attachment yet.
    const before = compliantRole(desired);
    const store = new ScriptedStore([before, before, tampered, compliantRole(desired)]);

    // Act
    const report = await runAfter(store);

    // Assess: two re-reads, the repair from the third read, verified by the fourth.
    expect(store.reads).toBe(4);
    expect(store.applied.map((a) => a.api)).toEqual(['DetachRolePolicy']);
    expect(report.drift).toMatchObject([{ property: `managedPolicy:${ADMIN}` }]);
    expect(report).toMatchObject({ remaining: [], verified: true });
    expect(report.error).toBeUndefined();
  });

  it('a deletion not visible yet: re-read, then recreated', async () => {
    // Prepare: the role created long before the event still shows; then it is gone.
    const old = compliantRole(desired, { createdAt: '2026-01-01T00:00:00Z' });
    const store = new ScriptedStore([old, { exists: false }, compliantRole(desired)]);

    // Act
    const report = await runAfter(store);

    // Assess
    expect(store.applied.map((a) => a.api)[0]).toBe('CreateRole');
    expect(report).toMatchObject({ remaining: [], verified: true });
  });

  it('revokes sessions before reading again when the event named a session-relevant change (the attacker may have undone it)', async () => {
    // Prepare: every read shows the desired role; the event opened the trust (session-relevant).
    const order: string[] = [];
    const inner = new ScriptedStore([compliantRole(desired)]);
    const store: RoleStore = {
      read: async (name) => {
        order.push('read');
        return inner.read();
      },
      apply: async (action) => {
        order.push(action.api);
        return inner.apply(action);
      },
    };

    // Act
    const report = await runAfter(store, {
      revokeSessions: true,
      sessionRelevantChange: { eventTime },
      readBackBackoffMs: [1, 2, 3, 4],
    });

    // Assess: the revocation goes out right after the first read, the re-reads after it, and it is
    // not sent again (it covers the event), nor is anything else written.
    expect(order).toEqual(['read', 'PutRolePolicy', 'read', 'read', 'read', 'read']);
    expect(report.actions.map((a) => [a.api, a.status])).toEqual([['PutRolePolicy', 'succeeded']]);
    expect(report.error).toBeUndefined();
  });

  it('still compliant after every pause: compliant, and says how often and how long it read again', async () => {
    // Prepare
    const store = new ScriptedStore([compliantRole(desired)]);

    // Act
    const report = await runAfter(store, { readBackBackoffMs: [1, 2, 3, 4] });

    // Assess: the first read and one re-read per pause, nothing written.
    expect(store.reads).toBe(1 + 4);
    expect(store.applied).toEqual([]);
    expect(report).toMatchObject({
      drift: [],
      remaining: [],
      verified: true,
      reread: { reads: 4, waitedMs: 10, complete: true },
    });
  });

  it('uses the read-back backoff by default (200, 400, 800, 1,600 ms)', async () => {
    // Prepare: a pause shorter than the first backoff step is cut by the deadline.
    const store = new ScriptedStore([compliantRole(desired)]);
    const deadline = deadlineIn(50, 8_000);

    // Act
    const report = await runAfter(store, { readBackBackoffMs: undefined, deadline });
    deadline.dispose();

    // Assess: no re-read happened before the first 200 ms pause was cut short.
    expect(store.reads).toBe(1);
    expect(report).toMatchObject({ drift: [], reread: { reads: 0, complete: false } });
  });

  it('costs one read and no pause without a tampering event (a sweep, a benign call)', async () => {
    const store = new ScriptedStore([compliantRole(desired), tampered]);
    const report = await runAfter(store, { tamperingEvent: undefined });
    expect(store.reads).toBe(1);
    expect(report.reread).toBeUndefined();
  });

  it(`an event older than the consistency window (${STALE_READ_WINDOW_MS / 1000} s) is not waited for`, async () => {
    const store = new ScriptedStore([compliantRole(desired), tampered]);
    const report = await runAfter(store, { clock: at(STALE_READ_WINDOW_MS + 1_000) });
    expect(store.reads).toBe(1);
    expect(report.reread).toBeUndefined();
  });

  it('an event inside the window (or without a time) is waited for', async () => {
    const inside = new ScriptedStore([compliantRole(desired), tampered, compliantRole(desired)]);
    await runAfter(inside, { clock: at(STALE_READ_WINDOW_MS - 1_000) });
    expect(inside.applied.map((a) => a.api)).toEqual(['DetachRolePolicy']);
    const untimed = new ScriptedStore([compliantRole(desired), tampered, compliantRole(desired)]);
    await runAfter(untimed, { tamperingEvent: {} });
    expect(untimed.applied.map((a) => a.api)).toEqual(['DetachRolePolicy']);
  });

  it('a role created after the event is not waited for (a repair already recreated it)', async () => {
    const recreated = compliantRole(desired, { createdAt: '2026-11-27T20:14:32Z' });
    const store = new ScriptedStore([recreated, tampered]);
    const report = await runAfter(store);
    expect(store.reads).toBe(1);
    expect(report.reread).toBeUndefined();
  });

  it('a role created in the same second as the event is waited for (CloudTrail times are whole seconds)', async () => {
    const sameSecond = compliantRole(desired, { createdAt: '2026-11-27T20:14:31.900Z' });
    const store = new ScriptedStore([sameSecond, tampered, compliantRole(desired)]);
    await runAfter(store);
    expect(store.applied.map((a) => a.api)).toEqual(['DetachRolePolicy']);
  });

  it("a revocation whose cut-off covers the event is not waited for (the guard's repair ran after it)", async () => {
    const cutoff = new Date(Date.parse(eventTime) + 1_000 + REVOCATION_MARGIN_MS).toISOString();
    const covered = compliantRole(desired, {
      inlinePolicyNames: [REVOCATION_POLICY_NAME],
      revocationPolicy: JSON.stringify(revocationPolicy(cutoff)),
    });
    const store = new ScriptedStore([covered, tampered]);
    const report = await runAfter(store);
    expect(store.reads).toBe(1);
    expect(report.reread).toBeUndefined();
  });

  it('a revocation planned in the same second as the event does not cover it', async () => {
    const cutoff = new Date(Date.parse(eventTime) + 500 + REVOCATION_MARGIN_MS).toISOString();
    const revoked = {
      inlinePolicyNames: [REVOCATION_POLICY_NAME],
      revocationPolicy: JSON.stringify(revocationPolicy(cutoff)),
    };
    const sameSecond = compliantRole(desired, revoked);
    const store = new ScriptedStore([
      sameSecond,
      compliantRole(desired, { ...revoked, attachedPolicyArns: [SUPPORT_ACCESS, ADMIN] }),
      sameSecond,
    ]);
    await runAfter(store);
    expect(store.applied.map((a) => a.api)).toContain('DetachRolePolicy');
  });

  it('re-reads in detect mode too, and reports the drift the later read shows', async () => {
    const store = new ScriptedStore([compliantRole(desired), tampered]);
    const report = await runAfter(store, { mode: 'detect' });
    expect(store.applied).toEqual([]);
    expect(report.actions).toMatchObject([{ api: 'DetachRolePolicy', status: 'planned' }]);
  });
});
