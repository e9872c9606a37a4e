// CircleCI's duration strings ("1h", "90m", "1h30m", "500ms"; units ms s m h d w), as the
// OIDC claims API writes a token's `ttl` (pattern ^([0-9]+(ms|s|m|h|d|w)){1,7}$).
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
export const DURATION_PATTERN = '^([0-9]+(ms|s|m|h|d|w)){1,7}$';
const WHOLE = new RegExp(DURATION_PATTERN);

/** Milliseconds of a duration string, or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  if (!WHOLE.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(/([0-9]+)(ms|s|m|h|d|w)/g)) total += Number(m[1]) * UNIT_MS[m[2]!]!;
  return Number.isSafeInteger(total) ? total : undefined;
}
