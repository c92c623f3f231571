/**
 * Text that comes from an event or from IAM (actor ARNs, user agents, tag keys and values, policy
 * names, error messages) shown to people. It is attacker-controlled: it must not reorder what is
 * around it, hide characters, break lines, or put a link in a trusted alert.
 */

/**
 * Invisible or direction-changing characters: every format character (`\p{Cf}`: bidi embeddings,
 * overrides, isolates and marks U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C; zero-width
 * U+200B–U+200D, U+2060, U+FEFF; invisible operators; Unicode tag characters), the combining
 * grapheme joiner and the Hangul and Braille fillers that render as nothing.
 */
const HIDDEN_RUN = /(\p{Cf}|\u034f|\u115f|\u1160|\u3164|\uffa0|\u2800)\1*/gu;

/** Each hidden character as a visible marker, `[U+202E]` (a run of the same one: `[U+202E x40]`). */
export function revealHidden(value: string): string {
  return value.replace(HIDDEN_RUN, (run, char: string) => {
    const code = (char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
    const count = [...run].length;
    return count > 1 ? `[U+${code} x${count}]` : `[U+${code}]`;
  });
}

/** `http` → `hxxp`, `https` → `hxxps`, `ftp` → `fxp`, any other `scheme://` → `scheme[:]//`. */
const SCHEME = /([a-z][a-z0-9+.-]*):\/\//giu;
/** A domain name: labels joined by dots, ending in a label of letters (what mail clients link). */
const DOMAIN =
  /(?<![\p{L}\p{N}-])(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.)+\p{L}{2,63}(?![\p{L}\p{N}-])/gu;

/** `www.` starts a link in most mail clients whatever follows. */
const WWW = /(www)\./giu;

/**
 * URLs and domain names made unclickable, the way security teams write indicators:
 * `https://evil.example/x` → `hxxps://evil[.]example/x`, `alice@example.com` → `alice@example[.]com`.
 */
export function defang(value: string): string {
  return value
    .replace(SCHEME, (_m, scheme: string) => {
      const lower = scheme.toLowerCase();
      if (lower === 'http' || lower === 'https') return `${scheme.replace(/tt/i, 'xx')}://`;
      if (lower === 'ftp') return `${scheme.replace(/t/i, 'x')}://`;
      return `${scheme}[:]//`;
    })
    .replace(DOMAIN, (domain) => domain.replaceAll('.', '[.]'))
    .replace(WWW, '$1[.]');
}

/** Lone surrogates (not encodable in UTF-8) as U+FFFD, as `String.prototype.toWellFormed` does. */
export const wellFormed = (value: string): string =>
  value.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

/** At most `max` UTF-16 units, never splitting a surrogate pair, ending with `marker` when cut. */
export function cutText(value: string, max: number, marker = '...'): string {
  if (value.length <= max) return value;
  let end = Math.max(0, max - marker.length);
  const last = value.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${value.slice(0, end)}${marker}`;
}

/**
 * Untrusted text for a person: on one line (control and line-separator characters become spaces),
 * hidden characters shown as markers, URLs defanged, lone surrogates replaced, bounded in length.
 */
export function oneLine(value: string | undefined, max = 300): string {
  if (value === undefined || value === '') return '(unknown)';
  const clean = defang(revealHidden(wellFormed(value)))
    .replace(/[\p{Cc}\u2028\u2029]+/gu, ' ')
    .trim();
  return cutText(clean, max);
}
