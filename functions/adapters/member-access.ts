import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { IAMClient } from '@aws-sdk/client-iam';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { GuardConfig } from '../core/config.js';
import { AccountUnreachableError, describeError } from '../core/errors.js';
import { MEMBER_STACK_SET_NAME, memberRoleArn } from '../core/guard-roles.js';
import type { IamAction } from '../core/plan.js';
import type {
  AccountAccess,
  AccountDirectory,
  CallOptions,
  EnrolmentDirectory,
  RoleStore,
} from '../core/ports.js';
import type { RoleSnapshot } from '../core/role-snapshot.js';
import { type AwsClients, CLIENT_SETTINGS } from './aws-clients.js';
import { IamRoleStore } from './iam-role-store.js';
import {
  ConfiguredAccounts,
  type DirectoryOptions,
  OrganizationAccounts,
  OrganizationUnitAccounts,
} from './organization-directory.js';
import { StackSetEnrolment } from './stackset-enrolment.js';

export { ConfiguredAccounts, OrganizationAccounts, OrganizationUnitAccounts };

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

/** Sockets all member IAM clients share (IAM is one host): bounded whatever the number of accounts, well below 1,024. */
export const MEMBER_MAX_SOCKETS = 256;

/**
 * Assumes the member remediation role (one session per event) and talks to that account's IAM.
 * Every member IAM client (one per account: its own credentials) uses the same keep-alive agents:
 * a client with its own agent keeps its own sockets open, and over 1,000 accounts those would run
 * into Lambda's 1,024 file descriptors (EMFILE).
 */
export class MemberAccess implements AccountAccess {
  readonly #options: MemberAccessOptions;
  readonly #agents = {
    httpAgent: new HttpAgent({ keepAlive: true, maxSockets: MEMBER_MAX_SOCKETS }),
    httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: MEMBER_MAX_SOCKETS }),
  };

  constructor(options: MemberAccessOptions) {
    this.#options = options;
  }

  storeFor(account: string, session: string): RoleStore {
    const { sts, partition, region, memberRoleName, clientSettings } = this.#options;
    const roleArn = memberRoleArn(partition, account, memberRoleName);
    let store: Promise<IamRoleStore> | undefined;
    const open = (options: CallOptions = {}) => {
      store ??= sts
        .send(
          new AssumeRoleCommand({
            RoleArn: roleArn,
            RoleSessionName: sessionName(session),
            DurationSeconds: 900,
          }),
          options.signal ? { abortSignal: options.signal } : {},
        )
        .catch((error: unknown) => {
          // Cut short by the invocation's deadline: not a sign that the account is unreachable.
          if (error instanceof Error && error.name === 'AbortError') throw error;
          throw new AccountUnreachableError(account, `assuming ${roleArn} failed: ${describeError(error)}`, {
            cause: error,
          });
        })
        .then(({ Credentials: c }) => {
          if (!c?.AccessKeyId || !c.SecretAccessKey)
            throw new Error(`AssumeRole into ${account} returned no credentials`);
          const credentials = {
            accessKeyId: c.AccessKeyId,
            secretAccessKey: c.SecretAccessKey,
            sessionToken: c.SessionToken ?? '',
          };
          const requestHandler = {
            ...CLIENT_SETTINGS.requestHandler,
            ...(clientSettings?.requestHandler as Record<string, unknown> | undefined),
            ...this.#agents,
          };
          const iam = new IAMClient({
            ...CLIENT_SETTINGS,
            region,
            ...clientSettings,
            requestHandler,
            credentials,
          });
          return new IamRoleStore(this.#options.instrument ? this.#options.instrument(iam) : iam);
        })
        .catch((error: unknown) => {
          store = undefined;
          throw error;
        });
      return store;
    };
    return {
      read: async (roleName: string, options?: CallOptions): Promise<RoleSnapshot> =>
        (await open(options)).read(roleName, options),
      apply: async (action: IamAction, options?: CallOptions): Promise<void> =>
        (await open(options)).apply(action, options),
      accountAlias: async (options?: CallOptions) =>
        (await open(options).catch(() => undefined))?.accountAlias(options),
    };
  }
}

/**
 * Organization mode's ports: each member account through its remediation role, the account list
 * (configured, the target OUs', or the organization's) and the member StackSet's enrolment. Only the central guard's entry point imports this, so
 * the single-account bundle carries no STS or Organizations client.
 */
export function organizationPorts(
  config: GuardConfig,
  clients: AwsClients,
  memberClientSettings?: Record<string, unknown>,
  instrument?: (iam: IAMClient) => IAMClient,
  directoryOptions: DirectoryOptions = {},
): { access: AccountAccess; directory: AccountDirectory; enrolment: EnrolmentDirectory } {
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
  const organizations = () =>
    clients.organizations ?? new OrganizationsClient({ ...CLIENT_SETTINGS, region: config.region });
  const directory = organization.accountIds
    ? new ConfiguredAccounts(organization.accountIds)
    : organization.targetOuIds
      ? new OrganizationUnitAccounts(organizations(), organization.targetOuIds, directoryOptions)
      : new OrganizationAccounts(organizations(), directoryOptions);
  const enrolment = new StackSetEnrolment(
    clients.cloudformation ?? new CloudFormationClient({ ...CLIENT_SETTINGS, region: config.region }),
    MEMBER_STACK_SET_NAME,
  );
  return { access, directory, enrolment };
}
