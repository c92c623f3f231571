import type { Trigger } from './classify-event.js';
import { type IacOwner, iacOwnerSentence, type ManagedBy } from './iac-owner.js';
import {
  type Notification,
  type NotificationDocument,
  type SweepSummaryDocument,
  type SweepSummaryInput,
  UNSEEN_CHANGE,
  UNSEEN_CHANGE_CHECKS,
} from './messages.js';
import type { ActionResult, DriftEntry, Outcome } from './results.js';
import { oneLine } from './safe-text.js';
import { type TrustContext, trustPolicyChanges } from './trust-changes.js';

export type {
  Notification,
  NotificationDocument,
  SweepSummaryDocument,
  SweepSummaryInput,
} from './messages.js';
export { oneLine };

export const NOTIFICATION_SCHEMA_VERSION = '1.0';
export const EVENT_SOURCE = 'support-role-guard';

export interface NotificationInput {
  readonly outcome: Outcome;
  readonly account: string;
  readonly accountAlias?: string;
  readonly region: string;
  readonly partition: string;
  readonly roleName: string;
  readonly mode: string;
  readonly time: Date;
  readonly trigger?: Trigger;
  readonly drift: readonly DriftEntry[];
  readonly actions: readonly ActionResult[];
  readonly error?: string;
  /** The event was tampering but the role was already back when the guard looked. */
  readonly alreadyRestored?: boolean;
  /** The organization's accounts, when known: names a trusted principal's account as inside or outside. */
  readonly organizationAccounts?: readonly string[];
  /** Another tool that manages the role, by its tags (functions/core/iac-owner.ts). */
  readonly managedBy?: IacOwner;
}

/** The document's `managedBy`: the owner, and whether the guard's desired state disagrees with the role as found. */
export const managedByOf = (owner: IacOwner, drift: readonly DriftEntry[]): ManagedBy => ({
  ...owner,
  desiredStateDisagrees: drift.length > 0,
});

/** The e-mail's line about it, values from the role's tags neutralised. */
export const managedByLine = (m: ManagedBy, driftCount: number): string =>
  `Managed by: ${iacOwnerSentence(m, driftCount, (v) => oneLine(v, 200))}`;

const DETAIL_TYPES: Record<Outcome, string> = {
  remediated: 'Support Role Remediated',
  'drift-detected': 'Support Role Drift Detected',
  failed: 'Support Role Remediation Failed',
  compliant: 'Support Role Tampering Observed',
  ignored: 'Support Role Event Ignored',
  'not-enrolled': 'Support Role Account Not Enrolled',
};

const HEADLINES: Record<Outcome, string> = {
  remediated: 'REMEDIATED',
  'drift-detected': 'DRIFT DETECTED',
  failed: 'REMEDIATION FAILED',
  compliant: 'TAMPERING REVERTED',
  ignored: 'IGNORED',
  'not-enrolled': 'NOT ENROLLED',
};

/** An SNS subject: at most 99 printable ASCII characters, no line breaks. */
export function subjectLine(value: string): string {
  const ascii = value
    .replace(/[^\x20-\x7e]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return ascii.length > 99 ? `${ascii.slice(0, 96)}...` : ascii;
}

const CONSOLE_HOSTS: Record<string, string> = {
  aws: 'console.aws.amazon.com',
  'aws-cn': 'console.amazonaws.cn',
  'aws-us-gov': 'console.amazonaws-us-gov.com',
};

function links(input: NotificationInput): NotificationDocument['links'] {
  const host = CONSOLE_HOSTS[input.partition];
  if (host === undefined) return {};
  const region = input.trigger?.region ?? input.region;
  return {
    role: `https://${host}/iam/home#/roles/details/${encodeURIComponent(input.roleName)}`,
    ...(input.trigger && /^[\w-]+$/.test(input.trigger.eventId)
      ? {
          cloudTrailEvent: `https://${region}.${host}/cloudtrail/home?region=${region}#/events/${input.trigger.eventId}`,
        }
      : {}),
  };
}

function summary(input: NotificationInput): string {
  const role = `The AWS Support role ${input.roleName} in account ${accountLabel(input)}`;
  switch (input.outcome) {
    case 'remediated':
      return `${role} had drifted from its desired state and has been restored (verified by reading it back).`;
    case 'drift-detected':
      return input.mode === 'detect'
        ? `${role} differs from its desired state. The guard runs in detect mode and changed nothing.`
        : `${role} differs from its desired state in a way the guard cannot fix in place.`;
    case 'failed':
      return `${role} differs from its desired state and the guard could NOT restore it. Act now.`;
    case 'compliant':
      return input.alreadyRestored
        ? `${role} was tampered with; it was already back in its desired state when the guard checked.`
        : `${role} is in its desired state.`;
    case 'ignored':
      return 'The event was ignored.';
    case 'not-enrolled':
      return `${role} cannot be reached: the account is not enrolled in the member StackSet.`;
  }
}

/** Every value shown to a person that came from an event or from IAM goes through `oneLine`. */
const accountLabel = (input: { account: string; accountAlias?: string }): string =>
  input.accountAlias
    ? `${oneLine(input.account, 64)} (${oneLine(input.accountAlias, 63)})`
    : oneLine(input.account, 64);

const value = (v: string | null): string => (v === null ? '(absent)' : oneLine(v, 400));

/** One drift in words: a trust policy as principals added and removed, anything else before -> after. */
export function driftLines(d: DriftEntry, context: TrustContext, indent = '  '): string[] {
  if (d.property !== 'trustPolicy')
    return [`${indent}- ${oneLine(d.property, 400)}: ${value(d.before)} -> ${value(d.after)}`];
  return [
    `${indent}- trust policy:`,
    ...trustPolicyChanges(d.before, d.after, context).map((line) => `${indent}    ${oneLine(line, 400)}`),
  ];
}

/** Renders the email text, the subject and the JSON document for one outcome. */
export function renderNotification(input: NotificationInput): Notification {
  const t = input.trigger;
  const document: NotificationDocument = {
    schemaVersion: NOTIFICATION_SCHEMA_VERSION,
    outcome: input.outcome,
    summary: summary(input),
    account: input.account,
    ...(input.accountAlias ? { accountAlias: input.accountAlias } : {}),
    region: input.region,
    roleName: input.roleName,
    mode: input.mode,
    time: input.time.toISOString(),
    ...(t
      ? {
          trigger: {
            eventName: t.eventName,
            eventId: t.eventId,
            ...(t.actorArn ? { actorArn: t.actorArn } : {}),
            ...(t.sourceIp ? { sourceIp: t.sourceIp } : {}),
            ...(t.userAgent ? { userAgent: t.userAgent } : {}),
            ...(t.eventTime ? { eventTime: t.eventTime } : {}),
          },
        }
      : {}),
    drift: input.drift,
    actions: input.actions,
    ...(input.error ? { error: input.error } : {}),
    ...(input.managedBy ? { managedBy: managedByOf(input.managedBy, input.drift) } : {}),
    links: links(input),
  };

  const lines = [`support-role-guard: ${HEADLINES[input.outcome]}`, '', document.summary, ''];
  if (document.managedBy) lines.push(managedByLine(document.managedBy, input.drift.length), '');
  lines.push('What happened');
  if (t) {
    lines.push(
      `  ${t.eventName} by ${oneLine(t.actorArn)}`,
      `  at ${oneLine(t.eventTime)} from ${oneLine(t.sourceIp, 100)}`,
      `  user agent: ${oneLine(t.userAgent, 200)}`,
      `  CloudTrail event id: ${oneLine(t.eventId, 100)}`,
    );
  } else {
    lines.push(
      ...(input.drift.length > 0
        ? [`  ${UNSEEN_CHANGE}`, '  Check:', ...UNSEEN_CHANGE_CHECKS.map((c) => `  - ${c}`)]
        : ['  Found by the scheduled sweep.']),
    );
  }
  lines.push('', 'Drift (found -> desired)');
  if (input.drift.length === 0) lines.push('  none left');
  const context = {
    account: input.account,
    ...(input.organizationAccounts ? { organizationAccounts: input.organizationAccounts } : {}),
  };
  for (const d of input.drift) lines.push(...driftLines(d, context));
  lines.push('', input.mode === 'detect' ? 'Actions (planned, not applied)' : 'Actions taken');
  if (input.actions.length === 0) lines.push('  none');
  for (const a of input.actions)
    lines.push(`  - ${a.api}: ${a.status}${a.detail ? ` (${oneLine(a.detail, 400)})` : ''}`);
  if (input.error) lines.push('', `Error: ${oneLine(input.error, 600)}`);
  lines.push(
    '',
    `Account ${accountLabel(input)}, region ${input.region}, mode ${input.mode}, at ${document.time}`,
  );
  if (document.links.role) lines.push(`Role: ${document.links.role}`);
  if (document.links.cloudTrailEvent) lines.push(`CloudTrail event: ${document.links.cloudTrailEvent}`);
  if (t && input.outcome !== 'failed')
    lines.push(
      '',
      `Next: ask ${oneLine(t.actorArn)} why they changed the support role; if unexpected, treat it as an incident.`,
    );
  if (input.outcome === 'failed')
    lines.push(
      '',
      'Next: the guard retries automatically; check its logs, and restore the role by hand if this repeats.',
    );

  return {
    subject: subjectLine(
      `[support-role-guard] ${HEADLINES[input.outcome]}: ${input.roleName} in ${oneLine(input.account, 64)}`,
    ),
    text: lines.join('\n'),
    document,
    detailType: DETAIL_TYPES[input.outcome],
  };
}

/** The order in which a sweep summary lists accounts: failures first. */
const LISTING_ORDER: Record<Outcome, number> = {
  failed: 0,
  'not-enrolled': 1,
  'drift-detected': 2,
  remediated: 3,
  compliant: 4,
  ignored: 5,
};

/** One message for a whole organization sweep: every account that drifted or failed, by name. */
export function renderSweepSummary(input: SweepSummaryInput): Notification {
  const counts: Record<Outcome, number> = {
    remediated: 0,
    compliant: 0,
    'drift-detected': 0,
    ignored: 0,
    failed: 0,
    'not-enrolled': 0,
  };
  for (const a of input.accounts) counts[a.outcome]++;
  const outcome: Outcome =
    counts.failed > 0
      ? 'failed'
      : counts.remediated > 0
        ? 'remediated'
        : counts['drift-detected'] > 0
          ? 'drift-detected'
          : input.accounts.some((a) => a.outcome === 'not-enrolled' && a.attention !== false)
            ? 'not-enrolled'
            : 'compliant';
  // Not-enrolled accounts within their grace period are counted, not listed. The worst come
  // first, so that a message cut to fit SNS's size limit keeps the failed accounts.
  const attention = input.accounts
    .filter((a) => a.outcome !== 'compliant' && a.attention !== false)
    .map((a, i) => ({ a, i }))
    .sort((x, y) => LISTING_ORDER[x.a.outcome] - LISTING_ORDER[y.a.outcome] || x.i - y.i)
    .map(({ a }) => a);
  const notEnrolled = counts['not-enrolled'] > 0 ? `, ${counts['not-enrolled']} not enrolled` : '';
  const summary =
    `Sweep of ${input.accounts.length} accounts: ${counts.remediated} remediated, ${counts['drift-detected']} with drift left, ` +
    `${counts.failed} failed, ${counts.compliant} compliant${notEnrolled}.`;
  const document: SweepSummaryDocument = {
    schemaVersion: NOTIFICATION_SCHEMA_VERSION,
    kind: 'organization-sweep',
    outcome,
    summary,
    region: input.region,
    roleName: input.roleName,
    mode: input.mode,
    time: input.time.toISOString(),
    counts,
    accounts: attention,
  };
  const lines = [`support-role-guard: ORGANIZATION SWEEP (${HEADLINES[outcome]})`, '', summary, ''];
  for (const a of attention) {
    lines.push(
      `Account ${oneLine(a.account, 64)}: ${HEADLINES[a.outcome]}${a.reason ? ` - ${oneLine(a.reason, 300)}` : ''}`,
    );
    if (a.managedBy) lines.push(`  ${managedByLine(a.managedBy, a.drift.length)}`);
    for (const d of a.drift)
      lines.push(
        ...driftLines(d, {
          account: a.account,
          ...(input.organizationAccounts ? { organizationAccounts: input.organizationAccounts } : {}),
        }),
      );
    for (const x of a.actions)
      lines.push(`  * ${x.api}: ${x.status}${x.detail ? ` (${oneLine(x.detail, 300)})` : ''}`);
  }
  lines.push('', `Role ${input.roleName}, region ${input.region}, mode ${input.mode}, at ${document.time}`);
  if (counts.failed > 0)
    lines.push('', 'Next: the failed accounts are retried by the next sweep; see docs/runbook.md.');
  return {
    subject: subjectLine(
      `[support-role-guard] SWEEP: ${counts.remediated} remediated, ${counts.failed} failed${notEnrolled} of ${input.accounts.length} accounts`,
    ),
    text: lines.join('\n'),
    document,
    detailType: `Support Role Organization Sweep`,
  };
}
