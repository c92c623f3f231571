import { runSimulation } from '@cloud-copilot/iam-simulate';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../functions/core/errors.js';
import { ROLE_MUTATION_EVENT_NAMES } from '../../functions/core/event-pattern.js';
import { matchesPattern } from '../../functions/core/event-pattern-matcher.js';
import { organizationFromContext } from '../../infra/organization-settings.js';
import { ACCOUNT, resolve } from '../support/cfn-resolve.js';
import { synthGuard } from '../support/stack.js';

const ORG = 'o-abcdef1234';
const OU = 'ou-ab12-cdef5678';
const SUPPORT_ACCESS = 'arn:aws:iam::aws:policy/AWSSupportAccess';
const MEMBER = '222233334444';

const { app } = synthGuard({
  organizationId: ORG,
  targetOuIds: OU,
  trustedPrincipalArns: 'arn:aws:iam::123456789012:role/CentralSupportTeam',
});
const central = Template.fromStack(app.node.findChild('SupportRoleGuardCentral') as never);
const stackSet = Object.values(central.findResources('AWS::CloudFormation::StackSet'))[0] as {
  Properties: Record<string, unknown>;
};
const member = JSON.parse(stackSet.Properties.TemplateBody as string) as {
  Resources: Record<
    string,
    { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string; Condition?: string }
  >;
  Parameters: Record<string, unknown>;
};
const memberOf = (type: string) => Object.entries(member.Resources).filter(([, r]) => r.Type === type);

async function decide(
  policy: unknown,
  action: string,
  resource: string,
  context: Record<string, string> = {},
  account = ACCOUNT,
) {
  const response = await runSimulation(
    {
      identityPolicies: [{ name: 'p', policy }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: {
        principal: `arn:aws:iam::${account}:role/p`,
        action,
        resource: { resource, accountId: account },
        contextVariables: context,
      },
    },
    {},
  );
  return (response as { overallResult: string }).overallResult;
}

describe('organization settings from context', () => {
  it('switches on with organizationId and targetOuIds, with defaults for the rest', () => {
    expect(organizationFromContext({})).toBeUndefined();
    expect(organizationFromContext({ organizationId: ORG, targetOuIds: `${OU}, r-ab12` })).toMatchObject({
      targetOuIds: [OU, 'r-ab12'],
      memberRoleName: 'SupportRoleGuardRemediation',
      regions: ['us-east-1'],
      failureTolerancePercentage: 10,
      maxConcurrentPercentage: 25,
      retainStacksOnAccountRemoval: false,
    });
  });

  it.each([
    [{ organizationId: ORG }, 'targetOuIds'],
    [{ targetOuIds: OU }, 'organizationId'],
    [{ organizationId: 'org-1', targetOuIds: OU }, 'organizationId'],
    [{ organizationId: ORG, targetOuIds: 'engineering' }, 'targetOuIds'],
    [{ organizationId: ORG, targetOuIds: OU, stackSetFailureTolerance: '150' }, 'stackSetFailureTolerance'],
    [{ organizationId: ORG, targetOuIds: OU, stackSetMaxConcurrent: '0' }, 'stackSetMaxConcurrent'],
    [{ memberRoleName: 'X' }, 'memberRoleName'],
  ])('refuses %j, naming %s', (context, name) => {
    try {
      organizationFromContext(context);
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems.map((p) => p.name)).toContain(name);
    }
  });
});

describe('customer-managed policies in organization mode', () => {
  it.each([
    ['requiredPolicyArns', `${SUPPORT_ACCESS},arn:aws:iam::123456789012:policy/support/SupportConsole`],
    ['permissionsBoundaryArn', 'arn:aws:iam::123456789012:policy/boundary'],
  ])('refuses %s at synth, naming the ARN and the reason', (key, value) => {
    try {
      synthGuard({ organizationId: ORG, targetOuIds: OU, [key]: value });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual([
        {
          name: key,
          message: expect.stringMatching(/:policy\/.* is customer-managed: organization mode cannot pin/),
        },
      ]);
    }
  });
});

describe('the central stack', () => {
  it('accepts events on its bus from the organization only', () => {
    central.hasResourceProperties('AWS::Events::EventBusPolicy', {
      Statement: Match.objectLike({
        Action: 'events:PutEvents',
        Condition: { StringEquals: { 'aws:PrincipalOrgID': ORG } },
      }),
    });
  });

  it('routes the role mutations from its bus to the guard, by the shared pattern', () => {
    const busId = Object.keys(central.findResources('AWS::Events::EventBus'))[0];
    const rule = Object.values(
      central.findResources('AWS::Events::Rule', {
        Properties: { Name: 'SupportRoleGuardCentral-RoleMutations' },
      }),
    )[0] as { Properties: { EventBusName: unknown; EventPattern: { detail: { eventName: string[] } } } };
    expect(rule.Properties.EventBusName).toEqual({ Ref: busId });
    expect(rule.Properties.EventPattern.detail.eventName).toEqual([...ROLE_MUTATION_EVENT_NAMES]);
  });

  it('runs the guard in organization mode, with time for a sweep over many accounts', () => {
    central.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 300,
      Environment: {
        Variables: Match.objectLike({
          MEMBER_ROLE_NAME: 'SupportRoleGuardRemediation',
          ORGANIZATION_ID: ORG,
          TARGET_OU_IDS: OU,
          NOT_ENROLLED_GRACE_HOURS: '24',
          SUPPORT_ROLE_NAME: 'AWSSupportRole',
        }),
      },
    });
  });

  it('rolls the member template out with a service-managed StackSet that auto-deploys to the target OUs', () => {
    expect(stackSet.Properties).toMatchObject({
      PermissionModel: 'SERVICE_MANAGED',
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
      Capabilities: ['CAPABILITY_NAMED_IAM'],
      OperationPreferences: { FailureTolerancePercentage: 10, MaxConcurrentPercentage: 25 },
      StackInstancesGroup: [{ DeploymentTargets: { OrganizationalUnitIds: [OU] }, Regions: ['us-east-1'] }],
    });
    expect((stackSet.Properties.TemplateBody as string).length).toBeLessThan(51_200);
  });

  it('has no unacknowledged cdk-nag finding (the synth would have thrown)', () => {
    expect(central.toJSON().Resources).toBeDefined();
  });
});

describe('the member template', () => {
  it('forwards the role mutations to the central bus, leaving out the remediation role own calls', () => {
    const rule = memberOf('AWS::Events::Rule')[0]?.[1] as unknown as {
      Properties: { EventPattern: { detail: Record<string, unknown> }; Targets: Record<string, unknown>[] };
    };
    expect(rule.Properties.EventPattern.detail.requestParameters).toEqual({
      roleName: [{ 'equals-ignore-case': 'AWSSupportRole' }],
    });
    const remediationId = memberOf('AWS::IAM::Role').find(
      ([, r]) => r.Properties.RoleName === 'SupportRoleGuardRemediation',
    )?.[0];
    expect(rule.Properties.EventPattern.detail.userIdentity).toEqual({
      sessionContext: {
        sessionIssuer: {
          arn: [{ 'anything-but': { 'Fn::GetAtt': [remediationId, 'Arn'] } }, { exists: false }],
        },
      },
    });
    expect(rule.Properties.Targets).toEqual([
      expect.objectContaining({ Arn: { Ref: 'CentralBusArn' }, RoleArn: expect.anything() }),
    ]);
    expect(member.Parameters).toHaveProperty('CentralBusArn');
  });

  it('lets only the central guard role, inside the organization, assume the remediation role', () => {
    const [, role] =
      memberOf('AWS::IAM::Role').find(([, r]) => r.Properties.RoleName === 'SupportRoleGuardRemediation') ??
      [];
    expect(role?.Properties.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { AWS: { Ref: 'CentralGuardRoleArn' } },
          Condition: { StringEquals: { 'aws:PrincipalOrgID': ORG } },
        },
      ],
    });
  });

  it('enrols an account whether or not the support role exists: it never creates the role (the guard does)', () => {
    // CloudFormation cannot adopt an existing named role: a template that creates it rolls back
    // wherever the role already exists, with no forwarding rule and no remediation role.
    const named = JSON.stringify(member.Resources).toLowerCase();
    for (const [, r] of memberOf('AWS::IAM::Role'))
      expect(String(r.Properties.RoleName ?? '').toLowerCase()).not.toBe('awssupportrole');
    expect(Object.keys(member.Parameters)).not.toContain('ManageSupportRole');
    expect(Object.keys(member.Resources).every((id) => !member.Resources[id]?.Condition)).toBe(true);
    // It names the support role only as what the remediation role may repair and the rule watches.
    expect(named.match(/awssupportrole/g)?.length).toBe(
      (JSON.stringify(memberOf('AWS::IAM::Policy').map(([, r]) => r.Properties))
        .toLowerCase()
        .match(/awssupportrole/g)?.length ?? 0) + 2, // the rule's pattern and description
    );
    expect(stackSet.Properties.Parameters).toEqual([
      { ParameterKey: 'CentralBusArn', ParameterValue: expect.anything() },
      { ParameterKey: 'CentralGuardRoleArn', ParameterValue: expect.anything() },
    ]);
  });

  it('the forwarding rule leaves out exactly the remediation role of its own account (with its path)', () => {
    const [, rule] = memberOf('AWS::Events::Rule')[0] ?? [];
    const pattern = resolve(rule?.Properties.EventPattern, { Resources: member.Resources }) as Record<
      string,
      unknown
    >;
    const byIssuer = (arn: string) => ({
      source: 'aws.iam',
      'detail-type': 'AWS API Call via CloudTrail',
      detail: {
        eventSource: 'iam.amazonaws.com',
        eventName: 'DetachRolePolicy',
        requestParameters: { roleName: 'AWSSupportRole' },
        userIdentity: { type: 'AssumedRole', sessionContext: { sessionIssuer: { arn } } },
      },
    });
    expect(
      matchesPattern(
        pattern,
        byIssuer(`arn:aws:iam::${ACCOUNT}:role/support-role-guard/SupportRoleGuardRemediation`),
      ),
    ).toBe(false);
    for (const other of [
      `arn:aws:iam::${ACCOUNT}:role/SupportRoleGuardRemediation`,
      `arn:aws:iam::${ACCOUNT}:role/other/SupportRoleGuardRemediation`,
      `arn:aws:iam::${MEMBER}:role/support-role-guard/SupportRoleGuardRemediation`,
      `arn:aws:iam::${ACCOUNT}:role/AdminRole`,
    ])
      expect([other, matchesPattern(pattern, byIssuer(other))]).toEqual([other, true]);
  });

  it('has no Lambda code (no asset buckets needed in member accounts)', () => {
    expect(memberOf('AWS::Lambda::Function')).toEqual([]);
  });
});

describe('permission matrices (real policy evaluator)', () => {
  const memberPolicy = resolve(
    memberOf('AWS::IAM::Policy').find(([id]) => id.startsWith('RemediationPolicy'))?.[1].Properties
      .PolicyDocument,
    { Resources: member.Resources },
  );
  const supportRole = `arn:aws:iam::${ACCOUNT}:role/AWSSupportRole`;

  it('the member remediation role repairs only the support role, like the single-account guard', async () => {
    expect(
      await decide(memberPolicy, 'iam:AttachRolePolicy', supportRole, { 'iam:PolicyARN': SUPPORT_ACCESS }),
    ).toBe('Allowed');
    expect(await decide(memberPolicy, 'iam:UpdateAssumeRolePolicy', supportRole)).toBe('Allowed');
    expect(
      await decide(memberPolicy, 'iam:AttachRolePolicy', supportRole, {
        'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess',
      }),
    ).toBe('ImplicitlyDenied');
    expect(
      await decide(memberPolicy, 'iam:UpdateAssumeRolePolicy', `arn:aws:iam::${ACCOUNT}:role/Admin`),
    ).toBe('ImplicitlyDenied');
    expect(await decide(memberPolicy, 'iam:PassRole', supportRole)).toBe('ImplicitlyDenied');
    expect(await decide(memberPolicy, 'iam:CreateUser', `arn:aws:iam::${ACCOUNT}:user/x`)).toBe(
      'ImplicitlyDenied',
    );
  });

  it('the central guard may only assume the member role, only inside the organization', async () => {
    const json = central.toJSON();
    const fn = Object.values(
      central.findResources('AWS::Lambda::Function', {
        Properties: { Environment: { Variables: Match.objectLike({ MEMBER_ROLE_NAME: Match.anyValue() }) } },
      }),
    )[0] as { Properties: { Role: { 'Fn::GetAtt': [string, string] } } };
    const roleId = fn.Properties.Role['Fn::GetAtt'][0];
    const policy = resolve(
      (
        Object.values(
          central.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }),
        )[0] as { Properties: { PolicyDocument: unknown } }
      ).Properties.PolicyDocument,
      json,
    );
    const memberRole = `arn:aws:iam::${MEMBER}:role/support-role-guard/SupportRoleGuardRemediation`;
    expect(await decide(policy, 'sts:AssumeRole', memberRole, { 'aws:ResourceOrgID': ORG })).toBe('Allowed');
    expect(await decide(policy, 'sts:AssumeRole', memberRole, { 'aws:ResourceOrgID': 'o-otherorg123' })).toBe(
      'ImplicitlyDenied',
    );
    expect(
      await decide(policy, 'sts:AssumeRole', `arn:aws:iam::${MEMBER}:role/OrganizationAccountAccessRole`, {
        'aws:ResourceOrgID': ORG,
      }),
    ).toBe('ImplicitlyDenied');
    expect(
      await decide(policy, 'sts:AssumeRole', `arn:aws:iam::${MEMBER}:role/SupportRoleGuardRemediation`, {
        'aws:ResourceOrgID': ORG,
      }),
    ).toBe('ImplicitlyDenied');
    expect(
      await decide(policy, 'iam:AttachRolePolicy', `arn:aws:iam::${ACCOUNT}:role/AWSSupportRole`, {
        'iam:PolicyARN': SUPPORT_ACCESS,
      }),
    ).toBe('ImplicitlyDenied');
    expect(await decide(policy, 'organizations:ListAccounts', '*')).toBe('Allowed');
    for (const action of [
      'ListAccountsForParent',
      'ListOrganizationalUnitsForParent',
      'DescribeOrganization',
      // ListStackInstances with CallAs=DELEGATED_ADMIN checks it ("Account used is not a delegated administrator")
      'ListDelegatedAdministrators',
    ])
      expect([action, await decide(policy, `organizations:${action}`, '*')]).toEqual([action, 'Allowed']);
    const stackSet = (name: string) =>
      `arn:aws:cloudformation:us-east-1:999988887777:stackset/${name}:abc-123`;
    expect(
      await decide(policy, 'cloudformation:ListStackInstances', stackSet('SupportRoleGuardMembers')),
    ).toBe('Allowed');
    expect(await decide(policy, 'cloudformation:ListStackInstances', stackSet('Other'))).toBe(
      'ImplicitlyDenied',
    );
    expect(await decide(policy, 'cloudformation:UpdateStackSet', stackSet('SupportRoleGuardMembers'))).toBe(
      'ImplicitlyDenied',
    );
  });
});
