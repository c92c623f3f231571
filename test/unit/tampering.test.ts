import { describe, expect, it } from 'vitest';
import { classifyEvent } from '../../functions/core/classify-event.js';
import { isTamperingAct } from '../../functions/core/tampering.js';
import { guardConfig, SUPPORT_ACCESS } from '../support/config.js';
import { fixture } from '../support/events.js';

const { desired } = guardConfig();

function tampering(name: string, requestParameters?: Record<string, unknown>): boolean {
  const c = classifyEvent(fixture(name, requestParameters ? { requestParameters } : {}), { desired });
  if (c.kind !== 'role-change') throw new Error(`${name} is not a role change`);
  return isTamperingAct(c.trigger, desired);
}

describe('isTamperingAct', () => {
  it('takes a role created with the desired trust and no boundary for no tampering', () => {
    const doc = JSON.stringify(desired.trustPolicy);
    expect(tampering('create-role', { assumeRolePolicyDocument: doc })).toBe(false);
    expect(
      tampering('create-role', { assumeRolePolicyDocument: doc, permissionsBoundary: SUPPORT_ACCESS }),
    ).toBe(true);
  });

  it.each([
    'detach-role-policy',
    'delete-role',
    'update-assume-role-policy',
    'attach-role-policy',
    'put-role-policy',
    'put-role-permissions-boundary',
    'update-role',
    'update-role-description',
    'tag-role',
    'untag-role',
    'create-role',
  ])('%s as recorded is tampering', (name) => {
    expect(tampering(name)).toBe(true);
  });

  it.each([
    ['removing an inline policy', 'delete-role-policy', undefined],
    ['removing a boundary nobody asked for', 'delete-role-permissions-boundary', undefined],
    ['attaching a required policy', 'attach-role-policy', { policyArn: SUPPORT_ACCESS }],
    [
      'detaching an extra policy',
      'detach-role-policy',
      { policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
    ],
    [
      'writing the desired trust policy',
      'update-assume-role-policy',
      { policyDocument: JSON.stringify(desired.trustPolicy) },
    ],
    ['restoring the description', 'update-role-description', { description: desired.description }],
    ['setting the desired max session', 'update-role', { maxSessionDuration: 3600 }],
    ['restoring a desired tag', 'tag-role', { tags: [{ key: 'managed-by', value: 'support-role-guard' }] }],
    ['removing a stray tag', 'untag-role', { tagKeys: ['access-level'] }],
  ])('%s is benign', (_label, name, params) => {
    expect(tampering(name, params)).toBe(false);
  });

  it('counts a shape it cannot read as tampering', () => {
    expect(tampering('tag-role', { tags: 'x' })).toBe(true);
    expect(tampering('update-assume-role-policy', { policyDocument: '%%%' })).toBe(true);
  });
});
