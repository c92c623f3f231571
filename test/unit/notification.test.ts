import { describe, expect, it } from 'vitest';
import { renderChat } from '../../functions/core/chat-message.js';
import { classifyEvent } from '../../functions/core/classify-event.js';
import { oneLine, renderNotification, subjectLine } from '../../functions/core/notification.js';
import { guardConfig, SUPPORT_ACCESS } from '../support/config.js';
import { fixture } from '../support/events.js';

const { desired } = guardConfig();
const classification = classifyEvent(fixture('detach-role-policy'), { desired });
const trigger = classification.kind === 'role-change' ? classification.trigger : undefined;
const base = {
  outcome: 'remediated' as const,
  account: '123456789012',
  region: 'us-east-1',
  partition: 'aws',
  roleName: 'AWSSupportRole',
  mode: 'enforce',
  time: new Date('2026-11-27T20:11:33.000Z'),
  drift: [{ property: `managedPolicy:${SUPPORT_ACCESS}`, before: null, after: 'attached' }],
  actions: [
    { api: 'AttachRolePolicy' as const, status: 'succeeded' as const, detail: `attach ${SUPPORT_ACCESS}` },
  ],
};

describe('renderNotification', () => {
  it('tells on-call who did what, what was found and what was done', () => {
    // Act
    const n = renderNotification({ ...base, ...(trigger ? { trigger } : {}) });

    // Assess
    expect(n.subject).toBe('[support-role-guard] REMEDIATED: AWSSupportRole in 123456789012');
    expect(n.text).toContain(
      'DetachRolePolicy by arn:aws:sts::123456789012:assumed-role/AdminRole/alice@example[.]com',
    );
    expect(n.text).toContain('from 203.0.113.24');
    expect(n.text).toContain(`managedPolicy:${SUPPORT_ACCESS}: (absent) -> attached`);
    expect(n.text).toContain(`AttachRolePolicy: succeeded (attach ${SUPPORT_ACCESS})`);
    expect(n.text).toContain('https://console.aws.amazon.com/iam/home#/roles/details/AWSSupportRole');
    expect(n.text).toContain(
      'https://us-east-1.console.aws.amazon.com/cloudtrail/home?region=us-east-1#/events/005a17e0-0000-0040-0080-000000000001',
    );
    expect(n.detailType).toBe('Support Role Remediated');
    expect(n.document).toMatchObject({
      schemaVersion: '1.0',
      outcome: 'remediated',
      account: '123456789012',
      region: 'us-east-1',
      roleName: 'AWSSupportRole',
      trigger: {
        eventName: 'DetachRolePolicy',
        eventId: '005a17e0-0000-0040-0080-000000000001',
        sourceIp: '203.0.113.24',
      },
      drift: base.drift,
      actions: base.actions,
    });
  });

  it('says when the sweep found it, with no trigger', () => {
    const n = renderNotification({ ...base, outcome: 'drift-detected', mode: 'detect' });
    expect((n.document as { trigger?: unknown }).trigger).toBeUndefined();
    expect(n.text).toContain('scheduled sweep');
    expect(n.text).toContain('Actions (planned, not applied)');
    expect(n.subject).toBe('[support-role-guard] DRIFT DETECTED: AWSSupportRole in 123456789012');
  });

  it('says a change the sweep repaired went unseen, and names what to check', () => {
    // Act
    const n = renderNotification({ ...base });
    const chat = renderChat(n, { threadId: 't', partition: 'aws' });

    // Assess
    expect(n.text).toContain('went unseen: no event of it reached the guard');
    expect(n.text).toContain('CloudTrail trail');
    expect(n.text).toContain("sessions of the guard's own roles (/support-role-guard/)");
    expect(n.text).toContain('SELF-PROTECTION');
    expect(chat.content.description).toContain('went unseen');
  });

  it('says the role was already back when the tampering is reported late', () => {
    const n = renderNotification({
      ...base,
      ...(trigger ? { trigger } : {}),
      outcome: 'compliant',
      drift: [],
      actions: [],
      alreadyRestored: true,
    });
    expect(n.text).toContain('already back in its desired state');
    expect(n.subject).toContain('TAMPERING REVERTED');
  });

  it('keeps hostile event text on one bounded line', () => {
    const hostile = {
      ...trigger,
      userAgent: 'curl\n\nSubject: all good\r\u2028x'.padEnd(5000, 'y'),
    } as NonNullable<typeof trigger>;
    const n = renderNotification({ ...base, trigger: hostile });
    const line = n.text.split('\n').find((l) => l.includes('user agent:')) ?? '';
    expect(line).toMatch(/^ {2}user agent: curl Subject: all good x/);
    expect(line.length).toBeLessThanOrEqual(220);
    expect(n.text).not.toContain('\nSubject: all good');
  });
});

describe('subjectLine', () => {
  it('keeps at most 99 printable ASCII characters on one line', () => {
    const subject = subjectLine(`[support-role-guard] FAILED: ${'ä'.repeat(10)}\n${'R'.repeat(200)}`);
    expect(subject.length).toBeLessThanOrEqual(99);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
  });
});

describe('oneLine', () => {
  it('marks missing values', () => {
    expect(oneLine(undefined)).toBe('(unknown)');
  });
});

describe('the account alias', () => {
  it('is named next to the account id when known', () => {
    const n = renderNotification({ ...base, accountAlias: 'payments-prod' });
    expect(n.text).toContain('in account 123456789012 (payments-prod)');
    expect(n.document).toMatchObject({ account: '123456789012', accountAlias: 'payments-prod' });
  });
});

describe('renderNotification: the role is also managed by infrastructure as code', () => {
  it('says who manages the role and that the desired state disagrees, in the e-mail, the JSON document and chat', () => {
    // Prepare
    const managedBy = { tool: 'CloudFormation', evidence: 'aws:cloudformation:stack-name=support-roles' };

    // Act
    const n = renderNotification({ ...base, ...(trigger ? { trigger } : {}), managedBy });
    const chat = renderChat(n, { threadId: 't', partition: 'aws' });

    // Assess
    expect(n.text).toContain(
      "Managed by: the role is also managed by CloudFormation (aws:cloudformation:stack-name=support-roles) and the guard's desired state disagrees with it (1 drift(s)): each would revert the other.",
    );
    expect(n.document).toMatchObject({
      managedBy: { ...managedBy, desiredStateDisagrees: true },
    });
    expect(chat.content.description).toContain(
      "*Managed by:* the role is also managed by `CloudFormation` (`aws:cloudformation:stack-name=support-roles`) and the guard's desired state disagrees",
    );
    expect(chat.metadata.additionalContext).toMatchObject({
      managedBy: 'CloudFormation',
      desiredStateDisagrees: 'true',
    });
  });

  it('says it agrees when nothing drifted, and neutralises a hostile tag', () => {
    // Act
    const n = renderNotification({
      ...base,
      outcome: 'compliant',
      drift: [],
      actions: [],
      managedBy: { tool: 'https://evil.example', evidence: 'managed-by=https://evil.example' },
    });

    // Assess
    expect(n.text).toContain(
      'also managed by hxxps://evil[.]example (managed-by=hxxps://evil[.]example); it agrees',
    );
    expect(n.document).toMatchObject({ managedBy: { desiredStateDisagrees: false } });
  });

  it('says nothing about it when no tool manages the role', () => {
    const n = renderNotification({ ...base });
    expect(n.text).not.toContain('Managed by');
    expect(n.document).not.toHaveProperty('managedBy');
  });
});
