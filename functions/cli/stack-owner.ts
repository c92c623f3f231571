import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CLIENT_SETTINGS } from '../adapters/aws-clients.js';
import { CloudFormationStacks } from '../adapters/cloudformation-stacks.js';
import { describeError } from '../core/errors.js';
import type { StackRef } from '../core/iac-owner.js';

/**
 * The stack of `region` that holds the role (one DescribeStackResources call). A failed lookup
 * does not stop the command: it becomes a warning that says CloudFormation could not be checked.
 */
export async function stackHoldingRole(
  region: string,
  roleName: string,
): Promise<{ readonly stack?: StackRef; readonly warning?: string }> {
  try {
    const client = new CloudFormationClient({ ...CLIENT_SETTINGS, region });
    const stack = await new CloudFormationStacks(client).stackHolding(roleName);
    return stack ? { stack } : {};
  } catch (error) {
    return {
      warning: `could not check whether a CloudFormation stack in ${region} holds the role (DescribeStackResources failed: ${describeError(error)})`,
    };
  }
}
