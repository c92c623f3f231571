import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  boundNotification,
  EVENT_ENTRY_MARGIN_BYTES,
  EVENT_ENTRY_MAX_BYTES,
  eventEntryBytes,
  fullDetailParts,
  snsPayloadBytes,
  utf8Bytes,
  wirePayloads,
} from '../../functions/core/message-budget.js';
import type { NotificationDocument } from '../../functions/core/messages.js';
import { renderNotification } from '../../functions/core/notification.js';

const base = {
  outcome: 'remediated' as const,
  account: '123456789012',
  region: 'us-east-1',
  partition: 'aws',
  roleName: 'AWSSupportRole',
  mode: 'enforce',
  time: new Date('2026-11-27T20:11:33.000Z'),
};

/** A notification with `n` drift entries whose values are `length` characters of `char`. */
const withDrift = (n: number, length: number, char = 'x') =>
  renderNotification({
    ...base,
    drift: Array.from({ length: n }, (_, i) => ({
      property: `tag:k${i}`,
      before: char.repeat(length),
      after: null,
    })),
    actions: [],
  });

describe('the message budget', () => {
  it('keeps a PutEvents entry a margin under 256 KiB (AWS: "must be less than 256KB"; the delivered event is larger)', () => {
    expect(EVENT_ENTRY_MARGIN_BYTES).toBeGreaterThanOrEqual(8 * 1024);
    expect(EVENT_ENTRY_MAX_BYTES).toBe(256 * 1024 - EVENT_ENTRY_MARGIN_BYTES);
    // Even a message cut to fit the smallest bound fits the entry bound.
    const bounded = boundNotification(withDrift(400, 2000, '漢'));
    expect(eventEntryBytes(bounded.event)).toBeLessThanOrEqual(EVENT_ENTRY_MAX_BYTES);
  });

  it('counts UTF-8 bytes exactly as Node encodes them, lone surrogates as U+FFFD', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(utf8Bytes(s)).toBe(Buffer.byteLength(s, 'utf8'));
      }),
    );
    expect(utf8Bytes('\ud800')).toBe(3);
  });

  it('counts what SNS counts (body and attributes) and what EventBridge counts (source, type, detail, resources, time)', () => {
    expect(
      snsPayloadBytes({
        Message: 'é',
        Subject: 'ab',
        MessageAttributes: { k: { DataType: 'String', StringValue: 'v' } },
      }),
    ).toBe(2 + 2 + 1 + 6 + 1);
    expect(
      eventEntryBytes({ Source: 's', DetailType: 'dt', Detail: '{}', Resources: ['r'], Time: new Date() }),
    ).toBe(14 + 1 + 2 + 2 + 1);
  });

  it('leaves a message that fits exactly as rendered', () => {
    const n = withDrift(3, 50);
    expect(boundNotification(n)).toEqual(wirePayloads(n));
  });

  it('cuts long values with a marker and long lists with a count, within the bound, naming the correlation id', () => {
    // Prepare: 200 drift entries of 2,000 characters: ~3 MB as rendered.
    const n = withDrift(200, 2000, '"');

    // Act
    const out = boundNotification(n, { reference: 'evt-1', maxBytes: 50_000 });

    // Assess
    expect(snsPayloadBytes(out.topic)).toBeLessThanOrEqual(50_000);
    expect(eventEntryBytes(out.event)).toBeLessThanOrEqual(50_000);
    const outer = JSON.parse(out.topic.Message) as Record<string, string>;
    const doc = JSON.parse(outer.sqs ?? '{}') as NotificationDocument;
    expect(doc).toMatchObject({ outcome: 'remediated', account: '123456789012', roleName: 'AWSSupportRole' });
    expect(doc.drift.length + (doc.truncated?.omitted.drift ?? 0)).toBe(200);
    expect(doc.drift[0]?.before).toMatch(/…\[cut: \d+ more characters\]$/);
    expect(doc.truncated?.note).toContain('correlation id evt-1');
    expect(outer.email).toContain('Cut to fit the 256 KB message limit of SNS');
    expect(outer.email).toContain('AWSSupportRole in account 123456789012');
    expect(out.cut).toEqual(doc.truncated);
  });

  it('falls back to the essentials when no cut of the whole fits', () => {
    const n = withDrift(200, 2000, '"');
    const out = boundNotification(n, { maxBytes: 6_000 });
    expect(snsPayloadBytes(out.topic)).toBeLessThanOrEqual(6_000);
    const doc = JSON.parse(JSON.parse(out.topic.Message).sqs) as NotificationDocument;
    expect(doc).toMatchObject({ outcome: 'remediated', account: '123456789012', roleName: 'AWSSupportRole' });
    expect(doc.truncated?.omitted).toMatchObject({ drift: 200, actions: 0 });
  });

  it('logs the full detail in parts that each fit a log line and join back to the whole', () => {
    const n = withDrift(100, 3000, '\u0001é"\ud83d\ude00');
    const parts = fullDetailParts(n, 20_000);
    expect(parts.length).toBeGreaterThan(10);
    for (const p of parts) expect(Buffer.byteLength(JSON.stringify(p))).toBeLessThanOrEqual(20_000);
    expect(JSON.parse(parts.join(''))).toEqual(
      JSON.parse(JSON.stringify({ subject: n.subject, text: n.text, document: n.document })),
    );
  });
});
