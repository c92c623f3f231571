import { IAMClient } from '@aws-sdk/client-iam';
import { OrganizationsClient, paginateListAccounts } from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { GuardConfig } from '../core/config.js';
import { memberRoleArn } from '../core/guard-roles.js';
import type { IamAction } from '../core/plan.js';
import type { AccountAccess, AccountDirectory, RoleStore } from '../core/ports.js';
import type { RoleSnapshot } from '../core/role-snapshot.js';
import { type AwsClients, CLIENT_SETTINGS } from './aws-clients.js';
import { IamRoleStore } from './iam-role-store.js';

/** A session name STS accepts ([\w+=,.@-], at most 64), naming the event that caused it. */
export function sessionName(reason: string): string {
  return `srg-${reason}`.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
}

export interface MemberAccessOptions {
  readonly sts: STSClient;
  readonly partition: string;
  readonly region: string;
  readonly memberRoleName: string;
  /** Extra client settings for the member IAM clients (the endpoint, in tests). */
  readonly clientSettings?: Record<string, unknown>;
  /** Wraps each member IAM client (the local drill counts its calls on the wire). */
  readonly instrument?: (iam: IAMClient) => IAMClient;
}

/** Assumes the member remediation role (one session per event) and talks to that account's IAM. */
export class MemberAccess implements AccountAccess {
  readonly #options: MemberAccessOptions;

  constructor(options: MemberAccessOptions) {
    this.#options = options;
  }

  storeFor(account: string, session: string): RoleStore {
    const { sts, partition, region, memberRoleName, clientSettings } = this.#options;
    let store: Promise<IamRoleStore> | undefined;
    const open = () => {
      store ??= sts
        .send(
          new AssumeRoleCommand({
            RoleArn: memberRoleArn(partition, account, memberRoleName),
            RoleSessionName: sessionName(session),
            DurationSeconds: 900,
          }),
        )
        .then(({ Credentials: c }) => {
          if (!c?.AccessKeyId || !c.SecretAccessKey)
            throw new Error(`AssumeRole into ${account} returned no credentials`);
          const credentials = {
            accessKeyId: c.AccessKeyId,
            secretAccessKey: c.SecretAccessKey,
            sessionToken: c.SessionToken ?? '',
          };
          const iam = new IAMClient({ ...CLIENT_SETTINGS, region, ...clientSettings, credentials });
          return new IamRoleStore(this.#options.instrument ? this.#options.instrument(iam) : iam);
        })
        .catch((error: unknown) => {
          store = undefined;
          throw error;
        });
      return store;
    };
    return {
      read: async (roleName: string): Promise<RoleSnapshot> => (await open()).read(roleName),
      apply: async (action: IamAction): Promise<void> => (await open()).apply(action),
      accountAlias: async () => (await open().catch(() => undefined))?.accountAlias(),
    };
  }
}

/** The organization's active accounts, paginated. */
export class OrganizationAccounts implements AccountDirectory {
  constructor(private readonly organizations: OrganizationsClient) {}

  async listAccounts(): Promise<readonly string[]> {
    const ids: string[] = [];
    for await (const page of paginateListAccounts({ client: this.organizations }, {})) {
      for (const account of page.Accounts ?? []) {
        if (account.Id && (account.State ?? account.Status) === 'ACTIVE') ids.push(account.Id);
      }
    }
    return ids;
  }
}

/** A configured list of accounts (MEMBER_ACCOUNT_IDS). */
export class ConfiguredAccounts implements AccountDirectory {
  constructor(private readonly ids: readonly string[]) {}

  async listAccounts(): Promise<readonly string[]> {
    return this.ids;
  }
}

/**
 * Organization mode's ports: each member account through its remediation role, and the account
 * list (configured, or the organization's). Only the central guard's entry point imports this, so
 * the single-account bundle carries no STS or Organizations client.
 */
export function organizationPorts(
  config: GuardConfig,
  clients: AwsClients,
  memberClientSettings?: Record<string, unknown>,
  instrument?: (iam: IAMClient) => IAMClient,
): { access: AccountAccess; directory: AccountDirectory } {
  const organization = config.organization;
  if (!organization) throw new Error('organization mode needs MEMBER_ROLE_NAME');
  const access = new MemberAccess({
    sts: clients.sts ?? new STSClient({ ...CLIENT_SETTINGS, region: config.region }),
    partition: config.partition,
    region: config.region,
    memberRoleName: organization.memberRoleName,
    ...(memberClientSettings ? { clientSettings: memberClientSettings } : {}),
    ...(instrument ? { instrument } : {}),
  });
  const directory = organization.accountIds
    ? new ConfiguredAccounts(organization.accountIds)
    : new OrganizationAccounts(
        clients.organizations ?? new OrganizationsClient({ ...CLIENT_SETTINGS, region: config.region }),
      );
  return { access, directory };
}
