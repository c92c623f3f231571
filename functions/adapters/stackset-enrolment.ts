import {
  type CloudFormationClient,
  paginateListStackInstances,
  type StackInstanceSummary,
} from '@aws-sdk/client-cloudformation';
import type { Enrolment, EnrolmentDirectory } from '../core/ports.js';

const PENDING = new Set(['PENDING', 'RUNNING']);

/**
 * Which accounts the member StackSet reached, from its stack instances (ListStackInstances as the
 * StackSets delegated administrator, paginated, 100 a page). One account has one instance per region; the
 * member template deploys to us-east-1 only.
 */
export class StackSetEnrolment implements EnrolmentDirectory {
  constructor(
    private readonly cloudformation: CloudFormationClient,
    private readonly stackSetName: string,
    private readonly callAs: 'DELEGATED_ADMIN' | 'SELF' = 'DELEGATED_ADMIN',
  ) {}

  async enrolment(): Promise<ReadonlyMap<string, Enrolment>> {
    const byAccount = new Map<string, Enrolment>();
    for await (const page of paginateListStackInstances(
      // 100, ListStackInstances' largest page: 10 calls for 1,000 accounts.
      { client: this.cloudformation, pageSize: 100 },
      { StackSetName: this.stackSetName, CallAs: this.callAs },
    )) {
      for (const instance of page.Summaries ?? []) {
        if (instance.Account) byAccount.set(instance.Account, enrolmentOf(instance));
      }
    }
    return byAccount;
  }
}

/**
 * One account's enrolment, from its stack instance. Enrolled once the StackSet created the member
 * stack there (the instance has a StackId), whatever a later operation's status: an update that
 * failed, was cancelled or is running (Status OUTDATED) leaves the stack, and so an unreachable
 * remediation role there is a broken role, `failed`. Pending or failed only before the stack exists.
 */
export function enrolmentOf(instance: StackInstanceSummary): Enrolment {
  const detailed = instance.StackInstanceStatus?.DetailedStatus;
  const state: Enrolment['state'] =
    instance.StackId || detailed === 'SUCCEEDED' || (detailed === undefined && instance.Status === 'CURRENT')
      ? 'enrolled'
      : detailed && PENDING.has(detailed)
        ? 'pending'
        : 'failed';
  const detail = [detailed ?? instance.Status, instance.StatusReason].filter(Boolean).join(': ');
  return detail ? { state, detail } : { state };
}
