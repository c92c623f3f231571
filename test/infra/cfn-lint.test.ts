import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CfnLintMissingError, cfnLint, cfnLintCommand, describeMatch } from '../support/cfn-lint.js';
import { synthGuard } from '../support/stack.js';

/**
 * cfn-lint over every synthesized template: the single-account stack, the central organization
 * stack and the member StackSet template. Zero errors and zero warnings; a warning is ignored only
 * in .cfnlintrc.yaml, by id, with its reason. When cfn-lint is missing this fails (never skips).
 */
function synthesizedTemplates(): string[] {
  const single = synthGuard({
    notifyEmails: 'oncall@example.com',
    notifyHttpsEndpoints: 'https://hooks.example.com/aws',
    // A pinned customer-managed policy: the rule's `$or` pattern and the policy-version permissions.
    requiredPolicyArns:
      'arn:aws:iam::aws:policy/AWSSupportAccess,arn:aws:iam::123456789012:policy/support/SupportConsole',
    requiredPolicyDocuments: JSON.stringify({
      'arn:aws:iam::123456789012:policy/support/SupportConsole': {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'support-console:*', Resource: '*' }],
      },
    }),
  });
  const org = synthGuard({ organizationId: 'o-abcdef1234', targetOuIds: 'ou-ab12-cdef5678' });
  const files: string[] = [];
  for (const { app, outdir } of [single, org]) {
    const assembly = app.synth();
    for (const stack of assembly.stacks) {
      files.push(join(outdir, stack.templateFile));
      for (const [id, resource] of Object.entries(
        stack.template.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>,
      )) {
        if (resource.Type !== 'AWS::CloudFormation::StackSet') continue;
        const member = join(outdir, `${stack.stackName}-${id}.member.template.json`);
        writeFileSync(member, resource.Properties.TemplateBody as string);
        files.push(member);
      }
    }
  }
  return files;
}

describe('cfn-lint', () => {
  it('finds cfn-lint, or fails saying how to install it', () => {
    expect(() => cfnLintCommand({ PATH: '/nonexistent' })).toThrow(CfnLintMissingError);
    expect(() => cfnLintCommand({ PATH: '/nonexistent' })).toThrow(/pip install cfn-lint==1\.51\.0/);
    expect(() => cfnLintCommand({ CFN_LINT: '/nonexistent/cfn-lint' })).toThrow(CfnLintMissingError);
    expect(cfnLintCommand()).toMatch(/cfn-lint$/);
  });

  it('reports every synthesized template clean: zero errors, zero unreviewed warnings', () => {
    const files = synthesizedTemplates();
    expect(files.map((f) => f.replace(/.*\//, ''))).toEqual([
      'SupportRoleGuard.template.json',
      'SupportRoleGuard.template.json',
      'SupportRoleGuardCentral.template.json',
      expect.stringMatching(/^SupportRoleGuardCentral-MembersStackSet\w+\.member\.template\.json$/),
    ]);
    expect(cfnLint(files).map(describeMatch)).toEqual([]);
  }, 300_000);

  it('does report a broken template (the check can fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'srg-cfn-lint-'));
    const broken = join(dir, 'broken.json');
    writeFileSync(
      broken,
      JSON.stringify({
        Resources: { Topic: { Type: 'AWS::SNS::Topic', Properties: { KmsMasterKeyId: { Ref: 'Missing' } } } },
      }),
    );
    const errors = cfnLint([broken]).filter((m) => m.Level === 'Error');
    expect(errors.map(describeMatch).join('\n')).toMatch(/Missing/);
  }, 120_000);
});
