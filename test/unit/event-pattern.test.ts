import { describe, expect, it } from 'vitest';
import { ROLE_MUTATION_EVENT_NAMES, roleMutationPattern } from '../../functions/core/event-pattern.js';

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

  it('lists the twelve role mutations of the brief', () => {
    expect(ROLE_MUTATION_EVENT_NAMES).toHaveLength(12);
  });
});
