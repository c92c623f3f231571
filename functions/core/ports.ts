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
}

/** Where notifications go (SNS topic, optional event bus). */
export interface Notifier {
  publish(notification: import('./notification.js').Notification): Promise<void>;
}

/** The time, injectable for tests. */
export type Clock = () => Date;
