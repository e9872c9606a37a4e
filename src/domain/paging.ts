// Opaque page tokens, one codec for every list: base64url JSON `{"k": [...]}` holding either
// the last row's sort key (keyset lists: strings) or the next offset (offset lists: one
// integer). Anything else, in form or range, is BAD_PAGE_TOKEN (400).
import { CircletError } from './errors.ts';

/** Longest token accepted (keys are timestamps, ids and names). */
const MAX_TOKEN = 4096;
/** Largest offset: a page of an in-memory list, far beyond any real list. */
export const MAX_OFFSET = 2 ** 31 - 1;

export function encodePageToken(key: (string | number)[]): string {
  return Buffer.from(JSON.stringify({ k: key }), 'utf8').toString('base64url');
}

/** NUL, and UTF-16 surrogates without their pair, are not text a database stores. */
const INVALID_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function isValidText(s: string): boolean {
  return !INVALID_TEXT.test(s);
}

function keyOf(token: string): unknown[] {
  if (token.length <= MAX_TOKEN && /^[A-Za-z0-9_-]*={0,2}$/.test(token)) {
    try {
      const value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { k?: unknown };
      if (value !== null && typeof value === 'object' && Array.isArray(value.k)) return value.k;
    } catch {
      /* fall through */
    }
  }
  throw new CircletError('BAD_PAGE_TOKEN');
}

/** Decodes a keyset token of `arity` strings made by encodePageToken; BAD_PAGE_TOKEN when it is not one. */
export function decodePageToken(token: string, arity: number): string[] {
  const k = keyOf(token);
  if (k.length === arity && k.every((x) => typeof x === 'string' && isValidText(x))) return k as string[];
  throw new CircletError('BAD_PAGE_TOKEN');
}

/** Decodes an offset token (`encodePageToken([offset])`): an integer 0..MAX_OFFSET. */
export function decodeOffsetToken(token: string | undefined): number {
  if (token === undefined) return 0;
  const k = keyOf(token);
  const n = k[0];
  if (k.length === 1 && typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 && n <= MAX_OFFSET) return n;
  throw new CircletError('BAD_PAGE_TOKEN');
}

/** Splits a fetched `limit + 1` rows into a page and its next token. */
export function pageOf<T>(rows: T[], limit: number, keyOf: (row: T) => string[]): { items: T[]; next_page_token: string | null } {
  if (rows.length <= limit) return { items: rows, next_page_token: null };
  const items = rows.slice(0, limit);
  return { items, next_page_token: encodePageToken(keyOf(items[items.length - 1]!)) };
}
