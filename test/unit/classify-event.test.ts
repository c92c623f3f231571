import { describe, expect, it } from 'vitest';
import { classifyEvent } from '../../functions/core/classify-event.js';
import { ROLE_MUTATION_EVENT_NAMES } from '../../functions/core/event-pattern.js';
import { guardConfig } from '../support/config.js';
import { FIXTURE_NAMES, fixture } from '../support/events.js';

const GUARD_ROLE = 'arn:aws:iam::123456789012:role/SupportRoleGuardFunctionRole';
const config = guardConfig({ GUARD_ROLE_ARN: GUARD_ROLE });
const classify = (event: unknown) =>
  classifyEvent(event, { desired: config.desired, guardRoleArn: GUARD_ROLE });

const IGNORED = new Set([
  'failed-detach-role-policy',
  'other-role-detach',
  'guard-own-attach',
  'scheduled-sweep',
]);

describe('classifyEvent', () => {
  it('has a fixture for every role mutation event name', () => {
    const names = FIXTURE_NAMES.filter((n) => !IGNORED.has(n)).map((n) => fixture(n).detail.eventName);
    expect(new Set(names)).toEqual(new Set(ROLE_MUTATION_EVENT_NAMES));
  });

  it.each(FIXTURE_NAMES.filter((n) => !IGNORED.has(n)))('takes %s as a change to the role', (name) => {
    // Act
    const result = classify(fixture(name));

    // Assess
    expect(result.kind).toBe('role-change');
    if (result.kind !== 'role-change') return;
    expect(result.trigger.eventId).toBe(fixture(name).detail.eventID);
    expect(result.trigger.actorArn).toMatch(/^arn:aws:(sts|iam)::123456789012:/);
    expect(result.trigger.sourceIp).toBeTruthy();
    expect(result.trigger.userAgent).toBeTruthy();
  });

  it('reads who did it from the event', () => {
    const result = classify(fixture('detach-role-policy'));
    expect(result).toMatchObject({
      kind: 'role-change',
      trigger: {
        eventName: 'DetachRolePolicy',
        actorArn: 'arn:aws:sts::123456789012:assumed-role/AdminRole/alice@example.com',
        sourceIp: '203.0.113.24',
        eventTime: '2026-11-27T20:11:31Z',
        account: '123456789012',
      },
    });
  });

  it('matches the role name case-insensitively, as IAM does', () => {
    expect(
      classify(fixture('detach-role-policy', { requestParameters: { roleName: 'AWSSUPPORTROLE' } })).kind,
    ).toBe('role-change');
    expect(
      classify(fixture('detach-role-policy', { requestParameters: { roleName: 'awssupportrole' } })).kind,
    ).toBe('role-change');
  });

  it('takes the scheduled event as a sweep', () => {
    expect(classify(fixture('scheduled-sweep'))).toMatchObject({
      kind: 'sweep',
      eventId: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
    });
  });

  it.each([
    ['failed-detach-role-policy', /the call failed \("AccessDenied"\)/],
    ['other-role-detach', /event is for role "DataPipelineRole"/],
    ['guard-own-attach', /the guard made this call itself/],
  ])('ignores %s with a reason', (name, reason) => {
    const result = classify(fixture(name));
    expect(result).toMatchObject({
      kind: 'ignored',
      reason: expect.stringMatching(reason),
      eventId: fixture(name).detail.eventID,
    });
  });

  it.each([
    ['null', null],
    ['a string', 'DetachRolePolicy'],
    ['an array', [1, 2]],
    ['an empty object', {}],
    ['another service', { source: 'aws.s3', 'detail-type': 'AWS API Call via CloudTrail', detail: {} }],
    ['detail not an object', { ...fixture('detach-role-policy'), detail: 'x' }],
    [
      'a read-only call',
      {
        ...fixture('detach-role-policy'),
        detail: { ...fixture('detach-role-policy').detail, eventName: 'GetRole' },
      },
    ],
    [
      'no role name',
      {
        ...fixture('detach-role-policy'),
        detail: { ...fixture('detach-role-policy').detail, requestParameters: null },
      },
    ],
    [
      'a role name that is not a string',
      fixture('detach-role-policy', { requestParameters: { roleName: ['AWSSupportRole'] } }),
    ],
    [
      'a huge role name',
      fixture('detach-role-policy', { requestParameters: { roleName: 'A'.repeat(100_000) } }),
    ],
    [
      'a wrong event source',
      {
        ...fixture('detach-role-policy'),
        detail: { ...fixture('detach-role-policy').detail, eventSource: 'sts.amazonaws.com' },
      },
    ],
  ])('ignores malformed input (%s) without throwing', (_name, event) => {
    expect(classify(event).kind).toBe('ignored');
  });

  it('does not ignore the guard role when no guard role is configured', () => {
    const result = classifyEvent(fixture('guard-own-attach'), { desired: config.desired });
    expect(result.kind).toBe('role-change');
  });
});

describe('classifyEvent in organization mode', () => {
  const MEMBER = '222233334444';
  const byIssuer = (issuerArn: string, account = MEMBER) => {
    const event = fixture('guard-own-attach');
    const identity = event.detail.userIdentity as { sessionContext: { sessionIssuer: { arn: string } } };
    identity.sessionContext.sessionIssuer.arn = issuerArn;
    event.account = account;
    event.detail.recipientAccountId = account;
    return classifyEvent(event, {
      desired: config.desired,
      memberRoleName: 'SupportRoleGuardRemediation',
      partition: 'aws',
    });
  };

  it("ignores sessions of the event's own account's remediation role (with its path) as the guard's own calls", () => {
    expect(
      byIssuer(`arn:aws:iam::${MEMBER}:role/support-role-guard/SupportRoleGuardRemediation`),
    ).toMatchObject({ kind: 'ignored', reason: expect.stringMatching(/member remediation role/) });
  });

  it.each([
    ['in another account', 'arn:aws:iam::555566667777:role/support-role-guard/SupportRoleGuardRemediation'],
    ['without the guard path', `arn:aws:iam::${MEMBER}:role/SupportRoleGuardRemediation`],
    ['under another path', `arn:aws:iam::${MEMBER}:role/other/SupportRoleGuardRemediation`],
    ['with a longer name', `arn:aws:iam::${MEMBER}:role/support-role-guard/SupportRoleGuardRemediationX`],
    ['in another partition', `arn:aws-cn:iam::${MEMBER}:role/support-role-guard/SupportRoleGuardRemediation`],
  ])('takes a role of that name %s as anyone else (a change to react to)', (_name, issuer) => {
    expect(byIssuer(issuer).kind).toBe('role-change');
  });
});
