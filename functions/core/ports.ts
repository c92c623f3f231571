import type { AsffFinding, ControlFinding, FindingAnnotation, FindingFilters } from './findings.js';
import type { StackRef } from './iac-owner.js';
import type { Notification } from './messages.js';
import type { IamAction } from './plan.js';
import type { ManagedPolicyVersions, RoleSnapshot } from './role-snapshot.js';

/** Per call: `signal` aborts the call (the invocation's deadline passed). */
export interface CallOptions {
  readonly signal?: AbortSignal;
  /**
   * A read of the role: the session revocation policy may have just changed (the event names it),
   * so it is asked for alongside the other reads whatever the store last saw. Only which calls go
   * out together; what is decided comes from IAM's answers.
   */
  readonly revocationChanged?: boolean;
}

/**
 * Reads and writes the support role. The IAM adapter implements it over @aws-sdk/client-iam;
 * `apply` throws RoleChangedConcurrentlyError when the role changed under it (a race), and any
 * other error when the write failed after the SDK's own retries.
 */
export interface RoleStore {
  read(roleName: string, options?: CallOptions): Promise<RoleSnapshot>;
  apply(action: IamAction, options?: CallOptions): Promise<void>;
  /** Customer-managed policies with every version's document (null: the policy does not exist). */
  readPolicies?(
    policyArns: readonly string[],
    options?: CallOptions,
  ): Promise<Record<string, ManagedPolicyVersions | null>>;
  /** The account's alias, for messages; undefined when there is none or it cannot be read. */
  accountAlias?(options?: CallOptions): Promise<string | undefined>;
  /**
   * The latest session revocation cut-off this store has seen on the role or sent to it, if any.
   * Only a hint of whether a repair already ran after an event (the writes sent ahead of the first
   * read are then left out); what is decided comes from IAM's answers.
   */
  knownRevocationCutoff?(roleName: string): string | undefined;
}

/** Where notifications go (SNS topic, optional event bus). */
export interface Notifier {
  /**
   * `signal` aborts the calls (the invocation's deadline). `deliveryId` names the message across
   * retries of one invocation: a channel that already received it is not sent it again.
   */
  publish(
    notification: Notification,
    options?: { readonly signal?: AbortSignal; readonly deliveryId?: string },
  ): Promise<void>;
}

/** Which channels already received a message (functions/adapters/delivery-log.ts). */
export interface DeliveryLog {
  delivered(id: string, channel: string, signal?: AbortSignal): Promise<boolean>;
  record(id: string, channel: string, signal?: AbortSignal): Promise<void>;
}

/**
 * AWS Security Hub (CSPM), optional: the adapter implements it over @aws-sdk/client-securityhub.
 * Every call may throw; the guard treats Security Hub as best effort (functions/core/security-hub.ts).
 */
export interface FindingsHub {
  /** The findings that match the filters (GetFindings, paginated, bounded). */
  findings(filters: FindingFilters): Promise<readonly ControlFinding[]>;
  /** BatchUpdateFindings: the note and workflow status on each finding; returns the ids not processed. */
  annotate(findings: readonly ControlFinding[], annotation: FindingAnnotation): Promise<readonly string[]>;
  /** BatchImportFindings (creates, or updates by Id); returns the ids that failed. */
  importFindings(findings: readonly AsffFinding[]): Promise<readonly string[]>;
}

/**
 * Which CloudFormation stack holds a resource (DescribeStackResources by PhysicalResourceId, in
 * the adapter's region). Resolves undefined when no stack holds it; throws when it cannot tell.
 */
export interface StackDirectory {
  stackHolding(roleName: string, options?: CallOptions): Promise<StackRef | undefined>;
}

/** The time, injectable for tests. */
export type Clock = () => Date;

/** A member account a sweep covers; `joinedAt` when Organizations says when it joined. */
export interface MemberAccount {
  readonly id: string;
  readonly joinedAt?: Date;
}

/** The accounts a sweep covers (the target OUs' accounts, or a configured list). */
export interface AccountDirectory {
  listAccounts(): Promise<readonly MemberAccount[]>;
}

/**
 * Whether the member StackSet reached an account: `enrolled` (instance succeeded), `pending`
 * (an operation is deploying it), `failed` (the instance failed, was cancelled or is inoperable;
 * `detail` says why), `absent` (no instance for the account).
 */
export interface Enrolment {
  readonly state: 'enrolled' | 'pending' | 'failed' | 'absent';
  readonly detail?: string;
}

/** The member StackSet's instances, read once per sweep and only when an account could not be reached. */
export interface EnrolmentDirectory {
  enrolment(): Promise<ReadonlyMap<string, Enrolment>>;
}

/**
 * The support role of one member account, reached by assuming the member remediation role there.
 * The returned store fails on first use with AccountUnreachableError when the role cannot be
 * assumed (its cause names why).
 */
export interface AccountAccess {
  storeFor(account: string, sessionName: string): RoleStore;
}
