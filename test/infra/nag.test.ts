import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/build-app.js';
import { OPS_ROLE, synthGuard } from '../support/stack.js';

interface Report {
  pluginReports: {
    pluginName: string;
    conclusion: string;
    violations: unknown[];
    suppressedViolations?: { ruleName: string; acknowledgedReason?: string; reason?: string }[];
  }[];
}

const report = (outdir: string): Report =>
  JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));

describe('cdk-nag (AwsSolutions and Serverless packs)', () => {
  it.each([
    ['the minimal configuration', {}],
    [
      'every option',
      {
        notifyEmails: 'oncall@example.com',
        notifyHttpsEndpoints: 'https://hooks.example.com/aws',
        eventBusName: 'security-events',
        permissionsBoundaryArn: 'arn:aws:iam::123456789012:policy/boundary',
        requiredPolicyDocuments: JSON.stringify({
          'arn:aws:iam::123456789012:policy/boundary': {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 'support:*', Resource: '*' }],
          },
        }),
        mode: 'detect',
        requireMfa: 'true',
        securityHubAnnotate: 'true',
        securityHubImportFindings: 'true',
      },
    ],
  ])('has no unacknowledged finding with %s', (_name, context) => {
    // Act: every synth runs the packs and throws on a finding; read the report it wrote.
    const { app, outdir } = synthGuard(context);
    app.synth();

    // Assess
    const plugins = report(outdir).pluginReports;
    expect(plugins.map((p) => p.pluginName).sort()).toEqual(['AwsSolutions', 'Serverless']);
    for (const plugin of plugins) {
      expect(plugin.conclusion).toBe('success');
      expect(plugin.violations).toEqual([]);
    }
  });

  it('acknowledges each accepted finding with a specific reason', () => {
    const { app, outdir } = synthGuard();
    app.synth();
    const text = readFileSync(join(outdir, 'validation-report.json'), 'utf8');
    const acknowledged = report(outdir).pluginReports.flatMap((p) => p.suppressedViolations ?? []);
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const rule of new Set(acknowledged.map((a) => a.ruleName)))
      expect(rule).toMatch(/^(AwsSolutions|Serverless)-/);
    // Reasons are specific sentences, never a blanket "ok".
    for (const reason of text.matchAll(/"reason": "([^"]*)"/g))
      expect(reason[1]?.length ?? 0).toBeGreaterThan(40);
  });

  it('fails the synth on a finding (the check can fail)', () => {
    // Prepare: the same app and packs, plus an unencrypted queue without a DLQ.
    const app = new App({
      context: { trustedPrincipalArns: OPS_ROLE, region: 'us-east-1', 'aws:cdk:bundling-stacks': [] },
    });
    buildApp(app);
    new Queue(new Stack(app, 'Rogue', { env: { region: 'us-east-1' } }), 'Plain');

    // Act / Assess
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS3|Serverless-SQSRedrivePolicy/);
  });
});
