// Opaque keyset page tokens: base64url JSON of the last row's sort key.

export class BadPageToken extends Error {}

export function encodePageToken(key: unknown[]): string {
  return Buffer.from(JSON.stringify({ k: key }), 'utf8').toString('base64url');
}

/** Decodes a token made by encodePageToken; throws BadPageToken when it is not one. */
export function decodePageToken(token: string, arity: number): (string | number)[] {
  try {
    const value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { k?: unknown };
    if (Array.isArray(value.k) && value.k.length === arity && value.k.every((x) => typeof x === 'string' || typeof x === 'number')) {
      return value.k as (string | number)[];
    }
  } catch {
    /* fall through */
  }
  throw new BadPageToken('Invalid page-token');
}

/** Splits a fetched `limit + 1` rows into a page and its next token. */
export function pageOf<T>(rows: T[], limit: number, keyOf: (row: T) => unknown[]): { items: T[]; next_page_token: string | null } {
  if (rows.length <= limit) return { items: rows, next_page_token: null };
  const items = rows.slice(0, limit);
  return { items, next_page_token: encodePageToken(keyOf(items[items.length - 1]!)) };
}
