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
  MEMBER_RULE_NAMES,
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
const FORWARD_ROLE = role('support-role-guard/StackSet-SupportRoleGuardMembers-ForwardRole-ABC');
const memberRule = (name: string) => `arn:aws:events:us-east-1:${ACCOUNT}:rule/${name}`;
/** Every IAM call that creates or changes a role (the same thirteen the SCP denies on the support role). */
const ROLE_CHANGES = SCP_ACTIONS;
const RULE_CHANGES = [
  'events:PutRule',
  'events:DeleteRule',
  'events:DisableRule',
  'events:PutTargets',
  'events:RemoveTargets',
  'events:TagResource',
  'events:UntagResource',
];
const scp = supportRoleScp({ ...DOCUMENTED_SCP_OPTIONS, breakGlassRole: BREAK_GLASS });
const singleAccountScp = supportRoleScp({
  ...DOCUMENTED_SCP_OPTIONS,
  mode: 'single-account',
  breakGlassRole: BREAK_GLASS,
});
const allowAll = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

/** A typical administrator's identity policy (allow everything), under the SCP, in a member account. */
async function decide(principal: string, action: string, target?: string, policy: unknown = scp) {
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
            { name: 'ProtectSupportRole', policy },
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

  it.each(SCP_ACTIONS)(
    '%s on the support role: the remediation role and break-glass only',
    async (action) => {
      for (const allowed of [REMEDIATION, BREAK_GLASS])
        expect([allowed, await decide(allowed, action)]).toEqual([allowed, 'Allowed']);
      for (const denied of [
        ADMIN,
        // the single-account guard never runs in a member account: anyone could create its role there
        GUARD,
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
    },
  );

  it('covers the support role under any path (an attacker cannot create it elsewhere first)', async () => {
    expect(await decide(ADMIN, 'iam:CreateRole', role('evil/AWSSupportRole'))).toBe('ExplicitlyDenied');
    expect(await decide(ADMIN, 'iam:CreateRole', role('AWSSupportRoleX'))).toBe('Allowed');
  });

  it('lets the StackSet execution role do what the member template needs', async () => {
    const needs: [string, string][] = [
      ...ROLE_CHANGES.map((action): [string, string] => [action, REMEDIATION]),
      ...ROLE_CHANGES.map((action): [string, string] => [action, FORWARD_ROLE]),
      ['iam:PassRole', FORWARD_ROLE],
      ...MEMBER_RULE_NAMES.flatMap((name) =>
        RULE_CHANGES.map((a): [string, string] => [a, memberRule(name)]),
      ),
    ];
    for (const [action, resource] of needs)
      expect([action, resource, await decide(STACKSET_EXEC, action, resource)]).toEqual([
        action,
        resource,
        'Allowed',
      ]);
  });

  it('nobody but the StackSet execution role creates or changes a role under the guard path', async () => {
    const guardRoles = [
      REMEDIATION,
      FORWARD_ROLE,
      // never deployed in a member account: whoever created it could pass for the guard
      GUARD,
      role(`support-role-guard/${CENTRAL_GUARD_ROLE_NAME}`),
      role('support-role-guard/Anything'),
    ];
    for (const principal of [ADMIN, REMEDIATION])
      for (const target of guardRoles)
        for (const action of ROLE_CHANGES)
          expect([principal, action, target, await decide(principal, action, target)]).toEqual([
            principal,
            action,
            target,
            'ExplicitlyDenied',
          ]);
  });

  it('an administrator cannot re-trust the remediation role and act as the guard', async () => {
    expect(await decide(ADMIN, 'iam:UpdateAssumeRolePolicy', REMEDIATION)).toBe('ExplicitlyDenied');
    expect(await decide(ADMIN, 'iam:AttachRolePolicy', REMEDIATION)).toBe('ExplicitlyDenied');
    expect(await decide(ADMIN, 'iam:DeleteRole', REMEDIATION)).toBe('ExplicitlyDenied');
  });

  it('nobody creates or changes a role named like the StackSet execution role (so its exemption holds)', async () => {
    for (const principal of [ADMIN, REMEDIATION, STACKSET_EXEC])
      for (const target of [
        STACKSET_EXEC,
        role('stacksets-exec-attacker'),
        role('x/stacksets-exec-attacker'),
      ])
        for (const action of ROLE_CHANGES)
          expect([principal, action, target, await decide(principal, action, target)]).toEqual([
            principal,
            action,
            target,
            'ExplicitlyDenied',
          ]);
  });

  it('nobody but the StackSet execution role changes or removes the member forwarding rules', async () => {
    for (const name of MEMBER_RULE_NAMES)
      for (const action of RULE_CHANGES)
        for (const principal of [ADMIN, REMEDIATION])
          expect([principal, action, name, await decide(principal, action, memberRule(name))]).toEqual([
            principal,
            action,
            name,
            'ExplicitlyDenied',
          ]);
    expect(await decide(ADMIN, 'events:PutRule', memberRule('SomeOtherRule'))).toBe('Allowed');
  });

  it('the break-glass role itself is changed only by the StackSet execution role', async () => {
    const glass = role('BreakGlass');
    const everywhere = supportRoleScp({ ...DOCUMENTED_SCP_OPTIONS, breakGlassRole: '/admin/BreakGlass' });
    for (const action of ROLE_CHANGES) {
      expect(await decide(role('AdminRole', '111122223333'), action, BREAK_GLASS, scp)).toBe(
        'ExplicitlyDenied',
      );
      expect(await decide(ADMIN, action, role('admin/BreakGlass'), everywhere)).toBe('ExplicitlyDenied');
      expect(await decide(STACKSET_EXEC, action, role('admin/BreakGlass'), everywhere)).toBe('Allowed');
    }
    expect(await decide(role('admin/BreakGlass'), 'iam:DeleteRole', SUPPORT_ROLE, everywhere)).toBe(
      'Allowed',
    );
    expect(await decide(glass, 'iam:DeleteRole', SUPPORT_ROLE, everywhere)).toBe('ExplicitlyDenied');
  });

  it('the single-account SCP exempts the single-account guard role (where that stack is deployed)', async () => {
    for (const action of SCP_ACTIONS) {
      expect(await decide(GUARD, action, undefined, singleAccountScp)).toBe('Allowed');
      expect(await decide(REMEDIATION, action, undefined, singleAccountScp)).toBe('ExplicitlyDenied');
      expect(await decide(ADMIN, action, undefined, singleAccountScp)).toBe('ExplicitlyDenied');
    }
  });

  it('fits the 5,120-character SCP limit with the longest names (minified, as Organizations stores it)', () => {
    const long = 'R'.repeat(64);
    const policy = supportRoleScp({
      supportRoleName: long,
      memberRoleName: long,
      breakGlassRole: `/${'p/'.repeat(200)}${long}`,
    });
    expect(JSON.stringify(policy).length).toBeLessThanOrEqual(5120);
  });

  it('never denies assuming the support role, nor changing other roles', async () => {
    expect(await decide(ADMIN, 'sts:AssumeRole')).toBe('Allowed');
    expect(await decide(ADMIN, 'iam:DetachRolePolicy', role('Other'))).toBe('Allowed');
  });

  it('without a break-glass role, exempts only the guard role of its mode', async () => {
    const exempt = (options: Parameters<typeof supportRoleScp>[0]) =>
      (supportRoleScp(options).Statement as { Condition: unknown }[])[0]?.Condition;
    expect(exempt(DOCUMENTED_SCP_OPTIONS)).toEqual({
      ArnNotLike: { 'aws:PrincipalArn': [`arn:*:iam::*:role${GUARD_ROLE_PATH}${DEFAULT_MEMBER_ROLE_NAME}`] },
    });
    expect(exempt({ ...DOCUMENTED_SCP_OPTIONS, mode: 'single-account' })).toEqual({
      ArnNotLike: { 'aws:PrincipalArn': [`arn:*:iam::*:role${GUARD_ROLE_PATH}${GUARD_ROLE_NAME}`] },
    });
  });

  it('accepts a break-glass role by ARN (one account) or by path and name (every account)', () => {
    const exempt = (breakGlassRole: string) =>
      (
        supportRoleScp({ ...DOCUMENTED_SCP_OPTIONS, breakGlassRole }).Statement as {
          Condition: { ArnNotLike: { 'aws:PrincipalArn': string[] } };
        }[]
      )[0]?.Condition.ArnNotLike['aws:PrincipalArn'][1];
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
    const output = (t: Template) =>
      JSON.parse((t.findOutputs('SupportRoleScp').SupportRoleScp as { Value: string }).Value);
    expect(output(central)).toEqual(scp);
    expect(output(template)).toEqual(singleAccountScp);
  });

  it('names the member forwarding rules and puts the forwarding role under the guard path, as the SCP protects them', () => {
    const rules = Object.values(memberTemplate.Resources).filter((r) => r.Type === 'AWS::Events::Rule');
    expect(rules.map((r) => r.Properties.Name).sort()).toEqual([...MEMBER_RULE_NAMES].sort());
    const roles = Object.values(memberTemplate.Resources).filter((r) => r.Type === 'AWS::IAM::Role');
    expect(roles.map((r) => r.Properties.Path)).toEqual(roles.map(() => GUARD_ROLE_PATH));
  });

  it("refuses at synth a support-role path under the guard's own path, which the SCP reserves for the StackSet", () => {
    for (const supportRolePath of ['/support-role-guard/', '/support-role-guard/team/']) {
      expect(() => synthGuard({ supportRolePath })).toThrow(ConfigError);
      expect(() => synthGuard({ supportRolePath })).toThrow(
        new RegExp(
          `supportRolePath: ${JSON.stringify(supportRolePath)} is (under )?the path of the guard's own roles`,
        ),
      );
    }
    // A path that merely starts with the same letters is another path.
    expect(() => synthGuard({ supportRolePath: '/support-role-guardians/' })).not.toThrow();
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
