import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ACCOUNT, resolve } from '../support/cfn-resolve.js';
import { synthGuard } from '../support/stack.js';

/**
 * The guard role's permission matrix, judged by a real IAM policy evaluator
 * (@cloud-copilot/iam-simulate, AGPL, a test-only devDependency that is never bundled).
 */
const SUPPORT_ROLE = `arn:aws:iam::${ACCOUNT}:role/AWSSupportRole`;
const OTHER_ROLE = `arn:aws:iam::${ACCOUNT}:role/Admin`;
const SUPPORT_ACCESS = 'arn:aws:iam::aws:policy/AWSSupportAccess';
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const BOUNDARY = `arn:aws:iam::${ACCOUNT}:policy/support-boundary`;
const BOUNDARY_DOCUMENT = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['support:*', 'support-console:*'], Resource: '*' }],
};

function guardPolicy(context: Record<string, string> = {}) {
  const { template } = synthGuard(context);
  const json = template.toJSON();
  const roleId = Object.keys(
    template.findResources('AWS::IAM::Role', {
      Properties: { Description: Match.stringLikeRegexp('may repair only') },
    }),
  )[0];
  const policy = Object.values(
    template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }),
  )[0] as {
    Properties: { PolicyDocument: unknown };
  };
  const ids = (type: string) => Object.keys(template.findResources(type));
  return {
    policy: resolve(policy.Properties.PolicyDocument, json) as Record<string, unknown>,
    topic: resolve({ Ref: ids('AWS::SNS::Topic')[0] }, json) as string,
    key: resolve({ 'Fn::GetAtt': [ids('AWS::KMS::Key')[0], 'Arn'] }, json) as string,
    // KMS honours identity policies only where the key policy delegates to the account.
    keyPolicy: resolve(
      (Object.values(template.findResources('AWS::KMS::Key'))[0] as { Properties: { KeyPolicy: unknown } })
        .Properties.KeyPolicy,
      json,
    ) as Record<string, unknown>,
    queues: ids('AWS::SQS::Queue').map((id) => resolve({ 'Fn::GetAtt': [id, 'Arn'] }, json) as string),
    logGroup: resolve({ 'Fn::GetAtt': [ids('AWS::Logs::LogGroup')[0], 'Arn'] }, json) as string,
    table: resolve({ 'Fn::GetAtt': [ids('AWS::DynamoDB::GlobalTable')[0], 'Arn'] }, json) as string,
  };
}

async function decide(
  policy: Record<string, unknown>,
  action: string,
  resource: string,
  context: Record<string, string> = {},
  resourcePolicy?: Record<string, unknown>,
) {
  const response = await runSimulation(
    {
      identityPolicies: [{ name: 'guard', policy }],
      ...(resourcePolicy ? { resourcePolicy } : {}),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: {
        principal: `arn:aws:iam::${ACCOUNT}:role/SupportRoleGuard-GuardRole`,
        action,
        resource: { resource, accountId: ACCOUNT },
        contextVariables: context,
      },
    },
    {},
  );
  if (response.resultType === 'error') throw new Error(`simulation error: ${JSON.stringify(response)}`);
  return (response as { overallResult: string }).overallResult;
}

describe('guard role permission matrix (default configuration)', () => {
  const g = guardPolicy();

  it('allows every DynamoDB operation the guard sends on its table (read from the code)', async () => {
    // Every DynamoDB command the functions import, and those Powertools' idempotency layer sends
    // (read from its source). IAM authorizes a batch call by its own action, and a transaction by
    // the actions of its items (Put, Update, Delete, ConditionCheck), read from where it is built.
    const sources = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
      );
    const powertools = readFileSync(
      'node_modules/@aws-lambda-powertools/idempotency/lib/esm/persistence/DynamoDBPersistenceLayer.js',
      'utf8',
    );
    const sent = new Set([...powertools.matchAll(/new (\w+)Command\(/g)].map(([, name]) => name ?? ''));
    expect([...sent].sort()).toEqual(['DeleteItem', 'GetItem', 'PutItem', 'UpdateItem']);
    const itemActions = new Set<string>();
    for (const file of sources('functions')) {
      const text = readFileSync(file, 'utf8');
      for (const [, names] of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/client-dynamodb'/g))
        for (const [, name] of (names ?? '').matchAll(/\b(\w+)Command\b/g)) if (name) sent.add(name);
      if (/TransactWriteItemsCommand\(/.test(text))
        for (const [, kind] of text.matchAll(/\b(Put|Update|Delete|ConditionCheck): \{/g))
          itemActions.add(kind === 'ConditionCheck' ? 'ConditionCheckItem' : `${kind}Item`);
    }
    expect(sent).toContain('BatchGetItem');
    expect(sent).toContain('BatchWriteItem');
    expect(itemActions.size).toBeGreaterThan(0);
    const actions = [...sent].flatMap((op) =>
      op === 'TransactWriteItems' ? [...itemActions] : op === 'TransactGetItems' ? ['GetItem'] : [op],
    );
    for (const action of actions)
      expect([action, await decide(g.policy, `dynamodb:${action}`, g.table)]).toEqual([action, 'Allowed']);
  });

  it.each([
    ['iam:GetRole', SUPPORT_ROLE, {}],
    ['iam:ListAttachedRolePolicies', SUPPORT_ROLE, {}],
    ['iam:ListRolePolicies', SUPPORT_ROLE, {}],
    ['iam:GetRolePolicy', SUPPORT_ROLE, {}],
    // The session revocation (AWSRevokeOlderSessions); IAM has no condition key for the policy's name.
    ['iam:PutRolePolicy', SUPPORT_ROLE, {}],
    ['iam:CreateRole', SUPPORT_ROLE, {}],
    ['iam:AttachRolePolicy', SUPPORT_ROLE, { 'iam:PolicyARN': SUPPORT_ACCESS }],
    ['iam:DetachRolePolicy', SUPPORT_ROLE, { 'iam:PolicyARN': ADMIN }],
    ['iam:DeleteRolePolicy', SUPPORT_ROLE, {}],
    ['iam:UpdateAssumeRolePolicy', SUPPORT_ROLE, {}],
    ['iam:DeleteRolePermissionsBoundary', SUPPORT_ROLE, {}],
    ['iam:UpdateRole', SUPPORT_ROLE, {}],
    ['iam:TagRole', SUPPORT_ROLE, {}],
    ['iam:UntagRole', SUPPORT_ROLE, {}],
  ])('allows %s on %s %j', async (action, resource, context) => {
    expect(await decide(g.policy, action, resource, context)).toBe('Allowed');
  });

  it('allows publishing to its topic with its key, and writing its logs and failed invocations', async () => {
    expect(await decide(g.policy, 'sns:Publish', g.topic)).toBe('Allowed');
    expect(await decide(g.policy, 'kms:GenerateDataKey', g.key, {}, g.keyPolicy)).toBe('Allowed');
    expect(await decide(g.policy, 'kms:Decrypt', g.key, {}, g.keyPolicy)).toBe('Allowed');
    expect(await decide(g.policy, 'kms:ScheduleKeyDeletion', g.key, {}, g.keyPolicy)).toBe(
      'ImplicitlyDenied',
    );
    expect(
      await decide(g.policy, 'logs:PutLogEvents', `${g.logGroup.replace(/:\*$/, '')}:log-stream:x`),
    ).toBe('Allowed');
    for (const action of [
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:Scan', // the sweep finds the storm windows whose follow-up is due
    ])
      expect(await decide(g.policy, action, g.table)).toBe('Allowed');
    for (const action of ['dynamodb:DeleteTable', 'dynamodb:UpdateTable', 'dynamodb:Query'])
      expect(await decide(g.policy, action, g.table)).toBe('ImplicitlyDenied');
    expect(await decide(g.policy, 'dynamodb:Scan', `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/other`)).toBe(
      'ImplicitlyDenied',
    );
    expect(
      await decide(g.policy, 'dynamodb:PutItem', `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/other`),
    ).toBe('ImplicitlyDenied');
    const sends = await Promise.all(g.queues.map((q) => decide(g.policy, 'sqs:SendMessage', q)));
    expect(sends.filter((d) => d === 'Allowed')).toHaveLength(1);
  });

  it.each([
    [
      'AttachRolePolicy of AdministratorAccess on the support role',
      'iam:AttachRolePolicy',
      SUPPORT_ROLE,
      { 'iam:PolicyARN': ADMIN },
    ],
    [
      'DetachRolePolicy of AWSSupportAccess from the support role',
      'iam:DetachRolePolicy',
      SUPPORT_ROLE,
      { 'iam:PolicyARN': SUPPORT_ACCESS },
    ],
    [
      'AttachRolePolicy on another role',
      'iam:AttachRolePolicy',
      OTHER_ROLE,
      { 'iam:PolicyARN': SUPPORT_ACCESS },
    ],
    ['UpdateAssumeRolePolicy on another role', 'iam:UpdateAssumeRolePolicy', OTHER_ROLE, {}],
    ['GetRole on another role', 'iam:GetRole', OTHER_ROLE, {}],
    ['DeleteRole on the support role', 'iam:DeleteRole', SUPPORT_ROLE, {}],
    ['CreateRole of another name', 'iam:CreateRole', `arn:aws:iam::${ACCOUNT}:role/Backdoor`, {}],
    [
      'CreateRole with a permissions boundary',
      'iam:CreateRole',
      SUPPORT_ROLE,
      { 'iam:PermissionsBoundary': BOUNDARY },
    ],
    [
      'PutRolePermissionsBoundary',
      'iam:PutRolePermissionsBoundary',
      SUPPORT_ROLE,
      { 'iam:PermissionsBoundary': BOUNDARY },
    ],
    ['PassRole of the support role', 'iam:PassRole', SUPPORT_ROLE, {}],
    ['CreateUser', 'iam:CreateUser', `arn:aws:iam::${ACCOUNT}:user/backdoor`, {}],
    ['PutRolePolicy on another role', 'iam:PutRolePolicy', OTHER_ROLE, {}],
    ['GetRolePolicy on another role', 'iam:GetRolePolicy', OTHER_ROLE, {}],
    ['AssumeRole of the support role', 'sts:AssumeRole', SUPPORT_ROLE, {}],
    ['Publish to another topic', 'sns:Publish', `arn:aws:sns:us-east-1:${ACCOUNT}:other`, {}],
    [
      'PutEvents with no bus configured',
      'events:PutEvents',
      `arn:aws:events:us-east-1:${ACCOUNT}:event-bus/default`,
      {},
    ],
  ])('denies %s', async (_name, action, resource, context) => {
    expect(await decide(g.policy, action, resource, context)).toBe('ImplicitlyDenied');
  });
});

describe('the support role at another path than desired (path drift, which only a read can report)', () => {
  const READS = ['iam:GetRole', 'iam:ListAttachedRolePolicies', 'iam:ListRolePolicies', 'iam:GetRolePolicy'];
  const WRITES: [string, Record<string, string>][] = [
    ['iam:PutRolePolicy', {}],
    ['iam:DeleteRolePolicy', {}],
    ['iam:UpdateAssumeRolePolicy', {}],
    ['iam:UpdateRole', {}],
    ['iam:TagRole', {}],
    ['iam:UntagRole', {}],
    ['iam:CreateRole', {}],
    ['iam:DeleteRole', {}],
    ['iam:AttachRolePolicy', { 'iam:PolicyARN': SUPPORT_ACCESS }],
    ['iam:DetachRolePolicy', { 'iam:PolicyARN': ADMIN }],
    ['iam:DeleteRolePermissionsBoundary', {}],
    ['iam:PutRolePermissionsBoundary', { 'iam:PermissionsBoundary': BOUNDARY }],
    ['iam:PassRole', {}],
  ];
  const cases = [
    // Desired at /, found under another path; desired under /support/ (supportRolePath changed), found at /.
    [
      '/',
      {},
      [
        `arn:aws:iam::${ACCOUNT}:role/other/AWSSupportRole`,
        `arn:aws:iam::${ACCOUNT}:role/a/b/AWSSupportRole`,
      ],
    ],
    [
      '/support/',
      { supportRolePath: '/support/' },
      [SUPPORT_ROLE, `arn:aws:iam::${ACCOUNT}:role/other/AWSSupportRole`],
    ],
  ] as const;

  it.each(cases)(
    'desired path %s: every read allowed on the role of that name at any path',
    async (_path, context, elsewhere) => {
      const g = guardPolicy(context);
      for (const resource of elsewhere)
        for (const action of READS)
          expect(await decide(g.policy, action, resource), `${action} ${resource}`).toBe('Allowed');
    },
  );

  it.each(cases)(
    'desired path %s: no write on it, nor a read of another name',
    async (_path, context, elsewhere) => {
      const g = guardPolicy(context);
      for (const resource of elsewhere)
        for (const [action, keys] of WRITES)
          expect(await decide(g.policy, action, resource, keys), `${action} ${resource}`).toBe(
            'ImplicitlyDenied',
          );
      for (const action of READS) {
        expect(await decide(g.policy, action, `arn:aws:iam::${ACCOUNT}:role/other/Admin`)).toBe(
          'ImplicitlyDenied',
        );
        expect(await decide(g.policy, action, `arn:aws:iam::${ACCOUNT}:role/other/XAWSSupportRole`)).toBe(
          'ImplicitlyDenied',
        );
      }
    },
  );
});

describe('guard role permission matrix (which stack holds the support role)', () => {
  const STACK = `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/security-baseline/0a1b2c3d`;
  const g = guardPolicy();

  it('may read the resources of any stack of its own account and region, nothing else of CloudFormation', async () => {
    expect(await decide(g.policy, 'cloudformation:DescribeStackResources', STACK)).toBe('Allowed');
    expect(
      await decide(
        g.policy,
        'cloudformation:DescribeStackResources',
        `arn:aws:cloudformation:us-east-1:999988887777:stack/security-baseline/0a1b2c3d`,
      ),
    ).toBe('ImplicitlyDenied');
    expect(
      await decide(
        g.policy,
        'cloudformation:DescribeStackResources',
        `arn:aws:cloudformation:eu-west-1:${ACCOUNT}:stack/security-baseline/0a1b2c3d`,
      ),
    ).toBe('ImplicitlyDenied');
    for (const action of [
      'cloudformation:GetTemplate',
      'cloudformation:DescribeStacks',
      'cloudformation:UpdateStack',
      'cloudformation:DeleteStack',
      'cloudformation:DetectStackDrift',
    ])
      expect(await decide(g.policy, action, STACK)).toBe('ImplicitlyDenied');
  });
});

describe('guard role permission matrix (a pinned customer-managed policy)', () => {
  const CONSOLE = `arn:aws:iam::${ACCOUNT}:policy/support/SupportConsole`;
  const OTHER_POLICY = `arn:aws:iam::${ACCOUNT}:policy/support/Other`;
  const document = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 'support-console:*', Resource: '*' }],
  };
  const g = guardPolicy({
    requiredPolicyArns: `${SUPPORT_ACCESS},${CONSOLE}`,
    requiredPolicyDocuments: JSON.stringify({ [CONSOLE]: document }),
  });
  const actions = [
    'iam:ListPolicyVersions',
    'iam:GetPolicyVersion',
    'iam:CreatePolicyVersion',
    'iam:SetDefaultPolicyVersion',
    'iam:DeletePolicyVersion',
    'iam:CreatePolicy',
  ];

  it.each(actions)(
    'allows %s on exactly that policy, on no other and on no AWS-managed one',
    async (action) => {
      expect(await decide(g.policy, action, CONSOLE)).toBe('Allowed');
      expect(await decide(g.policy, action, OTHER_POLICY)).toBe('ImplicitlyDenied');
      expect(await decide(g.policy, action, SUPPORT_ACCESS)).toBe('ImplicitlyDenied');
    },
  );

  it('still may not delete the policy; AWS-managed policies only get none of this, unpinned never deploys', async () => {
    expect(await decide(g.policy, 'iam:DeletePolicy', CONSOLE)).toBe('ImplicitlyDenied');
    const awsManaged = guardPolicy();
    for (const action of actions)
      expect(await decide(awsManaged.policy, action, CONSOLE)).toBe('ImplicitlyDenied');
    expect(() => guardPolicy({ requiredPolicyArns: `${SUPPORT_ACCESS},${CONSOLE}` })).toThrow(
      /requiredPolicyArns: .*SupportConsole" is customer-managed and not pinned/,
    );
  });
});

describe('guard role permission matrix (REVOKE_SESSIONS=false)', () => {
  it('may not write any inline policy on the support role', async () => {
    const g = guardPolicy({ revokeSessions: 'false' });
    expect(await decide(g.policy, 'iam:PutRolePolicy', SUPPORT_ROLE)).toBe('ImplicitlyDenied');
    expect(await decide(g.policy, 'iam:DeleteRolePolicy', SUPPORT_ROLE)).toBe('Allowed');
  });
});

describe('guard role permission matrix (boundary and bus configured)', () => {
  const g = guardPolicy({
    permissionsBoundaryArn: BOUNDARY,
    requiredPolicyDocuments: JSON.stringify({ [BOUNDARY]: BOUNDARY_DOCUMENT }),
    eventBusName: 'security-events',
  });

  it('sets only the configured boundary, and creates the role only with it', async () => {
    expect(
      await decide(g.policy, 'iam:PutRolePermissionsBoundary', SUPPORT_ROLE, {
        'iam:PermissionsBoundary': BOUNDARY,
      }),
    ).toBe('Allowed');
    expect(
      await decide(g.policy, 'iam:PutRolePermissionsBoundary', SUPPORT_ROLE, {
        'iam:PermissionsBoundary': ADMIN,
      }),
    ).toBe('ImplicitlyDenied');
    expect(
      await decide(g.policy, 'iam:CreateRole', SUPPORT_ROLE, { 'iam:PermissionsBoundary': BOUNDARY }),
    ).toBe('Allowed');
    expect(await decide(g.policy, 'iam:CreateRole', SUPPORT_ROLE, {})).toBe('ImplicitlyDenied');
    expect(await decide(g.policy, 'iam:DeleteRolePermissionsBoundary', SUPPORT_ROLE)).toBe(
      'ImplicitlyDenied',
    );
  });

  it('puts events only on its bus', async () => {
    expect(
      await decide(
        g.policy,
        'events:PutEvents',
        `arn:aws:events:us-east-1:${ACCOUNT}:event-bus/security-events`,
      ),
    ).toBe('Allowed');
    expect(
      await decide(g.policy, 'events:PutEvents', `arn:aws:events:us-east-1:${ACCOUNT}:event-bus/default`),
    ).toBe('ImplicitlyDenied');
  });
});

describe('guard role permission matrix (with a chat channel)', () => {
  it('may publish to the chat topic and the on-call topic, and change neither', async () => {
    // Prepare
    const { template } = synthGuard({ chatSlackWorkspaceId: 'T0123ABCD', chatSlackChannelId: 'C0123ABCD' });
    const json = template.toJSON();
    const chatId = Object.keys(
      template.findResources('AWS::SNS::Topic', { Properties: { DisplayName: 'support-role-guard chat' } }),
    )[0];
    const chatTopic = resolve({ Ref: chatId }, json) as string;
    const g = guardPolicy({ chatSlackWorkspaceId: 'T0123ABCD', chatSlackChannelId: 'C0123ABCD' });

    // Act and assess
    expect(chatTopic).toMatch(/^arn:aws:sns:us-east-1:\d{12}:/);
    expect(chatTopic).not.toBe(g.topic);
    expect(await decide(g.policy, 'sns:Publish', chatTopic)).toBe('Allowed');
    for (const action of ['sns:Subscribe', 'sns:SetTopicAttributes', 'sns:DeleteTopic'])
      expect(await decide(g.policy, action, chatTopic)).toBe('ImplicitlyDenied');
    expect(
      await decide(g.policy, 'sns:Publish', `arn:aws:sns:us-east-1:${ACCOUNT}:someone-elses-topic`),
    ).toBe('ImplicitlyDenied');
  });
});

describe('guard role permission matrix (Security Hub)', () => {
  const HUB = `arn:aws:securityhub:us-east-1:${ACCOUNT}:hub/default`;
  const PRODUCT = `arn:aws:securityhub:us-east-1:${ACCOUNT}:product/${ACCOUNT}/default`;
  const status = (value: string) => ({ 'securityhub:ASFFSyntaxPath/Workflow.Status': value });

  /**
   * The request context of the guard's own BatchUpdateFindings call: Security Hub puts each field
   * the request sets in the context as securityhub:ASFFSyntaxPath/<field> (user guide,
   * "Configuring access to BatchUpdateFindings"); the guard sets only the note and the workflow.
   */
  const guardCall = {
    'securityhub:ASFFSyntaxPath/Note.Text': 'support-role-guard restored AWSSupportRole in 123456789012 …',
    'securityhub:ASFFSyntaxPath/Note.UpdatedBy': 'support-role-guard',
    'securityhub:ASFFSyntaxPath/Workflow.Status': 'NOTIFIED',
  };

  it('has no Security Hub permission by default', async () => {
    const g = guardPolicy();
    expect(await decide(g.policy, 'securityhub:GetFindings', HUB)).toBe('ImplicitlyDenied');
    expect(await decide(g.policy, 'securityhub:BatchUpdateFindings', HUB, status('RESOLVED'))).toBe(
      'ImplicitlyDenied',
    );
    expect(
      await decide(g.policy, 'securityhub:BatchImportFindings', PRODUCT, {
        'securityhub:TargetAccount': ACCOUNT,
      }),
    ).toBe('ImplicitlyDenied');
  });

  it('annotates: reads findings and sets the note and NOTIFIED on its hub, nothing else', async () => {
    // Prepare
    const g = guardPolicy({ securityHubAnnotate: 'true' });

    // Act and assess
    expect(await decide(g.policy, 'securityhub:GetFindings', HUB)).toBe('Allowed');
    expect(await decide(g.policy, 'securityhub:BatchUpdateFindings', HUB, guardCall)).toBe('Allowed');
    for (const other of ['RESOLVED', 'SUPPRESSED', 'NEW'])
      expect(
        await decide(g.policy, 'securityhub:BatchUpdateFindings', HUB, { ...guardCall, ...status(other) }),
      ).toBe('ImplicitlyDenied');
    expect(
      await decide(
        g.policy,
        'securityhub:GetFindings',
        `arn:aws:securityhub:eu-west-1:${ACCOUNT}:hub/default`,
      ),
    ).toBe('ImplicitlyDenied');
    for (const action of ['securityhub:DisableSecurityHub', 'securityhub:UpdateStandardsControl'])
      expect(await decide(g.policy, action, HUB)).toBe('ImplicitlyDenied');
    expect(
      await decide(g.policy, 'securityhub:BatchImportFindings', PRODUCT, {
        'securityhub:TargetAccount': ACCOUNT,
      }),
    ).toBe('ImplicitlyDenied');
  });

  it.each([
    ['Severity.Label', 'INFORMATIONAL'],
    ['Severity.Normalized', '0'],
    ['Severity.Product', '0'],
    ['Confidence', '0'],
    ['Criticality', '0'],
    ['Types', 'Software and Configuration Checks'],
    ['UserDefinedFields', 'x'],
    ['VerificationState', 'FALSE_POSITIVE'],
    ['RelatedFindings', 'x'],
    ['RelatedFindings.Id', 'x'],
    ['RelatedFindings.ProductArn', 'x'],
  ])('annotates: a call that also changes %s is denied', async (field, value) => {
    // Prepare
    const g = guardPolicy({ securityHubAnnotate: 'true' });

    // Act and assess
    expect(
      await decide(g.policy, 'securityhub:BatchUpdateFindings', HUB, {
        ...guardCall,
        [`securityhub:ASFFSyntaxPath/${field}`]: value,
      }),
    ).toBe('ImplicitlyDenied');
  });

  it('annotates: a note signed by anyone but support-role-guard is denied', async () => {
    const g = guardPolicy({ securityHubAnnotate: 'true' });
    expect(
      await decide(g.policy, 'securityhub:BatchUpdateFindings', HUB, {
        ...guardCall,
        'securityhub:ASFFSyntaxPath/Note.UpdatedBy': 'the SOC',
      }),
    ).toBe('ImplicitlyDenied');
  });

  it('imports findings only into its own default product, for its own account', async () => {
    // Prepare
    const g = guardPolicy({ securityHubImportFindings: 'true' });

    // Act and assess
    expect(
      await decide(g.policy, 'securityhub:BatchImportFindings', PRODUCT, {
        'securityhub:TargetAccount': ACCOUNT,
      }),
    ).toBe('Allowed');
    expect(
      await decide(g.policy, 'securityhub:BatchImportFindings', PRODUCT, {
        'securityhub:TargetAccount': '999988887777',
      }),
    ).toBe('ImplicitlyDenied');
    expect(
      await decide(
        g.policy,
        'securityhub:BatchImportFindings',
        `arn:aws:securityhub:us-east-1:${ACCOUNT}:product/aws/guardduty`,
        { 'securityhub:TargetAccount': ACCOUNT },
      ),
    ).toBe('ImplicitlyDenied');
    expect(await decide(g.policy, 'securityhub:BatchUpdateFindings', HUB, guardCall)).toBe(
      'ImplicitlyDenied',
    );
  });
});
