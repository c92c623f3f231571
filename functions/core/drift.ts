import { type DesiredRole, sameIamName } from './desired-state.js';
import { canonicalPolicy, parsePolicyDocument } from './policy-document.js';
import type { PresentRole, RoleSnapshot } from './role-snapshot.js';
import { REVOCATION_POLICY_NAME, revocationCutoff } from './session-revocation.js';

/** The kinds of drift the guard knows, each checked by one small function below. */
export type DriftKind =
  | 'role-missing'
  | 'trust-policy'
  | 'inline-policy'
  | 'extra-managed-policy'
  | 'permissions-boundary'
  | 'required-policy'
  | 'description'
  | 'max-session-duration'
  | 'tag'
  | 'path'
  | 'policy-content';

/** One property of the role that differs from desired state. `null` means absent. */
export interface Drift {
  readonly kind: DriftKind;
  readonly property: string;
  readonly before: string | null;
  readonly after: string | null;
  /** False when IAM offers no way to fix it in place (a role's path cannot be changed). */
  readonly remediable: boolean;
}

const drift = (kind: DriftKind, property: string, before: string | null, after: string | null): Drift => ({
  kind,
  property,
  before,
  after,
  remediable: kind !== 'path',
});

type Check = (desired: DesiredRole, role: PresentRole, partition: string, now?: Date) => Drift[];

const trustPolicy: Check = (desired, role, partition) => {
  const wanted = canonicalPolicy(desired.trustPolicy, partition);
  let actual: string;
  try {
    actual = canonicalPolicy(parsePolicyDocument(role.trustPolicy), partition);
  } catch {
    actual = role.trustPolicy;
  }
  return actual === wanted ? [] : [drift('trust-policy', 'trustPolicy', actual, wanted)];
};

/**
 * Every inline policy is drift, but for the session revocation (the console's "Revoke active
 * sessions", or the guard's own): exactly that name and shape, with a cut-off not in the future.
 */
const inlinePolicies: Check = (_desired, role, _partition, now) =>
  [...role.inlinePolicyNames]
    .filter(
      (name) =>
        !(name === REVOCATION_POLICY_NAME && revocationCutoff(role.revocationPolicy, now) !== undefined),
    )
    .sort()
    .map((name) => drift('inline-policy', `inlinePolicy:${name}`, name, null));

const extraManagedPolicies: Check = (desired, role) =>
  role.attachedPolicyArns
    .filter((arn) => !desired.requiredPolicyArns.includes(arn))
    .sort()
    .map((arn) => drift('extra-managed-policy', `managedPolicy:${arn}`, 'attached', null));

const permissionsBoundary: Check = (desired, role) => {
  const wanted = desired.permissionsBoundaryArn ?? null;
  const actual = role.permissionsBoundaryArn ?? null;
  return wanted === actual ? [] : [drift('permissions-boundary', 'permissionsBoundary', actual, wanted)];
};

const requiredPolicies: Check = (desired, role) =>
  desired.requiredPolicyArns
    .filter((arn) => !role.attachedPolicyArns.includes(arn))
    .map((arn) => drift('required-policy', `managedPolicy:${arn}`, null, 'attached'));

const description: Check = (desired, role) =>
  role.description === desired.description
    ? []
    : [drift('description', 'description', role.description, desired.description)];

const maxSessionDuration: Check = (desired, role) =>
  role.maxSessionDuration === desired.maxSessionDuration
    ? []
    : [
        drift(
          'max-session-duration',
          'maxSessionDuration',
          String(role.maxSessionDuration),
          String(desired.maxSessionDuration),
        ),
      ];

/**
 * Tags are enforced exactly: a stray tag can grant access through ABAC (aws:PrincipalTag).
 * Keys compare case-insensitively, as IAM treats them.
 */
const tags: Check = (desired, role) => {
  const out: Drift[] = [];
  for (const [key, value] of Object.entries(desired.tags)) {
    const actualKey = Object.keys(role.tags).find((k) => sameIamName(k, key));
    const actual = actualKey === undefined ? null : (role.tags[actualKey] ?? null);
    if (actual !== value) out.push(drift('tag', `tag:${key}`, actual, value));
  }
  for (const [key, value] of Object.entries(role.tags)) {
    if (!Object.keys(desired.tags).some((k) => sameIamName(k, key)))
      out.push(drift('tag', `tag:${key}`, value, null));
  }
  return out;
};

/**
 * A pinned customer-managed policy (required or boundary) whose default version does not mean
 * exactly the configured document, or that no longer exists. Compared like the trust policy.
 */
const policyContent: Check = (desired, role, partition) => {
  const out: Drift[] = [];
  for (const [arn, document] of Object.entries(desired.policyDocuments ?? {}).sort(([a], [b]) =>
    a.localeCompare(b),
  )) {
    const read = role.policies?.[arn];
    if (read === undefined) continue; // not read (the store does not pin)
    const wanted = canonicalPolicy(document, partition);
    const current = read?.versions.find((v) => v.isDefault);
    let actual: string | null = null;
    if (current) {
      try {
        actual = canonicalPolicy(parsePolicyDocument(current.document), partition);
      } catch {
        actual = current.document;
      }
    }
    if (actual !== wanted) out.push(drift('policy-content', `policyContent:${arn}`, actual, wanted));
  }
  return out;
};

const path: Check = (desired, role) =>
  role.path === desired.path ? [] : [drift('path', 'path', role.path, desired.path)];

/** In the order the fixes are applied: take access away first, then restore what is missing. */
const CHECKS: readonly Check[] = [
  trustPolicy,
  policyContent,
  inlinePolicies,
  extraManagedPolicies,
  permissionsBoundary,
  requiredPolicies,
  description,
  maxSessionDuration,
  tags,
  path,
];

/**
 * Every way the role differs from desired state; empty when compliant. With `now`, a session
 * revocation whose cut-off lies in the future (a lock-out, not a revocation) is drift too.
 */
export function detectDrift(
  desired: DesiredRole,
  role: RoleSnapshot,
  partition = 'aws',
  now?: Date,
): Drift[] {
  if (!role.exists) return [drift('role-missing', 'role', null, desired.roleName)];
  return CHECKS.flatMap((check) => check(desired, role, partition, now));
}
