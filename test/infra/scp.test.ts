import { readFileSync } from 'node:fs';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../functions/core/errors.js';
import {
  CENTRAL_GUARD_ROLE_NAME,
  DEFAULT_MEMBER_ROLE_NAME,
  GUARD_ROLE_NAME,
  GUARD_ROLE_PATH,
} from '../../functions/core/guard-roles.js';
import { DOCUMENTED_SCP_OPTIONS, SCP_ACTIONS, scpOptionsProblems, supportRoleScp } from '../../infra/scp.js';
import { synthGuard } from '../support/stack.js';

const ACCOUNT = '222233334444';
const OTHER_ACCOUNT = '555566667777';
const SUPPORT_ROLE = `arn:aws:iam::${ACCOUNT}:role/AWSSupportRole`;
const role = (name: string, account = ACCOUNT) => `arn:aws:iam::${account}:role/${name}`;
const GUARD = role(`support-role-guard/${GUARD_ROLE_NAME}`);
const REMEDIATION = role(`support-role-guard/${DEFAULT_MEMBER_ROLE_NAME}`);
const BREAK_GLASS = role('BreakGlass', '111122223333');
const STACKSET_EXEC = role('stacksets-exec-6c0b1b0a4bd0fd4d2a0cd9a4d3c4b0fd');
const ADMIN = role('AdminRole');
const scp = supportRoleScp({ ...DOCUMENTED_SCP_OPTIONS, breakGlassRole: BREAK_GLASS });
const allowAll = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

/** A typical administrator's identity policy (allow everything), under the SCP, in a member account. */
async function decide(principal: string, action: string, target?: string) {
  const account = principal.split(':')[4] ?? ACCOUNT;
  // The support role of the principal's own account (IAM acts within one account).
  const resource = target ?? SUPPORT_ROLE.replace(ACCOUNT, account);
  const response = await runSimulation(
    {
      identityPolicies: [{ name: 'admin', policy: allowAll }],
      serviceControlPolicies: [
        { orgIdentifier: 'r-root', policies: [{ name: 'FullAWSAccess', policy: allowAll }] },
        {
          orgIdentifier: account,
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
        resource: { resource, accountId: resource.split(':')[4] || account },
        contextVariables: {
          'aws:PrincipalArn': principal,
          'iam:PolicyARN': 'arn:aws:iam::aws:policy/AWSSupportAccess',
        },
      },
    },
    {},
  );
  if (response.resultType === 'error') throw new Error(`simulation error: ${JSON.stringify(response)}`);
  return (response as { overallResult: string }).overallResult;
}

describe('the optional SCP (real policy evaluator, an administrator identity policy for each principal)', () => {
  it('covers every IAM call that changes the support role, and creating it', () => {
    expect([...SCP_ACTIONS].sort()).toEqual(
      [
        'iam:CreateRole',
        'iam:AttachRolePolicy',
        'iam:DeleteRole',
        'iam:DeleteRolePermissionsBoundary',
        'iam:DeleteRolePolicy',
        'iam:DetachRolePolicy',
        'iam:PutRolePermissionsBoundary',
        'iam:PutRolePolicy',
        'iam:TagRole',
        'iam:UntagRole',
        'iam:UpdateAssumeRolePolicy',
        'iam:UpdateRole',
        'iam:UpdateRoleDescription',
      ].sort(),
    );
  });

  it.each(SCP_ACTIONS)('%s on the support role: the guard roles and break-glass only', async (action) => {
    for (const allowed of [GUARD, REMEDIATION, BREAK_GLASS])
      expect([allowed, await decide(allowed, action)]).toEqual([allowed, 'Allowed']);
    for (const denied of [
      ADMIN,
      // a name prefix an attacker with iam:CreateRole can satisfy (the old exemption)
      role('SupportRoleGuard-GuardRoleX'),
      // the exempt names outside the path the stacks put them in
      role(DEFAULT_MEMBER_ROLE_NAME),
      role(`other/${DEFAULT_MEMBER_ROLE_NAME}`),
      role(`support-role-guard/${DEFAULT_MEMBER_ROLE_NAME}X`),
      // the central guard never changes a member's role itself: it goes through the remediation role
      role(`support-role-guard/${CENTRAL_GUARD_ROLE_NAME}`),
      // the break-glass name in an account the SCP does not name
      role('BreakGlass', OTHER_ACCOUNT),
      // the StackSet execution role: the member template never touches the support role
      STACKSET_EXEC,
    ])
      expect([denied, await decide(denied, action)]).toEqual([denied, 'ExplicitlyDenied']);
  });

  it('covers the support role under any path (an attacker cannot create it elsewhere first)', async () => {
    expect(await decide(ADMIN, 'iam:CreateRole', role('evil/AWSSupportRole'))).toBe('ExplicitlyDenied');
    expect(await decide(ADMIN, 'iam:CreateRole', role('AWSSupportRoleX'))).toBe('Allowed');
  });

  it('lets the StackSet execution role do what the member template needs', async () => {
    const needs: [string, string][] = [
      ['iam:CreateRole', REMEDIATION],
      ['iam:PutRolePolicy', REMEDIATION],
      ['iam:UpdateAssumeRolePolicy', REMEDIATION],
      ['iam:TagRole', REMEDIATION],
      ['iam:DeleteRole', REMEDIATION],
      ['iam:CreateRole', role('StackSet-SupportRoleGuardMembers-ForwardRole-ABC')],
      ['iam:PassRole', role('StackSet-SupportRoleGuardMembers-ForwardRole-ABC')],
      ['events:PutRule', `arn:aws:events:us-east-1:${ACCOUNT}:rule/ForwardRoleMutations`],
      ['events:PutTargets', `arn:aws:events:us-east-1:${ACCOUNT}:rule/ForwardRoleMutations`],
    ];
    for (const [action, resource] of needs)
      expect([action, await decide(STACKSET_EXEC, action, resource)]).toEqual([action, 'Allowed']);
  });

  it('never denies assuming the support role, nor changing other roles', async () => {
    expect(await decide(ADMIN, 'sts:AssumeRole')).toBe('Allowed');
    expect(await decide(ADMIN, 'iam:DetachRolePolicy', role('Other'))).toBe('Allowed');
  });

  it('without a break-glass role, exempts only the guard roles', async () => {
    const statement = (supportRoleScp(DOCUMENTED_SCP_OPTIONS).Statement as { Condition: unknown }[])[0];
    expect(statement?.Condition).toEqual({
      ArnNotLike: {
        'aws:PrincipalArn': [
          `arn:*:iam::*:role${GUARD_ROLE_PATH}${GUARD_ROLE_NAME}`,
          `arn:*:iam::*:role${GUARD_ROLE_PATH}${DEFAULT_MEMBER_ROLE_NAME}`,
        ],
      },
    });
  });

  it('accepts a break-glass role by ARN (one account) or by path and name (every account)', () => {
    const exempt = (breakGlassRole: string) =>
      (
        supportRoleScp({ ...DOCUMENTED_SCP_OPTIONS, breakGlassRole }).Statement as {
          Condition: { ArnNotLike: { 'aws:PrincipalArn': string[] } };
        }[]
      )[0]?.Condition.ArnNotLike['aws:PrincipalArn'][2];
    expect(exempt(BREAK_GLASS)).toBe(BREAK_GLASS);
    expect(exempt('/admin/OrganizationAccountAccessRole')).toBe(
      'arn:*:iam::*:role/admin/OrganizationAccountAccessRole',
    );
    expect(exempt('OrganizationAccountAccessRole')).toBe('arn:*:iam::*:role/OrganizationAccountAccessRole');
  });

  it.each([
    'arn:aws:iam::*:role/BreakGlass',
    'BreakGlass*',
    'arn:aws:iam::111122223333:user/alice',
    'admin/BreakGlass',
  ])('refuses the break-glass role %j, naming it', (breakGlassRole) => {
    expect(scpOptionsProblems({ ...DOCUMENTED_SCP_OPTIONS, breakGlassRole })).toEqual([
      expect.objectContaining({ name: 'breakGlassRole', message: expect.stringContaining(breakGlassRole) }),
    ]);
  });
});

describe('the stacks name the guard roles exactly as the SCP exempts them, and print the SCP', () => {
  const { app, template } = synthGuard({
    organizationId: 'o-abcdef1234',
    targetOuIds: 'ou-ab12-cdef5678',
    breakGlassRole: BREAK_GLASS,
  });
  const central = Template.fromStack(app.node.findChild('SupportRoleGuardCentral') as never);
  const memberTemplate = JSON.parse(
    (
      Object.values(central.findResources('AWS::CloudFormation::StackSet'))[0] as {
        Properties: { TemplateBody: string };
      }
    ).Properties.TemplateBody,
  ) as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };

  it('single-account guard, central guard and member remediation role: exact names under the guard path', () => {
    template.hasResourceProperties('AWS::IAM::Role', { RoleName: GUARD_ROLE_NAME, Path: GUARD_ROLE_PATH });
    central.hasResourceProperties('AWS::IAM::Role', {
      RoleName: CENTRAL_GUARD_ROLE_NAME,
      Path: GUARD_ROLE_PATH,
    });
    const roles = Object.values(memberTemplate.Resources).filter((r) => r.Type === 'AWS::IAM::Role');
    expect(roles.map((r) => [r.Properties.RoleName, r.Properties.Path])).toContainEqual([
      DEFAULT_MEMBER_ROLE_NAME,
      GUARD_ROLE_PATH,
    ]);
  });

  it('outputs the SCP for this configuration (with the break-glass role from context)', () => {
    for (const t of [template, central]) {
      const output = t.findOutputs('SupportRoleScp').SupportRoleScp as { Value: string };
      expect(JSON.parse(output.Value)).toEqual(scp);
    }
  });

  it('refuses a bad break-glass role at synth, naming the context key', () => {
    expect(() => synthGuard({ breakGlassRole: 'arn:aws:iam::*:role/BreakGlass' })).toThrow(ConfigError);
    expect(() => synthGuard({ breakGlassRole: 'arn:aws:iam::*:role/BreakGlass' })).toThrow(/breakGlassRole/);
  });
});

describe('docs/scp.md', () => {
  it('shows exactly the policy the code produces', () => {
    const doc = readFileSync(new URL('../../docs/scp.md', import.meta.url), 'utf8');
    const json = /```json\n([\s\S]*?)\n```/.exec(doc)?.[1] ?? '';
    expect(JSON.parse(json)).toEqual(
      supportRoleScp({ ...DOCUMENTED_SCP_OPTIONS, breakGlassRole: DOCUMENTED_SCP_OPTIONS.exampleBreakGlass }),
    );
  });
});
