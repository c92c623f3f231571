import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../infra/build-app.js';

export const OPS_ROLE = 'arn:aws:iam::123456789012:role/OpsSupport';

/**
 * Synthesizes the SupportRoleGuard stack from CDK context, without bundling the Lambda (unit
 * speed); `bundle: true` bundles for real with the local esbuild.
 */
export function synthGuard(context: Record<string, string> = {}, options: { bundle?: boolean } = {}) {
  const outdir = mkdtempSync(join(tmpdir(), 'srg-cdk-'));
  const app = new App({
    outdir,
    context: {
      trustedPrincipalArns: OPS_ROLE,
      region: 'us-east-1',
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...context,
    },
  });
  const { stack } = buildApp(app);
  const template = Template.fromStack(stack);
  return { app, stack, template, outdir };
}
