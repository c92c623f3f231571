import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyEvent, type Trigger } from '../../functions/core/classify-event.js';
import { oneLine, renderNotification, renderSweepSummary } from '../../functions/core/notification.js';
import { guardConfig } from '../support/config.js';
import { fixture } from '../support/events.js';

/** Bidi embeddings/overrides/isolates, marks, and zero-width characters (issue 9, defect 6). */
const HIDDEN = [
  '\u202a',
  '\u202b',
  '\u202c',
  '\u202d',
  '\u202e',
  '\u2066',
  '\u2067',
  '\u2068',
  '\u2069',
  '\u200e',
  '\u200f',
  '\u061c',
  '\u200b',
  '\u200c',
  '\u200d',
  '\u2060',
  '\ufeff',
];
const HIDDEN_RE = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u200b-\u200d\u2060\ufeff]/u;
/** What an e-mail client turns into a link. */
const LINKABLE_RE = /(?:https?|ftp):\/\/|www\.|\b[a-z0-9-]+\.(?:com|net|org|io|example)\b/iu;

const { desired } = guardConfig();
function fixtureTrigger(): Trigger {
  const classification = classifyEvent(fixture('detach-role-policy'), { desired });
  if (classification.kind !== 'role-change') throw new Error('fixture did not classify as a role change');
  return classification.trigger;
}
const trigger = fixtureTrigger();
const base = {
  outcome: 'failed' as const,
  account: '123456789012',
  region: 'us-east-1',
  partition: 'aws',
  roleName: 'AWSSupportRole',
  mode: 'enforce',
  time: new Date('2026-11-27T20:11:33.000Z'),
  drift: [],
  actions: [],
};

/** Every text field of a message that comes from an event or from IAM, set to one hostile value. */
function everyUntrustedField(hostile: string) {
  return {
    ...base,
    accountAlias: hostile,
    trigger: {
      ...trigger,
      actorArn: hostile,
      sourceIp: hostile,
      userAgent: hostile,
      eventTime: hostile,
      eventId: hostile,
    },
    drift: [{ property: `tag:${hostile}`, before: hostile, after: null }],
    actions: [{ api: 'UntagRole' as const, status: 'failed' as const, detail: hostile }],
    error: hostile,
  };
}

/** The e-mail text without the guard's own console links (those are meant to be clicked). */
const untrustedPart = (text: string) =>
  text
    .split('\n')
    .filter(
      (l) =>
        !/^(Role|CloudTrail event): https:\/\/[\w.-]+\.console\.aws\.amazon\.com\//.test(l) &&
        !/^Role: https:\/\/console\.aws\.amazon\.com\//.test(l),
    )
    .join('\n');

describe('actor-controlled text in e-mail (issue 9, defect 6)', () => {
  it('shows bidi controls and zero-width characters as visible markers, in every untrusted field', () => {
    // Prepare: a right-to-left override that would make "exe.txt" read "txt.exe", and a zero-width space.
    const hostile = `arn:aws:sts::123456789012:assumed-role/Admin/ev\u202eil\u200bname`;

    // Act
    const n = renderNotification(everyUntrustedField(hostile));

    // Assess
    expect(n.text).not.toMatch(HIDDEN_RE);
    expect(n.subject).not.toMatch(HIDDEN_RE);
    expect(n.text).toContain('assumed-role/Admin/ev[U+202E]il[U+200B]name');
    for (const line of [
      'by ',
      'user agent: ',
      'CloudTrail event id: ',
      'Error: ',
      '  - tag:',
      'UntagRole: failed (',
    ])
      expect(n.text, line).toContain(`${line}`);
  });

  it('names every hidden character it neutralises', () => {
    for (const c of HIDDEN) {
      const code = c.codePointAt(0)?.toString(16).toUpperCase().padStart(4, '0');
      expect(oneLine(`a${c}b`)).toBe(`a[U+${code}]b`);
    }
  });

  it('defangs URLs and domain names so that they are not links', () => {
    const ua = 'Mozilla/5.0 see https://evil.example.com/login?next=x or www.evil.example and evil.com';
    const n = renderNotification({ ...base, outcome: 'remediated', trigger: { ...trigger, userAgent: ua } });
    const line = n.text.split('\n').find((l) => l.includes('user agent:')) ?? '';
    expect(line).toBe(
      '  user agent: Mozilla/5.0 see hxxps://evil[.]example[.]com/login?next=x or www[.]evil[.]example and evil[.]com',
    );
    // The guard's own links stay clickable.
    expect(n.text).toContain('Role: https://console.aws.amazon.com/iam/home#/roles/details/AWSSupportRole');
  });

  it('the actor session name that looks like an e-mail address is defanged too', () => {
    const n = renderNotification({ ...base, outcome: 'remediated', trigger: trigger });
    expect(n.text).toContain('by arn:aws:sts::123456789012:assumed-role/AdminRole/alice@example[.]com');
    // The JSON document keeps the exact value for machines.
    expect(n.document).toMatchObject({ trigger: { actorArn: trigger.actorArn } });
  });

  it('for any value in any untrusted field, the e-mail has no hidden character and no link but the guard own', () => {
    const piece = fc.oneof(
      fc.constantFrom(...HIDDEN),
      fc.constantFrom(
        'https://',
        'http://',
        'ftp://',
        'www.',
        '.com',
        '.example',
        'evil',
        '/',
        ' ',
        '@',
        '\n',
        'x',
      ),
      fc.string({ unit: 'grapheme', maxLength: 6 }),
    );
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 40 }), (pieces) => {
        const hostile = pieces.join('');
        const n = renderNotification(everyUntrustedField(hostile));
        const s = renderSweepSummary({
          accounts: [
            {
              account: hostile,
              outcome: 'failed',
              drift: [{ property: hostile, before: hostile, after: hostile }],
              actions: [{ api: 'TagRole', status: 'failed', detail: hostile }],
              reason: hostile,
            },
          ],
          region: 'us-east-1',
          roleName: 'AWSSupportRole',
          mode: 'enforce',
          time: base.time,
        });
        for (const text of [n.text, s.text, n.subject, s.subject]) {
          expect(text).not.toMatch(HIDDEN_RE);
          expect(untrustedPart(text)).not.toMatch(LINKABLE_RE);
        }
      }),
      { numRuns: 300, seed: 9006 },
    );
  });
});
