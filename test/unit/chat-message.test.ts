import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  boundNextStep,
  CHAT_CUT_MARKER,
  CHAT_LIMITS,
  type ChatNotification,
  chatThreadId,
  renderChat,
} from '../../functions/core/chat-message.js';
import { classifyEvent } from '../../functions/core/classify-event.js';
import { buildTrustPolicy } from '../../functions/core/desired-state.js';
import { renderNotification } from '../../functions/core/notification.js';
import { canonicalPolicy } from '../../functions/core/policy-document.js';
import { actEntry, renderFollowUp } from '../../functions/core/storm.js';
import { guardConfig, OPS_ROLE, SUPPORT_ACCESS } from '../support/config.js';
import { fixture } from '../support/events.js';

/**
 * The custom-notification schema of Amazon Q Developer in chat applications, as documented
 * (docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html): these keys and no others,
 * version "1.0", source "custom", content.description required, textType client-markdown,
 * eventType [a-zA-Z0-9-]+ of at most 100 characters, additionalContext string to string.
 */
function schemaProblems(m: unknown): string[] {
  const problems: string[] = [];
  const obj = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');
  const only = (v: Record<string, unknown>, keys: string[], where: string) => {
    for (const k of Object.keys(v))
      if (!keys.includes(k)) problems.push(`${where}.${k} is not in the schema`);
  };
  if (!obj(m)) return ['not an object'];
  only(m, ['version', 'source', 'id', 'content', 'metadata'], '');
  if (m.version !== '1.0') problems.push('version must be "1.0"');
  if (m.source !== 'custom') problems.push('source must be "custom"');
  if (m.id !== undefined && typeof m.id !== 'string') problems.push('id must be a string');
  const c = m.content;
  if (!obj(c)) return [...problems, 'content missing'];
  only(c, ['textType', 'title', 'description', 'nextSteps', 'keywords'], 'content');
  if (c.textType !== 'client-markdown') problems.push('textType must be client-markdown');
  if (typeof c.description !== 'string' || c.description === '') problems.push('description is required');
  if (c.title !== undefined && typeof c.title !== 'string') problems.push('title must be a string');
  if (c.nextSteps !== undefined && !strings(c.nextSteps)) problems.push('nextSteps must be strings');
  if (c.keywords !== undefined && !strings(c.keywords)) problems.push('keywords must be strings');
  const md = m.metadata;
  if (md !== undefined) {
    if (!obj(md)) return [...problems, 'metadata must be an object'];
    only(md, ['threadId', 'summary', 'eventType', 'relatedResources', 'additionalContext'], 'metadata');
    for (const k of ['threadId', 'summary', 'eventType'])
      if (md[k] !== undefined && typeof md[k] !== 'string') problems.push(`metadata.${k} must be a string`);
    if (typeof md.eventType === 'string' && !/^[a-zA-Z0-9-]{1,100}$/.test(md.eventType))
      problems.push('metadata.eventType must match [a-zA-Z0-9-]+ and be at most 100 characters');
    if (md.relatedResources !== undefined && !strings(md.relatedResources))
      problems.push('metadata.relatedResources must be strings');
    const ac = md.additionalContext;
    if (ac !== undefined && !(obj(ac) && Object.values(ac).every((v) => typeof v === 'string')))
      problems.push('metadata.additionalContext must map strings to strings');
  }
  return problems;
}

const { desired } = guardConfig();
const c = classifyEvent(fixture('detach-role-policy'), { desired });
const trigger = c.kind === 'role-change' ? c.trigger : undefined;
const ALICE = 'arn:aws:sts::123456789012:assumed-role/AdminRole/alice@example.com';
const threadId = chatThreadId('123456789012', ALICE, trigger?.eventId ?? '');

describe('the chat message (Amazon Q Developer in chat applications)', () => {
  it('has exactly the documented custom-notification shape, with who did what, what was restored and the links', () => {
    // Prepare
    const n = renderNotification({
      outcome: 'remediated',
      account: '123456789012',
      accountAlias: 'prod-payments',
      region: 'us-east-1',
      partition: 'aws',
      roleName: 'AWSSupportRole',
      mode: 'enforce',
      time: new Date('2026-11-27T20:11:33.000Z'),
      ...(trigger ? { trigger } : {}),
      drift: [{ property: `managedPolicy:${SUPPORT_ACCESS}`, before: null, after: 'attached' }],
      actions: [{ api: 'AttachRolePolicy', status: 'succeeded', detail: `attach ${SUPPORT_ACCESS}` }],
    });

    // Act
    const chat: ChatNotification = renderChat(n, { threadId, partition: 'aws' });

    // Assess
    expect(schemaProblems(chat)).toEqual([]);
    expect(chat).toEqual({
      version: '1.0',
      source: 'custom',
      id: '005a17e0-0000-0040-0080-000000000001',
      content: {
        textType: 'client-markdown',
        title: ':white_check_mark: REMEDIATED: AWSSupportRole in 123456789012 (prod-payments)',
        description: expect.any(String),
        nextSteps: [
          `Ask \`${ALICE.replace('example.com', 'example[.]com')}\` why they changed the support role; if unexpected, treat it as an incident.`,
          'Role in the console: https://console.aws.amazon.com/iam/home#/roles/details/AWSSupportRole',
          'CloudTrail event: https://us-east-1.console.aws.amazon.com/cloudtrail/home?region=us-east-1#/events/005a17e0-0000-0040-0080-000000000001',
        ],
        keywords: ['REMEDIATED', '123456789012', 'AWSSupportRole', 'enforce'],
      },
      metadata: {
        threadId,
        summary: '[support-role-guard] REMEDIATED: AWSSupportRole in 123456789012',
        eventType: 'support-role-guard-remediated',
        relatedResources: ['arn:aws:iam::123456789012:role/AWSSupportRole', ALICE],
        additionalContext: {
          account: '123456789012',
          accountAlias: 'prod-payments',
          region: 'us-east-1',
          mode: 'enforce',
          outcome: 'remediated',
          eventName: 'DetachRolePolicy',
          eventId: '005a17e0-0000-0040-0080-000000000001',
          sourceIp: '203.0.113.24',
        },
      },
    });
    expect(chat.content.description).toContain('*What:* `DetachRolePolicy`');
    expect(chat.content.description).toContain('from `203.0.113.24`');
    expect(chat.content.description).toContain(`*Restored:*\n• AttachRolePolicy: *succeeded*`);
    expect(chat.content.description).toContain(
      '• `managedPolicy:arn:aws:iam::aws:policy/AWSSupportAccess: (absent) -> attached`',
    );
  });

  it('shows a trust change in words, and neutralises markdown and mentions an actor put in a value', () => {
    const n = renderNotification({
      outcome: 'remediated',
      account: '123456789012',
      region: 'us-east-1',
      partition: 'aws',
      roleName: 'AWSSupportRole',
      mode: 'enforce',
      time: new Date('2026-11-27T20:11:33.000Z'),
      ...(trigger
        ? { trigger: { ...trigger, userAgent: '`<!channel>` *bold* <https://evil.example|click>' } }
        : {}),
      drift: [
        {
          property: 'trustPolicy',
          before: canonicalPolicy(buildTrustPolicy([OPS_ROLE, 'arn:aws:iam::999988887777:root'], false)),
          after: canonicalPolicy(buildTrustPolicy([OPS_ROLE], false)),
        },
      ],
      actions: [{ api: 'UpdateAssumeRolePolicy', status: 'succeeded' }],
    });

    const chat = renderChat(n, { threadId, partition: 'aws' });

    expect(schemaProblems(chat)).toEqual([]);
    expect(chat.content.description).toContain(
      '• `trust policy:`\n• `now also trusts arn:aws:iam::999988887777:root — another account (not 123456789012), not in the desired set`',
    );
    expect(chat.content.description).toContain(
      "*User agent:* `'<!channel>' *bold* <hxxps://evil[.]example|click>`",
    );
    expect(chat.content.description).not.toContain('{"');
  });

  it('puts a follow-up in the thread of the act that opened the window', () => {
    const followUp = renderFollowUp(
      {
        key: 'storm#123456789012#awssupportrole#x',
        account: '123456789012',
        roleName: 'AWSSupportRole',
        actorArn: ALICE,
        opener: trigger?.eventId ?? '',
        count: 1,
        firstTime: '2026-11-28T04:00:01Z',
        lastTime: '2026-11-28T04:00:01Z',
        eventNames: { DetachRolePolicy: 1 },
        entries: [actEntry({ time: '2026-11-28T04:00:01Z', eventName: 'DetachRolePolicy', eventId: 'e2' })],
      },
      new Date('2026-11-28T05:00:00Z'),
    );

    const chat = renderChat(followUp, { threadId, partition: 'aws' });

    expect(schemaProblems(chat)).toEqual([]);
    expect(chat.metadata.threadId).toBe(threadId);
    expect(chat.metadata.eventType).toBe('support-role-guard-repeated-tampering');
    expect(chat.content.description).toContain('• `DetachRolePolicy`: 1');
  });

  it('gives each actor and incident its own thread id', () => {
    expect(chatThreadId('123456789012', ALICE, 'e1')).toMatch(
      /^support-role-guard-123456789012-[0-9a-f]{8}$/,
    );
    expect(chatThreadId('123456789012', ALICE, 'e1')).not.toBe(chatThreadId('123456789012', ALICE, 'e2'));
    expect(chatThreadId('123456789012', ALICE, 'e1')).not.toBe(
      chatThreadId('123456789012', 'arn:aws:iam::123456789012:user/bob', 'e1'),
    );
  });

  it('the schema check can fail', () => {
    expect(schemaProblems({ version: '1.0', source: 'custom', content: { textType: 'markdown' } })).toEqual([
      'textType must be client-markdown',
      'description is required',
    ]);
    expect(
      schemaProblems({
        version: '1.0',
        source: 'custom',
        content: { textType: 'client-markdown', description: 'x' },
        metadata: { eventType: 'has space', additionalContext: { n: 1 } },
      }),
    ).toEqual([
      'metadata.eventType must match [a-zA-Z0-9-]+ and be at most 100 characters',
      'metadata.additionalContext must map strings to strings',
    ]);
  });

  /**
   * Slack shows a message's text in section blocks of at most 3,000 characters (Block Kit
   * reference, section `text`) and rejects or truncates longer ones; Teams cards are smaller
   * still. Whatever the drift, actions, user agent or error, every field stays within its bound,
   * and a cut description says so.
   */
  it('keeps every field within its bound, and marks a cut description (property)', () => {
    const long = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ unit: 'binary', minLength: 300, maxLength: 600 }),
    );
    fc.assert(
      fc.property(
        fc.array(long, { maxLength: 25, size: 'max' }),
        fc.array(long, { maxLength: 25, size: 'max' }),
        long,
        fc.option(long, { nil: undefined }),
        fc.constantFrom('remediated', 'drift-detected', 'failed', 'compliant'),
        (values, details, userAgent, error, outcome) => {
          const n = renderNotification({
            outcome: outcome as 'remediated',
            account: '123456789012',
            accountAlias: userAgent.slice(0, 63),
            region: 'us-east-1',
            partition: 'aws',
            roleName: 'AWSSupportRole',
            mode: 'enforce',
            time: new Date('2026-11-27T20:11:33.000Z'),
            ...(trigger ? { trigger: { ...trigger, userAgent } } : {}),
            drift: values.map((v, i) => ({ property: `tag:k${i}`, before: v, after: `${v}x` })),
            actions: details.map((d) => ({ api: 'TagRole', status: 'succeeded' as const, detail: d })),
            ...(error !== undefined ? { error } : {}),
          });

          const chat = renderChat(n, { threadId, partition: 'aws' });

          expect(schemaProblems(chat)).toEqual([]);
          expect(chat.content.description.length).toBeLessThanOrEqual(CHAT_LIMITS.description);
          expect(chat.content.title?.length ?? 0).toBeLessThanOrEqual(CHAT_LIMITS.title);
          for (const step of chat.content.nextSteps ?? [])
            expect(step.length).toBeLessThanOrEqual(CHAT_LIMITS.nextStep);
          expect(chat.metadata.summary?.length ?? 0).toBeLessThanOrEqual(CHAT_LIMITS.summary);
          for (const v of Object.values(chat.metadata.additionalContext ?? {}))
            expect(v.length).toBeLessThanOrEqual(CHAT_LIMITS.contextValue);
          // No lone surrogate left by a cut (Slack rejects invalid UTF-16 as invalid JSON text).
          expect(chat.content.description).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
          const cut = chat.content.description.endsWith(CHAT_CUT_MARKER);
          if (values.length + details.length > 44) expect(cut).toBe(true);
        },
      ),
      { numRuns: 25, endOnFailure: true },
    );
  });
});

describe('a next step', () => {
  it('is kept whole up to CHAT_LIMITS.nextStep (3,000, as docs/deploy.md says) and cut with an ellipsis past it', () => {
    expect(CHAT_LIMITS.nextStep).toBe(3_000);
    const long = 'x'.repeat(1_000);
    expect(boundNextStep(long)).toBe(long);
    const tooLong = 'y'.repeat(CHAT_LIMITS.nextStep + 1);
    expect(boundNextStep(tooLong)).toHaveLength(CHAT_LIMITS.nextStep);
    expect(boundNextStep(tooLong).endsWith('…')).toBe(true);
  });
});
