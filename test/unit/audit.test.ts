import { describe, expect, it } from 'vitest';
import { auditVerdict, mfaWarnings, supportConsoleWarning } from '../../functions/core/audit.js';

describe('supportConsoleWarning', () => {
  it.each([[['support:*', 'support-console:*']], [['*']], [['support-console:DescribeCases']]])(
    'is silent when %j grants the console',
    (actions) => {
      expect(supportConsoleWarning(actions)).toBeUndefined();
    },
  );

  it('warns when only the Support API is granted', () => {
    expect(supportConsoleWarning(['support:*'])).toMatch(/support-console:\*/);
  });
});

describe('auditVerdict', () => {
  const cis = {
    compliant: true,
    policyArn: 'arn:aws:iam::aws:policy/AWSSupportAccess',
    roles: ['R'],
    users: [],
    groups: [],
  };
  it.each([
    ['compliant', cis, { name: 'R', exists: true, drift: [] }, true],
    [
      'no role holds the policy',
      { ...cis, compliant: false, roles: [] },
      { name: 'R', exists: true, drift: [] },
      false,
    ],
    [
      'the guarded role drifted',
      cis,
      { name: 'R', exists: true, drift: [{ property: 'description', before: 'x', after: 'y' }] },
      false,
    ],
    ['the guarded role is missing', cis, { name: 'R', exists: false, drift: [] }, false],
  ])('%s', (_name, c, role, compliant) => {
    expect(auditVerdict({ cis: c, role, warnings: [] }).compliant).toBe(compliant);
  });
});

describe('mfaWarnings', () => {
  const ROLE = 'arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Support_0123';
  const USER = 'arn:aws:iam::123456789012:user/auditor';
  const ROOT = 'arn:aws:iam::123456789012:root';

  it('names each role a REQUIRE_MFA trust policy makes unable to assume the role', () => {
    const [warning] = mfaWarnings({ requireMfa: true, trustedPrincipalArns: [USER, ROLE] });
    expect(warning).toContain(`REQUIRE_MFA=true, but ${ROLE} is a role`);
    expect(warning).toMatch(/never carry aws:MultiFactorAuthPresent/);
  });

  it('says that through an account root only IAM users with MFA can', () => {
    expect(mfaWarnings({ requireMfa: true, trustedPrincipalArns: [ROOT] })).toEqual([
      expect.stringContaining(`REQUIRE_MFA=true with ${ROOT}: only IAM users`),
    ]);
  });

  it('is silent for IAM users, or without REQUIRE_MFA', () => {
    expect(mfaWarnings({ requireMfa: true, trustedPrincipalArns: [USER] })).toEqual([]);
    expect(mfaWarnings({ requireMfa: false, trustedPrincipalArns: [ROLE, ROOT] })).toEqual([]);
  });
});
