import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { AwsNotifier } from '../../functions/adapters/notifier.js';
import { detectDrift } from '../../functions/core/drift.js';
import { withChat } from '../../functions/core/handle-event.js';
import { EVENT_ENTRY_MAX_BYTES, SNS_MAX_BYTES } from '../../functions/core/message-budget.js';
import type { NotificationDocument, SweepSummaryDocument } from '../../functions/core/messages.js';
import { renderNotification, renderSweepSummary } from '../../functions/core/notification.js';
import { describeAction, planActions } from '../../functions/core/plan.js';
import type { ActionStatus, Outcome } from '../../functions/core/results.js';
import type { PresentRole } from '../../functions/core/role-snapshot.js';
import { recordIamCalls } from '../../functions/local/wire-log.js';
import { settings, uniqueName, WireLog } from '../support/aws.js';
import { guardConfig } from '../support/config.js';
import {
  DESCRIPTION_ALPHABET,
  filler,
  PATH_ALPHABET,
  POLICY_NAME_ALPHABET,
  TAG_ALPHABET,
  utf8,
  worstCaseRole,
} from '../support/worst-case.js';

/**
 * For any input the guard can be given, every request it sends is within the service's limit,
 * measured in UTF-8 bytes on the wire (the SDK's serialized request, recorded by the wire log,
 * against the emulator), and the message still says what happened, where and to which role.
 */
const ACCOUNT = '123456789012';
const { desired } = guardConfig();

interface Sent {
  readonly topic: { subject: string; message: string; bytes: number }[];
  readonly chat: { message: string; bytes: number }[];
  readonly events: { detail: string; bytes: number }[];
}

let notifier: AwsNotifier;
let wire: WireLog;

beforeAll(async () => {
  wire = new WireLog();
  const sns = recordIamCalls(new SNSClient(settings()), wire);
  const eventBridge = recordIamCalls(new EventBridgeClient(settings()), wire);
  const topic = await sns.send(new CreateTopicCommand({ Name: uniqueName('size-prop') }));
  const chat = await sns.send(new CreateTopicCommand({ Name: uniqueName('size-prop-chat') }));
  const bus = uniqueName('size-prop-bus');
  await eventBridge.send(new CreateEventBusCommand({ Name: bus }));
  notifier = new AwsNotifier({
    sns,
    topicArn: topic.TopicArn ?? '',
    chatTopicArn: chat.TopicArn ?? '',
    eventBridge,
    eventBusName: bus,
    correlationId: () => 'prop-correlation-id',
  });
});

/** Publishes through the real notifier and returns what went over the wire, with its sizes. */
async function sendAndMeasure(notification: Parameters<AwsNotifier['publish']>[0]): Promise<Sent> {
  wire.clear();
  await notifier.publish(notification);
  const sent: Sent = { topic: [], chat: [], events: [] };
  for (const r of wire.requests) {
    if (r.action === 'Publish') {
      const message = r.params.Message ?? '';
      // What SNS counts: the message body (there are no attributes), plus the subject as a margin.
      const bytes = utf8(message) + utf8(r.params.Subject ?? '');
      if (r.params.MessageStructure === 'json')
        sent.topic.push({ subject: r.params.Subject ?? '', message, bytes });
      else sent.chat.push({ message, bytes });
    } else if (r.action === 'PutEvents') {
      const entry = (JSON.parse(r.json ?? '{}') as { Entries: Record<string, string>[] }).Entries[0] ?? {};
      // EventBridge's rule: UTF-8 bytes of Source, DetailType and Detail (no Time, no Resources).
      const bytes = utf8(entry.Source ?? '') + utf8(entry.DetailType ?? '') + utf8(entry.Detail ?? '');
      sent.events.push({ detail: entry.Detail ?? '', bytes });
    }
  }
  expect(sent.topic).toHaveLength(1);
  expect(sent.chat).toHaveLength(1);
  expect(sent.events).toHaveLength(1);
  for (const p of [...sent.topic, ...sent.chat]) expect(p.bytes).toBeLessThanOrEqual(SNS_MAX_BYTES);
  for (const e of sent.events) expect(e.bytes).toBeLessThanOrEqual(EVENT_ENTRY_MAX_BYTES);
  return sent;
}

/** The copies each protocol gets, from the MessageStructure=json message as sent. */
function copies(sent: Sent) {
  const outer = JSON.parse(sent.topic[0]?.message ?? '{}') as Record<string, string>;
  for (const p of ['email-json', 'sqs', 'lambda', 'http', 'https', 'firehose'])
    expect(outer[p]).toBe(outer.sqs);
  expect(outer.default).toBe(outer.email);
  return { email: outer.email ?? '', document: JSON.parse(outer.sqs ?? '{}') as Record<string, unknown> };
}

/** A role snapshot of the given shape, with the costliest characters IAM allows in each place. */
function role(shape: {
  tags: number;
  keyLength: number;
  valueLength: number;
  inline: number;
  nameLength: number;
  attached: number;
  pathLength: number;
  descriptionLength: number;
  seed: number;
}): PresentRole {
  const worst = worstCaseRole(shape.seed);
  return {
    exists: true,
    roleName: desired.roleName,
    arn: `arn:aws:iam::${ACCOUNT}:role/${desired.roleName}`,
    path: '/',
    description: filler(DESCRIPTION_ALPHABET, shape.descriptionLength, shape.seed),
    maxSessionDuration: 43_200,
    trustPolicy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::999999999999:role/${filler('a"\\é', 1900, shape.seed)}` },
          Action: 'sts:AssumeRole',
        },
      ],
    }),
    tags: Object.fromEntries(
      Array.from({ length: shape.tags }, (_, i) => [
        `${String(i).padStart(2, '0')}${filler(TAG_ALPHABET, shape.keyLength - 2, shape.seed + i)}`,
        filler(TAG_ALPHABET, shape.valueLength, shape.seed + 50 + i),
      ]),
    ),
    attachedPolicyArns: Array.from(
      { length: shape.attached },
      (_, i) =>
        `arn:aws:iam::${ACCOUNT}:policy/${filler(PATH_ALPHABET, shape.pathLength, shape.seed + i)}/${worst.managedPolicies[i]?.name ?? i}`,
    ),
    inlinePolicyNames: Array.from(
      { length: shape.inline },
      (_, i) => `${i}${filler(POLICY_NAME_ALPHABET, shape.nameLength - 1, shape.seed + i)}`,
    ),
  };
}

const roleShape = fc.record({
  tags: fc.integer({ min: 0, max: 50 }),
  keyLength: fc.integer({ min: 3, max: 128 }),
  valueLength: fc.integer({ min: 0, max: 256 }),
  inline: fc.integer({ min: 0, max: 10 }),
  nameLength: fc.integer({ min: 1, max: 128 }),
  attached: fc.integer({ min: 0, max: 20 }),
  pathLength: fc.integer({ min: 1, max: 510 }),
  descriptionLength: fc.integer({ min: 0, max: 1000 }),
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  // What the event can carry (classify-event keeps strings of at most 2,048 characters).
  userAgentLength: fc.integer({ min: 0, max: 2048 }),
  errorLength: fc.integer({ min: 0, max: 20_000 }),
  outcome: fc.constantFrom<Outcome>('remediated', 'failed', 'drift-detected', 'compliant'),
  status: fc.constantFrom<ActionStatus>('succeeded', 'failed', 'planned', 'superseded'),
});

const WORST_ROLE = {
  tags: 50,
  keyLength: 128,
  valueLength: 256,
  inline: 10,
  nameLength: 128,
  attached: 20,
  pathLength: 510,
  descriptionLength: 1000,
  seed: 7,
  userAgentLength: 2048,
  errorLength: 20_000,
  outcome: 'failed' as const,
  status: 'failed' as const,
};

describe('message size: property over roles and sweeps, measured at the wire', () => {
  it('any role an attacker can build within IAM quotas, on any outcome, is reported within the limits', async () => {
    await fc.assert(
      fc.asyncProperty(roleShape, async (shape) => {
        // Prepare: the drift and actions the guard itself would compute for this role.
        const snapshot = role(shape);
        const drift = detectDrift(desired, snapshot);
        const actions = planActions(desired, drift).map((a) => ({
          api: a.api,
          status: shape.status,
          detail: `${describeAction(a)}${shape.status === 'failed' ? `: ${filler('"\\\u0001é', 300, shape.seed)}` : ''}`,
        }));
        const eventId = `evt-${shape.seed}`;
        const notification = renderNotification({
          outcome: shape.outcome,
          account: ACCOUNT,
          region: 'us-east-1',
          partition: 'aws',
          roleName: desired.roleName,
          mode: 'enforce',
          time: new Date('2026-11-27T20:11:33.000Z'),
          trigger: {
            eventName: 'TagRole',
            eventId,
            eventTime: '2026-11-27T20:11:30Z',
            actorArn: `arn:aws:sts::${ACCOUNT}:assumed-role/Admin/${filler('a"é', 64, shape.seed)}`,
            sourceIp: '203.0.113.24',
            userAgent: filler('"\\\u0001\u202eéhttps://x.example/', shape.userAgentLength, shape.seed),
            requestParameters: {},
          },
          drift: drift.map(({ property, before, after }) => ({ property, before, after })),
          actions,
          ...(shape.errorLength > 0 ? { error: filler('"\\\u0001é漢', shape.errorLength, shape.seed) } : {}),
        });

        // Act
        const sent = await sendAndMeasure(
          withChat(notification, 'support-role-guard-thread', { config: { partition: 'aws' } }),
        );

        // Assess: the essentials are still there, in every copy.
        const { email, document } = copies(sent);
        expect(document).toMatchObject({
          outcome: shape.outcome,
          account: ACCOUNT,
          roleName: desired.roleName,
        });
        expect((document as unknown as NotificationDocument).trigger?.eventId ?? eventId).toBe(eventId);
        expect(email).toContain(desired.roleName);
        expect(email).toContain(ACCOUNT);
        expect(sent.topic[0]?.subject).toContain(desired.roleName);
        expect(JSON.parse(sent.events[0]?.detail ?? '{}')).toMatchObject({ outcome: shape.outcome });
        const chat = JSON.parse(sent.chat[0]?.message ?? '{}') as { content: { title: string } };
        expect(chat.content.title).toContain(desired.roleName);
      }),
      { numRuns: 25, seed: 9, examples: [[WORST_ROLE]] },
    );
  }, 120_000);

  const sweepShape = fc.record({
    accounts: fc.integer({ min: 1, max: 5000 }),
    failedShare: fc.double({ min: 0, max: 1, noNaN: true }),
    reasonLength: fc.integer({ min: 0, max: 2000 }),
    driftPerAccount: fc.integer({ min: 0, max: 3 }),
    seed: fc.integer({ min: 1, max: 1_000_000 }),
  });

  it('any organization sweep of 1 to 5,000 accounts is summarised within the limits, with exact counts', async () => {
    await fc.assert(
      fc.asyncProperty(sweepShape, async (shape) => {
        // Prepare: a deterministic mix of outcomes, the failed share first, long reasons.
        const others: Outcome[] = ['remediated', 'drift-detected', 'compliant', 'not-enrolled'];
        const accounts = Array.from({ length: shape.accounts }, (_, i) => {
          const failed = i < Math.round(shape.failedShare * shape.accounts);
          const outcome: Outcome = failed ? 'failed' : (others[(i + shape.seed) % others.length] as Outcome);
          return {
            account: String(100_000_000_000 + i),
            outcome,
            drift: Array.from({ length: outcome === 'compliant' ? 0 : shape.driftPerAccount }, (_, d) => ({
              property: `tag:${filler(TAG_ALPHABET, 128, shape.seed + d)}`,
              before: filler(TAG_ALPHABET, 256, shape.seed + i + d),
              after: null,
            })),
            actions: [],
            ...(shape.reasonLength > 0
              ? { reason: filler('"\\é AccessDenied ', shape.reasonLength, shape.seed + i) }
              : {}),
          };
        });
        const expected: Record<Outcome, number> = {
          remediated: 0,
          compliant: 0,
          'drift-detected': 0,
          ignored: 0,
          failed: 0,
          'not-enrolled': 0,
        };
        for (const a of accounts) expected[a.outcome]++;
        const notification = renderSweepSummary({
          accounts,
          region: 'us-east-1',
          roleName: desired.roleName,
          mode: 'enforce',
          time: new Date('2026-11-27T21:00:00.000Z'),
        });

        // Act
        const sent = await sendAndMeasure(
          withChat(notification, 'support-role-guard-thread', { config: { partition: 'aws' } }),
        );

        // Assess: outcome and counts exact; every listed account is a real one, failures first.
        const { email, document } = copies(sent);
        const summary = document as unknown as SweepSummaryDocument;
        expect(summary.kind).toBe('organization-sweep');
        expect(summary.counts).toEqual(expected);
        expect(summary.outcome).toBe((notification.document as SweepSummaryDocument).outcome);
        expect(summary.roleName).toBe(desired.roleName);
        const attention = (notification.document as SweepSummaryDocument).accounts;
        const listed = summary.accounts.length;
        expect(listed + (summary.truncated?.omitted.accounts ?? 0)).toBe(attention.length);
        expect(summary.accounts.map((a) => a.account)).toEqual(
          attention.slice(0, listed).map((a) => a.account),
        );
        if (expected.failed > 0 && listed > 0) expect(summary.accounts[0]?.outcome).toBe('failed');
        expect(email).toContain(`Sweep of ${shape.accounts} accounts`);
        expect(email).toContain(`${expected.failed} failed`);
        expect(sent.topic[0]?.subject).toContain(`${expected.failed} failed`);
      }),
      {
        numRuns: 12,
        seed: 11,
        examples: [
          [{ accounts: 5000, failedShare: 1, reasonLength: 2000, driftPerAccount: 3, seed: 1 }],
          [{ accounts: 1, failedShare: 1, reasonLength: 2000, driftPerAccount: 3, seed: 2 }],
          [{ accounts: 100, failedShare: 0.5, reasonLength: 300, driftPerAccount: 0, seed: 3 }],
        ],
      },
    );
  }, 300_000);
});
