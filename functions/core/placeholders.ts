import { buildTrustPolicy, type DesiredRole } from './desired-state.js';

/**
 * Placeholders a trusted principal ARN may hold, resolved per account at reconcile time (one
 * desired state for every account of an organization, e.g. each account's own SSO admin role:
 * `arn:${Partition}:iam::${AccountId}:role/OpsSupport`). The values come from the account the
 * guard acts in, never from an event.
 */
export const PLACEHOLDERS = ['AccountId', 'Partition'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

const PLACEHOLDER_RE = /\$\{([^}]*)\}/g;

/** Placeholder names used in a value that are not known (empty when all are). */
export function unknownPlaceholders(value: string): string[] {
  return [...value.matchAll(PLACEHOLDER_RE)]
    .map((m) => m[1] ?? '')
    .filter((name) => !(PLACEHOLDERS as readonly string[]).includes(name));
}

export function hasPlaceholders(value: string): boolean {
  return value.includes('${');
}

/** A value with each known placeholder replaced. */
export function substitute(value: string, values: Readonly<Record<Placeholder, string>>): string {
  return value.replace(PLACEHOLDER_RE, (whole, name: string) =>
    (PLACEHOLDERS as readonly string[]).includes(name) ? values[name as Placeholder] : whole,
  );
}

export interface AccountContext {
  readonly account: string;
  readonly partition: string;
}

/**
 * The desired state for one account: placeholders in the trusted principals resolved. The same
 * object when there is nothing to resolve.
 */
export function resolveDesired(desired: DesiredRole, context: AccountContext): DesiredRole {
  if (!desired.trustedPrincipalArns.some(hasPlaceholders)) return desired;
  if (!/^\d{12}$/.test(context.account))
    throw new Error(`cannot resolve \${AccountId} for ${JSON.stringify(context.account)}: not an account id`);
  const values = { AccountId: context.account, Partition: context.partition };
  const trusted = [...new Set(desired.trustedPrincipalArns.map((arn) => substitute(arn, values)))];
  return {
    ...desired,
    trustedPrincipalArns: Object.freeze(trusted),
    trustPolicy: buildTrustPolicy(trusted, desired.requireMfa),
  };
}
