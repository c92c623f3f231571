import { iacOwnerSentence } from './iac-owner.js';
import {
  type ChatNotification,
  type FollowUpDocument,
  UNSEEN_CHANGE,
  UNSEEN_CHANGE_CHECKS,
} from './messages.js';
import { driftLines, type Notification, type NotificationDocument, oneLine } from './notification.js';

/**
 * The chat rendering of a notification (ChatNotification, in messages.ts): Amazon Q Developer in
 * chat applications (formerly AWS Chatbot) delivers to Slack and Microsoft Teams only messages in its custom-notification format
 * and drops anything else (docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html).
 * It goes to a topic of its own, so that generic https subscribers keep the JSON document.
 */
export type { ChatNotification } from './messages.js';

/** How many drift or action lines a chat message lists; the rest are counted (the e-mail and JSON have all). */
export const CHAT_MAX_LINES = 20;

/**
 * The bounds of a chat message's fields, in UTF-16 code units (never fewer than Slack's
 * characters). The custom-notification format names no lengths; Slack does: the text of a
 * section block is at most 3,000 characters (Block Kit reference), and longer text is rejected
 * or truncated. Amazon Q Developer shows the description and each next step as such text, so
 * each stays within 3,000; the title and summary stay short enough for a notification preview.
 */
export const CHAT_LIMITS = {
  description: 3_000,
  nextStep: 3_000,
  title: 250,
  summary: 250,
  keyword: 64,
  contextValue: 300,
} as const;

/** Ends a description that was cut to its bound. */
export const CHAT_CUT_MARKER =
  '… (cut to fit the chat message; the e-mail and the JSON document have it all)';

const EMOJI: Record<string, string> = {
  remediated: ':white_check_mark:',
  compliant: ':leftwards_arrow_with_hook:',
  'drift-detected': ':warning:',
  failed: ':rotating_light:',
  ignored: ':information_source:',
  'repeated-tampering': ':repeat:',
  'organization-sweep': ':mag:',
};

const HEADLINES: Record<string, string> = {
  remediated: 'REMEDIATED',
  compliant: 'TAMPERING REVERTED',
  'drift-detected': 'DRIFT DETECTED',
  failed: 'REMEDIATION FAILED',
  ignored: 'IGNORED',
};

/**
 * A value an actor controls, as inline code: markdown, mentions and links inside it are shown,
 * not rendered (a backtick cannot close the span: it becomes a quote).
 */
export const code = (value: string | undefined, max = 300): string =>
  `\`${oneLine(value, max).replace(/`/g, "'")}\``;

/** 32-bit FNV-1a, in hex: a short, stable thread key (no secret, only grouping). */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (const char of text) {
    hash ^= char.codePointAt(0) ?? 0;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/**
 * One thread per actor and incident: the incident is the act that opened the actor's storm
 * window (its follow-up lands in the same thread), or the event itself when nothing is folded.
 */
export function chatThreadId(account: string, actorArn: string | undefined, incident: string): string {
  return `support-role-guard-${/^\d{12}$/.test(account) ? account : 'unknown'}-${fnv1a(`${actorArn ?? 'sweep'}|${incident}`)}`;
}

const eventType = (kind: string): string =>
  `support-role-guard-${kind}`.replace(/[^a-zA-Z0-9-]/g, '-').slice(0, 100);

function capped(lines: readonly string[]): string[] {
  if (lines.length <= CHAT_MAX_LINES) return [...lines];
  return [
    ...lines.slice(0, CHAT_MAX_LINES),
    `• … and ${lines.length - CHAT_MAX_LINES} more (the e-mail and the JSON document list all)`,
  ];
}

function forOutcome(
  doc: NotificationDocument,
  threadId: string,
  subject: string,
  partition: string,
): ChatNotification {
  const t = doc.trigger;
  const account = doc.accountAlias ? `${doc.account} (${oneLine(doc.accountAlias, 63)})` : doc.account;
  const who = t
    ? [
        `*Who:* ${code(t.actorArn)}`,
        `*What:* ${code(t.eventName, 64)} at ${code(t.eventTime, 64)} from ${code(t.sourceIp, 100)}`,
        `*User agent:* ${code(t.userAgent, 200)}`,
      ]
    : doc.drift.length > 0
      ? [UNSEEN_CHANGE, ...UNSEEN_CHANGE_CHECKS.map((c) => `• ${c}`)]
      : ['*Found by* the scheduled sweep.'];
  const drift = doc.drift.flatMap((d) =>
    driftLines(d, { account: doc.account }, '').map((line) => `• ${code(line.replace(/^- /, ''), 400)}`),
  );
  const actions = doc.actions.map(
    (a) => `• ${a.api}: *${a.status}*${a.detail ? ` ${code(a.detail, 300)}` : ''}`,
  );
  const description = [
    oneLine(doc.summary, 600),
    '',
    ...who,
    '',
    doc.mode === 'detect' ? '*Would restore (detect mode, nothing changed):*' : '*Restored:*',
    ...(actions.length > 0 ? capped(actions) : ['• nothing to do']),
    '',
    '*Drift found:*',
    ...(drift.length > 0 ? capped(drift) : ['• none left']),
    ...(doc.error ? ['', `*Error:* ${code(doc.error, 600)}`] : []),
    ...(doc.managedBy
      ? ['', `*Managed by:* ${iacOwnerSentence(doc.managedBy, doc.drift.length, (v) => code(v, 200))}`]
      : []),
  ].join('\n');
  const nextSteps = [
    doc.outcome === 'failed'
      ? 'The guard retries automatically; if this repeats, restore the role by hand (runbook: REMEDIATION FAILED).'
      : t
        ? `Ask ${code(t.actorArn)} why they changed the support role; if unexpected, treat it as an incident.`
        : 'Look up the IAM calls on the role in CloudTrail since the last sweep.',
    ...(doc.links.role ? [`Role in the console: ${doc.links.role}`] : []),
    ...(doc.links.cloudTrailEvent ? [`CloudTrail event: ${doc.links.cloudTrailEvent}`] : []),
  ];
  return message({
    id: t?.eventId,
    title: `${EMOJI[doc.outcome] ?? ''} ${HEADLINES[doc.outcome] ?? doc.outcome}: ${doc.roleName} in ${account}`,
    description,
    nextSteps,
    keywords: [HEADLINES[doc.outcome] ?? doc.outcome, doc.account, doc.roleName, doc.mode],
    threadId,
    summary: subject,
    eventType: eventType(doc.outcome),
    relatedResources: [
      `arn:${partition}:iam::${doc.account}:role/${doc.roleName}`,
      ...(t?.actorArn ? [t.actorArn] : []),
    ],
    additionalContext: {
      account: doc.account,
      ...(doc.accountAlias ? { accountAlias: doc.accountAlias } : {}),
      region: doc.region,
      mode: doc.mode,
      outcome: doc.outcome,
      ...(t ? { eventName: t.eventName, eventId: t.eventId } : {}),
      ...(t?.sourceIp ? { sourceIp: t.sourceIp } : {}),
      ...(doc.managedBy
        ? {
            managedBy: doc.managedBy.tool,
            desiredStateDisagrees: String(doc.managedBy.desiredStateDisagrees),
          }
        : {}),
    },
  });
}

function forFollowUp(
  doc: FollowUpDocument,
  threadId: string,
  subject: string,
  partition: string,
): ChatNotification {
  const names = Object.entries(doc.eventNames).map(([name, n]) => `• ${code(name, 64)}: ${n}`);
  return message({
    title: `${EMOJI['repeated-tampering']} REPEATED TAMPERING: ${doc.count} more by the same actor on ${doc.roleName} in ${doc.account}`,
    description: [
      oneLine(doc.summary, 600),
      '',
      `*Who:* ${code(doc.actorArn)}`,
      `*Between:* ${code(doc.firstTime, 64)} and ${code(doc.lastTime, 64)}`,
      '*Acts:*',
      ...capped(names),
    ].join('\n'),
    nextSteps: [
      'Stop the actor first (revoke its sessions or keys); then look the acts up in CloudTrail (runbook: REPEATED TAMPERING).',
    ],
    keywords: ['REPEATED TAMPERING', doc.account, doc.roleName],
    threadId,
    summary: subject,
    eventType: eventType(doc.kind),
    relatedResources: [`arn:${partition}:iam::${doc.account}:role/${doc.roleName}`, doc.actorArn],
    additionalContext: {
      account: doc.account,
      count: String(doc.count),
      firstTime: doc.firstTime,
      lastTime: doc.lastTime,
    },
  });
}

interface Parts {
  readonly id?: string | undefined;
  readonly title: string;
  readonly description: string;
  readonly nextSteps: readonly string[];
  readonly keywords: readonly string[];
  readonly threadId: string;
  readonly summary: string;
  readonly eventType: string;
  readonly relatedResources: readonly string[];
  readonly additionalContext: Record<string, string>;
}

/**
 * Bounds text the guard composed (untrusted parts already went through `code` or `oneLine`), or
 * an exact machine value (ARNs, ids): control characters out, length capped; no defanging, so
 * the guard's own console links stay links and ARNs stay exact.
 */
const clamp = (value: string, max: number): string => {
  const clean = value.replace(/[\p{Cc}\u2028\u2029]+/gu, ' ');
  if (clean.length <= max) return clean;
  // Never half a surrogate pair: a lone surrogate is not valid text for the chat service.
  const end = /[\uD800-\uDBFF]/.test(clean.charAt(max - 2)) ? max - 2 : max - 1;
  return `${clean.slice(0, end)}…`;
};

/**
 * The description within CHAT_LIMITS.description: whole lines while they fit, then the marker
 * (a line is cut only when the first one alone is too long, never inside a surrogate pair).
 */
export function boundDescription(text: string, max: number = CHAT_LIMITS.description): string {
  if (text.length <= max) return text;
  const room = max - CHAT_CUT_MARKER.length - 1;
  const kept: string[] = [];
  let used = 0;
  for (const line of text.split('\n')) {
    if (used + line.length + (kept.length > 0 ? 1 : 0) > room) break;
    used += line.length + (kept.length > 0 ? 1 : 0);
    kept.push(line);
  }
  if (kept.length === 0) {
    const chars = Array.from(text);
    let head = '';
    for (const c of chars) {
      if (head.length + c.length > room) break;
      head += c;
    }
    kept.push(head);
  }
  return `${kept.join('\n')}\n${CHAT_CUT_MARKER}`;
}

/** A next step within CHAT_LIMITS.nextStep (Slack's section text limit), cut with an ellipsis. */
export const boundNextStep = (step: string): string => clamp(step, CHAT_LIMITS.nextStep);

function message(p: Parts): ChatNotification {
  return {
    version: '1.0',
    source: 'custom',
    ...(p.id ? { id: clamp(p.id, 128) } : {}),
    content: {
      textType: 'client-markdown',
      title: clamp(p.title, CHAT_LIMITS.title),
      description: boundDescription(p.description),
      nextSteps: p.nextSteps.map(boundNextStep),
      keywords: p.keywords.map((k) => oneLine(k, CHAT_LIMITS.keyword)),
    },
    metadata: {
      threadId: p.threadId,
      summary: clamp(p.summary, CHAT_LIMITS.summary),
      eventType: p.eventType,
      relatedResources: p.relatedResources.map((r) => clamp(r, 2048)),
      additionalContext: Object.fromEntries(
        Object.entries(p.additionalContext).map(([k, v]) => [k, clamp(v, CHAT_LIMITS.contextValue)]),
      ),
    },
  };
}

/** The chat message for a rendered notification (an outcome, a follow-up, or an organization sweep). */
export function renderChat(
  notification: Notification,
  options: { threadId: string; partition: string },
): ChatNotification {
  const doc = notification.document;
  if ('kind' in doc && doc.kind === 'repeated-tampering')
    return forFollowUp(doc, options.threadId, notification.subject, options.partition);
  if ('kind' in doc && doc.kind === 'organization-sweep') {
    const attention = doc.accounts.map(
      (a) =>
        `• ${code(a.account, 12)}: *${HEADLINES[a.outcome] ?? a.outcome}*${a.reason ? ` ${code(a.reason, 200)}` : ''}`,
    );
    return message({
      title: `${EMOJI['organization-sweep']} ORGANIZATION SWEEP: ${HEADLINES[doc.outcome] ?? doc.outcome}`,
      description: [oneLine(doc.summary, 600), '', ...capped(attention)].join('\n'),
      nextSteps: [
        'Each account is in the e-mail with its drift and actions; failed accounts are retried by the next sweep.',
      ],
      keywords: ['ORGANIZATION SWEEP', doc.roleName],
      threadId: options.threadId,
      summary: notification.subject,
      eventType: eventType(doc.kind),
      relatedResources: [],
      additionalContext: { region: doc.region, mode: doc.mode, outcome: doc.outcome },
    });
  }
  return forOutcome(doc as NotificationDocument, options.threadId, notification.subject, options.partition);
}
