import { describe, expect, it } from 'vitest';
import { detectDrift } from '../../functions/core/drift.js';
import { describeAction, planActions } from '../../functions/core/plan.js';
import { guardConfig, SUPPORT_ACCESS } from '../support/config.js';
import { compliantRole } from '../support/roles.js';

const { desired } = guardConfig();
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';

describe('planActions', () => {
  it('creates a missing role with everything in one call, then attaches its policies', () => {
    // Act
    const actions = planActions(desired, detectDrift(desired, { exists: false }));

    // Assess
    expect(actions.map((a) => a.api)).toEqual(['CreateRole', 'AttachRolePolicy']);
    expect(actions[0]).toMatchObject({
      roleName: 'AWSSupportRole',
      description: desired.description,
      tags: desired.tags,
      trustPolicy: JSON.stringify(desired.trustPolicy),
    });
    expect(actions[1]).toMatchObject({ policyArn: SUPPORT_ACCESS });
  });

  it('takes access away before restoring, one call per batchable kind', () => {
    // Prepare
    const role = compliantRole(desired, {
      trustPolicy: '{"Version":"2012-10-17","Statement":[]}',
      attachedPolicyArns: [ADMIN],
      inlinePolicyNames: ['b', 'a'],
      permissionsBoundaryArn: 'arn:aws:iam::aws:policy/AWSDenyAll',
      description: 'x',
      maxSessionDuration: 43200,
      tags: { extra: '1' },
    });

    // Act
    const actions = planActions(desired, detectDrift(desired, role));

    // Assess
    expect(actions.map((a) => a.api)).toEqual([
      'UpdateAssumeRolePolicy',
      'DeleteRolePolicy',
      'DeleteRolePolicy',
      'DetachRolePolicy',
      'DeleteRolePermissionsBoundary',
      'AttachRolePolicy',
      'UpdateRole',
      'UntagRole',
      'TagRole',
    ]);
    expect(actions).toContainEqual({ api: 'DetachRolePolicy', roleName: 'AWSSupportRole', policyArn: ADMIN });
    expect(actions).toContainEqual({ api: 'UntagRole', roleName: 'AWSSupportRole', tagKeys: ['extra'] });
    expect(actions).toContainEqual({
      api: 'TagRole',
      roleName: 'AWSSupportRole',
      tags: { 'managed-by': 'support-role-guard' },
    });
  });

  it('restores a desired boundary with PutRolePermissionsBoundary', () => {
    const { desired: bounded } = guardConfig({
      PERMISSIONS_BOUNDARY_ARN: 'arn:aws:iam::123456789012:policy/b',
      REQUIRED_POLICY_DOCUMENTS: JSON.stringify({
        'arn:aws:iam::123456789012:policy/b': {
          Statement: [{ Effect: 'Allow', Action: 'support:*', Resource: '*' }],
        },
      }),
    });
    const actions = planActions(
      bounded,
      detectDrift(bounded, compliantRole(bounded, { permissionsBoundaryArn: undefined })),
    );
    expect(actions).toEqual([
      {
        api: 'PutRolePermissionsBoundary',
        roleName: 'AWSSupportRole',
        permissionsBoundaryArn: 'arn:aws:iam::123456789012:policy/b',
      },
    ]);
  });

  it('plans nothing for a compliant role or for drift IAM cannot fix in place', () => {
    expect(planActions(desired, detectDrift(desired, compliantRole(desired)))).toEqual([]);
    expect(planActions(desired, detectDrift(desired, compliantRole(desired, { path: '/x/' })))).toEqual([]);
  });

  it('describes every action in one line', () => {
    const role = compliantRole(desired, { attachedPolicyArns: [ADMIN], tags: {} });
    const lines = planActions(desired, detectDrift(desired, role)).map(describeAction);
    expect(lines).toEqual([`detach ${ADMIN}`, `attach ${SUPPORT_ACCESS}`, 'restore tags managed-by']);
  });
});
