/**
 * An EventBridge event-pattern matcher for the operators our patterns (and their tests) use, with
 * the semantics of the EventBridge user guide ("Content filtering in Amazon EventBridge event
 * patterns"): every pattern field must match; a leaf is a list of matchers of which any one must
 * match; an event array matches when any of its elements does; an absent field matches only
 * `{"exists": false}`; `$or` takes a list of sub-patterns. Operators: exact values (string,
 * number, boolean, null), prefix, suffix, equals-ignore-case, anything-but (value, list, prefix,
 * suffix, equals-ignore-case, wildcard), exists, numeric, wildcard, cidr (IPv4).
 * moto's matcher treats most of these as "match" (see the brief), so tests route events with this.
 */

export type EventPattern = { readonly [key: string]: unknown };

type Json = unknown;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Throws on a pattern EventBridge would reject for an operator this matcher does not know. */
export class UnsupportedPatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedPatternError';
  }
}

/** True when the event matches the pattern. */
export function matchesPattern(pattern: EventPattern, event: Json): boolean {
  return matchObject(pattern, event);
}

function matchObject(pattern: Record<string, unknown>, value: Json): boolean {
  for (const [key, sub] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!Array.isArray(sub) || sub.length < 2)
        throw new UnsupportedPatternError('$or needs a list of at least two patterns');
      if (!sub.some((alternative) => isObject(alternative) && matchObject(alternative, value))) return false;
      continue;
    }
    const field = isObject(value) ? value[key] : undefined;
    if (Array.isArray(sub)) {
      if (!matchLeaf(sub, field)) return false;
    } else if (isObject(sub)) {
      if (!matchNested(sub, field)) return false;
    } else {
      throw new UnsupportedPatternError(`pattern field "${key}" must be a list or an object`);
    }
  }
  return true;
}

/** A nested pattern against an object, or against each object of an array (any may match). */
function matchNested(pattern: Record<string, unknown>, value: Json): boolean {
  if (Array.isArray(value)) return value.some((item) => matchObject(pattern, item));
  // An absent object still lets `exists: false` leaves below it match.
  return matchObject(pattern, isObject(value) ? value : undefined);
}

function matchLeaf(matchers: readonly unknown[], value: Json): boolean {
  // Exists matching works on leaf nodes only: an object where a leaf is expected counts as absent.
  if (value === undefined || isObject(value)) return matchers.some((m) => isObject(m) && m.exists === false);
  const values = Array.isArray(value) ? value : [value];
  return matchers.some((matcher) => {
    if (isObject(matcher) && 'exists' in matcher) return matcher.exists === true;
    return values.some((v) => matchValue(matcher, v));
  });
}

function matchValue(matcher: unknown, value: Json): boolean {
  if (!isObject(matcher)) return matcher === value;
  const [operator, ...more] = Object.keys(matcher);
  if (operator === undefined || more.length > 0)
    throw new UnsupportedPatternError(`a matcher has exactly one operator: ${JSON.stringify(matcher)}`);
  const arg = matcher[operator];
  switch (operator) {
    case 'prefix':
      return typeof value === 'string' && stringTest(arg, value, (v, a) => v.startsWith(a));
    case 'suffix':
      return typeof value === 'string' && stringTest(arg, value, (v, a) => v.endsWith(a));
    case 'equals-ignore-case':
      return (
        typeof value === 'string' && typeof arg === 'string' && value.toLowerCase() === arg.toLowerCase()
      );
    case 'wildcard':
      return typeof value === 'string' && typeof arg === 'string' && wildcard(arg).test(value);
    case 'anything-but':
      return !anythingButExcludes(arg, value);
    case 'numeric':
      return typeof value === 'number' && numeric(arg, value);
    case 'cidr':
      return typeof value === 'string' && typeof arg === 'string' && inCidr(value, arg);
    default:
      throw new UnsupportedPatternError(`unsupported operator "${operator}"`);
  }
}

/** prefix/suffix take a string or `{ "equals-ignore-case": string }`. */
function stringTest(arg: unknown, value: string, test: (v: string, a: string) => boolean): boolean {
  if (typeof arg === 'string') return test(value, arg);
  if (isObject(arg) && typeof arg['equals-ignore-case'] === 'string')
    return test(value.toLowerCase(), arg['equals-ignore-case'].toLowerCase());
  throw new UnsupportedPatternError(`bad prefix/suffix argument ${JSON.stringify(arg)}`);
}

/** Whether the anything-but argument names this value (then the field does NOT match). */
function anythingButExcludes(arg: unknown, value: Json): boolean {
  if (Array.isArray(arg)) return arg.some((a) => a === value);
  if (!isObject(arg)) return arg === value;
  const [operator] = Object.keys(arg);
  const inner = operator === undefined ? undefined : arg[operator];
  if (typeof value !== 'string') return false;
  const options = Array.isArray(inner) ? inner : [inner];
  switch (operator) {
    case 'prefix':
      return options.some((o) => typeof o === 'string' && value.startsWith(o));
    case 'suffix':
      return options.some((o) => typeof o === 'string' && value.endsWith(o));
    case 'equals-ignore-case':
      return options.some((o) => typeof o === 'string' && o.toLowerCase() === value.toLowerCase());
    case 'wildcard':
      return options.some((o) => typeof o === 'string' && wildcard(o).test(value));
    default:
      throw new UnsupportedPatternError(`unsupported anything-but operator ${JSON.stringify(arg)}`);
  }
}

/** `*` matches any run of characters; `\*` is a literal star; everything else is literal. */
function wildcard(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] ?? '';
    if (c === '\\' && pattern[i + 1] === '*') {
      source += '\\*';
      i++;
    } else if (c === '*') source += '.*';
    else source += c.replace(/[.+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}

function numeric(arg: unknown, value: number): boolean {
  if (!Array.isArray(arg) || arg.length % 2 !== 0 || arg.length === 0)
    throw new UnsupportedPatternError(`bad numeric argument ${JSON.stringify(arg)}`);
  for (let i = 0; i < arg.length; i += 2) {
    const op = arg[i];
    const bound = arg[i + 1];
    if (typeof bound !== 'number')
      throw new UnsupportedPatternError(`bad numeric bound ${JSON.stringify(bound)}`);
    const ok =
      op === '='
        ? value === bound
        : op === '<'
          ? value < bound
          : op === '<='
            ? value <= bound
            : op === '>'
              ? value > bound
              : op === '>='
                ? value >= bound
                : undefined;
    if (ok === undefined) throw new UnsupportedPatternError(`bad numeric operator ${JSON.stringify(op)}`);
    if (!ok) return false;
  }
  return true;
}

function ipv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

function inCidr(value: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  const network = ipv4(base ?? '');
  const address = ipv4(value);
  if (network === undefined || !(bits >= 0 && bits <= 32))
    throw new UnsupportedPatternError(`bad cidr ${cidr}`);
  if (address === undefined) return false;
  const size = 2 ** (32 - bits);
  return Math.floor(address / size) === Math.floor(network / size);
}
