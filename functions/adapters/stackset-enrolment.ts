import { type CloudFormationClient, paginateListStackInstances } from '@aws-sdk/client-cloudformation';
import type { Enrolment, EnrolmentDirectory } from '../core/ports.js';

const PENDING = new Set(['PENDING', 'RUNNING']);

/**
 * Which accounts the member StackSet reached, from its stack instances (ListStackInstances as the
 * StackSets delegated administrator, paginated). One account has one instance per region; the
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
      { client: this.cloudformation },
      { StackSetName: this.stackSetName, CallAs: this.callAs },
    )) {
      for (const instance of page.Summaries ?? []) {
        if (!instance.Account) continue;
        const detailed = instance.StackInstanceStatus?.DetailedStatus;
        const state: Enrolment['state'] =
          detailed === 'SUCCEEDED' || (detailed === undefined && instance.Status === 'CURRENT')
            ? 'enrolled'
            : detailed && PENDING.has(detailed)
              ? 'pending'
              : 'failed';
        const detail = [detailed ?? instance.Status, instance.StatusReason].filter(Boolean).join(': ');
        byAccount.set(instance.Account, detail ? { state, detail } : { state });
      }
    }
    return byAccount;
  }
}
