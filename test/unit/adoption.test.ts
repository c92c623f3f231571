import { describe, expect, it } from 'vitest';
import { adoptRole } from '../../functions/core/adoption.js';
import type { PresentRole } from '../../functions/core/role-snapshot.js';

const ACCOUNT = '123456789012';
const role = (trust: unknown, overrides: Partial<PresentRole> = {}): PresentRole => ({
  exists: true,
  roleName: 'AWSSupportRole',
  arn: `arn:aws:iam::${ACCOUNT}:role/AWSSupportRole`,
  path: '/',
  description: '',
  maxSessionDuration: 3600,
  trustPolicy: encodeURIComponent(JSON.stringify({ Version: '2012-10-17', Statement: trust })),
  tags: {},
  attachedPolicyArns: ['arn:aws:iam::aws:policy/AWSSupportAccess'],
  inlinePolicyNames: [],
  ...overrides,
});

describe('adoptRole', () => {
  it('Compliance: adopts principals of the organization when it is known', () => {
    const adoption = adoptRole({
      role: role({
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::222233334444:role/Ops' },
        Action: 'sts:AssumeRole',
      }),
      account: ACCOUNT,
      partition: 'aws',
      organizationAccounts: [ACCOUNT, '222233334444'],
    });
    expect(adoption).toEqual({
      context: {
        supportRoleName: 'AWSSupportRole',
        trustedPrincipalArns: 'arn:aws:iam::222233334444:role/Ops',
        requiredPolicyArns: 'arn:aws:iam::aws:policy/AWSSupportAccess',
      },
      refused: [],
    });
  });

  it('Noncompliance: MFA required for only some principals is refused by name, not dropped', () => {
    // Prepare: Admin must use MFA, Ops need not; the guard can require it for all or none.
    const ADMIN = `arn:aws:iam::${ACCOUNT}:role/Admin`;
    const OPS = `arn:aws:iam::${ACCOUNT}:role/Ops`;
    const adoption = adoptRole({
      role: role([
        {
          Effect: 'Allow',
          Principal: { AWS: ADMIN },
          Action: 'sts:AssumeRole',
          Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } },
        },
        { Effect: 'Allow', Principal: { AWS: OPS }, Action: 'sts:AssumeRole' },
      ]),
      account: ACCOUNT,
      partition: 'aws',
    });

    // Assess
    expect(adoption.context.requireMfa).toBeUndefined();
    expect(adoption.refused).toEqual([
      {
        item: `MFA condition (required for ${ADMIN}; not for ${OPS})`,
        reason: 'MFA required for only some principals; the guard can require it for all or none',
      },
    ]);
  });

  it('adopts requireMfa when every principal requires MFA', () => {
    const adoption = adoptRole({
      role: role({
        Effect: 'Allow',
        Principal: { AWS: [`arn:aws:iam::${ACCOUNT}:role/Admin`, `arn:aws:iam::${ACCOUNT}:role/Ops`] },
        Action: 'sts:AssumeRole',
        Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } },
      }),
      account: ACCOUNT,
      partition: 'aws',
    });
    expect(adoption.context.requireMfa).toBe('true');
    expect(adoption.refused).toEqual([]);
  });

  it("pins this account's policies and boundary with their default version; one it cannot pin is refused and left out", () => {
    const CONSOLE = `arn:aws:iam::${ACCOUNT}:policy/support-console`;
    const GONE = `arn:aws:iam::${ACCOUNT}:policy/gone`;
    const BOUNDARY = `arn:aws:iam::${ACCOUNT}:policy/boundary`;
    const doc = (action: string) =>
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }],
      });
    const adoption = adoptRole({
      role: role(
        { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' },
        {
          attachedPolicyArns: ['arn:aws:iam::aws:policy/AWSSupportAccess', CONSOLE, GONE],
          permissionsBoundaryArn: BOUNDARY,
          policies: {
            [CONSOLE]: {
              versions: [
                { versionId: 'v1', isDefault: false, document: doc('*') },
                { versionId: 'v2', isDefault: true, document: doc('support-console:*') },
              ],
            },
            [GONE]: null,
            [BOUNDARY]: { versions: [{ versionId: 'v1', isDefault: true, document: doc('support:*') }] },
          },
        },
      ),
      account: ACCOUNT,
      partition: 'aws',
    });
    expect(adoption.context.requiredPolicyArns).toBe(`arn:aws:iam::aws:policy/AWSSupportAccess,${CONSOLE}`);
    expect(adoption.context.permissionsBoundaryArn).toBe(BOUNDARY);
    expect(JSON.parse(adoption.context.requiredPolicyDocuments ?? '{}')).toEqual({
      [CONSOLE]: JSON.parse(doc('support-console:*')),
      [BOUNDARY]: JSON.parse(doc('support:*')),
    });
    expect(adoption.refused).toEqual([
      { item: `managed policy ${GONE}`, reason: 'customer-managed, not pinned: the policy does not exist' },
    ]);
  });

  it('Noncompliance 1: a service principal, another condition and a Deny are refused by name', () => {
    const adoption = adoptRole({
      role: role([
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root`, Service: 'ec2.amazonaws.com' },
          Action: ['sts:AssumeRole', 'sts:TagSession'],
          Condition: { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } },
        },
        { Effect: 'Deny', Principal: '*', Action: 'sts:AssumeRole' },
      ]),
      account: ACCOUNT,
      partition: 'aws',
    });
    expect(adoption.context.trustedPrincipalArns).toBe(`arn:aws:iam::${ACCOUNT}:root`);
    expect(adoption.context.requireMfa).toBeUndefined();
    expect(adoption.refused.map((r) => r.item)).toEqual([
      'trust action sts:TagSession',
      'trust condition {"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}',
      'trusted Service principal ec2.amazonaws.com',
      'trust statement {"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole"}',
    ]);
  });

  it('Noncompliance 2: a deleted principal (unique id) and a policy of another account', () => {
    const adoption = adoptRole({
      role: role(
        { Effect: 'Allow', Principal: { AWS: 'AROA3EXAMPLEADMIN0123' }, Action: 'sts:AssumeRole' },
        {
          attachedPolicyArns: ['arn:aws:iam::999988887777:policy/theirs'],
        },
      ),
      account: ACCOUNT,
      partition: 'aws',
    });
    expect(adoption.context.trustedPrincipalArns).toBeUndefined();
    expect(adoption.refused.map((r) => r.item)).toEqual([
      'trusted principal AROA3EXAMPLEADMIN0123',
      'trustedPrincipalArns',
      'managed policy arn:aws:iam::999988887777:policy/theirs',
    ]);
  });
});
