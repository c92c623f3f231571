import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.js';
import { ConfigError } from '../../functions/core/errors.js';
import { ACCOUNT, AUDIT_USER, guardEnv, OPS_ROLE, SUPPORT_ACCESS } from '../support/config.js';

const CONSOLE_DOCUMENT = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'support-console:*', Resource: '*' }],
};

function problemsOf(env: Record<string, string | undefined>, requireTopic = true) {
  try {
    parseConfig(env, { requireTopic });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('builds the desired role with defaults from the minimal environment', () => {
    // Act
    const config = parseConfig(guardEnv());

    // Assess
    expect(config.mode).toBe('enforce');
    expect(config.partition).toBe('aws');
    expect(config.desired.roleName).toBe('AWSSupportRole');
    expect(config.desired.requiredPolicyArns).toEqual([SUPPORT_ACCESS]);
    expect(config.desired.path).toBe('/');
    expect(config.desired.maxSessionDuration).toBe(3600);
    expect(config.desired.tags).toEqual({ 'managed-by': 'support-role-guard' });
    expect(config.desired.trustPolicy).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: [OPS_ROLE, AUDIT_USER] }, Action: 'sts:AssumeRole' }],
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.desired.trustPolicy)).toBe(true);
  });

  it('reads every optional value', () => {
    // Act
    const config = parseConfig(
      guardEnv({
        GUARD_MODE: 'detect',
        REQUIRED_POLICY_ARNS: `${SUPPORT_ACCESS}, arn:aws:iam::${ACCOUNT}:policy/support-console`,
        EVENT_BUS_NAME: 'security-events',
        GUARD_ROLE_ARN: `arn:aws:iam::${ACCOUNT}:role/guard`,
        SUPPORT_ROLE_PATH: '/support/',
        SUPPORT_ROLE_DESCRIPTION: 'Support cases',
        SUPPORT_ROLE_TAGS: 'team=security, cost-center=42',
        SUPPORT_ROLE_MAX_SESSION_DURATION: '7200',
        PERMISSIONS_BOUNDARY_ARN: `arn:aws:iam::${ACCOUNT}:policy/boundary`,
        REQUIRE_MFA: 'true',
        REQUIRED_POLICY_DOCUMENTS: JSON.stringify({
          [`arn:aws:iam::${ACCOUNT}:policy/support-console`]: CONSOLE_DOCUMENT,
          [`arn:aws:iam::${ACCOUNT}:policy/boundary`]: CONSOLE_DOCUMENT,
        }),
      }),
    );

    // Assess
    expect(config.mode).toBe('detect');
    expect(config.desired.requiredPolicyArns).toHaveLength(2);
    expect(config.eventBusName).toBe('security-events');
    expect(config.guardRoleArn).toBe(`arn:aws:iam::${ACCOUNT}:role/guard`);
    expect(config.desired.path).toBe('/support/');
    expect(config.desired.tags).toEqual({ team: 'security', 'cost-center': '42' });
    expect(config.desired.maxSessionDuration).toBe(7200);
    expect(config.desired.permissionsBoundaryArn).toBe(`arn:aws:iam::${ACCOUNT}:policy/boundary`);
    expect(Object.keys(config.desired.policyDocuments ?? {})).toHaveLength(2);
    expect(config.desired.trustPolicy.Statement).toEqual([
      expect.objectContaining({ Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } } }),
    ]);
  });

  it('uses the partition of the region for the default policy', () => {
    // Act
    const config = parseConfig(
      guardEnv({ AWS_REGION: 'cn-north-1', TRUSTED_PRINCIPAL_ARNS: `arn:aws-cn:iam::${ACCOUNT}:root` }),
    );

    // Assess
    expect(config.desired.requiredPolicyArns).toEqual(['arn:aws-cn:iam::aws:policy/AWSSupportAccess']);
  });

  it.each([
    ['SUPPORT_ROLE_NAME', { SUPPORT_ROLE_NAME: undefined }, /is required/],
    ['SUPPORT_ROLE_NAME', { SUPPORT_ROLE_NAME: 'bad name!' }, /"bad name!" is not an IAM role name/],
    ['TRUSTED_PRINCIPAL_ARNS', { TRUSTED_PRINCIPAL_ARNS: undefined }, /is required/],
    ['TRUSTED_PRINCIPAL_ARNS', { TRUSTED_PRINCIPAL_ARNS: ' , ' }, /lists no principal/],
    ['TRUSTED_PRINCIPAL_ARNS', { TRUSTED_PRINCIPAL_ARNS: '*' }, /"\*" is a wildcard/],
    ['TRUSTED_PRINCIPAL_ARNS', { TRUSTED_PRINCIPAL_ARNS: `arn:aws:iam::${ACCOUNT}:role/*` }, /wildcard/],
    [
      'TRUSTED_PRINCIPAL_ARNS',
      { TRUSTED_PRINCIPAL_ARNS: 'arn:aws:iam::12345:root' },
      /is not an IAM principal ARN/,
    ],
    ['TRUSTED_PRINCIPAL_ARNS', { TRUSTED_PRINCIPAL_ARNS: 'alice' }, /"alice" is not an IAM principal ARN/],
    [
      'TRUSTED_PRINCIPAL_ARNS',
      { TRUSTED_PRINCIPAL_ARNS: `arn:aws-cn:iam::${ACCOUNT}:root` },
      /not in partition aws/,
    ],
    ['REQUIRED_POLICY_ARNS', { REQUIRED_POLICY_ARNS: 'AWSSupportAccess' }, /not a managed policy ARN/],
    ['GUARD_MODE', { GUARD_MODE: 'fix' }, /"fix" is not a mode/],
    ['NOTIFY_TOPIC_ARN', { NOTIFY_TOPIC_ARN: undefined }, /is required/],
    ['NOTIFY_TOPIC_ARN', { NOTIFY_TOPIC_ARN: 'my-topic' }, /is not an SNS topic ARN/],
    ['GUARD_ROLE_ARN', { GUARD_ROLE_ARN: `arn:aws:iam::${ACCOUNT}:user/x` }, /is not an IAM role ARN/],
    ['EVENT_BUS_NAME', { EVENT_BUS_NAME: 'bad bus' }, /not an event bus/],
    ['SUPPORT_ROLE_PATH', { SUPPORT_ROLE_PATH: 'support' }, /is not an IAM path/],
    [
      'SUPPORT_ROLE_PATH',
      { SUPPORT_ROLE_PATH: '/support-role-guard/' },
      /"\/support-role-guard\/" is the path of the guard's own roles/,
    ],
    [
      'SUPPORT_ROLE_PATH',
      { SUPPORT_ROLE_PATH: '/support-role-guard/support/' },
      /"\/support-role-guard\/support\/" is under the path of the guard's own roles/,
    ],
    [
      'SUPPORT_ROLE_PATH',
      { SUPPORT_ROLE_PATH: '/Support-Role-Guard/' },
      /is the path of the guard's own roles/,
    ],
    ['SUPPORT_ROLE_TAGS', { SUPPORT_ROLE_TAGS: 'novalue' }, /is not key=value/],
    ['SUPPORT_ROLE_TAGS', { SUPPORT_ROLE_TAGS: 'aws:x=1' }, /is not key=value/],
    ['SUPPORT_ROLE_TAGS', { SUPPORT_ROLE_TAGS: 'a=1,A=2' }, /given twice/],
    ['SUPPORT_ROLE_MAX_SESSION_DURATION', { SUPPORT_ROLE_MAX_SESSION_DURATION: '60' }, /3600 to 43200/],
    ['PERMISSIONS_BOUNDARY_ARN', { PERMISSIONS_BOUNDARY_ARN: 'boundary' }, /not a managed policy ARN/],
    ['REQUIRE_MFA', { REQUIRE_MFA: 'maybe' }, /"maybe" is not a boolean/],
    ['REVOKE_SESSIONS', { REVOKE_SESSIONS: 'sometimes' }, /"sometimes" is not a boolean/],
  ])('refuses a bad %s with a message naming the value', (name, overrides, message) => {
    // Act
    const problems = problemsOf(guardEnv(overrides));

    // Assess
    expect(problems).toContainEqual({ name, message: expect.stringMatching(message) });
  });

  it('reports every bad value at once', () => {
    // Act
    const problems = problemsOf({ GUARD_MODE: 'x', TRUSTED_PRINCIPAL_ARNS: '*' });

    // Assess
    expect(problems.map((p) => p.name).sort()).toEqual([
      'GUARD_MODE',
      'NOTIFY_TOPIC_ARN',
      'SUPPORT_ROLE_NAME',
      'TRUSTED_PRINCIPAL_ARNS',
    ]);
  });

  it('revokes sessions after a repair by default; REVOKE_SESSIONS=false turns it off', () => {
    expect(parseConfig(guardEnv()).revokeSessions).toBe(true);
    expect(parseConfig(guardEnv({ REVOKE_SESSIONS: 'false' })).revokeSessions).toBe(false);
    expect(parseConfig(guardEnv({ REVOKE_SESSIONS: 'true' })).revokeSessions).toBe(true);
  });

  it('does not require a topic outside the handler', () => {
    // Act
    const config = parseConfig(guardEnv({ NOTIFY_TOPIC_ARN: undefined }));

    // Assess
    expect(config.notifyTopicArn).toBeUndefined();
  });
});

describe('parseConfig in organization mode', () => {
  it('reads the member role, the accounts and the sweep concurrency', () => {
    const config = parseConfig(
      guardEnv({
        MEMBER_ROLE_NAME: 'SupportRoleGuardRemediation',
        MEMBER_ACCOUNT_IDS: '111122223333, 444455556666',
        ORGANIZATION_ID: 'o-abcdef1234',
        SWEEP_CONCURRENCY: '4',
        TARGET_OU_IDS: 'ou-ab12-cdef5678, r-ab12',
        NOT_ENROLLED_GRACE_HOURS: '48',
      }),
    );
    expect(config.organization).toEqual({
      memberRoleName: 'SupportRoleGuardRemediation',
      accountIds: ['111122223333', '444455556666'],
      organizationId: 'o-abcdef1234',
      sweepConcurrency: 4,
      targetOuIds: ['ou-ab12-cdef5678', 'r-ab12'],
      notEnrolledGraceHours: 48,
    });
    expect(parseConfig(guardEnv({ MEMBER_ROLE_NAME: 'R' })).organization?.notEnrolledGraceHours).toBe(24);
  });

  it.each([
    [{ MEMBER_ACCOUNT_IDS: '111122223333' }, 'MEMBER_ACCOUNT_IDS', /only applies in organization mode/],
    [
      { MEMBER_ROLE_NAME: 'R', MEMBER_ACCOUNT_IDS: '1234' },
      'MEMBER_ACCOUNT_IDS',
      /"1234" is not a 12-digit account id/,
    ],
    [{ MEMBER_ROLE_NAME: 'R', ORGANIZATION_ID: 'org' }, 'ORGANIZATION_ID', /is not an organization id/],
    [{ MEMBER_ROLE_NAME: 'R', SWEEP_CONCURRENCY: '0' }, 'SWEEP_CONCURRENCY', /from 1 to 50/],
    [
      { MEMBER_ROLE_NAME: 'R', TARGET_OU_IDS: 'engineering' },
      'TARGET_OU_IDS',
      /"engineering" is not an OU id/,
    ],
    [{ MEMBER_ROLE_NAME: 'R', NOT_ENROLLED_GRACE_HOURS: '0' }, 'NOT_ENROLLED_GRACE_HOURS', /1 to 720/],
    [{ TARGET_OU_IDS: 'ou-ab12-cdef5678' }, 'TARGET_OU_IDS', /only applies in organization mode/],
  ])('refuses %j', (overrides, name, message) => {
    expect(problemsOf(guardEnv(overrides))).toContainEqual({ name, message: expect.stringMatching(message) });
  });
});

describe('parseConfig: Security Hub', () => {
  it('is off by default, switched on part by part', () => {
    expect(parseConfig(guardEnv()).securityHub).toEqual({
      annotateControlFindings: false,
      importTamperingFindings: false,
    });
    expect(parseConfig(guardEnv({ SECURITY_HUB_IMPORT_FINDINGS: 'true' })).securityHub).toEqual({
      annotateControlFindings: false,
      importTamperingFindings: true,
    });
  });

  it('names a value that is not a boolean', () => {
    expect(() => parseConfig(guardEnv({ SECURITY_HUB_ANNOTATE: 'sometimes' }))).toThrow(
      /SECURITY_HUB_ANNOTATE: "sometimes" is not a boolean/,
    );
  });
});
