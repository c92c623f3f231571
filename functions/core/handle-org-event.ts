import { chatThreadId } from './chat-message.js';
import { classifyEvent } from './classify-event.js';
import { explainAbort, untilDeadline } from './deadline.js';
import { AccountUnreachableError, describeError, NotificationError } from './errors.js';
import { type DriftEntry, type GuardResult, type Outcome, outcomeOf } from './guard-result.js';
import { MEMBER_STACK_SET_NAME } from './guard-roles.js';
import { flushFollowUps, type GuardDeps, handleEvent, ignoredResult, withChat } from './handle-event.js';
import { utf8Bytes } from './message-budget.js';
import { managedByOf, renderSweepSummary } from './notification.js';
import { resolveDesired } from './placeholders.js';
import type {
  AccountAccess,
  AccountDirectory,
  Enrolment,
  EnrolmentDirectory,
  MemberAccount,
} from './ports.js';
import type { ActionResult } from './reconcile.js';
import { reconcile } from './reconcile.js';
import { cutText, wellFormed } from './safe-text.js';
import { ENROLMENT_READ_FAILED_METRIC } from './telemetry.js';

/** One account's part of an organization sweep. */
export interface AccountResult {
  readonly account: string;
  readonly outcome: Outcome;
  readonly drift: readonly DriftEntry[];
  readonly actions: readonly ActionResult[];
  readonly reason?: string;
  /** False for a not-enrolled account within its grace period: counted, not named to on-call. */
  readonly attention?: boolean;
}

/** One account as the sweep's result names it: no drift or actions (those are in the log). */
export interface ListedAccount {
  readonly account: string;
  readonly outcome: Outcome;
  /** Cut to SWEEP_RESULT_REASON_CHARS. */
  readonly reason?: string;
  readonly attention?: false;
}

/** Every account of a sweep, counted. */
export interface SweepTally {
  readonly total: number;
  readonly counts: Readonly<Record<Outcome, number>>;
  /** Accounts that needed attention (named in the summary message). */
  readonly attention: number;
  /** Accounts that `accounts` leaves out ("and N more"): their detail is in the log only. */
  readonly omitted: number;
}

/**
 * A sweep's result is what Lambda returns and what the idempotency table stores (one DynamoDB
 * item, at most 400 KB), and what the deploy-time reconcile reads: bounded whatever the number of
 * accounts. It counts every account and names at most SWEEP_RESULT_MAX_ACCOUNTS, the worst first
 * (failed, then not-enrolled, ...); each account's full detail (drift, actions, whole reason) is
 * logged ("sweep account") under the sweep's correlation id.
 */
export interface OrganizationResult extends GuardResult {
  readonly sweep?: SweepTally;
  readonly accounts?: readonly ListedAccount[];
}

/** At most this many accounts are named in a sweep's result. */
export const SWEEP_RESULT_MAX_ACCOUNTS = 100;
/** A named account's reason is cut to this many characters. */
export const SWEEP_RESULT_REASON_CHARS = 500;
/** The named accounts stop before their JSON passes this many bytes (so the result stays under 64 KiB). */
export const SWEEP_RESULT_LIST_BYTES = 48 * 1024;
/** The bound on a sweep result's JSON (UTF-8 bytes): well under DynamoDB's 400 KB item limit. */
export const SWEEP_RESULT_MAX_BYTES = 64 * 1024;

export interface OrganizationDeps extends Omit<GuardDeps, 'store'> {
  readonly access: AccountAccess;
  readonly directory: AccountDirectory;
  /** Which accounts the member StackSet reached; without it, an unreachable account is `failed`. */
  readonly enrolment?: EnrolmentDirectory;
}

const SEVERITY: Record<Outcome, number> = {
  ignored: 0,
  compliant: 1,
  'not-enrolled': 2,
  'drift-detected': 3,
  remediated: 4,
  failed: 5,
};

/**
 * Organization mode. A role change is handled in the account it happened in (the event's
 * account), through the member remediation role, exactly as in one account. A sweep walks every
 * account with bounded concurrency; one failing account never blocks the others, and one summary
 * message tells on-call about every account that drifted or failed.
 */
export async function handleOrganizationEvent(
  event: unknown,
  deps: OrganizationDeps,
): Promise<OrganizationResult> {
  const { config } = deps;
  const organization = config.organization;
  if (!organization) throw new Error('organization mode needs MEMBER_ROLE_NAME');
  const classification = classifyEvent(event, {
    desired: config.desired,
    guardRoleArn: config.guardRoleArn,
    memberRoleName: config.organization?.memberRoleName,
    partition: config.partition,
  });
  const log = deps.log ?? (() => {});

  if (classification.kind === 'role-change') {
    const account = classification.trigger.account;
    if (account === undefined || !/^\d{12}$/.test(account)) {
      return ignoredResult(
        { reason: 'malformed event: no account id to act in', eventId: classification.trigger.eventId },
        log,
      );
    }
    const store = deps.access.storeFor(account, classification.trigger.eventId);
    const desired = resolveDesired(config.desired, { account, partition: config.partition });
    return handleEvent(event, { ...deps, config: { ...config, desired }, store });
  }
  if (classification.kind === 'ignored') return ignoredResult(classification, log);

  const accounts = await deps.directory.listAccounts();
  log('organization sweep', { accounts: accounts.length, concurrency: organization.sweepConcurrency });
  const swept: SweptAccount[] = [];
  const queue = [...accounts];
  const session = classification.eventId ?? 'sweep';
  await Promise.all(
    Array.from({ length: Math.min(organization.sweepConcurrency, queue.length) }, async () => {
      for (let account = queue.shift(); account !== undefined; account = queue.shift()) {
        swept.push(await sweepAccount(account.id, session, deps));
      }
    }),
  );
  const results = await classifyUnreachable(swept, accounts, deps, log);
  results.sort((a, b) => a.account.localeCompare(b.account));
  const attention = results.filter((r) => r.outcome !== 'compliant' && r.attention !== false);
  const outcome = attention.reduce<Outcome>(
    (worst, r) => (SEVERITY[r.outcome] > SEVERITY[worst] ? r.outcome : worst),
    'compliant',
  );
  const result: OrganizationResult = {
    outcome,
    ...(classification.eventId ? { eventId: classification.eventId } : {}),
    ...(attention.length > 0
      ? { reason: `${attention.length} of ${results.length} accounts needed attention` }
      : {}),
    drift: [],
    actions: [],
    notified: attention.length > 0,
    ...sweepResult(results, attention.length),
  };
  if (attention.length > 0) {
    const notification = renderSweepSummary({
      accounts: results,
      region: config.region,
      roleName: config.desired.roleName,
      mode: config.mode,
      time: (deps.clock ?? (() => new Date()))(),
      // Without a configured list the sweep walked the organization's accounts (ListAccounts).
      organizationAccounts: config.organization?.accountIds ?? results.map((r) => r.account),
    });
    try {
      await deps.notifier.publish(
        withChat(notification, chatThreadId('organization', undefined, notification.document.time), deps),
        classification.eventId ? { deliveryId: `${classification.eventId}#summary` } : {},
      );
    } catch (error) {
      throw new NotificationError(`publishing the sweep summary failed: ${describeError(error)}`, {
        cause: error,
      });
    }
  }
  // The sweep sends the follow-ups of closed storm windows (every member account's).
  const storm = deps.storm;
  if (storm) await flushFollowUps(() => storm.due((deps.clock ?? (() => new Date()))()), deps);
  // The full detail of every account not compliant, one entry each (a log event is at most 256 KB).
  for (const r of results) if (r.outcome !== 'compliant') log('sweep account', { ...r });
  log('organization sweep done', { outcome, accounts: results.length, attention: attention.length });
  return result;
}

/** The bounded part of a sweep's result: every account counted, the worst ones named. */
export function sweepResult(
  results: readonly AccountResult[],
  attention: number,
): { sweep: SweepTally; accounts: ListedAccount[] } {
  const counts: Record<Outcome, number> = {
    failed: 0,
    'not-enrolled': 0,
    'drift-detected': 0,
    remediated: 0,
    compliant: 0,
    ignored: 0,
  };
  for (const r of results) counts[r.outcome]++;
  const ranked = [...results].sort(
    (a, b) => SEVERITY[b.outcome] - SEVERITY[a.outcome] || a.account.localeCompare(b.account),
  );
  const accounts: ListedAccount[] = [];
  let bytes = 2;
  for (const r of ranked.slice(0, SWEEP_RESULT_MAX_ACCOUNTS)) {
    const listed: ListedAccount = {
      account: r.account,
      outcome: r.outcome,
      ...(r.reason !== undefined ? { reason: plainReason(r.reason) } : {}),
      ...(r.attention === false ? { attention: false as const } : {}),
    };
    bytes += utf8Bytes(JSON.stringify(listed)) + 1;
    if (bytes > SWEEP_RESULT_LIST_BYTES) break;
    accounts.push(listed);
  }
  return {
    sweep: { total: results.length, counts, attention, omitted: results.length - accounts.length },
    accounts,
  };
}

/** A reason on one line (control characters would grow sixfold in JSON), cut. */
const plainReason = (reason: string): string =>
  cutText(wellFormed(reason).replace(/\p{Cc}+/gu, ' '), SWEEP_RESULT_REASON_CHARS);

/**
 * An account whose remediation role could not be assumed: `not-enrolled` when the member StackSet
 * has not reached it (no instance, or one still deploying or failed), else `failed` (an enrolled
 * account whose role is broken is exactly what on-call must hear about). A not-enrolled account
 * needs attention once it has been in the organization longer than the grace period (or when
 * the join time is unknown), unless the StackSet is deploying to it right now.
 */
type SweptAccount = AccountResult & { readonly unreachable?: boolean };

async function classifyUnreachable(
  results: readonly SweptAccount[],
  accounts: readonly MemberAccount[],
  deps: OrganizationDeps,
  log: (message: string, fields: Record<string, unknown>) => void,
): Promise<AccountResult[]> {
  const unreachable = results.filter((r) => r.unreachable);
  if (unreachable.length === 0 || !deps.enrolment) return results.map(({ unreachable: _, ...r }) => r);
  let enrolment: ReadonlyMap<string, Enrolment>;
  try {
    // Only names why an account is unreachable: not waited for past the deadline.
    const read = await untilDeadline(deps.enrolment.enrolment(), deps.deadline, undefined);
    if (!read) throw deps.deadline?.signal.reason;
    enrolment = read;
  } catch (error) {
    // Visible, not only logged: counted, and named next to each unreachable account in the summary.
    const why = `enrolment unknown: reading the StackSet instances failed: ${describeError(error)}`;
    log('reading the StackSet instances failed; unreachable accounts stay failed', { error: why });
    deps.count?.(ENROLMENT_READ_FAILED_METRIC, 1);
    return results.map(({ unreachable, ...r }) =>
      unreachable ? { ...r, reason: r.reason ? `${r.reason}; ${why}` : why } : r,
    );
  }
  const now = (deps.clock ?? (() => new Date()))().getTime();
  const graceHours = deps.config.organization?.notEnrolledGraceHours ?? 24;
  const joined = new Map(accounts.map((a) => [a.id, a.joinedAt]));
  return results.map(({ unreachable, ...r }) => {
    const state = enrolment.get(r.account) ?? { state: 'absent' as const };
    if (!unreachable || state.state === 'enrolled') return r;
    const joinedAt = joined.get(r.account);
    const overdue =
      state.state !== 'pending' &&
      (joinedAt === undefined || now - joinedAt.getTime() > graceHours * 3_600_000);
    const why =
      state.state === 'absent'
        ? `no instance of the StackSet ${MEMBER_STACK_SET_NAME} in this account`
        : `the StackSet ${MEMBER_STACK_SET_NAME} instance is ${state.detail ?? state.state}`;
    const since = joinedAt
      ? overdue
        ? `; in the organization for more than ${graceHours} hours`
        : `; within the ${graceHours}-hour grace period since it joined`
      : '; join time unknown';
    return { ...r, outcome: 'not-enrolled', reason: `not enrolled: ${why}${since}`, attention: overdue };
  });
}

async function sweepAccount(account: string, session: string, deps: OrganizationDeps): Promise<SweptAccount> {
  const { config, deadline } = deps;
  if (deadline?.signal.aborted) {
    // Past the deadline nothing more is started: the account is named, unchecked, in the summary.
    return {
      account,
      outcome: 'failed',
      drift: [],
      actions: [],
      reason: `not checked: ${describeError(deadline.signal.reason)}`,
    };
  }
  try {
    const report = await reconcile({
      // One desired state for every account, placeholders resolved with the account acted in.
      desired: resolveDesired(config.desired, { account, partition: config.partition }),
      mode: config.mode,
      store: deps.access.storeFor(account, session),
      partition: config.partition,
      ...(deadline ? { deadline } : {}),
      revokeSessions: config.revokeSessions,
      ...(deps.clock ? { clock: deps.clock } : {}),
    });
    const outcome = outcomeOf(report, config.mode);
    return {
      account,
      outcome,
      drift: report.drift.map(({ property, before, after }) => ({ property, before, after })),
      actions: report.actions,
      ...(report.error ? { reason: describeError(report.error) } : {}),
      ...(report.managedBy ? { managedBy: managedByOf(report.managedBy, report.drift) } : {}),
    };
  } catch (error) {
    return {
      account,
      outcome: 'failed',
      drift: [],
      actions: [],
      reason: describeError(explainAbort(error, deadline)),
      ...(error instanceof AccountUnreachableError ? { unreachable: true } : {}),
    };
  }
}
