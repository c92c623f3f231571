import { accountOfArn } from './arn.js';
import { type Classification, classifyEvent, type Trigger } from './classify-event.js';
import type { GuardConfig } from './config.js';
import { describeError, NotificationError } from './errors.js';
import { GuardFailure, type GuardResult, type Outcome, outcomeOf } from './guard-result.js';
import { renderNotification } from './notification.js';
import type { Clock, Notifier, RoleStore } from './ports.js';
import { type ReconcileReport, reconcile } from './reconcile.js';
import { isTamperingAct } from './tampering.js';

/** What the use case needs; the Lambda handler and the CLI wire the real adapters in. */
export interface GuardDeps {
  readonly config: GuardConfig;
  readonly store: RoleStore;
  readonly notifier: Notifier;
  readonly clock?: Clock;
  /** Structured log of decisions (the handler passes Powertools Logger's `info`). */
  readonly log?: (message: string, fields: Record<string, unknown>) => void;
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
  });
  if (classification.kind === 'ignored') return ignoredResult(classification, log);
  const trigger = classification.kind === 'role-change' ? classification.trigger : undefined;
  const eventId = trigger?.eventId ?? (classification.kind === 'sweep' ? classification.eventId : undefined);
  log('reconciling', { trigger: classification.kind, eventName: trigger?.eventName, eventId });
  const tampering = trigger !== undefined && isTamperingAct(trigger, config.desired, config.partition);
  // The alias is for the message: looked up alongside the work as soon as a message is likely.
  const alias = lazyAlias(deps.store);
  if (tampering) alias.start();

  let report: ReconcileReport;
  try {
    report = await reconcile({
      desired: config.desired,
      mode: config.mode,
      store: deps.store,
      partition: config.partition,
      onDrift: alias.start,
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
  const shouldNotify = outcome !== 'compliant' || tampering;
  const result: GuardResult = {
    outcome,
    ...(reasonOf(outcome, report, tampering) ? { reason: reasonOf(outcome, report, tampering) } : {}),
    ...(eventId ? { eventId } : {}),
    drift: report.drift.map(({ property, before, after }) => ({ property, before, after })),
    actions: report.actions,
    notified: shouldNotify,
  };
  log('reconciled', {
    outcome,
    tampering,
    drift: result.drift.length,
    actions: result.actions.length,
    eventId,
  });

  if (shouldNotify) {
    // On the failure path nothing optional is waited for: the alias only if already known.
    const accountAlias = outcome === 'failed' ? alias.known() : await alias.value();
    await notify(result, trigger, classification, report, deps, accountAlias);
  }
  if (outcome === 'failed') throw new GuardFailure(result, { cause: report.error });
  return result;
}

function reasonOf(outcome: Outcome, report: ReconcileReport, tampering: boolean): string | undefined {
  if (report.error) return describeError(report.error);
  if (outcome === 'compliant' && tampering)
    return 'the role was tampered with but was already back in desired state when the guard checked';
  if (outcome === 'drift-detected' && report.remaining.some((d) => !d.remediable))
    return 'drift that IAM cannot fix in place remains (see actions)';
  return undefined;
}

async function notify(
  result: GuardResult,
  trigger: Trigger | undefined,
  classification: Classification,
  report: ReconcileReport,
  deps: GuardDeps,
  accountAlias: string | undefined,
): Promise<void> {
  const { config } = deps;
  const account =
    accountOfArn(report.roleArn) ??
    trigger?.account ??
    (classification.kind === 'sweep' ? classification.account : undefined) ??
    accountOfArn(config.notifyTopicArn) ??
    'unknown';
  const notification = renderNotification({
    outcome: result.outcome,
    account,
    ...(accountAlias ? { accountAlias } : {}),
    region: config.region,
    partition: config.partition,
    roleName: config.desired.roleName,
    mode: config.mode,
    time: (deps.clock ?? (() => new Date()))(),
    ...(trigger ? { trigger } : {}),
    drift: result.drift,
    actions: result.actions,
    ...(report.error ? { error: describeError(report.error) } : {}),
    alreadyRestored: result.outcome === 'compliant',
    ...(config.organization?.accountIds ? { organizationAccounts: config.organization.accountIds } : {}),
  });
  try {
    await deps.notifier.publish(notification);
  } catch (error) {
    throw new NotificationError(
      `publishing the ${result.outcome} notification failed: ${describeError(error)}`,
      {
        cause: error,
      },
    );
  }
}

/** The account alias, looked up at most once per event and only when asked for. */
function lazyAlias(store: RoleStore) {
  let lookup: Promise<string | undefined> | undefined;
  let known: string | undefined;
  const start = () => {
    lookup ??= (store.accountAlias?.() ?? Promise.resolve(undefined)).then(
      (alias) => (known = alias),
      () => undefined,
    );
  };
  return {
    start,
    /** The alias if the lookup already answered; never waits. */
    known: () => known,
    value: (): Promise<string | undefined> => {
      start();
      return lookup ?? Promise.resolve(undefined);
    },
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
