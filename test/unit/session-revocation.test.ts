import { describe, expect, it } from 'vitest';
import type { DesiredRole } from '../../functions/core/desired-state.js';
import { detectDrift } from '../../functions/core/drift.js';
import { describeAction, type IamAction, phases, planActions } from '../../functions/core/plan.js';
import type { PresentRole } from '../../functions/core/role-snapshot.js';
import {
  isSessionRelevantChange,
  REVOCATION_MARGIN_MS,
  REVOCATION_POLICY_NAME,
  revocationCovers,
  revocationCutoff,
  revocationCutoffAfter,
  revocationPolicy,
} from '../../functions/core/session-revocation.js';
import { guardConfig } from '../support/config.js';

const desired = guardConfig().desired;
const DENY_ALL = 'arn:aws:iam::aws:policy/AWSDenyAll';
/** The desired role with a permissions boundary of its own. */
const bounded: DesiredRole = {
  ...desired,
  permissionsBoundaryArn: 'arn:aws:iam::aws:policy/PowerUserAccess',
};
const NOW = new Date('2026-11-28T12:00:00.000Z');
/** The document the IAM console writes for "Revoke active sessions". */
const CONSOLE = JSON.stringify({
  Version: '2012-10-17',
  Statement: {
    Effect: 'Deny',
    Action: '*',
    Resource: '*',
    Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-11-28T11:47:00Z' } },
  },
});
const statement = (change: Record<string, unknown>) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-11-28T11:47:00Z' } },
        ...change,
      },
    ],
  });

function role(overrides: Partial<PresentRole> = {}): PresentRole {
  return {
    exists: true,
    roleName: desired.roleName,
    arn: `arn:aws:iam::123456789012:role/${desired.roleName}`,
    path: desired.path,
    description: desired.description,
    maxSessionDuration: desired.maxSessionDuration,
    trustPolicy: JSON.stringify(desired.trustPolicy),
    tags: desired.tags,
    attachedPolicyArns: desired.requiredPolicyArns,
    inlinePolicyNames: [],
    ...overrides,
  };
}

describe('the session revocation policy', () => {
  it('Compliance: the console document, URL-encoded or not, as a list or an object, with a Sid', () => {
    expect(revocationCutoff(CONSOLE, NOW)).toBe('2026-11-28T11:47:00Z');
    expect(revocationCutoff(encodeURIComponent(CONSOLE), NOW)).toBe('2026-11-28T11:47:00Z');
    expect(revocationCutoff(statement({ Sid: 'Revoke' }), NOW)).toBe('2026-11-28T11:47:00Z');
    expect(revocationCutoff(JSON.stringify(revocationPolicy(NOW.toISOString())), NOW)).toBe(
      NOW.toISOString(),
    );
  });

  it.each([
    ['an Allow', statement({ Effect: 'Allow' })],
    ['a narrower action', statement({ Action: 's3:*' })],
    ['a narrower resource', statement({ Resource: 'arn:aws:s3:::bucket' })],
    ['no condition (a plain Deny-all)', statement({ Condition: undefined })],
    [
      'another condition alongside',
      statement({
        Condition: {
          DateLessThan: { 'aws:TokenIssueTime': '2026-11-28T11:47:00Z' },
          StringEquals: { 'aws:username': 'x' },
        },
      }),
    ],
    ['a time that is not one', statement({ Condition: { DateLessThan: { 'aws:TokenIssueTime': 'soon' } } })],
    [
      'a cut-off in the future (a lock-out)',
      statement({ Condition: { DateLessThan: { 'aws:TokenIssueTime': '2099-01-01T00:00:00Z' } } }),
    ],
    [
      'two statements',
      JSON.stringify({ Version: '2012-10-17', Statement: [JSON.parse(CONSOLE).Statement, {}] }),
    ],
    ['not JSON', '{'],
  ])('Noncompliance: %s', (_name, document) => {
    expect(revocationCutoff(document, NOW)).toBeUndefined();
  });

  it('is not drift with the exact name and shape; is drift under another name or in another shape', () => {
    const accepted = role({ inlinePolicyNames: [REVOCATION_POLICY_NAME], revocationPolicy: CONSOLE });
    const renamed = role({ inlinePolicyNames: ['awsrevokeoldersessions'], revocationPolicy: CONSOLE });
    const changed = role({
      inlinePolicyNames: [REVOCATION_POLICY_NAME],
      revocationPolicy: statement({ Condition: undefined }),
    });

    expect(detectDrift(desired, accepted, 'aws', NOW)).toEqual([]);
    expect(detectDrift(desired, renamed, 'aws', NOW).map((d) => d.property)).toEqual([
      'inlinePolicy:awsrevokeoldersessions',
    ]);
    expect(detectDrift(desired, changed, 'aws', NOW).map((d) => d.property)).toEqual([
      `inlinePolicy:${REVOCATION_POLICY_NAME}`,
    ]);
  });
});

describe('planning the revocation', () => {
  const revoke = { revokeSessionsBefore: NOW };

  it.each([
    ['the trust policy', role({ trustPolicy: '{"Version":"2012-10-17","Statement":[]}' })],
    ['the session duration', role({ maxSessionDuration: 43_200 })],
    [
      'an added managed policy',
      role({
        attachedPolicyArns: [...desired.requiredPolicyArns, 'arn:aws:iam::aws:policy/AdministratorAccess'],
      }),
    ],
    ['an added inline policy', role({ inlinePolicyNames: ['backdoor'] })],
    [
      'another permissions boundary than the desired one',
      role({ permissionsBoundaryArn: DENY_ALL }),
      bounded,
    ],
  ])(
    'revokes sessions issued before the repair when %s drifted, with access taken away',
    (_name, drifted, wanted = desired) => {
      const actions = planActions(wanted, detectDrift(wanted, drifted, 'aws', NOW), revoke);

      const put = actions.find((a) => a.api === 'PutRolePolicy');
      expect(put).toEqual({
        api: 'PutRolePolicy',
        roleName: desired.roleName,
        policyName: 'AWSRevokeOlderSessions',
        policyDocument: JSON.stringify(revocationPolicy('2026-11-28T12:00:00.000Z')),
        cutoff: '2026-11-28T12:00:00.000Z',
      });
      // With the writes that take access away (the inline deletes too), before any restore.
      const waves = phases(actions);
      const at = waves.findIndex((w) => w.some((a) => a.api === 'PutRolePolicy'));
      for (const wave of waves.slice(at + 1))
        expect(wave.map((a) => a.api)).not.toContain('DeleteRolePolicy');
      for (const wave of waves.slice(0, at))
        for (const api of ['AttachRolePolicy', 'UpdateRole', 'TagRole', 'CreatePolicyVersion'])
          expect(wave.map((a) => a.api)).not.toContain(api);
    },
  );

  it.each([
    ['a tag', role({ tags: {} })],
    ['the description', role({ description: 'changed' })],
    ['a detached required policy', role({ attachedPolicyArns: [] })],
  ])('does not revoke when only %s drifted', (_name, drifted) => {
    const actions = planActions(desired, detectDrift(desired, drifted, 'aws', NOW), revoke);
    expect(actions.map((a) => a.api)).not.toContain('PutRolePolicy');
  });

  it('does not revoke when REVOKE_SESSIONS is off, and then removes a changed revocation policy', () => {
    const changed = role({
      inlinePolicyNames: [REVOCATION_POLICY_NAME],
      revocationPolicy: statement({ Condition: undefined }),
    });
    const drift = detectDrift(desired, changed, 'aws', NOW);

    expect(planActions(desired, drift).map((a) => [a.api, 'policyName' in a ? a.policyName : ''])).toEqual([
      ['DeleteRolePolicy', REVOCATION_POLICY_NAME],
    ]);
    // On: the changed policy is overwritten with a fresh cut-off, not deleted first.
    expect(planActions(desired, drift, revoke).map((a) => a.api)).toEqual(['PutRolePolicy']);
  });
});

describe('the revocation and the inline quota', () => {
  it("goes out with the deletes of the attacker's inline policies, before the restores (one round trip)", () => {
    const drifted = role({
      inlinePolicyNames: ['filler-a', 'filler-b'],
      maxSessionDuration: 43_200,
      attachedPolicyArns: [],
    });
    const waves = phases(
      planActions(desired, detectDrift(desired, drifted, 'aws', NOW), { revokeSessionsBefore: NOW }),
    );

    expect(waves.map((w) => w.map((a) => a.api))).toEqual([
      // (UpdateRole shortening the sessions takes access away too: with the deletes; a revocation
      // the quota refuses while they are under way is sent again after them: reconcile.test.ts)
      ['DeleteRolePolicy', 'DeleteRolePolicy', 'PutRolePolicy', 'UpdateRole'],
      ['AttachRolePolicy'],
    ]);
  });
});

describe('the cut-off', () => {
  it('lies REVOCATION_MARGIN_MS (2 minutes) after the repair, within the accepted future', () => {
    expect(revocationCutoffAfter(NOW).toISOString()).toBe('2026-11-28T12:02:00.000Z');
    expect(REVOCATION_MARGIN_MS).toBeGreaterThanOrEqual(60_000);
    const written = JSON.stringify(revocationPolicy(revocationCutoffAfter(NOW).toISOString()));
    expect(revocationCutoff(written, NOW)).toBe('2026-11-28T12:02:00.000Z');
  });

  it('is said in the message', () => {
    const [put] = planActions(
      desired,
      detectDrift(desired, role({ maxSessionDuration: 43_200 }), 'aws', NOW),
      {
        revokeSessionsBefore: revocationCutoffAfter(NOW),
      },
    );
    expect(describeAction(put as IamAction)).toBe(
      'revoke every session issued before 2026-11-28T12:02:00.000Z (2 minutes after the repair, while IAM applies it everywhere; inline policy AWSRevokeOlderSessions)',
    );
  });
});

describe('events that revoke whatever the read shows', () => {
  const event = (eventName: string, requestParameters: Record<string, unknown> = {}) => ({
    eventName,
    requestParameters,
  });

  it.each([
    'UpdateAssumeRolePolicy',
    'AttachRolePolicy',
    'PutRolePolicy',
    'PutRolePermissionsBoundary',
    'DeleteRolePermissionsBoundary',
    'CreateRole',
    'CreatePolicyVersion',
    'SetDefaultPolicyVersion',
    'DeletePolicyVersion',
  ])('%s is session-relevant', (name) => {
    expect(isSessionRelevantChange(event(name), bounded)).toBe(true);
  });

  it('a boundary set or removed is session-relevant only when the desired role has a boundary', () => {
    // A boundary only caps what the identity policies grant: on a role that should have none,
    // setting one narrows it, and removing it gives back the desired role. Neither lets anyone in.
    for (const name of ['PutRolePermissionsBoundary', 'DeleteRolePermissionsBoundary']) {
      expect(isSessionRelevantChange(event(name), desired), name).toBe(false);
      expect(isSessionRelevantChange(event(name), bounded), name).toBe(true);
    }
    expect(isSessionRelevantChange(event('AttachRolePolicy'), desired)).toBe(true);
  });

  it('a boundary on a role that should have none is removed without revoking; another boundary than the desired one revokes', () => {
    const capped = detectDrift(desired, role({ permissionsBoundaryArn: DENY_ALL }), 'aws', NOW);
    expect(capped.map((d) => d.kind)).toEqual(['permissions-boundary']);
    expect(planActions(desired, capped, { revokeSessionsBefore: NOW }).map((a) => a.api)).toEqual([
      'DeleteRolePermissionsBoundary',
    ]);
    const widened = detectDrift(bounded, role({ permissionsBoundaryArn: DENY_ALL }), 'aws', NOW);
    expect(
      planActions(bounded, widened, { revokeSessionsBefore: NOW })
        .map((a) => a.api)
        .sort(),
    ).toEqual(['PutRolePermissionsBoundary', 'PutRolePolicy']);
    const removed = detectDrift(bounded, role(), 'aws', NOW);
    expect(
      planActions(bounded, removed, { revokeSessionsBefore: NOW })
        .map((a) => a.api)
        .sort(),
    ).toEqual(['PutRolePermissionsBoundary', 'PutRolePolicy']);
  });

  it('UpdateRole only with MaxSessionDuration; tags, descriptions, detaches and deletes are not', () => {
    expect(isSessionRelevantChange(event('UpdateRole', { maxSessionDuration: 43_200 }), desired)).toBe(true);
    expect(isSessionRelevantChange(event('UpdateRole', { description: 'x' }), desired)).toBe(false);
    for (const name of [
      'TagRole',
      'UntagRole',
      'UpdateRoleDescription',
      'DetachRolePolicy',
      'DeleteRolePolicy',
      'DeleteRole',
    ])
      expect(isSessionRelevantChange(event(name), bounded), name).toBe(false);
  });

  it('plans the revocation for a compliant role when asked to revoke regardless', () => {
    const actions = planActions(desired, [], { revokeSessionsBefore: NOW, revokeRegardless: true });
    expect(actions.map((a) => a.api)).toEqual(['PutRolePolicy']);
    expect(planActions(desired, [], { revokeSessionsBefore: NOW })).toEqual([]);
  });
});

describe('a revocation already in place', () => {
  it('covers a change when its cut-off is at least the margin after the change; else a new one is written', () => {
    expect(revocationCovers('2026-11-28T12:02:00.000Z', '2026-11-28T12:00:00Z')).toBe(true);
    expect(revocationCovers('2026-11-28T12:01:59.000Z', '2026-11-28T12:00:00Z')).toBe(false);
    expect(revocationCovers(undefined, '2026-11-28T12:00:00Z')).toBe(false);
    expect(revocationCovers('2026-11-28T12:02:00.000Z', undefined)).toBe(false);
    expect(revocationCovers('2026-11-28T12:02:00.000Z', 'not a time')).toBe(false);
  });
});
