import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DetachRolePolicyCommand, ListAttachedRolePoliciesCommand } from '@aws-sdk/client-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { IamRoleStore } from '../../functions/adapters/iam-role-store.js';
import { parseConfig } from '../../functions/core/config.js';
import { reconcile } from '../../functions/core/reconcile.js';
import { emulatorEnv, testClients, topicWithInbox, uniqueName } from '../support/aws.js';
import { cli } from '../support/cli.js';
import { guardEnv, SUPPORT_ACCESS } from '../support/config.js';
import { fixture } from '../support/events.js';

let aws: ReturnType<typeof testClients>;
beforeAll(() => {
  aws = testClients();
});

async function guardedRole() {
  const roleName = uniqueName('AWSSupportRole');
  const topic = await topicWithInbox(aws, uniqueName('cli-topic'));
  const env = {
    ...guardEnv({ SUPPORT_ROLE_NAME: roleName, NOTIFY_TOPIC_ARN: topic.topicArn }),
    ...emulatorEnv(),
  };
  const config = parseConfig(env);
  await reconcile({
    desired: config.desired,
    mode: 'enforce',
    store: new IamRoleStore(aws.iam),
    partition: 'aws',
  });
  return { roleName, topic, env };
}

describe('support-role-guard invoke', () => {
  it('runs the handler on an event file, restores the role and prints the result JSON', async () => {
    // Prepare
    const { roleName, topic, env } = await guardedRole();
    await aws.iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: SUPPORT_ACCESS }));
    const file = join(mkdtempSync(join(tmpdir(), 'srg-')), 'event.json');
    writeFileSync(file, JSON.stringify(fixture('detach-role-policy', { roleName })));

    // Act
    const run = await cli(['invoke', '--event', file], env);

    // Assess
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({
      outcome: 'remediated',
      eventId: fixture('detach-role-policy').detail.eventID,
      drift: [{ property: `managedPolicy:${SUPPORT_ACCESS}`, before: null, after: 'attached' }],
      actions: [{ api: 'AttachRolePolicy', status: 'succeeded' }],
    });
    const { AttachedPolicies } = await aws.iam.send(
      new ListAttachedRolePoliciesCommand({ RoleName: roleName }),
    );
    expect(AttachedPolicies?.map((p) => p.PolicyArn)).toEqual([SUPPORT_ACCESS]);
    expect((await topic.notifications()).map((m) => m.document.outcome)).toEqual(['remediated']);
    // Logs go to stderr, with the CloudTrail event id as correlation id.
    expect(run.stderr).toContain(`"correlation_id": "${fixture('detach-role-policy').detail.eventID}"`);
  });

  it('reads the event from standard input with --event -', async () => {
    const { env, roleName } = await guardedRole();
    const run = await cli(
      ['invoke', '--event', '-'],
      env,
      JSON.stringify(fixture('other-role-detach', { roleName })),
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      outcome: 'ignored',
      reason: expect.stringMatching(/DataPipelineRole/),
    });
  });

  it('exits 2 and names every bad variable when the configuration is invalid', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'srg-')), 'event.json');
    writeFileSync(file, JSON.stringify(fixture('scheduled-sweep')));
    const run = await cli(['invoke', '--event', file], {
      SUPPORT_ROLE_NAME: 'ok',
      TRUSTED_PRINCIPAL_ARNS: '*',
    });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('TRUSTED_PRINCIPAL_ARNS: "*" is a wildcard');
    expect(run.stderr).toContain('NOTIFY_TOPIC_ARN: is required');
  });

  it.each([
    [['invoke'], 2, /invoke needs --event/],
    [['invoke', '--event', '/no/such/file.json'], 2, /cannot read --event "\/no\/such\/file.json"/],
    [['invoke', '--bogus'], 2, /unknown option "--bogus"/],
    [['frobnicate'], 2, /unknown command "frobnicate"/],
  ])('refuses bad usage %j with exit %i', async (args, code, message) => {
    const run = await cli(args, {});
    expect(run.code).toBe(code);
    expect(run.stderr).toMatch(message);
  });

  it.each([[['--help']], [['invoke', '--help']]])('prints help for %j', async (args) => {
    const run = await cli(args, {});
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: support-role-guard/);
    expect(run.stdout).toMatch(/Exit codes/);
  });
});
