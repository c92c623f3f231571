import {
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateGroupCommand,
  CreatePolicyCommand,
  CreateUserCommand,
  DetachRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import { describe, expect, it } from 'vitest';
import { IamRoleStore } from '../../functions/adapters/iam-role-store.js';
import { parseConfig } from '../../functions/core/config.js';
import { reconcile } from '../../functions/core/reconcile.js';
import { liveDrill } from '../../functions/local/live-drill.js';
import { emulatorEndpoint, isolatedAccount, uniqueName } from '../support/aws.js';
import { cli } from '../support/cli.js';

const SUPPORT_ACCESS = 'arn:aws:iam::aws:policy/AWSSupportAccess';
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';

/** A fresh account on the emulator, its environment for the CLI, and (optionally) the role in desired state. */
async function account(options: { withRole?: boolean } = {}) {
  const acct = await isolatedAccount();
  const env = {
    ...acct.env,
    SUPPORT_ROLE_NAME: 'AWSSupportRole',
    TRUSTED_PRINCIPAL_ARNS: `arn:aws:iam::${acct.account}:role/OpsSupport`,
  };
  const config = parseConfig(env);
  const store = new IamRoleStore(acct.clients.iam);
  if (options.withRole)
    await reconcile({ desired: config.desired, mode: 'enforce', store, partition: 'aws' });
  const attached = async () =>
    (
      (await acct.clients.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'AWSSupportRole' })))
        .AttachedPolicies ?? []
    )
      .map((p) => p.PolicyArn)
      .sort();
  return { ...acct, env, config, store, attached };
}

describe('support-role-guard audit', () => {
  it('exits 0 on a compliant account and lists who holds AWSSupportAccess', async () => {
    const a = await account({ withRole: true });
    const run = await cli(['audit', '--json'], a.env);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({
      compliant: true,
      cis: { compliant: true, policyArn: SUPPORT_ACCESS, roles: ['AWSSupportRole'], users: [], groups: [] },
      role: { name: 'AWSSupportRole', exists: true, drift: [] },
    });
    // AWSSupportAccess (v4, as the emulator ships it) grants support-console:* too: no warning.
    expect(report.warnings).toEqual([]);
  });

  it('warns when the required policies do not grant the Support Center console', async () => {
    const a = await account();
    const { Policy } = await a.clients.iam.send(
      new CreatePolicyCommand({
        PolicyName: 'support-api-only',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'support:*', Resource: '*' }],
        }),
      }),
    );
    const document = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'support:*', Resource: '*' }],
    };
    const arn = Policy?.Arn ?? '';
    const run = await cli(
      [
        'audit',
        '--json',
        '--required-policy-arns',
        arn,
        '--required-policy-documents',
        JSON.stringify({ [arn]: document }),
      ],
      a.env,
    );
    expect(JSON.parse(run.stdout).warnings).toEqual([
      expect.stringMatching(/do not grant support-console:\*.*pin its document in REQUIRED_POLICY_DOCUMENTS/),
    ]);
    // Unpinned, the customer-managed policy is refused as configuration, by name, saying how to pin it.
    const unpinned = await cli(['audit', '--json', '--required-policy-arns', arn], a.env);
    expect(unpinned.code).toBe(2);
    expect(unpinned.stderr).toContain(`"${arn}" is customer-managed and not pinned`);
    expect(unpinned.stderr).toContain('support-role-guard init');
  });

  it('names the role principals that REQUIRE_MFA would lock out', async () => {
    const a = await account();
    const run = await cli(['audit', '--json'], { ...a.env, REQUIRE_MFA: 'true' });
    expect(JSON.parse(run.stdout).warnings).toEqual([
      `REQUIRE_MFA=true, but ${a.env.TRUSTED_PRINCIPAL_ARNS} is a role: role sessions (IAM Identity Center / SSO and federated ones included) never carry aws:MultiFactorAuthPresent, so it can never assume the support role; trust IAM users instead, or set REQUIRE_MFA=false`,
    ]);
  });

  it('exits 1 when AWSSupportAccess is held only by a user and a group, and the role is missing', async () => {
    const a = await account();
    await a.clients.iam.send(new CreateUserCommand({ UserName: 'carol' }));
    await a.clients.iam.send(new AttachUserPolicyCommand({ UserName: 'carol', PolicyArn: SUPPORT_ACCESS }));
    await a.clients.iam.send(new CreateGroupCommand({ GroupName: 'support' }));
    await a.clients.iam.send(
      new AttachGroupPolicyCommand({ GroupName: 'support', PolicyArn: SUPPORT_ACCESS }),
    );

    const json = await cli(['audit', '--json'], a.env);
    const text = await cli(['audit'], a.env);

    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      compliant: false,
      cis: { compliant: false, roles: [], users: ['carol'], groups: ['support'] },
      role: { exists: false, drift: [{ property: 'role', before: null, after: 'AWSSupportRole' }] },
    });
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('FAIL: no role holds it (users or groups do not count)');
    expect(text.stdout).toContain('Guarded role AWSSupportRole: MISSING');
    expect(text.stdout.trimEnd().endsWith('NOT COMPLIANT')).toBe(true);
  });

  it('exits 1 and lists each drift of the guarded role', async () => {
    const a = await account({ withRole: true });
    await a.clients.iam.send(new AttachRolePolicyCommand({ RoleName: 'AWSSupportRole', PolicyArn: ADMIN }));
    const run = await cli(['audit'], a.env);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`- managedPolicy:${ADMIN}: attached -> (absent)`);
  });

  it('exits 2 and names the API when it cannot check', async () => {
    const a = await account();
    const run = await cli(['audit'], {
      ...a.env,
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      AWS_MAX_ATTEMPTS: '1',
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/could not check: ListEntitiesForPolicy failed/);
  });

  it('takes its configuration from flags over the environment', async () => {
    const a = await account({ withRole: true });
    const run = await cli(['audit', '--json', '--support-role-name', 'SomeOtherRole'], a.env);
    expect(JSON.parse(run.stdout).role).toMatchObject({ name: 'SomeOtherRole', exists: false });
  });
});

describe('support-role-guard reconcile', () => {
  it('--dry-run prints the plan and changes nothing', async () => {
    const a = await account({ withRole: true });
    await a.clients.iam.send(new AttachRolePolicyCommand({ RoleName: 'AWSSupportRole', PolicyArn: ADMIN }));

    const run = await cli(['reconcile', '--dry-run', '--json'], a.env);

    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({
      dryRun: true,
      mode: 'detect',
      outcome: 'drift-detected',
      drift: [{ property: `managedPolicy:${ADMIN}`, before: 'attached', after: null }],
      actions: [
        { api: 'PutRolePolicy', status: 'planned' },
        { api: 'DetachRolePolicy', status: 'planned' },
      ],
    });
    expect(await a.attached()).toEqual([ADMIN, SUPPORT_ACCESS].sort());
  });

  it('repairs the role, prints what it did and exits 0', async () => {
    const a = await account({ withRole: true });
    await a.clients.iam.send(
      new DetachRolePolicyCommand({ RoleName: 'AWSSupportRole', PolicyArn: SUPPORT_ACCESS }),
    );

    const run = await cli(['reconcile'], a.env);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`- AttachRolePolicy: succeeded (attach ${SUPPORT_ACCESS})`);
    expect(run.stdout).toContain('Outcome: remediated');
    expect(await a.attached()).toEqual([SUPPORT_ACCESS]);
  });

  it('exits 2 on a bad configuration value, naming it', async () => {
    const run = await cli(['reconcile', '--guard-mode', 'fix'], {
      SUPPORT_ROLE_NAME: 'R',
      TRUSTED_PRINCIPAL_ARNS: 'arn:aws:iam::123456789012:root',
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('GUARD_MODE: "fix" is not a mode');
  });
});

describe('support-role-guard drill', () => {
  it('runs a scenario against a running emulator and prints the report as JSON', async () => {
    const run = await cli(
      [
        'drill',
        '--endpoint',
        emulatorEndpoint(),
        '--scenario',
        'detach-support-access',
        '--json',
        '--support-role-name',
        uniqueName('R'),
      ],
      {},
    );
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ passed: true, endpoint: emulatorEndpoint() });
    expect(report.scenarios).toEqual([
      expect.objectContaining({
        name: 'detach-support-access',
        passed: true,
        restored: true,
        notifications: [expect.objectContaining({ outcome: 'remediated' })],
        iamCalls: expect.objectContaining({ writes: 1 }),
      }),
    ]);
    expect(run.stderr).toContain('[1/1] PASS AWSSupportAccess detached');
  });

  it('prints progress and a summary table for people', async () => {
    const run = await cli(
      [
        'drill',
        '--endpoint',
        emulatorEndpoint(),
        '--scenario',
        'other-role',
        '--support-role-name',
        uniqueName('R'),
      ],
      {},
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /Scenario +Drift seen +Restored +Notified +Restore ms +IAM reads +IAM writes +Round trips +Result/,
    );
    expect(run.stdout).toMatch(/change to another role -> ignored +- \(filtered\) +unchanged +none/);
    expect(run.stdout).toContain('All 1 scenarios passed.');
  });

  it('--show-messages prints the e-mail on-call would receive, with the trust change in words', async () => {
    // Act
    const run = await cli(
      [
        'drill',
        '--endpoint',
        emulatorEndpoint(),
        '--scenario',
        'trust-foreign-account',
        '--show-messages',
        '--support-role-name',
        uniqueName('R'),
      ],
      {},
    );

    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('--- e-mail: [support-role-guard] REMEDIATED:');
    expect(run.stdout).toContain(
      'now also trusts arn:aws:iam::999999999999:root — another account (not 123456789012), not in the desired set',
    );
    expect(run.stdout).not.toContain('"Statement"');
    expect(run.stdout).toMatch(
      /--- chat \(Amazon Q Developer in chat applications, thread support-role-guard-123456789012-[0-9a-f]{8}\):/,
    );
    expect(run.stdout).toContain(':white_check_mark: REMEDIATED: ');
  });

  it.each([
    [['drill', '--scenario', 'nope'], /unknown scenario "nope"; known: detach-support-access/],
    [['drill', '--account', '123456789012'], /--account and --timeout only go with --live/],
    [['drill', '--live'], /drill --live needs --account/],
    [['drill', '--accounts', '99'], /--accounts "99" is not a number of accounts from 1 to 20/],
    [
      ['drill', '--live', '--account', '123456789012', '--timeout', '1'],
      /--timeout "1" is not a number of seconds/,
    ],
  ])('refuses %j with exit 2', async (args, message) => {
    const run = await cli(args, {
      SUPPORT_ROLE_NAME: 'R',
      TRUSTED_PRINCIPAL_ARNS: 'arn:aws:iam::123456789012:root',
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });
});

describe('support-role-guard drill --live', () => {
  it('refuses to touch an account other than --account', async () => {
    const a = await account({ withRole: true });
    const run = await cli(['drill', '--live', '--account', '999999999999'], a.env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`drill refused: the credentials belong to account ${a.account}`);
    expect(await a.attached()).toEqual([SUPPORT_ACCESS]);
  });

  it('restores the role itself and exits 1 when no guard puts it back in time', async () => {
    const a = await account({ withRole: true });
    const run = await cli(['drill', '--live', '--account', a.account, '--timeout', '5', '--json'], {
      ...a.env,
      SRG_LIVE_POLL_MS: '500',
    });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({
      account: a.account,
      restoredBy: 'drill',
      secondsToRestore: null,
    });
    expect(await a.attached()).toEqual([SUPPORT_ACCESS]);
  });

  it('measures the time the deployed guard takes to restore the role', async () => {
    // Prepare: a "deployed guard" that reconciles while the drill waits.
    const a = await account({ withRole: true });
    let polls = 0;
    const sleep = async () => {
      polls++;
      if (polls === 2)
        await reconcile({ desired: a.config.desired, mode: 'enforce', store: a.store, partition: 'aws' });
    };

    // Act
    const result = await liveDrill({
      config: a.config,
      account: a.account,
      iam: a.clients.iam,
      sts: a.clients.sts,
      timeoutMs: 10_000,
      pollMs: 0,
      sleep,
    });

    // Assess
    expect(result).toMatchObject({
      restoredBy: 'guard',
      roleName: 'AWSSupportRole',
      policyArn: SUPPORT_ACCESS,
    });
    expect(result.secondsToRestore).not.toBeNull();
    expect(polls).toBe(2);
    expect(await a.attached()).toEqual([SUPPORT_ACCESS]);
  });
});
