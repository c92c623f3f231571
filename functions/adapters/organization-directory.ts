import {
  DescribeOrganizationCommand,
  type OrganizationsClient,
  paginateListAccounts,
  paginateListAccountsForParent,
  paginateListOrganizationalUnitsForParent,
} from '@aws-sdk/client-organizations';
import type { AccountDirectory, MemberAccount } from '../core/ports.js';

interface OrganizationAccount {
  readonly Id?: string | undefined;
  readonly State?: string | undefined;
  readonly Status?: string | undefined;
  readonly JoinedTimestamp?: Date | undefined;
}

const active = (account: OrganizationAccount): account is OrganizationAccount & { Id: string } =>
  Boolean(account.Id) && (account.State ?? account.Status) === 'ACTIVE';

const member = (account: OrganizationAccount & { Id: string }): MemberAccount =>
  account.JoinedTimestamp ? { id: account.Id, joinedAt: account.JoinedTimestamp } : { id: account.Id };

/** The management account: a service-managed StackSet never deploys there, so no sweep can reach it. */
async function managementAccount(organizations: OrganizationsClient): Promise<string | undefined> {
  const { Organization } = await organizations.send(new DescribeOrganizationCommand({}));
  return Organization?.MasterAccountId;
}

export interface DirectoryOptions {
  /** Page size of the Organizations list calls (1-20; tests use 1 to walk many pages). */
  readonly pageSize?: number;
}

/**
 * The active accounts of the target OUs and of every OU nested in them (ListAccountsForParent and
 * ListOrganizationalUnitsForParent, paginated), without the management account: exactly the
 * accounts the member StackSet deploys to.
 */
export class OrganizationUnitAccounts implements AccountDirectory {
  constructor(
    private readonly organizations: OrganizationsClient,
    private readonly targetOuIds: readonly string[],
    private readonly options: DirectoryOptions = {},
  ) {}

  async listAccounts(): Promise<readonly MemberAccount[]> {
    const client = { client: this.organizations, pageSize: this.options.pageSize ?? 20 };
    const management = await managementAccount(this.organizations);
    const accounts = new Map<string, MemberAccount>();
    const seen = new Set<string>();
    const parents = [...this.targetOuIds];
    for (let parent = parents.shift(); parent !== undefined; parent = parents.shift()) {
      if (seen.has(parent)) continue;
      seen.add(parent);
      for await (const page of paginateListAccountsForParent(client, { ParentId: parent })) {
        for (const account of page.Accounts ?? [])
          if (active(account) && account.Id !== management) accounts.set(account.Id, member(account));
      }
      for await (const page of paginateListOrganizationalUnitsForParent(client, { ParentId: parent })) {
        for (const ou of page.OrganizationalUnits ?? []) if (ou.Id) parents.push(ou.Id);
      }
    }
    return [...accounts.values()];
  }
}

/** Every active account of the organization (ListAccounts, paginated), without the management account. */
export class OrganizationAccounts implements AccountDirectory {
  constructor(
    private readonly organizations: OrganizationsClient,
    private readonly options: DirectoryOptions = {},
  ) {}

  async listAccounts(): Promise<readonly MemberAccount[]> {
    const management = await managementAccount(this.organizations);
    const accounts: MemberAccount[] = [];
    const client = { client: this.organizations, pageSize: this.options.pageSize ?? 20 };
    for await (const page of paginateListAccounts(client, {})) {
      for (const account of page.Accounts ?? [])
        if (active(account) && account.Id !== management) accounts.push(member(account));
    }
    return accounts;
  }
}

/** A configured list of accounts (MEMBER_ACCOUNT_IDS). */
export class ConfiguredAccounts implements AccountDirectory {
  constructor(private readonly ids: readonly string[]) {}

  async listAccounts(): Promise<readonly MemberAccount[]> {
    return this.ids.map((id) => ({ id }));
  }
}
