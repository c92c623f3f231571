import type { StackInstanceSummary } from '@aws-sdk/client-cloudformation';
import { describe, expect, it } from 'vitest';
import { enrolmentOf } from '../../functions/adapters/stackset-enrolment.js';

const STACK_ID = 'arn:aws:cloudformation:us-east-1:222233334444:stack/StackSet-SupportRoleGuardMembers-1/abc';
const instance = (over: Partial<StackInstanceSummary>): StackInstanceSummary => ({
  Account: '222233334444',
  Region: 'us-east-1',
  ...over,
});

// An account whose remediation role cannot be assumed is `failed` when the StackSet enrolled it
// (its stack exists: a member admin broke the role), `not-enrolled` only when the StackSet has not
// created its stack yet. The states StackSets reports during updates must not hide the former.
describe('which accounts the member StackSet enrolled (ListStackInstances summaries)', () => {
  it.each([
    ['CURRENT', 'SUCCEEDED'],
    ['OUTDATED', 'FAILED'],
    ['OUTDATED', 'CANCELLED'],
    ['OUTDATED', 'RUNNING'],
    ['OUTDATED', 'PENDING'],
    ['INOPERABLE', 'INOPERABLE'],
  ] as const)(
    'a stack that exists (%s, %s) is enrolled: an unreachable role there is failed',
    (Status, DetailedStatus) => {
      expect(
        enrolmentOf(instance({ Status, StackId: STACK_ID, StackInstanceStatus: { DetailedStatus } })).state,
      ).toBe('enrolled');
    },
  );

  it('no stack yet: deploying is pending, a failed or cancelled first deployment is failed (not enrolled)', () => {
    const first = (DetailedStatus: 'RUNNING' | 'PENDING' | 'FAILED' | 'CANCELLED') =>
      enrolmentOf(
        instance({ Status: 'OUTDATED', StatusReason: 'why', StackInstanceStatus: { DetailedStatus } }),
      );
    expect(first('RUNNING')).toEqual({ state: 'pending', detail: 'RUNNING: why' });
    expect(first('PENDING').state).toBe('pending');
    expect(first('FAILED')).toEqual({ state: 'failed', detail: 'FAILED: why' });
    expect(first('CANCELLED').state).toBe('failed');
  });
});
