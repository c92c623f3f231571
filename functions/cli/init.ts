import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { IAMClient } from '@aws-sdk/client-iam';
import { OrganizationsClient, paginateListAccounts } from '@aws-sdk/client-organizations';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { CLIENT_SETTINGS } from '../adapters/aws-clients.js';
import { IamRoleStore } from '../adapters/iam-role-store.js';
import { type Adoption, adoptablePolicyArns, adoptRole, type Refusal } from '../core/adoption.js';
import { partitionOfRegion } from '../core/arn.js';
import { parseConfig } from '../core/config.js';
import { DEFAULT_ROLE_NAME, environmentOf } from '../core/context-keys.js';
import { detectDrift } from '../core/drift.js';
import { ConfigError, describeError } from '../core/errors.js';
import { type IacOwner, iacOwner, iacOwnerWarning } from '../core/iac-owner.js';
import type { DriftEntry } from '../core/results.js';
import type { PresentRole } from '../core/role-snapshot.js';
import { type CommandIo, EXIT, UsageError } from './io.js';
import { parseCommandArgs } from './options.js';
import { stackHoldingRole } from './stack-owner.js';

export const INIT_HELP = `Usage: support-role-guard init [--write] [--context-file PATH] [--json]

Reads the support role and the account as they are now (read-only) and prints the CDK context
flags, and a cdk.context.json fragment, that make the guard's desired state equal to the role:
a first deploy then changes nothing unexpected. What it would not adopt is refused by name,
never adopted silently: a wildcard principal, a principal of an account outside this account
(and its organization, when Organizations can be listed), a managed policy other than
AWSSupportAccess and this account's own policies, an inline policy, a trust condition other
than MFA. This account's own (customer-managed) policies and boundary are adopted with their
content pinned (requiredPolicyDocuments: each one's default version as read now), so that
nobody can later widen them with a new policy version unseen. It also says when another tool
(CloudFormation, Terraform, Control Tower, LZA) manages the role.

Options:
  --support-role-name NAME  the role to read (default: SUPPORT_ROLE_NAME, else ${DEFAULT_ROLE_NAME})
  --write                   merge the fragment into the context file (other keys are kept)
  --context-file PATH       the file --write merges into (default: cdk.context.json)
  --json                    print the result as JSON
  -h, --help                show this help

Credentials and region: the standard AWS variables (AWS_REGION, AWS_PROFILE, ...).

Exit codes:
  0  everything adopted: with these flags a first deploy changes nothing
  1  something was refused, or a first deploy would still change the role (both listed);
     the role does not exist
  2  bad usage, an unreadable context file, or the role or account could not be read (the failing
     API call is named)`;

interface InitResult {
  readonly account: string;
  readonly roleName: string;
  readonly exists: boolean;
  readonly context: Adoption['context'];
  readonly refused: readonly Refusal[];
  /** What a first deploy with this context would still change (found -> desired). */
  readonly changes: readonly DriftEntry[];
  readonly managedBy?: IacOwner;
  readonly organization: 'listed' | 'not listed';
  readonly written?: string;
}

/** A step that failed: names the API so that "could not read" says exactly what was refused. */
class ReadError extends Error {
  constructor(api: string, cause: unknown) {
    super(`${api} failed: ${describeError(cause)}`, { cause });
    this.name = 'ReadError';
  }
}

async function step<T>(api: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw new ReadError(api, error);
  }
}

/** The organization's accounts when these credentials may list them (management or delegated admin). */
async function organizationAccounts(region: string): Promise<string[] | undefined> {
  try {
    const organizations = new OrganizationsClient({ ...CLIENT_SETTINGS, maxAttempts: 2, region });
    const ids: string[] = [];
    for await (const page of paginateListAccounts({ client: organizations }, {}))
      for (const a of page.Accounts ?? []) if (a.Id) ids.push(a.Id);
    return ids;
  } catch {
    return undefined;
  }
}

/** What a first deploy with this context would change, by the guard's own drift check. */
function changesOf(adoption: Adoption, role: PresentRole, region: string, refused: Refusal[]): DriftEntry[] {
  try {
    const config = parseConfig(environmentOf(adoption.context, region));
    return detectDrift(config.desired, role, config.partition).map(({ property, before, after }) => ({
      property,
      before,
      after,
    }));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const p of error.problems) refused.push({ item: p.name, reason: p.message });
    return [];
  }
}

/** Merges the fragment into a cdk.context.json, keeping every other key. */
function mergeContextFile(path: string, context: Adoption['context']): void {
  let existing: Record<string, unknown> = {};
  if (existsSync(path)) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('not an object');
      existing = parsed as Record<string, unknown>;
    } catch (error) {
      throw new UsageError(`init: ${path} is not a JSON object (${describeError(error)}); nothing written`);
    }
  }
  writeFileSync(path, `${JSON.stringify({ ...existing, ...context }, null, 2)}\n`);
}

const quote = (value: string): string =>
  /^[\w.,:/=@+-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;

function render(r: InitResult): string {
  const lines = [`support-role-guard init: role ${r.roleName} in account ${r.account}`, ''];
  if (!r.exists) {
    lines.push(
      `The role ${r.roleName} does not exist: there is nothing to adopt. The guard creates it on its`,
      'first deploy with the settings you choose (trustedPrincipalArns is required).',
    );
    return lines.join('\n');
  }
  const entries = Object.entries(r.context);
  lines.push(
    "Context that makes the guard's desired state the role as it is:",
    `  ${entries.map(([k, v]) => `-c ${k}=${quote(v)}`).join(' \\\n  ')}`,
    '',
    'cdk.context.json fragment:',
    JSON.stringify(r.context, null, 2),
  );
  if (r.refused.length > 0)
    lines.push(
      '',
      'Refused (not adopted; the guard would remove or replace these):',
      ...r.refused.map((x) => `  - ${x.item}: ${x.reason}`),
    );
  lines.push('', 'A first deploy with this context would change:');
  if (r.changes.length === 0) lines.push('  nothing');
  for (const d of r.changes)
    lines.push(`  - ${d.property}: ${d.before ?? '(absent)'} -> ${d.after ?? '(absent)'}`);
  if (r.managedBy) lines.push('', `Managed by: ${iacOwnerWarning(r.managedBy, r.changes.length)}`);
  if (r.organization === 'not listed')
    lines.push('', 'The organization could not be listed: principals of other accounts count as foreign.');
  if (r.written) lines.push('', `Merged into ${r.written}.`);
  lines.push('', r.refused.length === 0 && r.changes.length === 0 ? 'ADOPTED' : 'NOT FULLY ADOPTED');
  return lines.join('\n');
}

export async function initCommand(args: readonly string[], io: CommandIo): Promise<number> {
  const { values, env } = parseCommandArgs('init', args, {
    write: { type: 'boolean' },
    'context-file': { type: 'string' },
  });
  if (values.help) {
    io.out(INIT_HELP);
    return EXIT.ok;
  }
  const region = env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || 'us-east-1';
  const roleName = env.SUPPORT_ROLE_NAME?.trim() || DEFAULT_ROLE_NAME;
  const contextFile =
    typeof values['context-file'] === 'string' ? values['context-file'] : 'cdk.context.json';
  let result: InitResult;
  try {
    const sts = new STSClient({ ...CLIENT_SETTINGS, region });
    const { Account } = await step('GetCallerIdentity', () => sts.send(new GetCallerIdentityCommand({})));
    const account = Account ?? '';
    const iam = new IAMClient({ ...CLIENT_SETTINGS, region });
    const store = new IamRoleStore(iam);
    const read = await step('GetRole/ListAttachedRolePolicies/ListRolePolicies', () => store.read(roleName));
    // Customer-managed policies are adopted with their content pinned: their default version now.
    const pinnable = read.exists ? adoptablePolicyArns({ role: read, account }) : [];
    const role =
      read.exists && pinnable.length > 0
        ? {
            ...read,
            policies: await step('ListPolicyVersions/GetPolicyVersion', () => store.readPolicies(pinnable)),
          }
        : read;
    if (!role.exists) {
      result = {
        account,
        roleName,
        exists: false,
        context: {},
        refused: [],
        changes: [],
        organization: 'not listed',
      };
    } else {
      const orgAccounts = await organizationAccounts(region);
      const adoption = adoptRole({
        role,
        account,
        partition: partitionOfRegion(region),
        ...(orgAccounts ? { organizationAccounts: orgAccounts } : {}),
      });
      const refused = [...adoption.refused];
      const changes = changesOf(adoption, role, region, refused);
      const holder = await stackHoldingRole(region, role.roleName);
      if (holder.warning) io.err(`support-role-guard: ${holder.warning}`);
      const owner = iacOwner(role.tags, holder.stack);
      if (values.write) mergeContextFile(contextFile, adoption.context);
      result = {
        account,
        roleName: role.roleName,
        exists: true,
        context: adoption.context,
        refused,
        changes,
        ...(owner ? { managedBy: owner } : {}),
        organization: orgAccounts ? 'listed' : 'not listed',
        ...(values.write ? { written: contextFile } : {}),
      };
    }
  } catch (error) {
    if (!(error instanceof ReadError)) throw error;
    if (values.json) io.out(JSON.stringify({ read: false, error: error.message }, null, 2));
    io.err(`support-role-guard: could not read: ${error.message}`);
    return EXIT.usage;
  }
  io.out(values.json ? JSON.stringify(result, null, 2) : render(result));
  return result.exists && result.refused.length === 0 && result.changes.length === 0 ? EXIT.ok : EXIT.failure;
}
