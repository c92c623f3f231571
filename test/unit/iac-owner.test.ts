import { describe, expect, it } from 'vitest';
import { iacOwner, iacOwnerWarning } from '../../functions/core/iac-owner.js';

describe('iacOwner: who else manages the role, by its tags', () => {
  it.each([
    [
      { 'aws:cloudformation:stack-name': 'security-baseline', 'aws:cloudformation:logical-id': 'R' },
      'CloudFormation',
      'aws:cloudformation:stack-name=security-baseline',
    ],
    [
      { 'aws-control-tower': 'managed-by-control-tower' },
      'AWS Control Tower',
      'aws-control-tower=managed-by-control-tower',
    ],
    [
      { 'aws:cloudformation:stack-name': 'StackSet-AWSControlTowerBP-BASELINE-ROLES-1' },
      'CloudFormation',
      'aws:cloudformation:stack-name=StackSet-AWSControlTowerBP-BASELINE-ROLES-1',
    ],
    [{ Accelerator: 'AWSAccelerator' }, 'Landing Zone Accelerator', 'Accelerator=AWSAccelerator'],
    [{ ManagedBy: 'Terraform' }, 'Terraform', 'ManagedBy=Terraform'],
    [{ terraform: 'true' }, 'Terraform', 'terraform=true'],
    [{ 'managed-by': 'pulumi' }, 'pulumi', 'managed-by=pulumi'],
  ])('%j is managed by %s', (tags, tool, evidence) => {
    expect(iacOwner(tags)).toEqual({ tool, evidence });
  });

  it.each([[{}], [{ 'managed-by': 'support-role-guard' }], [{ team: 'security' }]])(
    '%j: nobody else',
    (tags) => {
      expect(iacOwner(tags)).toBeUndefined();
    },
  );

  it('says whether the desired state disagrees with the other tool', () => {
    const owner = { tool: 'Terraform', evidence: 'ManagedBy=Terraform' };
    expect(iacOwnerWarning(owner, 0)).toContain('agrees with the guard');
    expect(iacOwnerWarning(owner, 2)).toContain(
      'disagrees with it (2 drift(s)): each would revert the other',
    );
  });
});
