/**
 * Semantic comparison of IAM policy documents. IAM returns trust policies URL-encoded, writes a
 * single principal as a string or a list, and never promises an order; none of that is drift.
 * A document is reduced to a canonical form (decoded, lists sorted and de-duplicated, single
 * values as lists, Sid dropped, action names lower-cased, bare account ids as root ARNs) and the
 * canonical forms are compared.
 */

export type PolicyDocument = Record<string, unknown>;

type Canonical = string | Canonical[] | { [key: string]: Canonical };

/**
 * Parses a policy document as IAM returns it: JSON, possibly URL-encoded. Throws on garbage, and
 * on a key written twice in one object: JSON.parse keeps the last, and no one should have to
 * know which one IAM honours. Such a document is never compliant (drift.ts compares it as text).
 */
export function parsePolicyDocument(raw: string): PolicyDocument {
  const text = raw.trimStart().startsWith('{') ? raw : decodeURIComponent(raw);
  const duplicate = duplicateKey(text);
  if (duplicate !== undefined)
    throw new SyntaxError(
      `a policy document must not repeat a key in one object: ${JSON.stringify(duplicate)}`,
    );
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new TypeError('a policy document must be a JSON object');
  }
  return parsed as PolicyDocument;
}

/** The first key written twice in one object of a JSON text, if any (the text is not validated). */
export function duplicateKey(text: string): string | undefined {
  const objects: (Set<string> | undefined)[] = []; // undefined: an array
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{') objects.push(new Set());
    else if (c === '[') objects.push(undefined);
    else if (c === '}' || c === ']') objects.pop();
    else if (c === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const literal = text.slice(i, end + 1);
      i = end;
      let next = end + 1;
      while (next < text.length && /\s/.test(text[next] ?? '')) next++;
      const keys = objects[objects.length - 1];
      if (text[next] !== ':' || keys === undefined) continue;
      let key: string;
      try {
        key = JSON.parse(literal) as string;
      } catch {
        continue; // not valid JSON: JSON.parse reports it
      }
      if (keys.has(key)) return key;
      keys.add(key);
    }
  }
  return undefined;
}

const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);

const sortedUnique = (values: string[]): string[] => [...new Set(values)].sort();

const scalar = (value: unknown): string =>
  typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);

function canonicalPrincipal(value: unknown, partition: string): Canonical {
  if (value === '*') return { AWS: ['*'] };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return scalar(value);
  const out: Record<string, Canonical> = {};
  for (const key of Object.keys(value).sort()) {
    const entries = asList((value as Record<string, unknown>)[key]).map(scalar);
    out[key] = sortedUnique(
      key === 'AWS'
        ? entries.map((e) => (/^\d{12}$/.test(e) ? `arn:${partition}:iam::${e}:root` : e))
        : entries,
    );
  }
  return out;
}

function canonicalCondition(value: unknown): Canonical {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return scalar(value);
  const out: Record<string, Canonical> = {};
  for (const operator of Object.keys(value).sort()) {
    const block = (value as Record<string, unknown>)[operator];
    if (typeof block !== 'object' || block === null || Array.isArray(block)) {
      out[operator] = scalar(block);
      continue;
    }
    const keys: Record<string, Canonical> = {};
    for (const key of Object.keys(block)) {
      // Condition keys are case-insensitive; values are compared as written.
      keys[key.toLowerCase()] = sortedUnique(asList((block as Record<string, unknown>)[key]).map(scalar));
    }
    out[operator] = Object.fromEntries(Object.entries(keys).sort(([a], [b]) => a.localeCompare(b)));
  }
  return out;
}

function canonicalStatement(statement: unknown, partition: string): Canonical {
  if (typeof statement !== 'object' || statement === null || Array.isArray(statement)) {
    return scalar(statement);
  }
  const out: Record<string, Canonical> = {};
  for (const [key, value] of Object.entries(statement as Record<string, unknown>)) {
    if (key === 'Sid') continue;
    if (key === 'Principal' || key === 'NotPrincipal') out[key] = canonicalPrincipal(value, partition);
    else if (key === 'Action' || key === 'NotAction')
      out[key] = sortedUnique(asList(value).map((a) => scalar(a).toLowerCase()));
    else if (key === 'Resource' || key === 'NotResource') out[key] = sortedUnique(asList(value).map(scalar));
    else if (key === 'Condition') out[key] = canonicalCondition(value);
    else out[key] = scalar(value);
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

/** The canonical JSON text of a policy document; equal texts mean equal policies. */
export function canonicalPolicy(document: PolicyDocument, partition = 'aws'): string {
  const statements = asList(document.Statement ?? []).map((s) =>
    JSON.stringify(canonicalStatement(s, partition)),
  );
  const rest = Object.keys(document)
    .filter((k) => k !== 'Statement' && k !== 'Id')
    .sort()
    .map((k) => [k, scalar(document[k])]);
  const version = document.Version === undefined ? '2008-10-17' : scalar(document.Version);
  return JSON.stringify({
    ...Object.fromEntries(rest),
    Version: version,
    Statement: sortedUnique(statements).map((s) => JSON.parse(s) as Canonical),
  });
}

/** True when two documents grant the same thing (see the module comment for what is ignored). */
export function policiesEqual(a: PolicyDocument, b: PolicyDocument, partition = 'aws'): boolean {
  return canonicalPolicy(a, partition) === canonicalPolicy(b, partition);
}
