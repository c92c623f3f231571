import { readFileSync } from 'node:fs';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { describe, expect, it } from 'vitest';
import { GUARD_ROLE_ARN_PATTERN, supportRoleScp } from '../../infra/scp.js';

const ACCOUNT = '123456789012';
const SUPPORT_ROLE = `arn:aws:iam::${ACCOUNT}:role/AWSSupportRole`;
const GUARD = `arn:aws:iam::${ACCOUNT}:role/SupportRoleGuard-GuardRole87F67C2B-1Q2W3E4R5T6Y`;
const ADMIN = `arn:aws:iam::${ACCOUNT}:role/AdminRole`;
const BREAK_GLASS = `arn:aws:iam::${ACCOUNT}:role/BreakGlass`;
const scp = supportRoleScp({
  supportRoleName: 'AWSSupportRole',
  exemptPrincipalArnPatterns: [GUARD_ROLE_ARN_PATTERN, 'arn:aws:iam::*:role/BreakGlass'],
});
const allowAll = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

async function decide(principal: string, action: string, resource = SUPPORT_ROLE) {
  const response = await runSimulation(
    {
      identityPolicies: [{ name: 'admin', policy: allowAll }],
      serviceControlPolicies: [
        { orgIdentifier: 'r-root', policies: [{ name: 'FullAWSAccess', policy: allowAll }] },
        {
          orgIdentifier: ACCOUNT,
          policies: [
            { name: 'FullAWSAccess', policy: allowAll },
            { name: 'ProtectSupportRole', policy: scp },
          ],
        },
      ],
      resourceControlPolicies: [],
      request: {
        principal,
        action,
        resource: { resource, accountId: ACCOUNT },
        contextVariables: {
          'aws:PrincipalArn': principal,
          'iam:PolicyARN': 'arn:aws:iam::aws:policy/AWSSupportAccess',
        },
      },
    },
    {},
  );
  return (response as { overallResult: string }).overallResult;
}

describe('the optional SCP', () => {
  it.each([
    'iam:DetachRolePolicy',
    'iam:DeleteRole',
    'iam:UpdateAssumeRolePolicy',
    'iam:AttachRolePolicy',
    'iam:PutRolePolicy',
    'iam:TagRole',
  ])('denies %s on the support role to an administrator', async (action) => {
    expect(await decide(ADMIN, action)).toBe('ExplicitlyDenied');
  });

  it('lets the guard and the break-glass role repair it', async () => {
    expect(await decide(GUARD, 'iam:AttachRolePolicy')).toBe('Allowed');
    expect(await decide(BREAK_GLASS, 'iam:DetachRolePolicy')).toBe('Allowed');
  });

  it('never denies assuming the role, nor changing other roles', async () => {
    expect(await decide(ADMIN, 'sts:AssumeRole')).toBe('Allowed');
    expect(await decide(ADMIN, 'iam:DetachRolePolicy', `arn:aws:iam::${ACCOUNT}:role/Other`)).toBe('Allowed');
  });
});

describe('docs/scp.md', () => {
  it('shows exactly the policy the code produces', () => {
    const doc = readFileSync(new URL('../../docs/scp.md', import.meta.url), 'utf8');
    const json = /```json\n([\s\S]*?)\n```/.exec(doc)?.[1] ?? '';
    expect(JSON.parse(json)).toEqual(scp);
  });
});
