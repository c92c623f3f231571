import type { GuardMode } from './config.js';
import { type Deadline, explainAbort, pause } from './deadline.js';
import { type DesiredRole, pinnedPolicyArns } from './desired-state.js';
import { type Drift, detectDrift } from './drift.js';
import {
  describeError,
  InlineQuotaExceededError,
  MissingPolicyError,
  NotVerifiedError,
  RoleChangedConcurrentlyError,
} from './errors.js';
import { type IacOwner, iacOwner } from './iac-owner.js';
import { explainInvalidPrincipal } from './invalid-principal.js';
import {
  describeAction,
  type IamAction,
  type NamedRemoval,
  phases,
  planActions,
  repairedBy,
  revokeSessions,
  takesAway,
  writeTargets,
} from './plan.js';
import type { CallOptions, Clock, RoleStore } from './ports.js';
import type { ActionResult } from './results.js';
import type { RoleSnapshot } from './role-snapshot.js';
import { revocationCovers, revocationCutoff, revocationCutoffAfter } from './session-revocation.js';

export type { ActionResult, ActionStatus } from './results.js';

/**
 * IAM is eventually consistent: a read right after a write may still show the old state. A
 * read-back that shows only drift the guard has just written away, exactly as it saw it before
 * the writes, is read again after each of these pauses (3 s of pauses per round; at most 3 rounds,
 * so about 9 s in the worst case, well inside the 52 s of work the deadline allows) before
 * anything is written again. A round that follows a superseded write (a race) starts after the
 * same pauses, one per such round.
 */
export const READ_BACK_BACKOFF_MS: readonly number[] = [200, 400, 800, 1_600];

/**
 * How old a tampering act's event may be for its first read to be read again when it shows no
 * drift: the pauses of READ_BACK_BACKOFF_MS (3 s) plus the second CloudTrail's whole-second
 * times may hide. The re-reads make the guard conclude from a read at least 3 s after the act;
 * the first read of an older event already is one (a late delivery, a Lambda retry, an attacker's
 * storm of the same call): reading it again for 3 s more would only add cost, not assurance.
 */
export const STALE_READ_WINDOW_MS = READ_BACK_BACKOFF_MS.reduce((a, b) => a + b, 0) + 1_000;

/**
 * How old a tampering act's event may be for the removals it names to go out ahead of the first
 * read (`eventRemovals`): a first delivery (CloudTrail to EventBridge: seconds, a few minutes at
 * worst). An older event is a late retry or a replay, whose act an earlier repair has most likely
 * taken away and whose revocation would then only cut the sessions begun since: the read decides.
 */
export const AHEAD_WINDOW_MS = 5 * 60_000;

export interface ReconcileReport {
  /** Drift found on the first read. */
  readonly drift: readonly Drift[];
  readonly actions: readonly ActionResult[];
  /** Drift left after the last read-back (empty when the role is in desired state). */
  readonly remaining: readonly Drift[];
  /** True when the final state was read back from IAM after the writes. */
  readonly verified: boolean;
  /** Set when a write failed for a reason other than a race, or the rounds ran out. */
  readonly error?: Error;
  readonly roleArn?: string;
  /** When the role was created, when only drift IAM cannot fix in place was found. */
  readonly roleCreatedAt?: string;
  /** Another tool that manages the role, by its tags on the first read (functions/core/iac-owner.ts). */
  readonly managedBy?: IacOwner;
  /**
   * Set when the first read after a tampering act showed no fixable drift and the role was read
   * again (`tamperingEvent`): how many re-reads, the pauses before them, and whether every pause
   * was waited out (false: the deadline cut them short).
   */
  readonly reread?: { readonly reads: number; readonly waitedMs: number; readonly complete: boolean };
}

export interface ReconcileInput {
  readonly desired: DesiredRole;
  readonly mode: GuardMode;
  readonly store: RoleStore;
  readonly partition: string;
  /** Read → plan → apply rounds before giving up on a role that keeps changing. */
  readonly maxRounds?: number;
  /**
   * Revoke the role's sessions issued before the repair when the drift let someone in or added
   * permissions (REVOKE_SESSIONS, on by default). The cut-off is the clock's time at planning plus
   * REVOCATION_MARGIN_MS (the restore takes a moment to be in effect everywhere).
   */
  readonly revokeSessions?: boolean;
  /**
   * The triggering event (by anyone but the guard) named a session-relevant change
   * (isSessionRelevantChange): with revokeSessions, in enforce mode, sessions are revoked whatever
   * the read shows, since the change may already be undone (by the attacker, or by an earlier
   * attempt whose revocation failed: its retry carries the same event). Not when the revocation
   * already on the role covers the event's time (revocationCovers).
   */
  readonly sessionRelevantChange?: { readonly eventTime?: string };
  /**
   * The triggering event was a tampering act (isTamperingAct) at `eventTime` (CloudTrail's, whole
   * seconds). Only a trigger to read again, never desired state: a first read that shows no fixable
   * drift may not show the act yet (IAM is eventually consistent), so the role is read again after
   * each pause of the read-back's backoff until a read shows drift. Not when the event is older than
   * STALE_READ_WINDOW_MS, nor when the role proves a repair ran after it (created after it, or a
   * revocation whose cut-off covers it: firstReadMayBeStale).
   */
  readonly tamperingEvent?: { readonly eventTime?: string };
  /**
   * Writes that take away what the triggering tampering act named (removalsNamedBy), in enforce
   * mode sent alongside the first read instead of after it: one IAM round trip fewer. With them,
   * the session revocation the event calls for (`sessionRelevantChange`). Not when the store's
   * latest revocation (knownRevocationCutoff) covers the event: a repair already ran after it.
   * They count as the first round's writes: its plan leaves out what they did, and the read-back
   * verifies them like any other write.
   */
  readonly eventRemovals?: readonly NamedRemoval[];
  readonly clock?: Clock;
  /** Told when the first read finds drift (the handler starts what a message needs, alongside). */
  readonly onDrift?: (drift: readonly Drift[]) => void;
  /** Every IAM call is aborted when it passes; the report then says so (`error`). */
  readonly deadline?: Deadline;
  /** The pauses before each re-read of a read-back that looks stale (READ_BACK_BACKOFF_MS). */
  readonly readBackBackoffMs?: readonly number[];
}

const arnOf = (role: RoleSnapshot): string | undefined => (role.exists ? role.arn : undefined);

/**
 * Reads the role, plans the writes that remove its drift, applies them and reads it back. A race
 * (the role changed under the guard) starts a new round from a fresh read; a compliant role costs
 * reads only. In detect mode nothing is written: the planned actions are reported.
 *
 * The read-back under eventual consistency: while it still shows drift the guard saw before its
 * writes (same property, same value) and a write of the round that went through repaired, that
 * write may simply not be visible yet, so it is read again after each pause of
 * READ_BACK_BACKOFF_MS. A write is repeated (a new round) only for drift a read shows otherwise:
 * a value the guard did not see (someone else changed the role), or a repair that did not go
 * through (superseded by a race, or never sent because a race stopped the round). This holds after
 * a race too. A write IAM refused because its effect already holds (EntityAlreadyExists on
 * CreateRole, NoSuchEntity on a removal: a concurrent invocation did it) counts as done. New drift
 * a re-read shows while a repair still looks stale is taken away at once (removals never wait);
 * only the stale items are waited for. Still the same after the last pause: `failed`, "applied,
 * not verified" (NotVerifiedError).
 */
export async function reconcile(input: ReconcileInput): Promise<ReconcileReport> {
  const { desired, mode, store, partition, maxRounds = 3, deadline } = input;
  const clock = input.clock ?? (() => new Date());
  // The session revocation's cut-off: the time each round is planned (after the role was read), plus the margin.
  const plan = (drift: readonly Drift[]) =>
    planActions(desired, drift, {
      ...(input.revokeSessions ? { revokeSessionsBefore: revocationCutoffAfter(clock()) } : {}),
      ...(mustRevoke() ? { revokeRegardless: true } : {}),
      ...(role.exists && role.policies ? { policies: role.policies } : {}),
      partition,
    });
  const pinned = pinnedPolicyArns(desired);
  // The pinned policies are read alongside the role (only when there are any: AWS-managed cost nothing).
  const readAll = async (): Promise<RoleSnapshot> => {
    const [read, policies] = await Promise.all([
      store.read(desired.roleName, call),
      pinned.length > 0 && store.readPolicies ? store.readPolicies(pinned, call) : undefined,
    ]);
    return read.exists && policies ? { ...read, policies } : read;
  };
  const backoff = input.readBackBackoffMs ?? READ_BACK_BACKOFF_MS;
  const call: CallOptions = deadline ? { signal: deadline.signal } : {};
  const asError = (error: unknown): Error => {
    const explained = explainAbort(explainInvalidPrincipal(error, desired.trustedPrincipalArns), deadline);
    return explained instanceof Error ? explained : new Error(String(explained));
  };
  const fixable = (drift: readonly Drift[]) => drift.filter((d) => d.remediable);
  // An event named a session-relevant change: revoke once in this invocation, whatever the read shows.
  const forcedOn = (read: RoleSnapshot): boolean =>
    input.revokeSessions === true &&
    input.sessionRelevantChange !== undefined &&
    mode === 'enforce' &&
    read.exists &&
    !revocationCovers(
      revocationCutoff(read.revocationPolicy, clock()),
      input.sessionRelevantChange.eventTime,
    );
  // Every write's result, in the order sent (those sent ahead of the first read first).
  const actions: ActionResult[] = [];
  let revoked = false;
  let remaining: Drift[] = [];
  let aheadFailure: unknown;
  // After IAM answered ConcurrentModification to writes sent together, send one at a time.
  let oneAtATime = false;
  // Policies this reconcile created: IAM may not show them to the next write yet (a race).
  const created = new Set<string>();
  // A round that follows a superseded write starts after a pause (the next of `backoff`).
  let racedBefore = false;
  let raceWaits = 0;
  const send = async (wave: readonly IamAction[], quota: QuotaRefusal = 'defer'): Promise<WaveOutcome> => {
    const first = await applyWave(store, wave, call, created, quota);
    // The revocation the inline quota refused while the deletes went out alongside: again, now
    // that they are done (unless the wave failed or raced: then the next round plans it afresh).
    const again =
      first.deferred.length > 0 && !('failure' in first) && !first.raced
        ? await applyWave(store, first.deferred, call, created, 'fail')
        : undefined;
    const outcome: WaveOutcome = again
      ? {
          ...again,
          results: [...first.results, ...again.results],
          done: [...first.done, ...again.done],
          applied: [...first.applied, ...again.applied],
          concurrentModification: first.concurrentModification || again.concurrentModification,
        }
      : {
          ...first,
          // Not sent again: said in the report, so a `failed` message tells the revocation was refused.
          results: [
            ...first.results,
            ...first.deferred.map((a) => ({
              api: a.api,
              status: first.raced ? ('superseded' as const) : ('failed' as const),
              detail: `${describeAction(a)}: refused by IAM's inline policy quota while the deletes were under way${first.raced ? '; re-reading' : ''}`,
            })),
          ],
        };
    actions.push(...outcome.results);
    for (const a of outcome.done) if (a.api === 'CreatePolicy') created.add(a.policyArn);
    revoked ||= outcome.results.some((r) => r.api === 'PutRolePolicy' && r.status === 'succeeded');
    return outcome;
  };
  // The writes the event names, sent alongside the first read (enforce mode only; see `eventRemovals`).
  const ahead = mode === 'enforce' ? aheadOfRead(input, store, clock()) : [];
  // The trust the event recorded (canonical), when it named one to take away.
  const namedTrust = (input.eventRemovals ?? [])
    .filter((r) => r.drift.kind === 'trust-policy')
    .map((r) => r.drift.before ?? '');
  // The read first: its requests go out before the writes' (a read served before them is likelier).
  const reading = readAll();
  reading.catch(() => undefined);
  const sentAhead = ahead.length > 0 ? send(ahead, 'read') : undefined;
  let role: RoleSnapshot;
  let initial: Drift[];
  let reread: ReconcileReport['reread'];
  // What the writes sent ahead did: their effect holds (`done`), and which of them changed the role.
  let doneAhead: IamAction[] = [];
  let appliedAhead: IamAction[] = [];
  try {
    try {
      role = await reading;
    } finally {
      const outcome = await sentAhead;
      if (outcome) {
        doneAhead = outcome.done;
        appliedAhead = outcome.applied;
        oneAtATime ||= ahead.length > 1 && outcome.concurrentModification;
        racedBefore ||= outcome.raced;
        if ('failure' in outcome) aheadFailure = outcome.failure;
      }
    }
    // The act's drift the read does not show, as the event named it, when a removal sent ahead
    // proves it: a detach or delete IAM carried out (the policy was there), or the desired trust
    // written unless the role proves that another repair took the act away first (then that write
    // only repeated the repair: a trust write goes through whatever the trust was).
    const found = detectDrift(desired, role, partition, clock());
    const eventMs = Date.parse(input.tamperingEvent?.eventTime ?? '');
    const own = ahead.find((a) => a.api === 'PutRolePolicy');
    const ownCutoff = own?.api === 'PutRolePolicy' ? own.cutoff : undefined;
    const repairedEarlier = !Number.isNaN(eventMs) && repairRanAfter(role, eventMs, clock(), ownCutoff);
    initial = withNamedDrift(
      found,
      input.eventRemovals,
      (d) =>
        repairedBy(desired, d, appliedAhead, { partition }) &&
        !(d.kind === 'trust-policy' && repairedEarlier),
    );
    // After a tampering act, a first read without drift may be stale: read again before trusting it.
    // Not when a removal sent ahead took the act away: the read-back verifies that write instead.
    if (
      input.tamperingEvent &&
      !appliedAhead.some((a) => a.api !== 'PutRolePolicy') &&
      fixable(initial).length === 0 &&
      firstReadMayBeStale(role, input.tamperingEvent.eventTime, clock())
    ) {
      reread = { reads: 0, waitedMs: 0, complete: false };
      // Taking access away never waits: the act may already be undone (by the attacker, after
      // using it), so the sessions are revoked before the pauses, not after them.
      // A revocation that did not go through is still due below (mustRevoke), and tried again there.
      if (forcedOn(role) && !revoked) {
        const revocation = revokeSessions(desired.roleName, revocationCutoffAfter(clock()));
        const outcome = await applyWave(store, [revocation], call, new Set(), 'fail');
        actions.push(...outcome.results);
        revoked ||= outcome.results.some((a) => a.status === 'succeeded');
      }
      for (const wait of backoff) {
        if (!(await pause(wait, deadline))) break;
        role = await readAll();
        initial = detectDrift(desired, role, partition, clock());
        reread = { reads: reread.reads + 1, waitedMs: reread.waitedMs + wait, complete: false };
        if (fixable(initial).length > 0) break;
      }
      if (reread.reads === backoff.length || fixable(initial).length > 0)
        reread = { ...reread, complete: true };
    }
  } catch (error) {
    // Writes sent ahead went out: the report says so (not verified), rather than only the failed read.
    if (actions.length > 0)
      return { drift: [], actions, remaining: [], verified: false, error: asError(error) };
    throw asError(error);
  }
  const forced = forcedOn(role);
  function mustRevoke(): boolean {
    return forced && !revoked;
  }
  const owner = role.exists ? iacOwner(role.tags) : undefined;
  const managedBy = owner ? { managedBy: owner } : {};
  const reported = reread ? { reread } : {};
  if (initial.length > 0) input.onDrift?.(initial);
  // A write sent ahead failed (not a race): reported like a failed wave, with what the read showed.
  if (aheadFailure !== undefined) {
    remaining = initial;
    return unverified(asError(aheadFailure));
  }

  if ((fixable(initial).length === 0 && !mustRevoke() && appliedAhead.length === 0) || mode === 'detect') {
    const planned = mode === 'detect' ? plan(initial) : [];
    return {
      drift: initial,
      actions: [
        ...actions,
        ...planned.map((a) => ({ api: a.api, status: 'planned' as const, detail: describeAction(a) })),
        ...skipped(initial),
      ],
      remaining: initial,
      verified: true,
      roleArn: arnOf(role),
      ...(role.exists && role.createdAt ? { roleCreatedAt: role.createdAt } : {}),
      ...managedBy,
      ...reported,
    };
  }

  remaining = initial;
  // The writes sent ahead are the first round's: it is entered to read them back even when the
  // read showed nothing left to write.
  for (
    let round = 1;
    round <= maxRounds &&
    (fixable(remaining).length > 0 || mustRevoke() || (round === 1 && appliedAhead.length > 0));
    round++
  ) {
    if (racedBefore) {
      const wait = backoff[Math.min(raceWaits++, backoff.length - 1)] ?? 0;
      if (!(await pause(wait, deadline))) {
        const reason = deadline?.signal.reason;
        return unverified(reason instanceof Error ? reason : new Error('the deadline passed'));
      }
      racedBefore = false;
    }
    // The state the guard saw before this round's writes, and the policies its plan was made from.
    let seen = remaining;
    const seenPolicies = role.exists && role.policies ? { policies: role.policies } : {};
    // The first round leaves out what the writes sent ahead already did; not the desired trust
    // when the read shows a trust the event did not name (changed again: that write may have
    // gone before the change, and it costs nothing to write it once more).
    const trustChangedAgain = remaining.some(
      (d) => d.kind === 'trust-policy' && !namedTrust.includes(d.before ?? ''),
    );
    const doneTargets = new Set(
      round === 1
        ? doneAhead
            .filter((a) => !(a.api === 'UpdateAssumeRolePolicy' && trustChangedAgain))
            .flatMap(writeTargets)
        : [],
    );
    const actionsOfRound = plan(remaining).filter((a) => !writeTargets(a).every((t) => doneTargets.has(t)));
    const waves: IamAction[][] = oneAtATime
      ? phases(actionsOfRound)
          .flat()
          .map((a) => [a])
      : phases(actionsOfRound);
    // The writes of this round that are done (before a race stopped the round, if one did): they
    // went through, or IAM said their effect already holds.
    const done: IamAction[] = round === 1 ? [...doneAhead] : [];
    for (const wave of waves) {
      const outcome = await send(wave);
      done.push(...outcome.done);
      if ('failure' in outcome) return unverified(asError(outcome.failure));
      if (outcome.raced) {
        oneAtATime ||= wave.length > 1 && outcome.concurrentModification;
        racedBefore = true;
        break;
      }
    }
    // Drift the guard saw, with the same value, that a write of this round has already repaired:
    // the read may simply not show that write yet. Only drift outside it (a value the guard did
    // not see, or a repair that did not go through, as after a race) is written again.
    const notYetVisible = (drift: readonly Drift[]) =>
      fixable(drift).filter(
        (d) =>
          seen.some((s) => s.property === d.property && s.before === d.before) &&
          repairedBy(desired, d, done, { ...seenPolicies, partition }),
      );
    let rereads = 0;
    try {
      for (;;) {
        role = await readAll();
        remaining = detectDrift(desired, role, partition, clock());
        const stale = notYetVisible(remaining);
        if (stale.length === 0) break;
        // Drift this read shows besides the stale items: taking access away never waits. The
        // removals go out now and are then waited for like the round's own writes.
        const fresh = fixable(remaining).filter((d) => !stale.includes(d));
        const removals = plan(fresh).filter(takesAway);
        for (const wave of phases(removals)) {
          const outcome = await send(wave);
          done.push(...outcome.done);
          if ('failure' in outcome) return unverified(asError(outcome.failure));
          oneAtATime ||= wave.length > 1 && outcome.concurrentModification;
          racedBefore ||= outcome.raced;
          if (outcome.raced) break;
        }
        if (removals.length > 0) seen = [...seen, ...fresh];
        const wait = backoff[rereads];
        const still = `IAM still showed ${list(stale)} as before the writes`;
        const why = 'not visible yet, or it was changed back';
        if (wait === undefined) {
          const waited = backoff.reduce((a, b) => a + b, 0) / 1000;
          return notVerified(`${still} after ${rereads} re-reads over ${waited} s (${why})`);
        }
        if (!(await pause(wait, deadline))) {
          const reason = deadline?.signal.reason;
          return notVerified(
            `${still} when ${reason instanceof Error ? reason.message : 'the deadline passed'} (${why})`,
          );
        }
        rereads++;
      }
    } catch (error) {
      // The writes went out but the result cannot be read back: not verified, so not "remediated".
      return unverified(asError(error));
    }
  }
  function unverified(error: Error): ReconcileReport {
    return {
      drift: initial,
      actions,
      remaining,
      verified: false,
      error,
      roleArn: arnOf(role),
      ...managedBy,
      ...reported,
    };
  }
  function notVerified(why: string): ReconcileReport {
    return unverified(new NotVerifiedError(`applied, not verified: ${why} (IAM is eventually consistent)`));
  }
  const unresolved = fixable(remaining);
  return {
    drift: initial,
    actions: [...actions, ...skipped(remaining)],
    remaining,
    verified: true,
    roleArn: arnOf(role),
    ...managedBy,
    ...reported,
    ...(unresolved.length > 0
      ? {
          error: new Error(
            `the role still differs after ${maxRounds} rounds: ${unresolved.map((d) => d.property).join(', ')}`,
          ),
        }
      : mustRevoke()
        ? {
            error: new Error(
              `the sessions were not revoked after ${maxRounds} rounds: the role kept changing`,
            ),
          }
        : {}),
  };
}

const list = (drift: readonly Drift[]): string => drift.map((d) => d.property).join(', ');

/**
 * The writes to send alongside the first read: the plan (planActions, in its order) for the drift
 * the event names (`eventRemovals`), with the session revocation it calls for. None when the
 * store's latest revocation covers the event (a repair ran after the act: its writes would only be
 * repeated), nor without an event to name them.
 */
function aheadOfRead(input: ReconcileInput, store: RoleStore, now: Date): IamAction[] {
  const named = (input.eventRemovals ?? []).map((r) => r.drift);
  if (named.length === 0) return [];
  const eventTime = input.sessionRelevantChange?.eventTime ?? input.tamperingEvent?.eventTime;
  if (!(now.getTime() - Date.parse(eventTime ?? '') <= AHEAD_WINDOW_MS)) return [];
  if (revocationCovers(store.knownRevocationCutoff?.(input.desired.roleName), eventTime)) return [];
  const revoke = input.revokeSessions === true && input.sessionRelevantChange !== undefined;
  return planActions(input.desired, named, {
    ...(revoke ? { revokeSessionsBefore: revocationCutoffAfter(now) } : {}),
    partition: input.partition,
  });
}

/**
 * The first read's drift, with the drift of each act the event named whose removal sent ahead IAM
 * carried out, when the read does not show it: the read was served after the removal, or before
 * the act was visible (IAM is eventually consistent). So the report, and on-call, still hear of
 * what the act did, as CloudTrail recorded it, and the read-back waits for it like any other.
 */
function withNamedDrift(
  drift: Drift[],
  named: readonly NamedRemoval[] | undefined,
  removedAhead: (drift: Drift) => boolean,
): Drift[] {
  // (IAM's names regardless of case: the event may name a policy otherwise than IAM lists it)
  const shown = new Set(drift.map((d) => d.property.toLowerCase()));
  const proven = (named ?? [])
    .map((n) => n.drift)
    .filter((d) => !shown.has(d.property.toLowerCase()) && removedAhead(d));
  return proven.length > 0 ? [...drift, ...proven] : drift;
}

/**
 * Whether a read of the role after a tampering act at `eventTime` may not show the act yet: the
 * event is younger than STALE_READ_WINDOW_MS (or has no time), and nothing on the role proves a
 * repair ran after it. CloudTrail times are whole seconds: an act at 20:14:31Z happened before
 * 20:14:32Z, so only a role created, or a revocation planned, at least a second after it counts.
 */
export function firstReadMayBeStale(role: RoleSnapshot, eventTime: string | undefined, now: Date): boolean {
  const event = eventTime === undefined ? Number.NaN : Date.parse(eventTime);
  if (Number.isNaN(event)) return true;
  if (now.getTime() - event > STALE_READ_WINDOW_MS) return false;
  return !repairRanAfter(role, event, now);
}

/**
 * Whether the role proves that a repair ran after an act at `event` (ms; CloudTrail's whole
 * seconds): created at least a second after it, or a revocation whose cut-off covers it. `own`:
 * the cut-off of this invocation's own revocation, which proves nothing about an earlier repair.
 */
function repairRanAfter(role: RoleSnapshot, event: number, now: Date, own?: string): boolean {
  if (!role.exists) return false;
  const after = new Date(event + 1_000).toISOString();
  if (role.createdAt !== undefined && Date.parse(role.createdAt) >= event + 1_000) return true;
  const cutoff = revocationCutoff(role.revocationPolicy, now);
  return cutoff !== own && revocationCovers(cutoff, after);
}

interface WaveOutcome {
  readonly results: ActionResult[];
  /** The writes that went through, or whose effect IAM said already holds. */
  readonly done: IamAction[];
  /** The writes that went through (IAM carried them out). */
  readonly applied: IamAction[];
  /** A write failed for a reason other than a race: stop and report it. */
  readonly failure?: unknown;
  /** The role changed under a write: re-read before anything else is written. */
  readonly raced: boolean;
  readonly concurrentModification: boolean;
  /** Writes to send again once this wave is done (the revocation the inline quota refused). */
  readonly deferred: IamAction[];
}

/** Removals whose NoSuchEntity means the thing to remove is already gone (or the whole role). */
const REMOVALS: ReadonlySet<IamAction['api']> = new Set([
  'DetachRolePolicy',
  'DeleteRolePolicy',
  'UntagRole',
  'DeleteRolePermissionsBoundary',
]);

/**
 * A race whose answer says the write's effect already holds (a concurrent invocation did it):
 * EntityAlreadyExists on CreateRole, NoSuchEntity on a removal.
 */
function alreadyDone(action: IamAction, error: RoleChangedConcurrentlyError): boolean {
  return action.api === 'CreateRole'
    ? /EntityAlreadyExists/.test(error.code)
    : REMOVALS.has(action.api) && /NoSuchEntity/.test(error.code);
}

/** Why a write was superseded, for its result. */
function supersededDetail(action: IamAction, code: string, done: boolean): string {
  const what = describeAction(action);
  if (done) return `${what}: already so (${code}: a concurrent change did it); re-reading`;
  if (/ConcurrentModification/.test(code))
    return `${what}: IAM was busy with another write to the role (${code}; it may be one of the guard's own sent alongside); re-reading`;
  return `${what}: the role changed meanwhile (${code}); re-reading`;
}

/**
 * What a wave makes of IAM's inline quota refusing the session revocation: `defer`, send it again
 * once the deletes sent alongside are done (when there are any; otherwise a failure); `read`, the
 * same, but a wave sent ahead of the first read without deletes leaves it to that read, whose plan
 * deletes what fills the quota and revokes alongside (`mustRevoke`): neither a failure nor done;
 * `fail`, a failure.
 */
type QuotaRefusal = 'defer' | 'read' | 'fail';

/** Sends the writes of one wave together and waits for all of them; results in plan order. */
async function applyWave(
  store: RoleStore,
  wave: readonly IamAction[],
  call: CallOptions,
  created: ReadonlySet<string>,
  quota: QuotaRefusal,
): Promise<WaveOutcome> {
  const settled = await Promise.allSettled(wave.map((action) => store.apply(action, call)));
  const results: ActionResult[] = [];
  const done: IamAction[] = [];
  const applied: IamAction[] = [];
  const deferred: IamAction[] = [];
  const deletes = wave.some((a) => a.api === 'DeleteRolePolicy');
  let failure: unknown;
  let raced = false;
  let concurrentModification = false;
  settled.forEach((s, i) => {
    const action = wave[i] as IamAction;
    if (s.status === 'fulfilled') {
      done.push(action);
      applied.push(action);
      results.push({ api: action.api, status: 'succeeded', detail: describeAction(action) });
    } else if (s.reason instanceof RoleChangedConcurrentlyError) {
      raced = true;
      concurrentModification ||= /ConcurrentModification/.test(s.reason.code);
      const already = alreadyDone(action, s.reason);
      if (already) done.push(action);
      results.push({
        api: action.api,
        status: 'superseded',
        detail: supersededDetail(action, s.reason.code, already),
      });
    } else if (quota !== 'fail' && deletes && s.reason instanceof InlineQuotaExceededError) {
      // Not a result of its own: it is sent again right after, and that answer is its result.
      deferred.push(action);
    } else if (quota === 'read' && s.reason instanceof InlineQuotaExceededError) {
      results.push({
        api: action.api,
        status: 'superseded',
        detail: `${describeAction(action)}: refused by IAM's inline policy quota (${s.reason.code}); planned again after the read, with the deletes that make room`,
      });
    } else if (s.reason instanceof MissingPolicyError && created.has(s.reason.policyArn)) {
      // The policy this reconcile created is not visible to IAM's next write yet: wait, re-read.
      raced = true;
      results.push({
        api: action.api,
        status: 'superseded',
        detail: `${describeAction(action)}: IAM does not show the policy created in this repair yet (${s.reason.code}); re-reading`,
      });
    } else {
      failure ??= s.reason;
      results.push({
        api: action.api,
        status: 'failed',
        detail: `${describeAction(action)}: ${describeError(s.reason)}`,
      });
    }
  });
  return {
    results,
    done,
    applied,
    ...(failure !== undefined ? { failure } : {}),
    raced,
    concurrentModification,
    deferred,
  };
}

/** Drift IAM cannot fix in place, reported as a skipped action so nobody thinks it was fixed. */
function skipped(drift: readonly Drift[]): ActionResult[] {
  return drift
    .filter((d) => !d.remediable)
    .map(() => ({
      api: 'CreateRole' as const,
      status: 'skipped' as const,
      detail: 'IAM cannot change the path of an existing role: delete the role and the guard recreates it',
    }));
}
