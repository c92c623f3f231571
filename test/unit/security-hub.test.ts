import fc from 'fast-check';
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

describe('workflowFor (the documented rule: never fight Security Hub)', () => {
  // Security Hub owns RESOLVED: it sets it when the control passes again and moves RESOLVED back
  // to NEW when it fails again. The guard only says on-call was told (NOTIFIED), whatever happened.
  it.each([
    ['remediated', 'NOTIFIED'],
    ['drift-detected', 'NOTIFIED'],
    ['failed', 'NOTIFIED'],
    ['compliant', undefined],
    ['ignored', undefined],
    ['not-enrolled', undefined],
  ] as const)('%s -> %s', (outcome, status) => {
    expect(workflowFor(outcome)).toBe(status);
  });
});

describe('annotationNote', () => {
  it('Compliance: says what was restored and verified, when, the CloudTrail event, and who resolves the finding', () => {
    expect(annotationNote(input())).toBe(
      'support-role-guard restored AWSSupportRole in 123456789012 and verified it at 2026-11-27T20:11:33.000Z; CloudTrail event 005a17e0-0000-0040-0080-000000000001 (UpdateAssumeRolePolicy by arn:aws:iam::123456789012:user/mallory). Security Hub resolves this finding when IAM.18 next passes. Restored: restore the trust policy',
    );
  });

  it('says IAM.18 may keep failing when the desired state does not hold AWSSupportAccess', () => {
    expect(annotationNote(input({ holdsSupportAccess: false }))).toContain(
      'the desired state does not hold AWSSupportAccess: IAM.18 may keep failing.',
    );
  });

  it('Property: at most 512 characters for any input, and the role, account and time always in it', () => {
    const text = fc.string({ unit: 'binary', maxLength: 3000 });
    const outcome = fc.constantFrom('remediated', 'failed', 'drift-detected', 'compliant' as const);
    fc.assert(
      fc.property(
        fc.record({
          roleName: fc.stringMatching(/^[\w+=,@-]{1,64}$/),
          outcome,
          mode: fc.constantFrom('enforce', 'detect'),
          eventId: text,
          eventName: fc.constantFrom('DeleteRole', 'UpdateAssumeRolePolicy', 'AttachRolePolicy' as const),
          actorArn: text,
          error: fc.option(text, { nil: undefined }),
          withTrigger: fc.boolean(),
          details: fc.array(fc.option(text, { nil: undefined }), { maxLength: 30 }),
          properties: fc.array(text, { maxLength: 30 }),
          holdsSupportAccess: fc.boolean(),
        }),
        (r) => {
          const note = annotationNote(
            input({
              roleName: r.roleName,
              outcome: r.outcome,
              mode: r.mode,
              trigger: r.withTrigger
                ? { ...trigger, eventId: r.eventId, eventName: r.eventName, actorArn: r.actorArn }
                : undefined,
              ...(r.error === undefined ? {} : { error: r.error }),
              actions: r.details.map((detail) => ({
                api: 'AttachRolePolicy',
                status: 'succeeded' as const,
                ...(detail === undefined ? {} : { detail }),
              })),
              drift: r.properties.map((property) => ({ property, before: '', after: '' })),
              holdsSupportAccess: r.holdsSupportAccess,
            }),
          );
          expect(note.length).toBeLessThanOrEqual(NOTE_MAX_LENGTH);
          expect(note).toContain(`${r.roleName} in ${ACCOUNT}`);
          expect(note).toContain('2026-11-27T20:11:33.000Z');
        },
      ),
      { numRuns: 300 },
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
  const SCOPE = { account: ACCOUNT, region: 'us-east-1', partition: 'aws' };
  const open = {
    id: 'f',
    productArn: 'arn:aws:securityhub:us-east-1::product/aws/securityhub',
    awsAccountId: ACCOUNT,
    controlId: 'IAM.18',
    complianceStatus: 'FAILED',
    recordState: 'ACTIVE',
    workflowStatus: 'NEW',
  };
  it('Compliance: an active, failed IAM.18 finding of the account', () => {
    expect(isOpenControlFinding(open, SCOPE)).toBe(true);
  });
  it.each([
    { workflowStatus: 'SUPPRESSED' },
    { complianceStatus: 'PASSED' },
    { recordState: 'ARCHIVED' },
    { controlId: 'IAM.1' },
    { awsAccountId: '999988887777' },
    { productArn: `arn:aws:securityhub:us-east-1:${ACCOUNT}:product/${ACCOUNT}/default` },
    { productArn: 'arn:aws:securityhub:eu-west-1::product/aws/securityhub' },
  ])('Noncompliance: %j', (change) => {
    expect(isOpenControlFinding({ ...open, ...change }, SCOPE)).toBe(false);
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

  it('Property: the Id is the CloudTrail event id alone, so a retry (later, other outcome or actions) updates the same finding', () => {
    fc.assert(
      fc.property(
        fc.uuid(),
        fc.uuid(),
        fc.date({ noInvalidDate: true }),
        fc.constantFrom('remediated', 'failed', 'drift-detected', 'compliant' as const),
        (eventId, otherId, later, outcome) => {
          const first = tamperingFinding({ ...input(), trigger: { ...trigger, eventId } });
          const retry = tamperingFinding({
            ...input({ outcome, time: later, actions: [] }),
            trigger: { ...trigger, eventId },
          });
          const other = tamperingFinding({ ...input(), trigger: { ...trigger, eventId: otherId } });
          expect(retry.Id).toBe(first.Id);
          expect(first.Id).toBe(`support-role-guard/tampering/${eventId}`);
          expect(retry.ProductArn).toBe(first.ProductArn);
          if (otherId !== eventId) expect(other.Id).not.toBe(first.Id);
          expect(first.Id.length).toBeLessThanOrEqual(512);
        },
      ),
    );
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
