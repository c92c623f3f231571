import { accountOfArn, POLICY_ARN_RE, supportAccessPolicyArn, TRUST_PRINCIPAL_ARN_RE } from './arn.js';
import type { ContextKey } from './context-keys.js';
import { DEFAULT_DESCRIPTION, DEFAULT_MAX_SESSION_DURATION } from './desired-state.js';
import { type PolicyDocument, parsePolicyDocument } from './policy-document.js';
import type { PresentRole } from './role-snapshot.js';

/**
 * `support-role-guard init`: the context that makes the guard's desired state what the role is
 * now, so that a first deploy changes nothing unexpected. What the guard would not adopt (a
 * wildcard principal, another account's principal, a policy it does not know, an inline policy,
 * a condition it cannot express) is refused by name, never adopted silently.
 */

export interface Refusal {
  /** What was not adopted, as found on the role. */
  readonly item: string;
  readonly reason: string;
}

export interface Adoption {
  /** Context keys and values (as `-c key=value` and in cdk.context.json). */
  readonly context: Readonly<Partial<Record<ContextKey, string>>>;
  readonly refused: readonly Refusal[];
}

export interface AdoptionInput {
  readonly role: PresentRole;
  /** The account the role is in (STS GetCallerIdentity). */
  readonly account: string;
  readonly partition: string;
  /** The organization's accounts, when they can be listed: their principals are adopted too. */
  readonly organizationAccounts?: readonly string[];
}

const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);
const show = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

const MFA_CONDITION = JSON.stringify({ Bool: { 'aws:MultiFactorAuthPresent': 'true' } });

/** The trusted principals the guard can adopt, whether they all require MFA, and what it refuses. */
function adoptTrust(input: AdoptionInput, refused: Refusal[]): { principals: string[]; requireMfa: boolean } {
  const { account, partition } = input;
  const known = new Set([account, ...(input.organizationAccounts ?? [])]);
  let document: Record<string, unknown>;
  try {
    document = parsePolicyDocument(input.role.trustPolicy);
  } catch {
    refused.push({ item: 'trust policy', reason: 'is not a readable policy document' });
    return { principals: [], requireMfa: false };
  }
  const principals: string[] = [];
  const mfa: boolean[] = [];
  // Per adopted principal: whether every statement granting it requires MFA.
  const mfaOf = new Map<string, boolean>();
  for (const statement of asList(document.Statement) as Record<string, unknown>[]) {
    if (statement?.Effect !== 'Allow') {
      refused.push({
        item: `trust statement ${show(statement)}`,
        reason: 'only Allow statements are adopted',
      });
      continue;
    }
    const actions = asList(statement.Action).map(show);
    for (const action of actions.filter((a) => a.toLowerCase() !== 'sts:assumerole'))
      refused.push({ item: `trust action ${action}`, reason: 'the guard trusts for sts:AssumeRole only' });
    const condition = statement.Condition === undefined ? undefined : JSON.stringify(statement.Condition);
    if (condition !== undefined && condition !== MFA_CONDITION) {
      refused.push({
        item: `trust condition ${condition}`,
        reason: 'the guard can express only the MFA condition (requireMfa)',
      });
    }
    mfa.push(condition === MFA_CONDITION);
    const principal = statement.Principal;
    if (principal === '*') {
      refused.push({
        item: 'trusted principal "*"',
        reason: 'a wildcard principal: anyone could assume the role',
      });
      continue;
    }
    const byType =
      typeof principal === 'object' && principal !== null ? (principal as Record<string, unknown>) : {};
    for (const [type, values] of Object.entries(byType)) {
      if (type !== 'AWS') {
        for (const v of asList(values))
          refused.push({
            item: `trusted ${type} principal ${show(v)}`,
            reason: 'the guard trusts IAM principals (AWS) only',
          });
        continue;
      }
      for (const raw of asList(values).map(show)) {
        const arn = /^\d{12}$/.test(raw) ? `arn:${partition}:iam::${raw}:root` : raw;
        const owner = accountOfArn(arn);
        if (arn.includes('*'))
          refused.push({ item: `trusted principal ${raw}`, reason: 'a wildcard principal' });
        else if (/^A[A-Z]{3}[A-Z0-9]{12,}$/.test(raw))
          refused.push({
            item: `trusted principal ${raw}`,
            reason: 'a unique id: the principal it named was deleted',
          });
        else if (!TRUST_PRINCIPAL_ARN_RE.test(arn))
          refused.push({
            item: `trusted principal ${raw}`,
            reason: 'not an IAM principal ARN the guard accepts',
          });
        else if (owner === undefined || !known.has(owner))
          refused.push({
            item: `trusted principal ${raw}`,
            reason: `a foreign account (${owner ?? 'unknown'}): outside this account${input.organizationAccounts ? ' and its organization' : ' (the organization could not be listed)'}`,
          });
        else {
          if (!principals.includes(arn)) principals.push(arn);
          mfaOf.set(arn, (mfaOf.get(arn) ?? true) && condition === MFA_CONDITION);
        }
      }
    }
  }
  const withMfa = principals.filter((p) => mfaOf.get(p));
  const without = principals.filter((p) => !mfaOf.get(p));
  if (withMfa.length > 0 && without.length > 0) {
    // Adopting neither would remove MFA from some principals on the first deploy; say so.
    refused.push({
      item: `MFA condition (required for ${withMfa.join(', ')}; not for ${without.join(', ')})`,
      reason: 'MFA required for only some principals; the guard can require it for all or none',
    });
  }
  return { principals, requireMfa: mfa.length > 0 && mfa.every(Boolean) };
}

/** The managed policies the guard adopts: AWSSupportAccess and this account's own policies. */
function adoptPolicies(input: AdoptionInput, refused: Refusal[]): string[] {
  const support = supportAccessPolicyArn(input.partition);
  const adopted = [support];
  for (const arn of input.role.attachedPolicyArns) {
    if (arn === support) continue;
    if (POLICY_ARN_RE.test(arn) && accountOfArn(arn) === input.account) adopted.push(arn);
    else
      refused.push({
        item: `managed policy ${arn}`,
        reason: arn.includes(':iam::aws:policy/')
          ? 'an AWS managed policy other than AWSSupportAccess: an unknown policy the guard does not adopt'
          : "not one of this account's policies: an unknown policy the guard does not adopt",
      });
  }
  return adopted;
}

const isAwsManaged = (arn: string): boolean => /^arn:[\w-]+:iam::aws:policy\//.test(arn);

/**
 * The customer-managed policies an adoption would require (this account's attached policies and
 * the boundary): their content must be pinned, so init reads their versions into `role.policies`.
 */
export function adoptablePolicyArns(input: Pick<AdoptionInput, 'role' | 'account'>): string[] {
  const { role, account } = input;
  const arns = role.attachedPolicyArns.filter(
    (arn) => !isAwsManaged(arn) && POLICY_ARN_RE.test(arn) && accountOfArn(arn) === account,
  );
  const boundary = role.permissionsBoundaryArn;
  if (boundary && !isAwsManaged(boundary) && !arns.includes(boundary)) arns.push(boundary);
  return arns;
}

/**
 * The pinned document of each customer-managed policy the adoption requires: its default
 * version as read now (configuration from then on, never from an event). One that cannot be
 * pinned (not read, deleted, unreadable) is refused and left out.
 */
function pinDocuments(
  role: PresentRole,
  arns: readonly string[],
  refused: Refusal[],
): { pinned: Record<string, PolicyDocument>; unpinned: Set<string> } {
  const pinned: Record<string, PolicyDocument> = {};
  const unpinned = new Set<string>();
  for (const arn of arns) {
    const versions = role.policies?.[arn];
    const document = versions?.versions.find((v) => v.isDefault)?.document;
    let reason: string | undefined;
    if (versions === undefined) reason = 'its versions were not read, so its content cannot be pinned';
    else if (versions === null) reason = 'the policy does not exist';
    else if (document === undefined) reason = 'it has no default version to pin';
    else {
      try {
        pinned[arn] = parsePolicyDocument(document);
      } catch {
        reason = 'its default version is not a readable policy document';
      }
    }
    if (reason !== undefined) {
      unpinned.add(arn);
      refused.push({ item: `managed policy ${arn}`, reason: `customer-managed, not pinned: ${reason}` });
    }
  }
  return { pinned, unpinned };
}

/** The context that makes the guard's desired state the role as it is, and what it refuses. */
export function adoptRole(input: AdoptionInput): Adoption {
  const { role } = input;
  const refused: Refusal[] = [];
  const context: Partial<Record<ContextKey, string>> = { supportRoleName: role.roleName };
  const trust = adoptTrust(input, refused);
  if (trust.principals.length > 0) context.trustedPrincipalArns = trust.principals.join(',');
  else
    refused.push({
      item: 'trustedPrincipalArns',
      reason: 'no principal could be adopted: choose them yourself',
    });
  if (trust.requireMfa) context.requireMfa = 'true';
  const { pinned, unpinned } = pinDocuments(role, adoptablePolicyArns(input), refused);
  context.requiredPolicyArns = adoptPolicies(input, refused)
    .filter((arn) => !unpinned.has(arn))
    .join(',');
  for (const name of role.inlinePolicyNames)
    refused.push({
      item: `inline policy ${name}`,
      reason: 'the guard allows no inline policy on the role: it would delete it',
    });
  if (role.path !== '/') context.supportRolePath = role.path;
  if (role.description !== DEFAULT_DESCRIPTION && role.description !== '')
    context.supportRoleDescription = role.description;
  if (role.maxSessionDuration !== DEFAULT_MAX_SESSION_DURATION)
    context.maxSessionDuration = String(role.maxSessionDuration);
  if (role.permissionsBoundaryArn && !unpinned.has(role.permissionsBoundaryArn))
    context.permissionsBoundaryArn = role.permissionsBoundaryArn;
  if (Object.keys(pinned).length > 0) context.requiredPolicyDocuments = JSON.stringify(pinned);
  const tags: string[] = [];
  for (const [key, value] of Object.entries(role.tags)) {
    if (key.toLowerCase().startsWith('aws:')) continue; // system tags (CloudFormation's): not the guard's to set
    if (/[,=]/.test(key) || value.includes(','))
      refused.push({
        item: `tag ${key}=${value}`,
        reason: 'a comma or "=" in it cannot be written as supportRoleTags',
      });
    else tags.push(`${key}=${value}`);
  }
  if (tags.length > 0) context.supportRoleTags = tags.join(',');
  return { context, refused };
}
