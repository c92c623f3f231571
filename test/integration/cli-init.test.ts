import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { describe, expect, it } from 'vitest';
import { CONTEXT_TO_ENV } from '../../functions/core/context-keys.js';
import { isolatedAccount } from '../support/aws.js';
import { cli } from '../support/cli.js';

const SUPPORT_ACCESS = 'arn:aws:iam::aws:policy/AWSSupportAccess';
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';

const trust = (principals: unknown, condition?: unknown) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: principals },
        Action: 'sts:AssumeRole',
        ...(condition ? { Condition: condition } : {}),
      },
    ],
  });

/** The guard's environment for a context, as the stack would set it. */
const envOf = (context: Record<string, string>) =>
  Object.fromEntries(
    Object.entries(context).map(([k, v]) => [CONTEXT_TO_ENV[k as keyof typeof CONTEXT_TO_ENV], v]),
  );

describe('support-role-guard init (built CLI, emulator)', () => {
  it('adopts the role as it is: a first deploy with the printed context changes nothing', async () => {
    // Prepare: a hand-made support role with its own path, description, session, tags, MFA and an account policy.
    const a = await isolatedAccount();
    const ops = `arn:aws:iam::${a.account}:role/OpsSupport`;
    await a.clients.iam.send(
      new CreateRoleCommand({
        RoleName: 'SupportRole',
        Path: '/support/',
        Description: 'Support cases, by the platform team',
        MaxSessionDuration: 7200,
        AssumeRolePolicyDocument: trust([ops, a.account], { Bool: { 'aws:MultiFactorAuthPresent': 'true' } }),
        Tags: [{ Key: 'team', Value: 'platform' }],
      }),
    );
    const { Policy } = await a.clients.iam.send(
      new CreatePolicyCommand({
        PolicyName: 'support-console',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'support-console:*', Resource: '*' }],
        }),
      }),
    );
    for (const arn of [SUPPORT_ACCESS, Policy?.Arn ?? ''])
      await a.clients.iam.send(new AttachRolePolicyCommand({ RoleName: 'SupportRole', PolicyArn: arn }));

    // Act
    const run = await cli(['init', '--json', '--support-role-name', 'SupportRole'], a.env);

    // Assess
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({
      account: a.account,
      exists: true,
      refused: [],
      changes: [],
      context: {
        supportRoleName: 'SupportRole',
        supportRolePath: '/support/',
        supportRoleDescription: 'Support cases, by the platform team',
        maxSessionDuration: '7200',
        requireMfa: 'true',
        supportRoleTags: 'team=platform',
        trustedPrincipalArns: `${ops},arn:aws:iam::${a.account}:root`,
        requiredPolicyArns: `${SUPPORT_ACCESS},${Policy?.Arn}`,
      },
    });
    // The account's own policy is pinned with its default version's document (AWSSupportAccess needs nothing).
    expect(JSON.parse(result.context.requiredPolicyDocuments)).toEqual({
      [Policy?.Arn ?? '']: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'support-console:*', Resource: '*' }],
      },
    });
    // The guard's own audit, with that configuration, finds the role in its desired state.
    const audit = await cli(['audit', '--json'], { ...a.env, ...envOf(result.context) });
    expect(JSON.parse(audit.stdout).role).toMatchObject({ name: 'SupportRole', exists: true, drift: [] });
  });

  it('refuses by name a wildcard, a foreign account, an unknown policy and an inline policy, and exits 1', async () => {
    // Prepare
    const a = await isolatedAccount();
    await a.clients.iam.send(
      new CreateRoleCommand({
        RoleName: 'AWSSupportRole',
        AssumeRolePolicyDocument: trust([
          `arn:aws:iam::${a.account}:role/OpsSupport`,
          'arn:aws:iam::999988887777:root',
          '*',
        ]),
      }),
    );
    await a.clients.iam.send(new AttachRolePolicyCommand({ RoleName: 'AWSSupportRole', PolicyArn: ADMIN }));
    await a.clients.iam.send(
      new PutRolePolicyCommand({
        RoleName: 'AWSSupportRole',
        PolicyName: 'backdoor',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
        }),
      }),
    );

    // Act
    const json = await cli(['init', '--json'], a.env);
    const text = await cli(['init'], a.env);

    // Assess
    expect(json.code, json.stderr).toBe(1);
    const result = JSON.parse(json.stdout);
    expect(result.context).toMatchObject({
      trustedPrincipalArns: `arn:aws:iam::${a.account}:role/OpsSupport`,
      requiredPolicyArns: SUPPORT_ACCESS,
    });
    expect(result.refused.map((r: { item: string }) => r.item)).toEqual(
      expect.arrayContaining([
        'trusted principal *',
        'trusted principal arn:aws:iam::999988887777:root',
        `managed policy ${ADMIN}`,
        'inline policy backdoor',
      ]),
    );
    expect(result.refused.find((r: { item: string }) => r.item.includes('999988887777')).reason).toMatch(
      /foreign account \(999988887777\)/,
    );
    expect(result.changes.map((c: { property: string }) => c.property)).toEqual(
      expect.arrayContaining([`managedPolicy:${ADMIN}`, 'inlinePolicy:backdoor', 'trustPolicy']),
    );
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('Refused (not adopted; the guard would remove or replace these):');
    expect(text.stdout).toContain(`-c trustedPrincipalArns=arn:aws:iam::${a.account}:role/OpsSupport`);
    expect(text.stdout.trimEnd().endsWith('NOT FULLY ADOPTED')).toBe(true);
  });

  it('refuses MFA required for only some principals, naming them, and exits 1', async () => {
    // Prepare: Admin must use MFA, Ops need not; adopting either way would change one of them.
    const a = await isolatedAccount();
    const admin = `arn:aws:iam::${a.account}:role/Admin`;
    const ops = `arn:aws:iam::${a.account}:role/Ops`;
    await a.clients.iam.send(
      new CreateRoleCommand({
        RoleName: 'AWSSupportRole',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: admin },
              Action: 'sts:AssumeRole',
              Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } },
            },
            { Effect: 'Allow', Principal: { AWS: ops }, Action: 'sts:AssumeRole' },
          ],
        }),
      }),
    );
    await a.clients.iam.send(
      new AttachRolePolicyCommand({ RoleName: 'AWSSupportRole', PolicyArn: SUPPORT_ACCESS }),
    );

    // Act
    const run = await cli(['init', '--json'], a.env);

    // Assess
    expect(run.code, run.stderr).toBe(1);
    const result = JSON.parse(run.stdout);
    expect(result.context.requireMfa).toBeUndefined();
    expect(result.refused).toEqual([
      {
        item: `MFA condition (required for ${admin}; not for ${ops})`,
        reason: 'MFA required for only some principals; the guard can require it for all or none',
      },
    ]);
  });

  it('--write merges the fragment into an existing cdk.context.json, keeping its other keys', async () => {
    // Prepare
    const a = await isolatedAccount();
    await a.clients.iam.send(
      new CreateRoleCommand({
        RoleName: 'AWSSupportRole',
        AssumeRolePolicyDocument: trust(`arn:aws:iam::${a.account}:role/OpsSupport`),
      }),
    );
    await a.clients.iam.send(
      new AttachRolePolicyCommand({ RoleName: 'AWSSupportRole', PolicyArn: SUPPORT_ACCESS }),
    );
    const file = join(mkdtempSync(join(tmpdir(), 'srg-init-')), 'cdk.context.json');
    writeFileSync(file, JSON.stringify({ notifyEmails: 'oncall@example.com', supportRoleName: 'Old' }));

    // Act
    const run = await cli(['init', '--write', '--context-file', file], a.env);

    // Assess
    expect(run.stdout).toContain(`Merged into ${file}.`);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      notifyEmails: 'oncall@example.com',
      supportRoleName: 'AWSSupportRole',
      trustedPrincipalArns: `arn:aws:iam::${a.account}:role/OpsSupport`,
      requiredPolicyArns: SUPPORT_ACCESS,
    });
    // Untagged: the guard's default tag is the one thing a first deploy adds.
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('- tag:managed-by: (absent) -> support-role-guard');
  });

  it('exits 1 when the role does not exist, 2 on a bad flag or when it cannot read', async () => {
    // Prepare
    const a = await isolatedAccount();

    // Act
    const missing = await cli(['init'], a.env);
    const badFlag = await cli(['init', '--frobnicate'], a.env);
    const unreadable = await cli(['init'], {
      ...a.env,
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      AWS_MAX_ATTEMPTS: '1',
    });
    const help = await cli(['init', '--help'], {});

    // Assess
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain('does not exist: there is nothing to adopt');
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain('unknown option "--frobnicate"');
    expect(unreadable.code).toBe(2);
    expect(unreadable.stderr).toMatch(/could not read: GetCallerIdentity failed/);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: support-role-guard init');
  });
});
