import { describe, expect, it } from 'vitest';
import { iacOwner, iacOwnerWarning, withStack } from '../../functions/core/iac-owner.js';

const STACK = {
  stackName: 'security-baseline',
  stackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/security-baseline/0a1b',
  logicalId: 'SupportRole',
};

describe('iacOwner: who else manages the role, by its tags', () => {
  it.each([
    [
      { 'aws-control-tower': 'managed-by-control-tower' },
      'AWS Control Tower',
      'aws-control-tower=managed-by-control-tower',
    ],
    [{ Accelerator: 'AWSAccelerator' }, 'Landing Zone Accelerator', 'Accelerator=AWSAccelerator'],
    [{ ManagedBy: 'Terraform' }, 'Terraform', 'ManagedBy=Terraform'],
    [{ terraform: 'true' }, 'Terraform', 'terraform=true'],
    [{ 'managed-by': 'pulumi' }, 'pulumi', 'managed-by=pulumi'],
  ])('%j is managed by %s', (tags, tool, evidence) => {
    expect(iacOwner(tags)).toEqual({ tool, evidence });
  });

  it.each([
    [{}],
    [{ 'managed-by': 'support-role-guard' }],
    [{ team: 'security' }],
    // CloudFormation never puts its aws:cloudformation:* system tags on IAM roles, and nobody else
    // may write aws: tags: such a tag is no evidence (the stack lookup is).
    [{ 'aws:cloudformation:stack-name': 'security-baseline' }],
  ])('%j: nobody else', (tags) => {
    expect(iacOwner(tags)).toBeUndefined();
  });

  it('a stack that holds the role means CloudFormation, named by stack and logical id', () => {
    expect(iacOwner({}, STACK)).toEqual({
      tool: 'CloudFormation',
      evidence: 'stack security-baseline, resource SupportRole',
    });
    expect(iacOwner({ ManagedBy: 'Terraform' }, STACK)?.tool).toBe('CloudFormation');
    expect(iacOwner({ 'aws-control-tower': 'managed-by-control-tower' }, STACK)?.tool).toBe(
      'AWS Control Tower',
    );
  });

  it('withStack: the stack found later wins over a generic tag, never over Control Tower or LZA', () => {
    expect(withStack(undefined, STACK)?.tool).toBe('CloudFormation');
    expect(withStack({ tool: 'Terraform', evidence: 'ManagedBy=Terraform' }, STACK)?.tool).toBe(
      'CloudFormation',
    );
    expect(
      withStack({ tool: 'Landing Zone Accelerator', evidence: 'Accelerator=AWSAccelerator' }, STACK)?.tool,
    ).toBe('Landing Zone Accelerator');
    expect(withStack({ tool: 'Terraform', evidence: 'ManagedBy=Terraform' }, undefined)?.tool).toBe(
      'Terraform',
    );
  });

  it('says whether the desired state disagrees with the other tool', () => {
    const owner = { tool: 'Terraform', evidence: 'ManagedBy=Terraform' };
    expect(iacOwnerWarning(owner, 0)).toContain('agrees with the guard');
    expect(iacOwnerWarning(owner, 2)).toContain(
      'disagrees with it (2 drift(s)): each would revert the other',
    );
  });
});
