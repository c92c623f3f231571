import type { ChatNotification, Notification, TruncationNote } from './messages.js';
import { EVENT_SOURCE } from './notification.js';
import { oneLine } from './safe-text.js';

/**
 * The size bound of every message the guard sends, enforced here and nowhere else: the notifier
 * builds each request's payload with `boundNotification` and sends exactly what it returns.
 *
 * - SNS: "messages must be UTF-8 encoded strings and at most 256 KB in size (262,144 bytes, not
 *   262,144 characters)"; SNS validates "the combined size of the message body and message
 *   attributes" (name, type and value). With MessageStructure=json the body is the whole outer JSON
 *   (every protocol's copy, escaped). The Subject is counted too, as a margin (at most 100 bytes).
 * - EventBridge: a PutEvents entry "must be less than 256KB", counted as the UTF-8 bytes of Source,
 *   DetailType, Detail and each Resources entry (plus 14 for Time). The event EventBridge delivers
 *   is larger than the entry (it adds id, account, region, time, version), so the bound keeps
 *   EVENT_ENTRY_MARGIN_BYTES (8 KiB) below 256 KiB.
 *
 * When the full message does not fit, long values are cut with a visible marker and long lists
 * keep their first items and say how many more there were, until it fits; the caller logs the
 * full detail (`fullDetailParts`) under the same correlation id. The essentials (outcome, summary,
 * account, role, counts) are never cut below what identifies them.
 */
export const SNS_MAX_BYTES = 262_144;
/** Kept below 256 KiB on a PutEvents entry: "less than" 256 KB, and the delivered event's envelope. */
export const EVENT_ENTRY_MARGIN_BYTES = 8 * 1024;
export const EVENT_ENTRY_MAX_BYTES = 256 * 1024 - EVENT_ENTRY_MARGIN_BYTES;

/** UTF-8 bytes of a JavaScript string as sent (a lone surrogate goes out as U+FFFD: 3 bytes). */
export function utf8Bytes(value: string): number {
  let bytes = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < value.length) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

export interface SnsAttribute {
  readonly DataType: string;
  readonly StringValue?: string;
}

export interface SnsPayload {
  readonly Subject?: string;
  readonly Message: string;
  readonly MessageStructure?: 'json';
  readonly MessageAttributes?: Readonly<Record<string, SnsAttribute>>;
}

/** The bytes SNS counts against its limit: body plus attribute names, types and values (and the subject). */
export function snsPayloadBytes(payload: SnsPayload): number {
  let bytes = utf8Bytes(payload.Message) + utf8Bytes(payload.Subject ?? '');
  for (const [name, attribute] of Object.entries(payload.MessageAttributes ?? {}))
    bytes += utf8Bytes(name) + utf8Bytes(attribute.DataType) + utf8Bytes(attribute.StringValue ?? '');
  return bytes;
}

export interface EventEntry {
  readonly Source: string;
  readonly DetailType: string;
  readonly Detail: string;
  readonly Resources?: string[];
  readonly Time?: Date;
}

/** The bytes EventBridge counts for one PutEvents entry. */
export function eventEntryBytes(entry: EventEntry): number {
  return (
    (entry.Time ? 14 : 0) +
    utf8Bytes(entry.Source) +
    utf8Bytes(entry.DetailType) +
    utf8Bytes(entry.Detail) +
    (entry.Resources ?? []).reduce((sum, r) => sum + utf8Bytes(r), 0)
  );
}

/** What goes over the wire for one notification. */
export interface WirePayloads {
  /** The main topic: MessageStructure=json, text for default/email, the document for the rest. */
  readonly topic: SnsPayload & { readonly Subject: string; readonly MessageStructure: 'json' };
  /** The chat topic: the custom-notification JSON alone. */
  readonly chat?: SnsPayload;
  /** The integration event: the document as its detail. */
  readonly event: EventEntry;
  /** Set when anything was cut: what was left out (the full detail belongs in the log). */
  readonly cut?: TruncationNote;
}

/** The machine protocols that receive the JSON document (the others get the e-mail text). */
const DOCUMENT_PROTOCOLS = ['email-json', 'sqs', 'lambda', 'http', 'https', 'firehose'] as const;

/** The request payloads for a notification, exactly as rendered (no bound applied). */
export function wirePayloads(notification: Notification): WirePayloads {
  return payloadsOf(notification, JSON.stringify(notification.document));
}

function payloadsOf(notification: Notification, json: string): WirePayloads {
  return {
    topic: {
      Subject: notification.subject,
      MessageStructure: 'json',
      Message: JSON.stringify({
        default: notification.text,
        email: notification.text,
        ...Object.fromEntries(DOCUMENT_PROTOCOLS.map((p) => [p, json])),
      }),
    },
    ...(notification.chat ? { chat: { Message: JSON.stringify(notification.chat) } } : {}),
    event: { Source: EVENT_SOURCE, DetailType: notification.detailType, Detail: json },
  };
}

interface Maxima {
  readonly sns: number;
  readonly event: number;
}

/**
 * The topic's payload and the event entry when both fit, else undefined. The outer JSON holds
 * six copies of the document and two of the text, so their bytes are a lower bound, counted
 * before the outer JSON is built (for a 5,000-account sweep it would be ~100 MB).
 */
function fittingTopic(notification: Notification, max: Maxima): WirePayloads | undefined {
  const json = JSON.stringify(notification.document);
  if (6 * utf8Bytes(json) + 2 * utf8Bytes(notification.text) > max.sns) return undefined;
  const payloads = payloadsOf({ ...notification, chat: undefined }, json);
  return snsPayloadBytes(payloads.topic) <= max.sns && eventEntryBytes(payloads.event) <= max.event
    ? payloads
    : undefined;
}

function fittingChat(chat: ChatNotification, max: Maxima): SnsPayload | undefined {
  const payload = { Message: JSON.stringify(chat) };
  return snsPayloadBytes(payload) <= max.sns ? payload : undefined;
}

export interface BudgetOptions {
  /** Where the full detail is: the correlation id of the log entries (shown in the cut note). */
  readonly reference?: string;
  /** For tests of the mechanism: a smaller bound than SNS's and EventBridge's. */
  readonly maxBytes?: number;
}

/**
 * The payloads of `notification`, each within its service's limit. Unchanged when they fit;
 * otherwise the largest cut (by a binary search over one scale for list length and value length)
 * that fits, and failing even that, the essentials alone. Never returns a payload over the limit.
 */
export function boundNotification(notification: Notification, options: BudgetOptions = {}): WirePayloads {
  const max: Maxima = {
    sns: options.maxBytes ?? SNS_MAX_BYTES,
    event: options.maxBytes ?? EVENT_ENTRY_MAX_BYTES,
  };
  const { reference } = options;
  const topicAsIs = fittingTopic(notification, max);
  const chatAsIs = notification.chat ? fittingChat(notification.chat, max) : undefined;
  if (topicAsIs && (!notification.chat || chatAsIs))
    return { ...topicAsIs, ...(chatAsIs ? { chat: chatAsIs } : {}) };

  let topic: Candidate | undefined = topicAsIs ? { payloads: topicAsIs, note: undefined } : undefined;
  if (!topic) {
    const lines = notification.text.split('\n');
    topic =
      search((limits) => shrinkTopic(notification, lines, limits, reference, max)) ??
      essentialsOnly(notification, reference);
  }
  const chat = notification.chat;
  const chatPayload = chat
    ? (chatAsIs ??
      search((limits) => fittingChat(shrinkChat(chat, limits, reference), max)) ?? {
        Message: JSON.stringify(minimalChat(chat, reference)),
      })
    : undefined;
  return {
    topic: topic.payloads.topic,
    ...(chatPayload ? { chat: chatPayload } : {}),
    event: topic.payloads.event,
    cut: topic.note ?? { note: cutNote(reference, ['the chat message']), omitted: {}, shortenedValues: 0 },
  };
}

interface Limits {
  /** Items kept of each list. */
  readonly maxItems: number;
  /** Characters kept of each value (and each line of text). */
  readonly maxChars: number;
}

interface Candidate {
  readonly payloads: WirePayloads;
  readonly note: TruncationNote | undefined;
}

const MIN_CHARS = 100;

/**
 * The cut at the largest scale in [0, 1] (to within 1/4096) that fits; `build` answers undefined
 * for a cut that does not. Undefined when even the smallest does not fit.
 */
function search<T>(build: (limits: Limits) => T | undefined): T | undefined {
  const at = (scale: number): Limits => ({
    maxItems: Math.max(1, Math.floor(1000 * scale)),
    maxChars: Math.max(MIN_CHARS, Math.floor(8192 * scale)),
  });
  let best = build(at(0));
  if (best === undefined) return undefined;
  let low = 0;
  let high = 1;
  for (let i = 0; i < 12; i++) {
    const mid = (low + high) / 2;
    const candidate = build(at(mid));
    if (candidate !== undefined) {
      best = candidate;
      low = mid;
    } else high = mid;
  }
  return best;
}

/** Top-level fields of a document that identify the message: never shortened (bounded in `essentialsOnly`). */
const ESSENTIAL = new Set([
  'schemaVersion',
  'kind',
  'outcome',
  'summary',
  'account',
  'accountAlias',
  'region',
  'roleName',
  'mode',
  'time',
  'counts',
  'count',
]);

interface Tally {
  shortened: number;
  omitted: Record<string, number>;
}

/** A value cut to `max` characters (a surrogate pair is never split), with a visible marker. */
function shorten(value: string, max: number, tally: Tally): string {
  if (value.length <= max) return value;
  let end = max;
  const last = value.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  tally.shortened++;
  return `${value.slice(0, end)} …[cut: ${value.length - end} more characters]`;
}

/**
 * Every string shortened and every list capped, counting what was left out under its path. A list
 * inside a list item (a sweep's accounts' drift) keeps a twentieth as many: listing more accounts
 * beats detailing a few.
 */
function shrinkJson(value: unknown, limits: Limits, tally: Tally, path: string, top: boolean): unknown {
  if (typeof value === 'string') return shorten(value, limits.maxChars, tally);
  if (Array.isArray(value)) {
    if (value.length > limits.maxItems)
      tally.omitted[path] = (tally.omitted[path] ?? 0) + value.length - limits.maxItems;
    const inner = { ...limits, maxItems: Math.floor(limits.maxItems / 20) };
    return value.slice(0, limits.maxItems).map((v) => shrinkJson(v, inner, tally, path, false));
  }
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        top && ESSENTIAL.has(k) ? v : shrinkJson(v, limits, tally, path ? `${path}.${k}` : k, false),
      ]),
    );
  return value;
}

/** Text for people: past the line budget, the head and the last lines kept; each line shortened. */
function shrinkText(
  lines: readonly string[],
  limits: Limits,
  tally: Tally,
): { text: string; linesLeftOut: number } {
  const maxLine = Math.max(limits.maxChars, 200);
  const maxLines = limits.maxItems * 2 + 12;
  const tail = 6;
  const kept =
    lines.length <= maxLines
      ? lines
      : [
          ...lines.slice(0, maxLines - tail),
          `  … and ${lines.length - maxLines} more lines`,
          ...lines.slice(lines.length - tail),
        ];
  return {
    text: kept.map((line) => shorten(line, maxLine, tally)).join('\n'),
    linesLeftOut: Math.max(0, lines.length - maxLines),
  };
}

const NOUNS: Record<string, string> = {
  accounts: 'accounts',
  drift: 'drift entries',
  actions: 'actions',
  eventIds: 'event ids',
  'accounts.drift': 'drift entries of the accounts listed',
  'accounts.actions': 'actions of the accounts listed',
};

const thousands = (n: number) => n.toLocaleString('en-US');

/** What a tally left out, in words. */
function cutParts(tally: Tally | undefined, linesLeftOut = 0): string[] {
  return [
    ...Object.entries(tally?.omitted ?? {}).map(
      ([path, n]) => `${thousands(n)} more ${NOUNS[path] ?? path} not listed`,
    ),
    ...(tally && tally.shortened > 0 ? [`${thousands(tally.shortened)} long values shortened`] : []),
    ...(linesLeftOut > 0 ? [`${thousands(linesLeftOut)} lines of text left out`] : []),
  ];
}

function cutNote(reference: string | undefined, parts: readonly string[] = []): string {
  const where = reference
    ? `the guard's log (message "full message detail", correlation id ${oneLine(reference, 256)})`
    : `the guard's log (message "full message detail")`;
  return `Cut to fit the 256 KB message limit of SNS${parts.length > 0 ? `: ${parts.join('; ')}` : ''}. The full detail is in ${where}.`;
}

function shrinkTopic(
  notification: Notification,
  lines: readonly string[],
  limits: Limits,
  reference: string | undefined,
  max: Maxima,
): Candidate | undefined {
  const tally: Tally = { shortened: 0, omitted: {} };
  const document = shrinkJson(notification.document, limits, tally, '', true) as Record<string, unknown>;
  const textTally: Tally = { shortened: 0, omitted: {} };
  const { text, linesLeftOut } = shrinkText(lines, limits, textTally);
  const documentParts = cutParts(tally);
  const truncated: TruncationNote = {
    note: cutNote(reference, documentParts),
    omitted: tally.omitted,
    shortenedValues: tally.shortened,
  };
  const textNote = cutNote(reference, [
    ...cutParts(textTally, linesLeftOut),
    ...(documentParts.length > 0 ? [`in the JSON document, ${documentParts.join(', ')}`] : []),
  ]);
  const payloads = fittingTopic(
    {
      ...notification,
      text: `${text}\n\n${textNote}`,
      document: { ...document, truncated } as unknown as Notification['document'],
    },
    max,
  );
  return payloads ? { payloads, note: truncated } : undefined;
}

function shrinkChat(chat: ChatNotification, limits: Limits, reference: string | undefined): ChatNotification {
  const tally: Tally = { shortened: 0, omitted: {} };
  const { text } = shrinkText(chat.content.description.split('\n'), limits, tally);
  const shrunk = shrinkJson(
    { ...chat, content: { ...chat.content, description: '' } },
    limits,
    tally,
    '',
    true,
  ) as ChatNotification;
  return { ...shrunk, content: { ...shrunk.content, description: `${text}\n\n${cutNote(reference)}` } };
}

/** The chat message reduced to its title, its summary and where the rest is. */
function minimalChat(chat: ChatNotification, reference: string | undefined): ChatNotification {
  return {
    version: chat.version,
    source: chat.source,
    content: {
      textType: chat.content.textType,
      title: oneLine(chat.content.title, 250),
      description: cutNote(reference),
      nextSteps: [],
      keywords: [],
    },
    metadata: {
      threadId: oneLine(chat.metadata.threadId, 128),
      summary: oneLine(chat.metadata.summary, 250),
      eventType: oneLine(chat.metadata.eventType, 100),
      relatedResources: [],
      additionalContext: {},
    },
  };
}

/**
 * The last resort, when no cut of the whole message fits: the essential fields alone, each at
 * most 512 characters (so at most ~8 KB of document, ~7 bytes a character when escaped twice,
 * eight copies: well within 256 KB), with every list counted as left out.
 */
function essentialsOnly(notification: Notification, reference: string | undefined): Candidate {
  const tally: Tally = { shortened: 0, omitted: {} };
  const source = notification.document as unknown as Record<string, unknown>;
  const document: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    if (Array.isArray(value)) tally.omitted[key] = value.length;
    else if (ESSENTIAL.has(key))
      document[key] =
        typeof value === 'string'
          ? shorten(value, 512, tally)
          : key === 'counts'
            ? value
            : typeof value === 'number'
              ? value
              : undefined;
  }
  const truncated: TruncationNote = {
    note: cutNote(reference, cutParts(tally)),
    omitted: tally.omitted,
    shortenedValues: tally.shortened,
  };
  const firstLines = notification.text
    .split('\n')
    .slice(0, 3)
    .map((line) => shorten(line, 512, tally));
  return {
    payloads: wirePayloads({
      ...notification,
      chat: undefined,
      text: [...firstLines, '', truncated.note].join('\n'),
      document: { ...document, truncated } as unknown as Notification['document'],
    }),
    note: truncated,
  };
}

/** Bytes of one UTF-16 unit once JSON-escaped and UTF-8 encoded (a surrogate pair: 2 + 2). */
function escapedBytes(code: number): number {
  if (code === 0x22 || code === 0x5c) return 2;
  if (code < 0x20) return 6;
  if (code < 0x80) return 1;
  if (code < 0x800) return 2;
  if (code >= 0xd800 && code <= 0xdfff) return 6;
  return 3;
}

/**
 * The full notification for the log, in parts of at most `maxBytes` each once JSON-escaped (a
 * Lambda log line is cut at 256 KB): join the parts' `detail` in order and parse the result.
 */
export function fullDetailParts(notification: Notification, maxBytes = 200_000): string[] {
  const { subject, text, document } = notification;
  const whole = JSON.stringify({ subject, text, document });
  const parts: string[] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < whole.length; i++) {
    const code = whole.charCodeAt(i);
    const cost = escapedBytes(code);
    if (bytes + cost > maxBytes && i > start) {
      // A part never ends between the two halves of a surrogate pair.
      const prev = whole.charCodeAt(i - 1);
      const end =
        code >= 0xdc00 && code <= 0xdfff && prev >= 0xd800 && prev <= 0xdbff && i - 1 > start ? i - 1 : i;
      parts.push(whole.slice(start, end));
      bytes = end < i ? escapedBytes(prev) : 0;
      start = end;
    }
    bytes += cost;
  }
  if (start < whole.length) parts.push(whole.slice(start));
  return parts;
}
