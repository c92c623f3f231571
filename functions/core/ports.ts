import type { Notification } from './messages.js';
import type { IamAction } from './plan.js';
import type { RoleSnapshot } from './role-snapshot.js';

/**
 * Reads and writes the support role. The IAM adapter implements it over @aws-sdk/client-iam;
 * `apply` throws RoleChangedConcurrentlyError when the role changed under it (a race), and any
 * other error when the write failed after the SDK's own retries.
 */
export interface RoleStore {
  read(roleName: string): Promise<RoleSnapshot>;
  apply(action: IamAction): Promise<void>;
  /** The account's alias, for messages; undefined when there is none or it cannot be read. */
  accountAlias?(): Promise<string | undefined>;
}

/** Where notifications go (SNS topic, optional event bus). */
export interface Notifier {
  publish(notification: Notification): Promise<void>;
}

/** The time, injectable for tests. */
export type Clock = () => Date;

/** The organization's accounts (Organizations ListAccounts, or a configured list). */
export interface AccountDirectory {
  listAccounts(): Promise<readonly string[]>;
}

/**
 * The support role of one member account, reached by assuming the member remediation role there.
 * The returned store fails on first use when the role cannot be assumed (the error names why).
 */
export interface AccountAccess {
  storeFor(account: string, sessionName: string): RoleStore;
}
