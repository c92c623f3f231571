import { parsePolicyDocument } from './policy-document.js';

/**
 * A trust-policy drift in words on-call can act on: which principals the role now also trusts
 * (and whose they are), which desired ones it no longer trusts, and what else changed. The raw
 * documents stay in the JSON document; the e-mail and the chat message show these lines.
 */
export interface TrustContext {
  /** The account the role lives in. */
  readonly account?: string;
  /** The organization's accounts, when known (organization mode with a configured list). */
  readonly organizationAccounts?: readonly string[];
}

type Statement = Record<string, unknown>;

const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function statements(text: string): Statement[] | undefined {
  try {
    return asList(parsePolicyDocument(text).Statement ?? []).filter(isObject);
  } catch {
    return undefined;
  }
}

/** The principals Allow statements name, as `AWS arn`, `Service name`, ... (AWS ones bare). */
function principals(list: readonly Statement[]): Set<string> {
  const out = new Set<string>();
  for (const s of list) {
    if (s.Effect !== 'Allow') continue;
    const p = s.Principal;
    if (p === '*') out.add('*');
    if (!isObject(p)) continue;
    for (const [type, values] of Object.entries(p)) {
      for (const v of asList(values)) {
        const name = String(v);
        out.add(type === 'AWS' ? name : `${type} ${name}`);
      }
    }
  }
  return out;
}

/** Everything but the principals, statement by statement, to tell other changes apart. */
const shape = (list: readonly Statement[]): string =>
  JSON.stringify(
    list
      .map((s) => JSON.stringify(Object.fromEntries(Object.entries(s).filter(([k]) => k !== 'Principal'))))
      .sort(),
  );

const requiresMfa = (list: readonly Statement[]): boolean =>
  list.length > 0 &&
  list.every((s) =>
    JSON.stringify(s.Condition ?? {})
      .toLowerCase()
      .includes('aws:multifactorauthpresent'),
  );

/** Per principal named by Allow statements: whether every statement granting it requires MFA. */
function mfaByPrincipal(list: readonly Statement[]): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const s of list) {
    if (s.Effect !== 'Allow') continue;
    const mfa = JSON.stringify(s.Condition ?? {})
      .toLowerCase()
      .includes('aws:multifactorauthpresent');
    for (const p of principals([s])) out.set(p, (out.get(p) ?? true) && mfa);
  }
  return out;
}

const accountOf = (principal: string): string | undefined =>
  /^arn:[\w-]+:(?:iam|sts)::(\d{12}):/.exec(principal)?.[1];

function whose(principal: string, desired: ReadonlySet<string>, context: TrustContext): string {
  if (principal === '*' || principal.endsWith(':*')) return 'anyone (a wildcard principal)';
  const account = accountOf(principal);
  if (account === undefined) return 'a principal';
  if (account === context.account) return 'this account';
  if (context.organizationAccounts !== undefined)
    return context.organizationAccounts.includes(account)
      ? 'an account of this organization'
      : 'an account outside this organization';
  if ([...desired].some((d) => accountOf(d) === account)) return 'an account the desired set trusts';
  return context.account ? `another account (not ${context.account})` : 'another account';
}

/**
 * The lines describing how the role's trust policy (`found`) differs from the desired one
 * (`wanted`); both as IAM or the canonical form writes them.
 */
export function trustPolicyChanges(
  found: string | null,
  wanted: string | null,
  context: TrustContext = {},
): string[] {
  if (found === null) return ['the role has no trust policy'];
  const actual = statements(found);
  if (actual === undefined)
    return ['the trust policy is not a readable JSON document; the JSON document carries it as found'];
  const desiredStatements = wanted === null ? [] : (statements(wanted) ?? []);
  const have = principals(actual);
  const want = principals(desiredStatements);
  const lines: string[] = [];
  for (const p of [...have].filter((x) => !want.has(x)).sort())
    lines.push(`now also trusts ${p} — ${whose(p, want, context)}, not in the desired set`);
  for (const p of [...want].filter((x) => !have.has(x)).sort())
    lines.push(`no longer trusts ${p} (in the desired set)`);
  const mfaLines = mfaChanges(actual, desiredStatements);
  lines.push(...mfaLines);
  if (
    mfaLines.length === 0 &&
    shape(actual) !== shape(desiredStatements) &&
    !sameShapeBut(actual, desiredStatements)
  )
    lines.push(
      'other statements, actions, effects or conditions differ; the JSON document carries both versions',
    );
  return lines.length > 0
    ? lines
    : ['the document differs in form only; the JSON document carries both versions'];
}

/**
 * Which principals (trusted both now and in the desired state) lose or gain the MFA condition;
 * one line for all of them when every principal the role trusts lost it.
 */
function mfaChanges(actual: readonly Statement[], desired: readonly Statement[]): string[] {
  const have = mfaByPrincipal(actual);
  const want = mfaByPrincipal(desired);
  const common = [...want.keys()].filter((p) => have.has(p)).sort();
  const lost = common.filter((p) => want.get(p) && !have.get(p));
  const gained = common.filter((p) => !want.get(p) && have.get(p));
  if (requiresMfa(desired) && !requiresMfa(actual) && [...have.values()].every((m) => !m))
    return ['MFA is no longer required to assume the role (the desired state requires it)'];
  return [
    ...lost.map(
      (p) => `MFA is no longer required for ${p} to assume the role (the desired state requires it)`,
    ),
    ...gained.map(
      (p) => `MFA is now required for ${p} to assume the role (the desired state does not require it)`,
    ),
  ];
}

/** True when the statements differ only in how the principals are spread across them. */
function sameShapeBut(a: readonly Statement[], b: readonly Statement[]): boolean {
  const unique = (list: readonly Statement[]) => new Set(JSON.parse(shape(list)) as string[]);
  const x = unique(a);
  const y = unique(b);
  return x.size === y.size && [...x].every((s) => y.has(s));
}
