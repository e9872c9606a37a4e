// Integers that come from the outside (path segments, queries, page tokens, runner reports)
// are checked for form and range before they reach a database: the columns are 32-bit.

/** Largest value of an INTEGER column on PostgreSQL (and what circlet stores anywhere). */
export const MAX_INT = 2 ** 31 - 1;
export const MIN_INT = -(2 ** 31);

/** A positive decimal number as written in a URL (pipeline, job and build numbers); undefined otherwise. */
export function parseNumberSegment(raw: string): number | undefined {
  if (!/^[1-9][0-9]{0,9}$/.test(raw)) return undefined;
  const n = Number(raw);
  return n <= MAX_INT ? n : undefined;
}

/** A non-negative decimal index (`0`, `1`, …) as written in a URL; undefined otherwise. */
export function parseIndexSegment(raw: string): number | undefined {
  if (!/^(0|[1-9][0-9]{0,9})$/.test(raw)) return undefined;
  const n = Number(raw);
  return n <= MAX_INT ? n : undefined;
}
