/**
 * The largest role an attacker can build within IAM's quotas (docs.aws.amazon.com/IAM/latest/
 * UserGuide/reference_iam-quotas.html), for message-size tests: 50 tags (key 128, value 256
 * characters), 10 inline policies whose documents fill the role's aggregate inline-policy quota
 * of 10,240 non-whitespace characters, 20 attached managed policies (the raised quota) with long
 * paths and names, a 1,000-character description. Names and values use the characters IAM allows
 * that cost most on the wire: multi-byte letters (3 UTF-8 bytes) where Unicode letters are allowed,
 * and `"` / `\` (escaped twice inside the MessageStructure=json message) where ASCII is allowed.
 */

/** Deterministic text of exactly `length` characters from `alphabet`, varied by `seed`. */
export function filler(alphabet: string, length: number, seed: number): string {
  const chars = [...alphabet];
  let out = '';
  for (let i = 0; i < length; i++) out += chars[(seed * 31 + i * 7) % chars.length];
  return out;
}

/** Tag keys and values: Unicode letters, numbers, spaces and `_.:/=+-@` (IAM's tag pattern). */
export const TAG_ALPHABET = 'Ωж漢字テスト_.:/=+-@aZ09';
/** Inline policy names: basic Latin except `\ / * ?` and space; `"` costs most. */
export const POLICY_NAME_ALPHABET = '"<>&\'"a-=+,.@_"';
/** Managed policy paths: U+0021–U+007F, `\` and `"` cost most. */
export const PATH_ALPHABET = '\\"\\"<>&a';
/** Role descriptions: tab, newline, CR, U+0020–U+007E, U+00A1–U+00FF. */
export const DESCRIPTION_ALPHABET = '"\\\n\té\u00ff<a';

export interface WorstCaseRole {
  readonly tags: { Key: string; Value: string }[];
  readonly inlinePolicies: { name: string; document: string }[];
  /** Managed policies to create and attach: path and name. */
  readonly managedPolicies: { path: string; name: string }[];
  readonly description: string;
}

/** A policy document of exactly `size` non-whitespace characters (IAM's measure). */
function policyOfSize(size: number, seed: number): string {
  const head =
    '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::';
  const tail = '"}]}';
  return `${head}${filler('abcdefghij', size - head.length - tail.length, seed)}${tail}`;
}

export function worstCaseRole(seed = 1): WorstCaseRole {
  return {
    tags: Array.from({ length: 50 }, (_, i) => ({
      // Unique keys (IAM compares them case-insensitively): the index leads.
      Key: `${String(i).padStart(2, '0')}${filler(TAG_ALPHABET, 126, seed + i)}`,
      Value: filler(TAG_ALPHABET, 256, seed + 100 + i),
    })),
    inlinePolicies: Array.from({ length: 10 }, (_, i) => ({
      name: `${i}${filler(POLICY_NAME_ALPHABET, 127, seed + i)}`,
      document: policyOfSize(1024, seed + i),
    })),
    managedPolicies: Array.from({ length: 20 }, (_, i) => ({
      path: `/${filler(PATH_ALPHABET, 510, seed + i)}/`,
      name: `${String(i).padStart(2, '0')}${filler('abcXYZ+=,.@_-', 126, seed + i)}`,
    })),
    description: filler(DESCRIPTION_ALPHABET, 1000, seed),
  };
}

/** UTF-8 bytes of a string, as SNS and EventBridge count them. */
export const utf8 = (value: string): number => Buffer.byteLength(value, 'utf8');
