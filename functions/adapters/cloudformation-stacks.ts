import {
  type CloudFormationClient,
  DescribeStackResourcesCommand,
  type StackResource,
} from '@aws-sdk/client-cloudformation';
import type { StackRef } from '../core/iac-owner.js';
import type { CallOptions, StackDirectory } from '../core/ports.js';

/**
 * The stack that holds the support role, over @aws-sdk/client-cloudformation: one
 * DescribeStackResources call with the role name as PhysicalResourceId and no StackName (the API
 * then answers with the resources of the stack the resource belongs to). CloudFormation answers
 * ValidationError ("Stack for … does not exist") when no stack holds it: that is "none". Only an
 * AWS::IAM::Role of that name that is not deleted counts (deleted stacks are answered for 90 days).
 * Stacks are regional: this finds stacks of the client's region only.
 */
export class CloudFormationStacks implements StackDirectory {
  readonly #client: CloudFormationClient;

  constructor(client: CloudFormationClient) {
    this.#client = client;
  }

  async stackHolding(roleName: string, options: CallOptions = {}): Promise<StackRef | undefined> {
    let resources: StackResource[] | undefined;
    try {
      ({ StackResources: resources } = await this.#client.send(
        new DescribeStackResourcesCommand({ PhysicalResourceId: roleName }),
        options.signal ? { abortSignal: options.signal } : {},
      ));
    } catch (error) {
      const { name, message } = error as { name?: string; message?: string };
      if (name === 'ValidationError' && /does not exist/i.test(message ?? '')) return undefined;
      throw error;
    }
    const role = (resources ?? []).find(
      (r) =>
        r.ResourceType === 'AWS::IAM::Role' &&
        r.PhysicalResourceId?.toLowerCase() === roleName.toLowerCase() &&
        r.ResourceStatus !== 'DELETE_COMPLETE',
    );
    if (!role?.StackName || !role.StackId) return undefined;
    return { stackName: role.StackName, stackId: role.StackId, logicalId: role.LogicalResourceId ?? '' };
  }
}
