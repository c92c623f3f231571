import { describe, expect, it } from 'vitest';
import { classifyEvent } from '../../functions/core/classify-event.js';
import { ROLE_MUTATION_EVENT_NAMES, roleMutationPattern } from '../../functions/core/event-pattern.js';
import { matchesPattern } from '../../functions/core/event-pattern-matcher.js';
import { guardConfig } from '../support/config.js';
import { FIXTURE_NAMES, fixture } from '../support/events.js';

const GUARD_ROLE = 'arn:aws:iam::123456789012:role/SupportRoleGuardFunctionRole';

describe('roleMutationPattern', () => {
  it('selects successful IAM calls that change the role, by any spelling of its name', () => {
    // Act
    const pattern = roleMutationPattern({ roleName: 'AWSSupportRole' });

    // Assess
    expect(pattern).toEqual({
      source: ['aws.iam'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: {
        eventSource: ['iam.amazonaws.com'],
        eventName: [...ROLE_MUTATION_EVENT_NAMES],
        requestParameters: { roleName: [{ 'equals-ignore-case': 'AWSSupportRole' }] },
        errorCode: [{ exists: false }],
      },
    });
  });

  it("leaves out the guard's own calls, but keeps callers without a session issuer", () => {
    const guard = 'arn:aws:iam::123456789012:role/guard';
    const pattern = roleMutationPattern({ roleName: 'AWSSupportRole', guardRoleArn: guard });
    expect(pattern.detail).toMatchObject({
      userIdentity: {
        sessionContext: { sessionIssuer: { arn: [{ 'anything-but': guard }, { exists: false }] } },
      },
    });
  });

  it('lists the twelve role mutations of the brief, and CreateRole', () => {
    expect(ROLE_MUTATION_EVENT_NAMES).toHaveLength(13);
    expect(ROLE_MUTATION_EVENT_NAMES).toContain('CreateRole');
  });
});

describe('the rule pattern and the classifier agree', () => {
  const config = guardConfig({ GUARD_ROLE_ARN: GUARD_ROLE });
  const pattern = roleMutationPattern({ roleName: config.desired.roleName, guardRoleArn: GUARD_ROLE });
  const events = FIXTURE_NAMES.filter((n) => n !== 'scheduled-sweep').flatMap((name) => [
    [name, fixture(name)] as const,
    [
      `${name}, role name in capitals`,
      fixture(name, { requestParameters: { roleName: 'AWSSUPPORTROLE' } }),
    ] as const,
    [`${name}, another role`, fixture(name, { requestParameters: { roleName: 'AWSSupportRole2' } })] as const,
  ]);

  it.each(events)('on %s', (_name, event) => {
    // Act
    const delivered = matchesPattern(pattern, event);
    const handled =
      classifyEvent(event, { desired: config.desired, guardRoleArn: GUARD_ROLE }).kind === 'role-change';

    // Assess
    expect(delivered).toBe(handled);
  });

  it('delivers the mutations and nothing else', () => {
    const delivered = FIXTURE_NAMES.filter((n) => matchesPattern(pattern, fixture(n)));
    expect(delivered.sort()).toEqual(
      FIXTURE_NAMES.filter(
        (n) =>
          !['failed-detach-role-policy', 'other-role-detach', 'guard-own-attach', 'scheduled-sweep'].includes(
            n,
          ),
      ).sort(),
    );
  });
});
