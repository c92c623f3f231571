/** One bad configuration value: the variable (or flag) it came from and what is expected. */
export interface ConfigProblem {
  readonly name: string;
  readonly message: string;
}

/** The configuration could not be parsed. Lists every bad value, not only the first. */
export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[], options?: ErrorOptions) {
    super(
      `invalid configuration:\n${problems.map((p) => `  - ${p.name}: ${p.message}`).join('\n')}`,
      options,
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/**
 * The role changed under the guard while it was applying a plan (EntityAlreadyExists on create,
 * NoSuchEntity mid-way, ConcurrentModification). Retrying the same write cannot help: the guard
 * re-reads the role and plans again.
 */
export class RoleChangedConcurrentlyError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RoleChangedConcurrentlyError';
    this.code = code;
  }
}

/**
 * A write that names a policy was answered NoSuchEntity for the policy itself (not the role): a
 * configuration error, unless the same reconcile has just created that policy and IAM does not
 * show it yet (eventual consistency), which the guard waits for like a race.
 */
export class MissingPolicyError extends Error {
  readonly code: string;
  readonly policyArn: string;

  constructor(code: string, policyArn: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MissingPolicyError';
    this.code = code;
    this.policyArn = policyArn;
  }
}

/**
 * PutRolePolicy refused by IAM's aggregate inline-policy quota per role (10,240 characters): an
 * attacker who filled it with inline policies of their own. When the deletes of those policies went
 * out alongside, the write is sent again once they are done.
 */
export class InlineQuotaExceededError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InlineQuotaExceededError';
    this.code = code;
  }
}

/** Remediation did not converge (after SDK retries and re-planning rounds) or a write failed. */
export class RemediationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RemediationError';
  }
}

/**
 * The writes went out, but the read-back still showed the role as before them after the bounded
 * re-reads (IAM's eventual consistency, or someone who put the same drift back): not verified.
 */
export class NotVerifiedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NotVerifiedError';
  }
}

/** The member remediation role of an account could not be assumed (the cause says why). */
export class AccountUnreachableError extends Error {
  readonly account: string;

  constructor(account: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AccountUnreachableError';
    this.account = account;
  }
}

/** Publishing the notification failed. The reconcile is idempotent, so a retry is safe. */
export class NotificationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NotificationError';
  }
}

/** A short, single-line description of any thrown value (for results, messages and logs). */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { Code?: unknown; code?: unknown }).Code ?? (error as { code?: unknown }).code;
    const prefix = typeof code === 'string' && code !== error.name ? `${code}: ` : '';
    return `${error.name}: ${prefix}${error.message}`.replace(/\s+/g, ' ').trim();
  }
  return String(error);
}
