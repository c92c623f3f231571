import { GUARD_ROLE_PATH } from './guard-roles.js';
import type { ManagedBy } from './iac-owner.js';
import type { ActionResult, DriftEntry, Outcome } from './results.js';

/**
 * The messages the guard sends, as plain data: the Notifier port carries them, notification.ts
 * renders them. No logic here, so ports depend on data and not on the module that renders.
 */

/**
 * What a sweep that found drift says about it: no event explained the change, so it went unseen,
 * and these are the ways that happens (docs/runbook.md, "Found by the sweep").
 */
export const UNSEEN_CHANGE =
  'Found by the scheduled sweep: this change went unseen: no event of it reached the guard.';
export const UNSEEN_CHANGE_CHECKS: readonly string[] = [
  'CloudTrail: the IAM calls on the role since the last sweep (us-east-1 event history).',
  'That a CloudTrail trail records management events (read and write); without one no change reaches the guard.',
  `Calls made with sessions of the guard's own roles (${GUARD_ROLE_PATH}): the guard ignores them as its own; a function given the guard's role, or a changed guard role, is how they are borrowed.`,
  'SELF-PROTECTION alerts since the last sweep (a disabled rule, a changed function or trail).',
];

/** The JSON document machine subscribers receive (sqs, lambda, http, https) and the event detail. */
export interface NotificationDocument {
  readonly schemaVersion: string;
  readonly outcome: Outcome;
  readonly summary: string;
  readonly account: string;
  readonly accountAlias?: string;
  readonly region: string;
  readonly roleName: string;
  readonly mode: string;
  readonly time: string;
  readonly trigger?: {
    readonly eventName: string;
    readonly eventId: string;
    readonly actorArn?: string;
    readonly sourceIp?: string;
    readonly userAgent?: string;
    readonly eventTime?: string;
  };
  readonly drift: readonly DriftEntry[];
  readonly actions: readonly ActionResult[];
  readonly error?: string;
  /** Another tool manages the role (CloudFormation, Terraform, Control Tower, LZA, ...), by its tags. */
  readonly managedBy?: ManagedBy;
  readonly links: { readonly role?: string; readonly cloudTrailEvent?: string };
  /** Present when the message was cut to fit SNS's 256 KB limit (functions/core/message-budget.ts). */
  readonly truncated?: TruncationNote;
}

/**
 * What a message cut to fit the size bound left out: each list's items not listed (by its path in
 * the document, e.g. `accounts`, `drift`, `accounts.drift`) and how many long values were
 * shortened (each ends with `…[cut: N more characters]`). The full detail is in the guard's log.
 */
export interface TruncationNote {
  /** The same in words, with where the full detail is (the log's correlation id). */
  readonly note: string;
  readonly omitted: Readonly<Record<string, number>>;
  readonly shortenedValues: number;
}

export interface Notification {
  readonly subject: string;
  readonly text: string;
  readonly document: NotificationDocument | SweepSummaryDocument | FollowUpDocument;
  /** EventBridge detail-type of the integration event. */
  readonly detailType: string;
  /** The chat rendering, for the chat topic (functions/core/chat-message.ts). */
  readonly chat?: ChatNotification;
}

export interface SweepSummaryInput {
  readonly accounts: readonly {
    readonly account: string;
    readonly outcome: Outcome;
    readonly drift: readonly DriftEntry[];
    readonly actions: readonly ActionResult[];
    readonly reason?: string;
    /** Another tool manages the account's support role, by its tags. */
    readonly managedBy?: ManagedBy;
    /** False for an account that needs no one's attention yet (not enrolled, within the grace period). */
    readonly attention?: boolean;
  }[];
  readonly region: string;
  readonly roleName: string;
  readonly mode: string;
  readonly time: Date;
  /** The organization's accounts: names a trusted principal's account as inside or outside. */
  readonly organizationAccounts?: readonly string[];
}

/** The document of an organization sweep summary (schema 1.0, `kind: organization-sweep`). */
export interface SweepSummaryDocument {
  readonly schemaVersion: string;
  readonly kind: 'organization-sweep';
  readonly outcome: Outcome;
  readonly summary: string;
  readonly region: string;
  readonly roleName: string;
  readonly mode: string;
  readonly time: string;
  readonly counts: Readonly<Record<Outcome, number>>;
  readonly accounts: SweepSummaryInput['accounts'];
  readonly truncated?: TruncationNote;
}

/** The follow-up's JSON document (schema 1.0, `kind: repeated-tampering`). */
export interface FollowUpDocument {
  readonly schemaVersion: string;
  readonly kind: 'repeated-tampering';
  readonly summary: string;
  readonly account: string;
  readonly roleName: string;
  readonly actorArn: string;
  readonly count: number;
  readonly firstTime: string;
  readonly lastTime: string;
  readonly eventNames: Readonly<Record<string, number>>;
  /** The CloudTrail event ids the ledger kept (at most KEPT_ACTS, 100; `count` is the exact number). */
  readonly eventIds: readonly string[];
  readonly time: string;
  readonly truncated?: TruncationNote;
}

/** A custom notification of Amazon Q Developer in chat applications (functions/core/chat-message.ts). */
export interface ChatNotification {
  readonly version: '1.0';
  readonly source: 'custom';
  readonly id?: string;
  readonly content: {
    readonly textType: 'client-markdown';
    readonly title: string;
    readonly description: string;
    readonly nextSteps: readonly string[];
    readonly keywords: readonly string[];
  };
  readonly metadata: {
    readonly threadId: string;
    readonly summary: string;
    /** `[a-zA-Z0-9-]+`, at most 100 characters (what custom action buttons match on). */
    readonly eventType: string;
    readonly relatedResources: readonly string[];
    readonly additionalContext: Readonly<Record<string, string>>;
  };
}
