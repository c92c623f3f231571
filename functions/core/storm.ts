import type { Trigger } from './classify-event.js';
import type { FollowUpDocument } from './messages.js';
import { NOTIFICATION_SCHEMA_VERSION, type Notification, oneLine, subjectLine } from './notification.js';

export type { FollowUpDocument } from './messages.js';

/**
 * No alert storms: the first tampering act of an actor on the role is notified at once; the acts
 * the same actor makes on the same role within the window that act opened are folded, and sent
 * as one follow-up with their exact count, first and last time and event names once the window
 * has closed. Every act is still remediated and logged. The ledger (the idempotency table) counts
 * each folded act once by its CloudTrail event id, so a repeated delivery is never counted twice,
 * and keeps a bounded summary: the exact count, first and last time, the count per event name, and
 * the first KEPT_ACTS acts (the rest are counted, not kept).
 */

/** How many folded acts a window keeps in detail (time, event name, event id); the rest are counted. */
export const KEPT_ACTS = 100;

/**
 * How long a REMEDIATION FAILED message may wait for the ledger to name the incident it belongs
 * to (its chat thread); after that it goes in a thread of its own.
 */
export const STORM_THREAD_LOOKUP_MS = 1_000;

/** One tampering act, as the ledger records it. */
export interface Act {
  readonly account: string;
  readonly roleName: string;
  readonly actorArn: string;
  readonly eventId: string;
  readonly eventName: string;
  /** When CloudTrail says it happened (the guard's clock when it does not say). */
  readonly time: string;
}

/** Acts folded into one follow-up. */
export interface FoldedActs {
  /** The ledger's key (account, role, actor). */
  readonly key: string;
  readonly account: string;
  readonly roleName: string;
  readonly actorArn: string;
  /** The CloudTrail event id of the act that opened the window (the chat thread of the incident). */
  readonly opener?: string;
  /** The exact number of acts folded. */
  readonly count: number;
  readonly firstTime: string;
  readonly lastTime: string;
  /** The exact count per event name. */
  readonly eventNames: Readonly<Record<string, number>>;
  /** At most KEPT_ACTS of the acts (`time|eventName|eventId`); `count` is the exact number. */
  readonly entries: readonly string[];
}

/** What the ledger decided for an act. */
export type Admission =
  | { readonly kind: 'first'; readonly followUps: readonly FoldedActs[] }
  | { readonly kind: 'folded'; readonly count: number };

/** The acts folded per actor and role, in the idempotency table (functions/adapters/storm-ledger.ts). */
export interface StormLedger {
  /**
   * Records an act. `first` when it opens a window (or is a retried delivery of the act that
   * opened it): notify it, then send and settle the follow-ups of the window(s) it closed.
   * `folded` when a window of the same actor on the same role is open.
   */
  admit(act: Act, now: Date, windowSeconds: number): Promise<Admission>;
  /**
   * The CloudTrail event id of the act that opened the actor's window on the role, while that
   * window is open at `now` (undefined when none is): the incident's chat thread. Reads only:
   * nothing is folded or counted (a failure is never folded, yet belongs in the thread).
   */
  openWindow(
    account: string,
    roleName: string,
    actorArn: string,
    now: Date,
    call?: { readonly signal?: AbortSignal },
  ): Promise<string | undefined>;
  /** Every closed window with acts not yet sent (the sweep sends them). */
  due(now: Date): Promise<FoldedActs[]>;
  /** Marks a follow-up as sent: exactly its acts, so acts folded meanwhile stay. */
  settle(folded: FoldedActs): Promise<void>;
}

export const stormKey = (account: string, roleName: string, actorArn: string): string =>
  `storm#${account}#${roleName.toLowerCase()}#${actorArn}`;

export const actEntry = (act: Pick<Act, 'time' | 'eventName' | 'eventId'>): string =>
  `${act.time}|${act.eventName}|${act.eventId}`;

/**
 * The follow-up's name across retries (its delivery id): the window's key and opening act and
 * the acts it names (32-bit FNV-1a of the sorted entries).
 */
export function followUpId(folded: FoldedActs): string {
  let hash = 0x811c9dc5;
  for (const char of [...folded.entries].sort().join('\n')) {
    hash ^= char.codePointAt(0) ?? 0;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `${folded.key}#${folded.opener ?? ''}#${folded.count}-${hash.toString(16).padStart(8, '0')}`;
}

/** The act of a trigger, or undefined when nobody is named (such acts are never folded). */
export function actOf(trigger: Trigger, account: string, roleName: string, now: Date): Act | undefined {
  if (!trigger.actorArn) return undefined;
  return {
    account,
    roleName,
    actorArn: trigger.actorArn,
    eventId: trigger.eventId,
    eventName: trigger.eventName,
    time: trigger.eventTime ?? now.toISOString(),
  };
}

/** The follow-up message for acts folded in a window. */
export function renderFollowUp(folded: FoldedActs, time: Date): Notification {
  const acts = folded.entries
    .map((e) => {
      const [when = '', eventName = '', eventId = ''] = e.split('|');
      return { when, eventName, eventId };
    })
    .sort((a, b) => a.when.localeCompare(b.when));
  const eventNames = { ...folded.eventNames };
  const { count, firstTime, lastTime } = folded;
  const kept = acts.slice(0, KEPT_ACTS).map((a) => a.eventId);
  const notKept = Math.max(0, count - kept.length);
  const actor = oneLine(folded.actorArn);
  const summary =
    `${actor} made ${count} more change${count === 1 ? '' : 's'} to the AWS Support role ${folded.roleName} ` +
    `in account ${folded.account} between ${firstTime} and ${lastTime}, after the one already reported. ` +
    'The guard checked the role after each of them and restored it when needed.';
  const document: FollowUpDocument = {
    schemaVersion: NOTIFICATION_SCHEMA_VERSION,
    kind: 'repeated-tampering',
    summary,
    account: folded.account,
    roleName: folded.roleName,
    actorArn: folded.actorArn,
    count,
    firstTime,
    lastTime,
    eventNames,
    eventIds: kept,
    time: time.toISOString(),
  };
  const lines = [
    'support-role-guard: REPEATED TAMPERING (follow-up)',
    '',
    summary,
    '',
    'Acts folded into this message',
    ...Object.entries(eventNames)
      .sort(([, a], [, b]) => b - a)
      .map(([name, n]) => `  - ${name}: ${n}`),
    `  first at ${firstTime}, last at ${lastTime}`,
    `  CloudTrail event ids: ${kept.length} in the JSON document${notKept > 0 ? ` and ${notKept} more (look them up in CloudTrail)` : ''}`,
    '',
    `Actor: ${actor}`,
    `Account ${folded.account}, role ${folded.roleName}`,
    '',
    'Next: this looks like a script or a person fighting the guard. Stop the actor (revoke its',
    'sessions or keys), then look the events up in CloudTrail (event source iam.amazonaws.com,',
    `user name ${oneLine(folded.actorArn.split('/').pop(), 100)}). See docs/runbook.md, "REPEATED TAMPERING".`,
  ];
  return {
    subject: subjectLine(
      `[support-role-guard] REPEATED TAMPERING: ${count} more by ${folded.actorArn.split('/').pop() ?? ''} in ${folded.account}`,
    ),
    text: lines.join('\n'),
    document,
    detailType: 'Support Role Repeated Tampering',
  };
}
