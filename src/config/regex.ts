// User regular expressions (`matches`, `/…/` filters, context restrictions) with RE2 semantics:
// CircleCI's compiler is written in Go, so its patterns are RE2 (no backreferences, no
// lookaround; `(?i)` flags), and RE2 matches in time linear in the input, so a pattern such as
// `^(a+)+$` cannot stall the process that evaluates it.
import { RE2JS } from 're2js';

/** A compiled full-match pattern. */
export class FullMatcher {
  constructor(
    readonly source: string,
    private readonly re: RE2JS,
  ) {}

  test(input: string): boolean {
    return this.re.matches(input);
  }
}

/** Longest pattern accepted (circlet's own bound; RE2 programs grow with the pattern). */
export const MAX_PATTERN_LENGTH = 4096;

export class RegexSyntaxError extends Error {}

const cache = new Map<string, FullMatcher>();

/**
 * Compiles `src` to match whole strings. Throws RegexSyntaxError naming the pattern and RE2's
 * reason when the pattern is not valid RE2 syntax (e.g. lookahead or a backreference).
 */
export function compileFullMatch(src: string): FullMatcher {
  const hit = cache.get(src);
  if (hit) return hit;
  if (src.length > MAX_PATTERN_LENGTH) throw new RegexSyntaxError(`Invalid regular expression: pattern longer than ${MAX_PATTERN_LENGTH} characters`);
  let re: RE2JS;
  try {
    // RE2's matches() is a whole-input match, as CircleCI's `matches` and `/…/` filters are.
    re = RE2JS.compile(src);
  } catch (err) {
    const reason = err instanceof Error ? err.message.replace(/^error parsing regexp: /, '') : String(err);
    throw new RegexSyntaxError(`Invalid regular expression: ${src}: Invalid pattern (${reason}; patterns use RE2 syntax: no lookaround, no backreferences)`);
  }
  const m = new FullMatcher(src, re);
  if (cache.size > 500) cache.clear();
  cache.set(src, m);
  return m;
}
