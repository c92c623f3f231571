import { accountOfArn, supportAccessPolicyArn } from './arn.js';
import { chatThreadId, renderChat } from './chat-message.js';
import { type Classification, classifyEvent, type Trigger } from './classify-event.js';
import type { GuardConfig } from './config.js';
import { type Deadline, explainAbort, untilDeadline } from './deadline.js';
import { describeError, NotificationError } from './errors.js';
import { GuardFailure, type GuardResult, type Outcome, outcomeOf } from './guard-result.js';
import { type StackRef, withStack } from './iac-owner.js';
import { type Notification, renderNotification } from './notification.js';
import { removalsNamedBy } from './plan.js';
import type { Clock, FindingsHub, Notifier, RoleStore, StackDirectory } from './ports.js';
import { type ReconcileReport, reconcile } from './reconcile.js';
import { reportToSecurityHub } from './security-hub.js';
import { isSessionRelevantChange } from './session-revocation.js';
import {
  actOf,
  type FoldedActs,
  followUpId,
  renderFollowUp,
  STORM_THREAD_LOOKUP_MS,
  type StormLedger,
} from './storm.js';
import { isTamperingAct } from './tampering.js';
import { SECURITY_HUB_METRICS, STORM_FOLLOW_UP_FAILED_METRIC } from './telemetry.js';
import { alreadyReportedUnfixable } from './unfixable-drift.js';

/** What the use case needs; the Lambda handler and the CLI wire the real adapters in. */
export interface GuardDeps {
  readonly config: GuardConfig;
  readonly store: RoleStore;
  readonly notifier: Notifier;
  readonly clock?: Clock;
  /** Structured log of decisions (the handler passes Powertools Logger's `info`). */
  readonly log?: (message: string, fields: Record<string, unknown>) => void;
  /** Folds repeats by one actor (config.stormWindowSeconds); absent: every act is notified. */
  readonly storm?: StormLedger;
  /** Security Hub, when config.securityHub switches a part on; best effort, never in the way. */
  readonly securityHub?: FindingsHub;
  /**
   * The CloudFormation stack that holds the role, for the message's "Managed by" (a role's tags
   * cannot say CloudFormation). Asked only when the role has drifted, never waited for on the
   * failure path; absent: tags only.
   */
  readonly stacks?: StackDirectory;
  /** Counts a metric (the handler passes Powertools Metrics). */
  readonly count?: (metric: string, value: number) => void;
  /**
   * When the work must stop so that the message can still go out (the handler takes it from the
   * Lambda context). IAM calls are aborted when it passes; nothing optional is waited for after it.
   */
  readonly deadline?: Deadline;
}

/**
 * Handles one event end to end: classify → reconcile → notify. Returns the result, or throws
 * GuardFailure (after notifying `failed`) / NotificationError so that Lambda retries.
 */
export async function handleEvent(event: unknown, deps: GuardDeps): Promise<GuardResult> {
  const { config, log = () => {} } = deps;
  const classification = classifyEvent(event, {
    desired: config.desired,
    guardRoleArn: config.guardRoleArn,
    memberRoleName: config.organization?.memberRoleName,
    partition: config.partition,
  });
  if (classification.kind === 'ignored') return ignoredResult(classification, log);
  const trigger = classification.kind === 'role-change' ? classification.trigger : undefined;
  const eventId = eventIdOf(classification);
  log('reconciling', { trigger: classification.kind, eventName: trigger?.eventName, eventId });
  const tampering = trigger !== undefined && isTamperingAct(trigger, config.desired, config.partition);
  // The alias is for the message: looked up alongside the work as soon as a message is likely.
  const alias = lazyAlias(deps.store, deps.deadline);
  if (tampering) alias.start();
  // A tampering act is notified whatever the repair's outcome: the storm ledger records it
  // alongside the repair instead of after it (its DynamoDB round trips hidden behind IAM's).
  // The outcome still decides what its answer means: a failure is never folded.
  const early =
    tampering && trigger
      ? admit(trigger, accountOf(trigger, classification, undefined, config.notifyTopicArn), deps)
      : undefined;
  // The stack that holds the role: looked up once, alongside the repair, only when there is drift.
  const stack = lazyStack(deps, log);
  const onDrift = () => {
    alias.start();
    stack.start();
  };

  let report: ReconcileReport;
  try {
    report = await reconcile({
      desired: config.desired,
      mode: config.mode,
      store: deps.store,
      partition: config.partition,
      revokeSessions: config.revokeSessions,
      ...(trigger && isSessionRelevantChange(trigger, config.desired)
        ? { sessionRelevantChange: trigger.eventTime ? { eventTime: trigger.eventTime } : {} }
        : {}),
      // Only a reason to read again when the role looks untouched (IAM may not show the act yet).
      ...(tampering && trigger
        ? {
            tamperingEvent: trigger.eventTime ? { eventTime: trigger.eventTime } : {},
            // One account only: a member account's store lives for one invocation, so it cannot
            // tell that an earlier repair already took the act away (knownRevocationCutoff).
            ...(config.organization
              ? {}
              : { eventRemovals: removalsNamedBy(trigger, config.desired, config.partition) }),
          }
        : {}),
      ...(deps.clock ? { clock: deps.clock } : {}),
      onDrift,
      ...(deps.deadline ? { deadline: deps.deadline } : {}),
    });
  } catch (error) {
    // The role could not even be read (after the SDK's retries): that is a failure to report.
    report = {
      drift: [],
      actions: [],
      remaining: [],
      verified: false,
      error: error instanceof Error ? error : new Error(String(error)),
    };
  }
  const outcome = outcomeOf(report, config.mode);
  const reported =
    classification.kind === 'sweep' && alreadyReportedUnfixable(report, now(deps), config.sweepPeriodSeconds);
  // A revocation written for a role already back in desired state is told too.
  const wrote = report.actions.some((a) => a.status === 'succeeded');
  const notifiable = (outcome !== 'compliant' || tampering || wrote) && !reported;
  const account = accountOf(trigger, classification, report.roleArn, config.notifyTopicArn);
  // The storm ledger is optional too: past the deadline the act is notified on its own. A failure
  // is never folded, nor are follow-ups sent with it (they stay pending for the next sweep).
  const admitted =
    notifiable && trigger && outcome !== 'failed'
      ? await untilDeadline(early ?? admit(trigger, account, deps), deps.deadline, undefined)
      : undefined;
  const admission = outcome === 'failed' ? undefined : admitted;
  const folded = admission?.kind === 'folded';
  const shouldNotify = notifiable && !folded;
  const result: GuardResult = {
    outcome,
    ...(reported
      ? { reason: 'drift that IAM cannot fix in place remains; already reported when the role was created' }
      : reasonOf(outcome, report, tampering)
        ? { reason: reasonOf(outcome, report, tampering) }
        : {}),
    ...(eventId ? { eventId } : {}),
    drift: report.drift.map(({ property, before, after }) => ({ property, before, after })),
    actions: report.actions,
    notified: shouldNotify,
    ...(folded ? { folded: true } : {}),
  };
  log('reconciled', {
    outcome,
    tampering,
    ...(folded ? { folded: admission.count } : {}),
    drift: result.drift.length,
    actions: result.actions.length,
    eventId,
  });

  // Security Hub runs alongside the message and never fails the event (best effort), nor keeps
  // the invocation past the deadline.
  const hub = toSecurityHub(result, trigger, tampering, report, deps);
  try {
    if (shouldNotify) {
      // A failure is never folded, but it is told in the thread of the actor's incident.
      const incident =
        outcome === 'failed' && trigger ? await incidentOfFailure(trigger, account, deps) : undefined;
      // The alias is never waited for: it ran alongside the work (and the storm ledger's answer)
      // and is in the message if it answered by now; else the message goes without it, the
      // lookup runs on and the container's next message has it. On the failure path too.
      // The stack that holds the role (asked on drift, alongside the repair) is waited for, within
      // the deadline, except on the failure path.
      const holder =
        outcome === 'failed'
          ? stack.known()
          : await untilDeadline(stack.settled(), deps.deadline, stack.known());
      const managedBy = withStack(report.managedBy, holder);
      await notify(
        result,
        trigger,
        account,
        managedBy ? { ...report, managedBy } : report,
        deps,
        alias.known(),
        incident,
      );
    }
  } finally {
    await untilDeadline(hub, deps.deadline, undefined);
  }
  const followUps = admission?.kind === 'first' ? admission.followUps : [];
  const storm = deps.storm;
  if (followUps.length > 0 || (classification.kind === 'sweep' && storm))
    await flushFollowUps(
      async () => [
        ...followUps,
        ...(classification.kind === 'sweep' && storm ? await storm.due(now(deps)) : []),
      ],
      deps,
    );
  if (outcome === 'failed') throw new GuardFailure(result, { cause: report.error });
  return result;
}

/**
 * The name of an event's message across Lambda's retries (the delivery records' key): a `failed`
 * message and the success of a later attempt are different messages.
 */
export const deliveryIdOf = (eventId: string, failed: boolean): string =>
  `${eventId}#${failed ? 'failed' : 'handled'}`;

/** The event id a message is named by (the CloudTrail event id, or the sweep's EventBridge id). */
export function eventIdOf(classification: Classification): string | undefined {
  if (classification.kind === 'role-change') return classification.trigger.eventId;
  return classification.kind === 'sweep' ? classification.eventId : undefined;
}

function reasonOf(outcome: Outcome, report: ReconcileReport, tampering: boolean): string | undefined {
  if (report.error) return describeError(report.error);
  const revoked = report.actions.find((a) => a.api === 'PutRolePolicy' && a.status === 'succeeded');
  if (outcome === 'compliant' && revoked)
    return `the role was already back in desired state when the guard checked${rereadOf(report)}; the change could have let someone in, so sessions were revoked: ${revoked.detail}`;
  if (outcome === 'compliant' && tampering)
    return `the role was tampered with but was already back in desired state when the guard checked${rereadOf(report)}`;
  if (outcome === 'drift-detected' && report.remaining.some((d) => !d.remediable))
    return 'drift that IAM cannot fix in place remains (see actions)';
  return undefined;
}

/** How the guard made sure a first read without drift was not stale (ReconcileReport.reread). */
function rereadOf(report: ReconcileReport): string {
  const reread = report.reread;
  if (!reread) return '';
  const times = `${reread.reads} time${reread.reads === 1 ? '' : 's'} over ${reread.waitedMs / 1000} s`;
  return reread.complete
    ? ` (read again ${times}, in case IAM did not show the change yet)`
    : ` (read again ${times}, until the deadline cut the re-reads short)`;
}

const now = (deps: Pick<GuardDeps, 'clock'>): Date => (deps.clock ?? (() => new Date()))();

function accountOf(
  trigger: Trigger | undefined,
  classification: Classification,
  roleArn: string | undefined,
  topicArn: string | undefined,
): string {
  return (
    accountOfArn(roleArn) ??
    trigger?.account ??
    (classification.kind === 'sweep' ? classification.account : undefined) ??
    accountOfArn(topicArn) ??
    'unknown'
  );
}

/**
 * Asks the storm ledger whether this act is an actor's first (notify it) or a repeat (fold it).
 * An act with no actor is never folded (nor, decided by the caller, a failure). When the ledger
 * cannot be reached the act is notified: a message too many beats a message lost.
 */
async function admit(
  trigger: Trigger,
  account: string,
  deps: GuardDeps,
): Promise<{ kind: 'first'; followUps: FoldedActs[] } | { kind: 'folded'; count: number } | undefined> {
  const window = deps.config.stormWindowSeconds;
  if (!deps.storm || window <= 0) return undefined;
  const act = actOf(trigger, account, deps.config.desired.roleName, now(deps));
  if (!act) return undefined;
  try {
    const admission = await deps.storm.admit(act, now(deps), window);
    return admission.kind === 'first' ? { kind: 'first', followUps: [...admission.followUps] } : admission;
  } catch (error) {
    deps.log?.('storm ledger unavailable; notifying the act on its own', { error: describeError(error) });
    return undefined;
  }
}

/**
 * The incident a failed act belongs to: the act that opened the actor's open storm window on the
 * role (read only, nothing folded), so that REMEDIATION FAILED lands in that incident's chat
 * thread. The message never waits long on it: the read is cut off after STORM_THREAD_LOOKUP_MS or
 * at the deadline, and when it fails or is cut off (or no window is open) the act is its own
 * incident, as before.
 */
async function incidentOfFailure(
  trigger: Trigger,
  account: string,
  deps: GuardDeps,
): Promise<string | undefined> {
  const { storm, config } = deps;
  if (!storm || config.stormWindowSeconds <= 0 || !trigger.actorArn) return undefined;
  const controller = new AbortController();
  const stop = () => controller.abort(new Error('the storm ledger did not answer in time'));
  const timer = setTimeout(stop, STORM_THREAD_LOOKUP_MS);
  deps.deadline?.signal.addEventListener('abort', stop, { once: true });
  const bound: Deadline = {
    signal: controller.signal,
    remainingMs: () => (controller.signal.aborted ? 0 : 1),
  };
  try {
    if (deps.deadline?.signal.aborted) return undefined;
    const read = storm.openWindow(account, config.desired.roleName, trigger.actorArn, now(deps), {
      signal: controller.signal,
    });
    const opener = await untilDeadline(read, bound, undefined);
    if (opener === undefined && controller.signal.aborted)
      deps.log?.('storm ledger too slow; the failure gets a chat thread of its own', {});
    return opener;
  } catch (error) {
    deps.log?.('storm ledger unavailable; the failure gets a chat thread of its own', {
      error: describeError(error),
    });
    return undefined;
  } finally {
    clearTimeout(timer);
    deps.deadline?.signal.removeEventListener('abort', stop);
  }
}

/**
 * The storm flush: sends the follow-ups of closed windows, after the act's own message. It is
 * isolated and bounded: it never fails the invocation (which would make Lambda retry it and send
 * the act's message again) and never holds it past its deadline (its calls get the deadline's
 * signal, and nothing starts once it has passed). A follow-up not sent stays in the ledger, so
 * the next sweep (or the actor's next window) sends it: logged and counted
 * (STORM_FOLLOW_UP_FAILED_METRIC), never lost.
 */
export async function flushFollowUps(
  pending: () => Promise<readonly FoldedActs[]>,
  deps: Pick<GuardDeps, 'notifier' | 'storm' | 'clock' | 'log' | 'config' | 'count' | 'deadline'>,
): Promise<void> {
  const failed = (reason: string) => {
    deps.log?.('storm follow-up not sent now; the ledger keeps it for the next sweep', { reason });
    deps.count?.(STORM_FOLLOW_UP_FAILED_METRIC, 1);
  };
  if (deps.deadline?.signal.aborted) return failed("the invocation's deadline has passed");
  const work = (async () => sendFollowUps(await pending(), deps))();
  try {
    const done = await untilDeadline(
      work.then(() => true),
      deps.deadline,
      false,
    );
    if (!done) failed("the invocation's deadline passed while sending");
  } catch (error) {
    failed(describeError(explainAbort(error, deps.deadline)));
  } finally {
    work.catch(() => undefined); // settled (or aborted by the deadline's signal) after we stopped waiting
  }
}

/** Sends each follow-up, then settles exactly the acts it named; throws when one cannot be sent. */
export async function sendFollowUps(
  followUps: readonly FoldedActs[],
  deps: Pick<GuardDeps, 'notifier' | 'storm' | 'clock' | 'log' | 'config' | 'deadline'>,
): Promise<void> {
  for (const folded of followUps) {
    try {
      const incident = folded.opener ?? folded.entries[0] ?? '';
      await deps.notifier.publish(
        withChat(
          renderFollowUp(folded, now(deps)),
          chatThreadId(folded.account, folded.actorArn, incident),
          deps,
        ),
        {
          ...(deps.deadline ? { signal: deps.deadline.signal } : {}),
          deliveryId: followUpId(folded),
        },
      );
    } catch (error) {
      throw new NotificationError(
        `publishing a repeated-tampering follow-up failed: ${describeError(error)}`,
        {
          cause: error,
        },
      );
    }
    await deps.storm?.settle(folded);
    deps.log?.('repeated tampering follow-up sent', { actor: folded.actorArn, count: folded.count });
  }
}

/** The notification with its chat rendering, in the thread of the actor's incident. */
export function withChat(
  notification: Notification,
  threadId: string,
  deps: { readonly config?: { readonly partition: string } },
): Notification {
  return {
    ...notification,
    chat: renderChat(notification, { threadId, partition: deps.config?.partition ?? 'aws' }),
  };
}

async function notify(
  result: GuardResult,
  trigger: Trigger | undefined,
  account: string,
  report: ReconcileReport,
  deps: GuardDeps,
  accountAlias: string | undefined,
  /** The act that opened the actor's incident (its chat thread); the act itself when absent. */
  incident?: string,
): Promise<void> {
  const { config } = deps;
  const notification = renderNotification({
    outcome: result.outcome,
    account,
    ...(accountAlias ? { accountAlias } : {}),
    region: config.region,
    partition: config.partition,
    roleName: config.desired.roleName,
    mode: config.mode,
    time: now(deps),
    ...(trigger ? { trigger } : {}),
    drift: result.drift,
    actions: result.actions,
    ...(report.error ? { error: describeError(report.error) } : {}),
    alreadyRestored: result.outcome === 'compliant',
    ...(config.organization?.accountIds ? { organizationAccounts: config.organization.accountIds } : {}),
    ...(report.managedBy ? { managedBy: report.managedBy } : {}),
  });
  const thread = incident ?? trigger?.eventId ?? notification.document.time;
  try {
    // One message per event across Lambda's retries: a retry sends only the channels that failed
    // (a `failed` message and the success of a later attempt are different messages).
    const eventId = result.eventId;
    await deps.notifier.publish(
      withChat(notification, chatThreadId(account, trigger?.actorArn, thread), deps),
      eventId ? { deliveryId: deliveryIdOf(eventId, result.outcome === 'failed') } : {},
    );
  } catch (error) {
    throw new NotificationError(
      `publishing the ${result.outcome} notification failed: ${describeError(error)}`,
      {
        cause: error,
      },
    );
  }
}

/**
 * Annotates the IAM.18 findings and imports the act's finding, as config.securityHub says.
 * Resolves always: a failure is logged and counted (SecurityHubFailed), never thrown.
 */
async function toSecurityHub(
  result: GuardResult,
  trigger: Trigger | undefined,
  tampering: boolean,
  report: ReconcileReport,
  deps: GuardDeps,
): Promise<void> {
  const { config, securityHub, log = () => {}, count = () => {} } = deps;
  const options = config.securityHub;
  if (!securityHub || !options || !(options.annotateControlFindings || options.importTamperingFindings))
    return;
  // The guard's own account, from its configuration or IAM's answer, never from the event.
  const account =
    accountOfArn(config.guardRoleArn) ?? accountOfArn(config.notifyTopicArn) ?? accountOfArn(report.roleArn);
  if (account === undefined) {
    log('security hub (best effort) skipped: the guard does not know its own account', {});
    count(SECURITY_HUB_METRICS.failed, 1);
    return;
  }
  try {
    const outcome = await reportToSecurityHub(
      {
        account,
        region: config.region,
        partition: config.partition,
        roleName: config.desired.roleName,
        rolePath: config.desired.path,
        mode: config.mode,
        outcome: result.outcome,
        time: now(deps),
        ...(trigger ? { trigger } : {}),
        tampering,
        folded: result.folded === true,
        drift: result.drift,
        actions: result.actions,
        ...(report.error ? { error: describeError(report.error) } : {}),
        holdsSupportAccess: config.desired.requiredPolicyArns.includes(
          supportAccessPolicyArn(config.partition),
        ),
      },
      securityHub,
      options,
    );
    if (outcome.annotated > 0) count(SECURITY_HUB_METRICS.annotated, outcome.annotated);
    if (outcome.imported > 0) count(SECURITY_HUB_METRICS.imported, outcome.imported);
    if (outcome.annotated > 0 || outcome.imported > 0)
      log('security hub updated', { annotated: outcome.annotated, imported: outcome.imported });
    for (const failure of outcome.failures)
      log('security hub (best effort) failed; the repair and the message are not affected', {
        error: failure,
      });
    if (outcome.failures.length > 0) count(SECURITY_HUB_METRICS.failed, outcome.failures.length);
  } catch (error) {
    log('security hub (best effort) failed; the repair and the message are not affected', {
      error: describeError(error),
    });
    count(SECURITY_HUB_METRICS.failed, 1);
  }
}

/**
 * The stack that holds the role, looked up at most once per event and only when started (on
 * drift). A failed lookup is logged and reads as "no stack": the message says nothing it cannot
 * vouch for, and the lookup never holds up the repair or the message.
 */
function lazyStack(deps: GuardDeps, log: (message: string, fields: Record<string, unknown>) => void) {
  let lookup: Promise<StackRef | undefined> | undefined;
  let known: StackRef | undefined;
  const call = deps.deadline ? { signal: deps.deadline.signal } : {};
  return {
    start: () => {
      if (!deps.stacks) return;
      lookup ??= deps.stacks.stackHolding(deps.config.desired.roleName, call).then(
        (found) => (known = found),
        (error: unknown) => {
          log('cloudformation stack lookup failed; the message names tag-based owners only', {
            error: describeError(error),
          });
          return undefined;
        },
      );
    },
    /** The stack if the lookup already answered; never waits. */
    known: () => known,
    /** The lookup's answer if it was started; undefined at once otherwise. */
    settled: (): Promise<StackRef | undefined> => lookup ?? Promise.resolve(undefined),
  };
}

/**
 * The account alias, looked up at most once per event (the store keeps it for the container), only
 * when a message is likely, and never waited for.
 */
function lazyAlias(store: RoleStore, deadline: Deadline | undefined) {
  let started = false;
  let known: string | undefined;
  const start = () => {
    if (started) return;
    started = true;
    const call = deadline ? { signal: deadline.signal } : {};
    store.accountAlias?.(call).then(
      (alias) => {
        known = alias;
      },
      () => undefined,
    );
  };
  return {
    start,
    /** The alias if the lookup already answered; never waits. */
    known: () => known,
  };
}

/** The result for an event the guard does not act on, with the reason logged. */
export function ignoredResult(
  classification: { readonly reason: string; readonly eventId?: string },
  log: (message: string, fields: Record<string, unknown>) => void,
): GuardResult {
  log('event ignored', { reason: classification.reason, eventId: classification.eventId });
  return {
    outcome: 'ignored',
    reason: classification.reason,
    ...(classification.eventId ? { eventId: classification.eventId } : {}),
    drift: [],
    actions: [],
    notified: false,
  };
}
