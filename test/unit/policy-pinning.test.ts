import { describe, expect, it } from 'vitest';
import { classifyEvent } from '../../functions/core/classify-event.js';
import { parseConfig } from '../../functions/core/config.js';
import { detectDrift } from '../../functions/core/drift.js';
import { ConfigError } from '../../functions/core/errors.js';
import { roleMutationPattern } from '../../functions/core/event-pattern.js';
import { matchesPattern } from '../../functions/core/event-pattern-matcher.js';
import { phases, planActions, planPolicyRepair } from '../../functions/core/plan.js';
import type { ManagedPolicyVersions, PresentRole } from '../../functions/core/role-snapshot.js';
import { isTamperingAct } from '../../functions/core/tampering.js';
import { ACCOUNT, guardEnv, SUPPORT_ACCESS } from '../support/config.js';

const CONSOLE_POLICY = `arn:aws:iam::${ACCOUNT}:policy/support/SupportConsole`;
const PINNED = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'support-console:*', Resource: '*' }],
};
const EVERYTHING = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
});
const env = guardEnv({
  REQUIRED_POLICY_ARNS: `${SUPPORT_ACCESS},${CONSOLE_POLICY}`,
  REQUIRED_POLICY_DOCUMENTS: JSON.stringify({ [CONSOLE_POLICY]: PINNED }),
});
const desired = parseConfig(env).desired;

const versions = (...v: [string, boolean, string][]): ManagedPolicyVersions => ({
  versions: v.map(([versionId, isDefault, document], i) => ({
    versionId,
    isDefault,
    createDate: `2026-11-0${i + 1}T00:00:00.000Z`,
    document,
  })),
});

function role(policies: PresentRole['policies']): PresentRole {
  return {
    exists: true,
    roleName: desired.roleName,
    arn: `arn:aws:iam::${ACCOUNT}:role/${desired.roleName}`,
    path: '/',
    description: desired.description,
    maxSessionDuration: desired.maxSessionDuration,
    trustPolicy: JSON.stringify(desired.trustPolicy),
    tags: desired.tags,
    attachedPolicyArns: desired.requiredPolicyArns,
    inlinePolicyNames: [],
    ...(policies ? { policies } : {}),
  };
}

describe('REQUIRED_POLICY_DOCUMENTS', () => {
  it('pins the content of a customer-managed required policy', () => {
    expect(desired.policyDocuments).toEqual({ [CONSOLE_POLICY]: PINNED });
  });

  it.each([
    [{ [SUPPORT_ACCESS]: PINNED }, /AWS-managed/],
    [{ [`arn:aws:iam::${ACCOUNT}:policy/other`]: PINNED }, /neither in REQUIRED_POLICY_ARNS/],
    [{ [CONSOLE_POLICY]: 'allow all' }, /not a policy document/],
    ['[]', /not a JSON object/],
    ['{', /not JSON/],
  ])('refuses %j, naming it', (value, message) => {
    const raw = typeof value === 'string' ? value : JSON.stringify(value);
    expect(() => parseConfig({ ...env, REQUIRED_POLICY_DOCUMENTS: raw })).toThrow(message);
    expect(() => parseConfig({ ...env, REQUIRED_POLICY_DOCUMENTS: raw })).toThrow(
      'REQUIRED_POLICY_DOCUMENTS',
    );
  });
});

describe('a customer-managed policy without a pinned document', () => {
  const BOUNDARY = `arn:aws:iam::${ACCOUNT}:policy/support-boundary`;
  const problems = (overrides: Record<string, string | undefined>) => {
    try {
      parseConfig(guardEnv(overrides));
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    return [];
  };

  it('is refused by name, saying how to pin it (a required policy and the boundary alike)', () => {
    const found = problems({
      REQUIRED_POLICY_ARNS: `${SUPPORT_ACCESS},${CONSOLE_POLICY}`,
      PERMISSIONS_BOUNDARY_ARN: BOUNDARY,
    });
    expect(found).toEqual([
      {
        name: 'REQUIRED_POLICY_ARNS',
        message: expect.stringMatching(
          new RegExp(
            `"${CONSOLE_POLICY}" is customer-managed and not pinned.*REQUIRED_POLICY_DOCUMENTS.*support-role-guard init`,
          ),
        ),
      },
      {
        name: 'PERMISSIONS_BOUNDARY_ARN',
        message: expect.stringMatching(new RegExp(`"${BOUNDARY}" is customer-managed and not pinned`)),
      },
    ]);
  });

  it('is accepted once pinned; AWS-managed policies need nothing', () => {
    expect(
      problems({
        REQUIRED_POLICY_ARNS: `${SUPPORT_ACCESS},arn:aws:iam::aws:policy/AWSSupportAppFullAccess`,
        PERMISSIONS_BOUNDARY_ARN: 'arn:aws:iam::aws:policy/AWSDenyAll',
      }),
    ).toEqual([]);
    expect(
      problems({
        REQUIRED_POLICY_ARNS: `${SUPPORT_ACCESS},${CONSOLE_POLICY}`,
        PERMISSIONS_BOUNDARY_ARN: BOUNDARY,
        REQUIRED_POLICY_DOCUMENTS: JSON.stringify({ [CONSOLE_POLICY]: PINNED, [BOUNDARY]: PINNED }),
      }),
    ).toEqual([]);
  });

  it('is refused in organization mode, pinned or not, naming the ARN and why', () => {
    const found = problems({
      MEMBER_ROLE_NAME: 'SupportRoleGuardRemediation',
      REQUIRED_POLICY_ARNS: `${SUPPORT_ACCESS},${CONSOLE_POLICY}`,
      PERMISSIONS_BOUNDARY_ARN: BOUNDARY,
    });
    expect(found).toEqual([
      {
        name: 'REQUIRED_POLICY_ARNS',
        message: expect.stringMatching(
          new RegExp(
            `"${CONSOLE_POLICY}" is customer-managed: organization mode cannot pin.*docs/organizations.md`,
          ),
        ),
      },
      {
        name: 'PERMISSIONS_BOUNDARY_ARN',
        message: expect.stringMatching(new RegExp(`"${BOUNDARY}" is customer-managed: organization mode`)),
      },
    ]);
    expect(
      problems({
        MEMBER_ROLE_NAME: 'SupportRoleGuardRemediation',
        PERMISSIONS_BOUNDARY_ARN: 'arn:aws:iam::aws:policy/AWSDenyAll',
      }),
    ).toEqual([]);
  });
});

describe('policy content drift', () => {
  it('Compliance: the default version means the pinned document (order and Sid aside)', () => {
    const same = JSON.stringify({
      Version: '2012-10-17',
      Statement: { Sid: 'Console', Effect: 'Allow', Action: ['support-console:*'], Resource: '*' },
    });
    expect(detectDrift(desired, role({ [CONSOLE_POLICY]: versions(['v1', true, same]) }))).toEqual([]);
  });

  it('Noncompliance: another default version, or the policy deleted', () => {
    const changed = role({
      [CONSOLE_POLICY]: versions(['v1', false, JSON.stringify(PINNED)], ['v2', true, EVERYTHING]),
    });
    expect(detectDrift(desired, changed).map((d) => [d.kind, d.property])).toEqual([
      ['policy-content', `policyContent:${CONSOLE_POLICY}`],
    ]);
    expect(detectDrift(desired, role({ [CONSOLE_POLICY]: null }))[0]).toMatchObject({
      kind: 'policy-content',
      before: null,
    });
  });

  it('is not looked at when the policies were not read', () => {
    expect(detectDrift(desired, role(undefined))).toEqual([]);
  });
});

describe('planning the repair of a pinned policy', () => {
  const doc = JSON.stringify(PINNED);

  it('makes the version that still holds the document default again', () => {
    expect(
      planPolicyRepair('R', CONSOLE_POLICY, PINNED, versions(['v1', false, doc], ['v2', true, EVERYTHING])),
    ).toEqual([
      { api: 'SetDefaultPolicyVersion', roleName: 'R', policyArn: CONSOLE_POLICY, versionId: 'v1' },
    ]);
  });

  it('creates a new default version when the document is gone, deleting the oldest non-default at 5', () => {
    const four = versions(
      ['v2', false, EVERYTHING],
      ['v3', false, EVERYTHING],
      ['v4', false, EVERYTHING],
      ['v5', true, EVERYTHING],
    );
    const five = versions(
      ['v1', false, EVERYTHING],
      ...four.versions.map((v) => [v.versionId, v.isDefault, v.document] as [string, boolean, string]),
    );

    expect(planPolicyRepair('R', CONSOLE_POLICY, PINNED, four).map((a) => a.api)).toEqual([
      'CreatePolicyVersion',
    ]);
    const plan = planPolicyRepair('R', CONSOLE_POLICY, PINNED, five);
    expect(plan.map((a) => [a.api, 'versionId' in a ? a.versionId : ''])).toEqual([
      ['DeletePolicyVersion', 'v1'],
      ['CreatePolicyVersion', ''],
    ]);
    // The room is made before the version is created.
    expect(phases(plan).map((wave) => wave.map((a) => a.api))).toEqual([
      ['DeletePolicyVersion'],
      ['CreatePolicyVersion'],
    ]);
  });

  it('creates a deleted policy again at its path and name, before it is attached', () => {
    const drift = detectDrift(desired, {
      ...role({ [CONSOLE_POLICY]: null }),
      attachedPolicyArns: [SUPPORT_ACCESS],
    });
    const plan = planActions(desired, drift, { policies: { [CONSOLE_POLICY]: null } });
    expect(plan[0]).toEqual({
      api: 'CreatePolicy',
      roleName: desired.roleName,
      policyArn: CONSOLE_POLICY,
      policyName: 'SupportConsole',
      path: '/support/',
      policyDocument: doc,
    });
    expect(phases(plan).map((wave) => wave.map((a) => a.api))).toEqual([
      ['CreatePolicy'],
      ['AttachRolePolicy'],
    ]);
  });
});

describe('events on a pinned policy', () => {
  const event = (eventName: string, requestParameters: Record<string, unknown>) => ({
    id: 'e',
    source: 'aws.iam',
    'detail-type': 'AWS API Call via CloudTrail',
    detail: {
      eventID: 'x',
      eventSource: 'iam.amazonaws.com',
      eventName,
      requestParameters,
      userIdentity: { arn: `arn:aws:iam::${ACCOUNT}:user/mallory` },
    },
  });
  const pattern = roleMutationPattern({ roleName: desired.roleName, pinnedPolicyArns: [CONSOLE_POLICY] });

  it.each([
    [
      'CreatePolicyVersion',
      { policyArn: CONSOLE_POLICY, policyDocument: EVERYTHING, setAsDefault: true },
      true,
    ],
    ['SetDefaultPolicyVersion', { policyArn: CONSOLE_POLICY.toLowerCase(), versionId: 'v2' }, true],
    ['DeletePolicy', { policyArn: CONSOLE_POLICY }, true],
    ['DeletePolicyVersion', { policyArn: CONSOLE_POLICY, versionId: 'v1' }, false],
    [
      'CreatePolicyVersion',
      { policyArn: CONSOLE_POLICY, policyDocument: EVERYTHING, setAsDefault: false },
      false,
    ],
  ])('%s %j: matched by the rule, classified, tampering %s', (name, params, tampering) => {
    const e = event(name, params);
    const c = classifyEvent(e, { desired });
    expect(matchesPattern(pattern, e)).toBe(true);
    expect(c.kind).toBe('role-change');
    if (c.kind === 'role-change') expect(isTamperingAct(c.trigger, desired)).toBe(tampering);
  });

  it('neither matches nor classifies a change to another policy, or an AWS-managed one', () => {
    for (const arn of [`arn:aws:iam::${ACCOUNT}:policy/other`, SUPPORT_ACCESS]) {
      const e = event('SetDefaultPolicyVersion', { policyArn: arn, versionId: 'v2' });
      expect(matchesPattern(pattern, e)).toBe(false);
      expect(classifyEvent(e, { desired }).kind).toBe('ignored');
    }
    // Without pinned policies the rule is the role's alone, as before.
    expect(roleMutationPattern({ roleName: 'R' })).not.toHaveProperty('detail.$or');
  });
});
