import { describe, expect, it } from 'vitest';
import { auditVerdict, supportConsoleWarning } from '../../functions/core/audit.js';

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
