import { chatThreadId } from './chat-message.js';
import { classifyEvent } from './classify-event.js';
import { describeError, NotificationError } from './errors.js';
import { type DriftEntry, type GuardResult, type Outcome, outcomeOf } from './guard-result.js';
import { type GuardDeps, handleEvent, ignoredResult, sendFollowUps, withChat } from './handle-event.js';
import { renderSweepSummary } from './notification.js';
import type { AccountAccess, AccountDirectory } from './ports.js';
import type { ActionResult } from './reconcile.js';
import { reconcile } from './reconcile.js';

/** One account's part of an organization sweep. */
export interface AccountResult {
  readonly account: string;
  readonly outcome: Outcome;
  readonly drift: readonly DriftEntry[];
  readonly actions: readonly ActionResult[];
  readonly reason?: string;
}

export interface OrganizationResult extends GuardResult {
  readonly accounts?: readonly AccountResult[];
}

export interface OrganizationDeps extends Omit<GuardDeps, 'store'> {
  readonly access: AccountAccess;
  readonly directory: AccountDirectory;
}

const SEVERITY: Record<Outcome, number> = {
  ignored: 0,
  compliant: 1,
  'drift-detected': 2,
  remediated: 3,
  failed: 4,
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
    return handleEvent(event, { ...deps, store });
  }
  if (classification.kind === 'ignored') return ignoredResult(classification, log);

  const accounts = await deps.directory.listAccounts();
  log('organization sweep', { accounts: accounts.length, concurrency: organization.sweepConcurrency });
  const results: AccountResult[] = [];
  const queue = [...accounts];
  const session = classification.eventId ?? 'sweep';
  await Promise.all(
    Array.from({ length: Math.min(organization.sweepConcurrency, queue.length) }, async () => {
      for (let account = queue.shift(); account !== undefined; account = queue.shift()) {
        results.push(await sweepAccount(account, session, deps));
      }
    }),
  );
  results.sort((a, b) => a.account.localeCompare(b.account));
  const outcome = results.reduce<Outcome>(
    (worst, r) => (SEVERITY[r.outcome] > SEVERITY[worst] ? r.outcome : worst),
    'compliant',
  );
  const attention = results.filter((r) => r.outcome !== 'compliant');
  const result: OrganizationResult = {
    outcome,
    ...(classification.eventId ? { eventId: classification.eventId } : {}),
    ...(attention.length > 0
      ? { reason: `${attention.length} of ${results.length} accounts needed attention` }
      : {}),
    drift: [],
    actions: [],
    notified: attention.length > 0,
    accounts: results,
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
      );
    } catch (error) {
      throw new NotificationError(`publishing the sweep summary failed: ${describeError(error)}`, {
        cause: error,
      });
    }
  }
  // The sweep sends the follow-ups of closed storm windows (every member account's).
  if (deps.storm) await sendFollowUps(await deps.storm.due((deps.clock ?? (() => new Date()))()), deps);
  log('organization sweep done', { outcome, accounts: results.length, attention: attention.length });
  return result;
}

async function sweepAccount(
  account: string,
  session: string,
  deps: OrganizationDeps,
): Promise<AccountResult> {
  const { config } = deps;
  try {
    const report = await reconcile({
      desired: config.desired,
      mode: config.mode,
      store: deps.access.storeFor(account, session),
      partition: config.partition,
    });
    const outcome = outcomeOf(report, config.mode);
    return {
      account,
      outcome,
      drift: report.drift.map(({ property, before, after }) => ({ property, before, after })),
      actions: report.actions,
      ...(report.error ? { reason: describeError(report.error) } : {}),
    };
  } catch (error) {
    return { account, outcome: 'failed', drift: [], actions: [], reason: describeError(error) };
  }
}
