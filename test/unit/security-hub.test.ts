import { describe, expect, it } from 'vitest';
import type { Trigger } from '../../functions/core/classify-event.js';
import type { FindingsHub } from '../../functions/core/ports.js';
import {
  annotationNote,
  isOpenControlFinding,
  NOTE_MAX_LENGTH,
  reportToSecurityHub,
  type SecurityHubReportInput,
  tamperingFinding,
  workflowFor,
} from '../../functions/core/security-hub.js';

const ACCOUNT = '123456789012';
const trigger: Trigger = {
  eventName: 'UpdateAssumeRolePolicy',
  eventId: '005a17e0-0000-0040-0080-000000000001',
  eventTime: '2026-11-27T20:11:31Z',
  actorArn: 'arn:aws:iam::123456789012:user/mallory',
  sourceIp: '2001:db8::1',
  userAgent: 'aws-cli/2',
  requestParameters: {},
};
const input = (overrides: Partial<SecurityHubReportInput> = {}): SecurityHubReportInput => ({
  account: ACCOUNT,
  region: 'us-east-1',
  partition: 'aws',
  roleName: 'AWSSupportRole',
  rolePath: '/',
  mode: 'enforce',
  outcome: 'remediated',
  time: new Date('2026-11-27T20:11:33Z'),
  trigger,
  tampering: true,
  folded: false,
  drift: [{ property: 'trustPolicy', before: '{}', after: '{}' }],
  actions: [{ api: 'UpdateAssumeRolePolicy', status: 'succeeded', detail: 'restore the trust policy' }],
  holdsSupportAccess: true,
  ...overrides,
});

describe('workflowFor (the documented rule)', () => {
  it.each([
    ['remediated', true, 'RESOLVED'],
    ['remediated', false, 'NOTIFIED'],
    ['drift-detected', true, 'NOTIFIED'],
    ['failed', true, 'NOTIFIED'],
    ['compliant', true, undefined],
    ['ignored', true, undefined],
    ['not-enrolled', true, undefined],
  ] as const)('%s (holds AWSSupportAccess: %s) -> %s', (outcome, holds, status) => {
    expect(workflowFor(outcome, holds)).toBe(status);
  });
});

describe('annotationNote', () => {
  it('Compliance: says what was restored, when, and the CloudTrail event', () => {
    expect(annotationNote(input())).toBe(
      'support-role-guard restored AWSSupportRole in 123456789012 at 2026-11-27T20:11:33.000Z; CloudTrail event 005a17e0-0000-0040-0080-000000000001 (UpdateAssumeRolePolicy by arn:aws:iam::123456789012:user/mallory). Restored: restore the trust policy',
    );
  });

  it('Noncompliance 1: a hostile, huge actor and error never push it past 512 characters', () => {
    const actorArn = `arn:aws:sts::123456789012:assumed-role/R/${'x'.repeat(3000)}\u202e https://evil.example`;
    const note = annotationNote(
      input({ outcome: 'failed', trigger: { ...trigger, actorArn }, error: 'e'.repeat(5000) }),
    );
    expect(note.length).toBeLessThanOrEqual(NOTE_MAX_LENGTH);
    expect(note).toContain('could NOT restore AWSSupportRole in 123456789012');
    expect(note).not.toMatch(/https:\/\//);
  });
});

describe('isOpenControlFinding', () => {
  const open = {
    id: 'f',
    productArn: 'p',
    awsAccountId: ACCOUNT,
    controlId: 'IAM.18',
    complianceStatus: 'FAILED',
    recordState: 'ACTIVE',
    workflowStatus: 'NEW',
  };
  it('Compliance: an active, failed IAM.18 finding of the account', () => {
    expect(isOpenControlFinding(open, ACCOUNT)).toBe(true);
  });
  it.each([
    { workflowStatus: 'SUPPRESSED' },
    { complianceStatus: 'PASSED' },
    { recordState: 'ARCHIVED' },
    { controlId: 'IAM.1' },
    { awsAccountId: '999988887777' },
  ])('Noncompliance: %j', (change) => {
    expect(isOpenControlFinding({ ...open, ...change }, ACCOUNT)).toBe(false);
  });
});

describe('tamperingFinding', () => {
  it('names the act as a TTP, keeps an IPv6 source in the finding, and uses the event id as Id', () => {
    const finding = tamperingFinding({ ...input(), trigger });
    expect(finding.Id).toBe(`support-role-guard/tampering/${trigger.eventId}`);
    expect(finding.Types[0]).toBe('TTPs/Persistence');
    expect(finding.Severity.Label).toBe('HIGH');
    expect(finding.Resources.map((r) => [r.Type, r.Id])).toEqual([
      ['AwsIamRole', `arn:aws:iam::${ACCOUNT}:role/AWSSupportRole`],
      ['AwsIamUser', 'arn:aws:iam::123456789012:user/mallory'],
    ]);
    expect(finding.Action?.AwsApiCallAction).toMatchObject({
      CallerType: 'domain',
      DomainDetails: { Domain: '2001:db8::1' },
    });
    expect(finding.ProductFields['support-role-guard/sourceIpAddress']).toBe('2001:db8::1');
  });

  it('keeps the Id within ASFF characters whatever the event id holds', () => {
    const finding = tamperingFinding({ ...input(), trigger: { ...trigger, eventId: 'a/b c\n<x>' } });
    expect(finding.Id).toBe('support-role-guard/tampering/a_b_c__x_');
  });
});

describe('reportToSecurityHub', () => {
  it('never throws: each failing step is returned, the other still runs', async () => {
    // Prepare
    const imported: unknown[] = [];
    const hub: FindingsHub = {
      findings: () => Promise.reject(new Error('AccessDenied')),
      annotate: () => Promise.resolve([]),
      importFindings: (f) => {
        imported.push(...f);
        return Promise.resolve([]);
      },
    };

    // Act
    const report = await reportToSecurityHub(input(), hub, {
      annotateControlFindings: true,
      importTamperingFindings: true,
    });

    // Assess
    expect(report).toEqual({
      annotated: 0,
      imported: 1,
      failures: ['annotating the IAM.18 findings failed: Error: AccessDenied'],
    });
    expect(imported).toHaveLength(1);
  });

  it('a folded repeat is imported but does not annotate the control findings again', async () => {
    // Prepare
    const calls: string[] = [];
    const hub: FindingsHub = {
      findings: async () => {
        calls.push('findings');
        return [];
      },
      annotate: async () => [],
      importFindings: async () => {
        calls.push('import');
        return [];
      },
    };

    // Act
    await reportToSecurityHub(input({ folded: true }), hub, {
      annotateControlFindings: true,
      importTamperingFindings: true,
    });

    // Assess
    expect(calls).toEqual(['import']);
  });
});
