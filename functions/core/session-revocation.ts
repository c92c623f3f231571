import { canonicalPolicy, type PolicyDocument, parsePolicyDocument } from './policy-document.js';

/**
 * Revoking the role's sessions the way the IAM console's "Revoke active sessions" does: an inline
 * policy of this name that denies everything to sessions issued before a cut-off time. Policies
 * are evaluated at request time, so a session the attacker obtained while the role was open stops
 * working as soon as IAM applies the policy; sessions issued after the cut-off are not affected.
 */
export const REVOCATION_POLICY_NAME = 'AWSRevokeOlderSessions';

/** A cut-off further in the future than this is not a revocation but a lock-out (drift). */
export const MAX_FUTURE_CUTOFF_MS = 5 * 60_000;

/**
 * How far after the repair the guard's cut-off lies. The cut-off is taken when the repair is
 * planned, before the restored trust policy and session duration are in effect everywhere (IAM
 * applies a change within seconds, at worst a minute or two): a session issued meanwhile under the
 * attacker's trust must still be before the cut-off. Sessions issued by the trusted principals in
 * these 2 minutes are revoked too (they assume the role again). Well within MAX_FUTURE_CUTOFF_MS,
 * so the guard's own revocation is accepted when read back.
 */
export const REVOCATION_MARGIN_MS = 2 * 60_000;

/** The cut-off for a repair planned at `repairTime`: REVOCATION_MARGIN_MS later. */
export function revocationCutoffAfter(repairTime: Date): Date {
  return new Date(repairTime.getTime() + REVOCATION_MARGIN_MS);
}

/**
 * CloudTrail events (by anyone but the guard) whose call could have let someone in or given the
 * role more permissions while it lasted: the trust, the session duration, an added managed or
 * inline policy, the boundary (where one is desired), a role created by someone else, a pinned policy's versions. Such an
 * event revokes sessions whatever the guard then reads, since the change may already have been
 * undone (by the attacker, or by an earlier attempt whose revocation failed). The event is only the
 * trigger: the revocation's content (Deny before the guard's cut-off) is the guard's own.
 */
const SESSION_RELEVANT_EVENTS: ReadonlySet<string> = new Set([
  'UpdateAssumeRolePolicy',
  'AttachRolePolicy',
  'PutRolePolicy',
  'PutRolePermissionsBoundary',
  'DeleteRolePermissionsBoundary',
  'CreateRole',
  'CreatePolicyVersion',
  'SetDefaultPolicyVersion',
  'DeletePolicyVersion',
]);

/**
 * True when a revocation already on the role (`cutoff`, as read) covers a change made at
 * `changeTime` (the event's CloudTrail time): its cut-off is at least REVOCATION_MARGIN_MS after
 * it, as a revocation for that change would be. A repeated delivery, a retry after the revocation
 * was written, or the next event of the same attack then writes nothing more. Without a time, or
 * without a revocation, it does not.
 */
export function revocationCovers(cutoff: string | undefined, changeTime: string | undefined): boolean {
  if (cutoff === undefined || changeTime === undefined) return false;
  const change = Date.parse(changeTime);
  return !Number.isNaN(change) && Date.parse(cutoff) >= change + REVOCATION_MARGIN_MS;
}

/** The boundary's events: a boundary only caps the role, so they matter only where one is desired. */
const BOUNDARY_EVENTS: ReadonlySet<string> = new Set([
  'PutRolePermissionsBoundary',
  'DeleteRolePermissionsBoundary',
]);

/**
 * True for an event that names a session-relevant change (UpdateRole: only with MaxSessionDuration;
 * a boundary set or removed: only when the desired role has a boundary, since on a role that should
 * have none a boundary narrows it and its removal gives back the desired role).
 */
export function isSessionRelevantChange(
  event: {
    readonly eventName: string;
    readonly requestParameters: Readonly<Record<string, unknown>>;
  },
  desired: { readonly permissionsBoundaryArn?: string | undefined },
): boolean {
  if (event.eventName === 'UpdateRole') return event.requestParameters.maxSessionDuration !== undefined;
  if (BOUNDARY_EVENTS.has(event.eventName)) return desired.permissionsBoundaryArn !== undefined;
  return SESSION_RELEVANT_EVENTS.has(event.eventName);
}

/** The console's document, to the letter: Deny * on * to sessions issued before `cutoff`. */
export function revocationPolicy(cutoff: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: {
      Effect: 'Deny',
      Action: '*',
      Resource: '*',
      Condition: { DateLessThan: { 'aws:TokenIssueTime': cutoff } },
    },
  };
}

/**
 * The cut-off of a revocation policy, when the document has exactly the console's shape (the same
 * statement, compared by meaning, with one ISO 8601 time) and its cut-off is not in the future;
 * undefined for anything else (which is then an inline policy like any other, and removed).
 */
export function revocationCutoff(raw: string | undefined, now?: Date): string | undefined {
  if (raw === undefined) return undefined;
  let document: PolicyDocument;
  try {
    document = parsePolicyDocument(raw);
  } catch {
    return undefined;
  }
  const statements = Array.isArray(document.Statement) ? document.Statement : [document.Statement];
  if (statements.length !== 1) return undefined;
  const condition = (statements[0] as { Condition?: { DateLessThan?: Record<string, unknown> } } | undefined)
    ?.Condition?.DateLessThan;
  const keys = Object.keys(condition ?? {});
  if (keys.length !== 1 || keys[0]?.toLowerCase() !== 'aws:tokenissuetime') return undefined;
  const cutoff = condition?.[keys[0]];
  if (typeof cutoff !== 'string' || !/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?Z$/.test(cutoff))
    return undefined;
  const time = Date.parse(cutoff);
  if (Number.isNaN(time)) return undefined;
  if (canonicalPolicy(document) !== canonicalPolicy(revocationPolicy(cutoff))) return undefined;
  if (now !== undefined && time > now.getTime() + MAX_FUTURE_CUTOFF_MS) return undefined;
  return cutoff;
}
