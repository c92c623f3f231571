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
