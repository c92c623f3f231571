import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DetachRolePolicyCommand, ListAttachedRolePoliciesCommand } from '@aws-sdk/client-iam';
import { describe, expect, it } from 'vitest';
import { IamRoleStore } from '../../functions/adapters/iam-role-store.js';
import { parseConfig } from '../../functions/core/config.js';
import { reconcile } from '../../functions/core/reconcile.js';
import { emulatorEnv, testClients, topicWithInbox, uniqueName } from '../support/aws.js';
import { guardEnv, SUPPORT_ACCESS } from '../support/config.js';
import { fixture } from '../support/events.js';
import { synthGuard } from '../support/stack.js';

/** The function's bundle in a synthesized app's assets. */
function guardBundle(outdir: string): string {
  const bundles = readdirSync(outdir)
    .filter((d) => d.startsWith('asset.'))
    .map((d) => join(outdir, d, 'index.mjs'))
    .filter((f) => existsSync(f) && readFileSync(f, 'utf8').includes('SUPPORT_ROLE_NAME'));
  expect(bundles).toHaveLength(1);
  return bundles[0] ?? '';
}

/** The artifact the stack deploys: bundled by the CDK with the local esbuild, then run by plain node. */
describe('the bundled Lambda asset', () => {
  it('leaves the Security Hub client out unless a Security Hub key is on (over 170 KiB of ASFF schema)', () => {
    const off = readFileSync(guardBundle(synthGuard({}, { bundle: true }).outdir), 'utf8');
    const on = readFileSync(
      guardBundle(synthGuard({ securityHubImportFindings: 'true' }, { bundle: true }).outdir),
      'utf8',
    );
    // The real client carries the ASFF shapes; the stand-in only its reason.
    expect(on).toContain('AwsSecurityFindingFilters');
    expect(off).not.toContain('AwsSecurityFindingFilters');
    expect(off).toContain('Security Hub was switched off when this function was bundled');
    expect(Buffer.byteLength(on) - Buffer.byteLength(off)).toBeGreaterThan(150 * 1024);
  });

  it('leaves the EventBridge client out unless an event bus is configured, and carries no legal comments', () => {
    const off = readFileSync(guardBundle(synthGuard({}, { bundle: true }).outdir), 'utf8');
    const on = readFileSync(
      guardBundle(synthGuard({ eventBusName: 'security-events' }, { bundle: true }).outdir),
      'utf8',
    );
    // The real client's JSON protocol names its target prefix; the stand-in only its reason.
    expect(on).toContain('AWSEvents');
    expect(off).not.toContain('AWSEvents');
    expect(off).toContain('The event bus was not configured when this function was bundled');
    expect(Buffer.byteLength(on) - Buffer.byteLength(off)).toBeGreaterThan(10 * 1024);
    // esbuild's legal comments here are coverage hints (`v8 ignore ... @preserve`), not licences.
    expect(off).not.toContain('Bundled license information');
  });

  it('loads and remediates against the emulator, with the AWS SDK inside the bundle', async () => {
    // Prepare: synthesize with bundling, find the function's asset.
    const { outdir } = synthGuard({}, { bundle: true });
    const bundles = readdirSync(outdir)
      .filter((d) => d.startsWith('asset.'))
      .map((d) => join(outdir, d, 'index.mjs'))
      .filter((f) => existsSync(f) && readFileSync(f, 'utf8').includes('SUPPORT_ROLE_NAME'));
    expect(bundles).toHaveLength(1);
    const bundle = bundles[0] ?? '';
    expect(readFileSync(bundle, 'utf8')).not.toMatch(/from\s*["']@aws-sdk\//);
    // The source map carries the mappings (stack traces under --enable-source-maps) but not the
    // sources: Node parses the whole map at cold start.
    const map = JSON.parse(readFileSync(`${bundle}.map`, 'utf8')) as {
      mappings?: string;
      sourcesContent?: unknown;
    };
    expect(map.mappings?.length).toBeGreaterThan(0);
    expect(map.sourcesContent).toBeUndefined();

    const aws = testClients();
    const roleName = uniqueName('AWSSupportRole');
    const topic = await topicWithInbox(aws, uniqueName('bundle-topic'));
    const env = {
      ...guardEnv({ SUPPORT_ROLE_NAME: roleName, NOTIFY_TOPIC_ARN: topic.topicArn }),
      ...emulatorEnv(),
      POWERTOOLS_METRICS_DISABLED: 'true',
    };
    const config = parseConfig(env);
    await reconcile({
      desired: config.desired,
      mode: 'enforce',
      store: new IamRoleStore(aws.iam),
      partition: 'aws',
    });
    await aws.iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: SUPPORT_ACCESS }));
    const script = `
      const { handler } = await import(${JSON.stringify(bundle)});
      const context = { functionName: 'f', awsRequestId: 'r', invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:f', memoryLimitInMB: '256', getRemainingTimeInMillis: () => 60000 };
      const result = await handler(${JSON.stringify(fixture('detach-role-policy', { roleName }))}, context);
      process.stdout.write('RESULT' + JSON.stringify(result));`;

    // Act: a plain node process, no node_modules resolution needed by the bundle.
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH, ...env },
      cwd: outdir,
      encoding: 'utf8',
    });

    // Assess
    const result = JSON.parse(run.stdout.slice(run.stdout.indexOf('RESULT') + 'RESULT'.length) || 'null');
    expect(result, run.stderr).toMatchObject({
      outcome: 'remediated',
      actions: [{ api: 'AttachRolePolicy', status: 'succeeded' }],
    });
    const { AttachedPolicies } = await aws.iam.send(
      new ListAttachedRolePoliciesCommand({ RoleName: roleName }),
    );
    expect(AttachedPolicies?.map((p) => p.PolicyArn)).toEqual([SUPPORT_ACCESS]);
    expect((await topic.notifications()).map((m) => m.document.outcome)).toEqual(['remediated']);
  });
});
