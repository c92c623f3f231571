import { describe, expect, it } from 'vitest';
import { detectDrift } from '../../functions/core/drift.js';
import { guardConfig, SUPPORT_ACCESS } from '../support/config.js';
import { compliantRole } from '../support/roles.js';

const { desired } = guardConfig();
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const FOREIGN_TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::999999999999:root' }, Action: 'sts:AssumeRole' },
  ],
});

describe('detectDrift', () => {
  it('Compliance: a role in desired state has no drift', () => {
    expect(detectDrift(desired, compliantRole(desired))).toEqual([]);
  });

  it('Compliance: a semantically equal trust policy (reordered, string principal, Sid) is not drift', () => {
    const [first, second] = desired.trustedPrincipalArns;
    const trust = {
      Statement: {
        Sid: 'x',
        Action: ['sts:assumerole'],
        Principal: { AWS: [second, first, first] },
        Effect: 'Allow',
      },
      Version: '2012-10-17',
    };
    expect(detectDrift(desired, compliantRole(desired, { trustPolicy: JSON.stringify(trust) }))).toEqual([]);
  });

  it.each([
    [
      'role missing',
      { exists: false } as const,
      [{ kind: 'role-missing', property: 'role', before: null, after: 'AWSSupportRole' }],
    ],
  ])('Noncompliance 1: %s', (_name, role, expected) => {
    expect(detectDrift(desired, role)).toMatchObject(expected);
  });

  it.each([
    [
      'required policy detached',
      { attachedPolicyArns: [] },
      {
        kind: 'required-policy',
        property: `managedPolicy:${SUPPORT_ACCESS}`,
        before: null,
        after: 'attached',
      },
    ],
    [
      'trust re-pointed at a foreign account',
      { trustPolicy: FOREIGN_TRUST },
      { kind: 'trust-policy', property: 'trustPolicy' },
    ],
    [
      'trust policy unparsable',
      { trustPolicy: '%7Bgarbage' },
      { kind: 'trust-policy', before: '%7Bgarbage' },
    ],
    [
      'extra managed policy',
      { attachedPolicyArns: [SUPPORT_ACCESS, ADMIN] },
      { kind: 'extra-managed-policy', property: `managedPolicy:${ADMIN}`, before: 'attached', after: null },
    ],
    [
      'inline policy',
      { inlinePolicyNames: ['break-glass'] },
      { kind: 'inline-policy', property: 'inlinePolicy:break-glass', before: 'break-glass', after: null },
    ],
    [
      'unexpected permissions boundary',
      { permissionsBoundaryArn: 'arn:aws:iam::aws:policy/AWSDenyAll' },
      { kind: 'permissions-boundary', before: 'arn:aws:iam::aws:policy/AWSDenyAll', after: null },
    ],
    [
      'description changed',
      { description: 'temporary' },
      { kind: 'description', before: 'temporary', after: desired.description },
    ],
    [
      'max session changed',
      { maxSessionDuration: 43200 },
      { kind: 'max-session-duration', before: '43200', after: '3600' },
    ],
    [
      'tag removed',
      { tags: {} },
      { kind: 'tag', property: 'tag:managed-by', before: null, after: 'support-role-guard' },
    ],
    [
      'tag changed',
      { tags: { 'managed-by': 'me' } },
      { kind: 'tag', before: 'me', after: 'support-role-guard' },
    ],
    [
      'tag added',
      { tags: { 'managed-by': 'support-role-guard', 'access-level': 'admin' } },
      { kind: 'tag', property: 'tag:access-level', before: 'admin', after: null },
    ],
    ['path differs', { path: '/other/' }, { kind: 'path', before: '/other/', after: '/', remediable: false }],
  ])('Noncompliance: %s', (_name, overrides, expected) => {
    const drift = detectDrift(desired, compliantRole(desired, overrides));
    expect(drift).toHaveLength(1);
    expect(drift[0]).toMatchObject({ remediable: true, ...expected });
  });

  it('Noncompliance: a missing desired boundary is drift', () => {
    const { desired: bounded } = guardConfig({
      PERMISSIONS_BOUNDARY_ARN: 'arn:aws:iam::123456789012:policy/b',
      REQUIRED_POLICY_DOCUMENTS: JSON.stringify({
        'arn:aws:iam::123456789012:policy/b': {
          Statement: [{ Effect: 'Allow', Action: 'support:*', Resource: '*' }],
        },
      }),
    });
    const drift = detectDrift(bounded, compliantRole(bounded, { permissionsBoundaryArn: undefined }));
    expect(drift).toMatchObject([
      { kind: 'permissions-boundary', before: null, after: 'arn:aws:iam::123456789012:policy/b' },
    ]);
  });

  it('Compliance: tag keys compare case-insensitively', () => {
    expect(
      detectDrift(desired, compliantRole(desired, { tags: { 'Managed-By': 'support-role-guard' } })),
    ).toEqual([]);
  });
});
