import { describe, expect, it } from 'vitest';
import { BadPageToken, decodePageToken, encodePageToken, pageOf } from '../../src/domain/paging.ts';

describe('page tokens', () => {
  it('round-trip the sort key and are URL-safe', () => {
    const token = encodePageToken(['2024-01-01T00:00:00.000Z', 'a/b+c', 7]);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodePageToken(token, 3)).toEqual(['2024-01-01T00:00:00.000Z', 'a/b+c', 7]);
  });

  it('anything else is a BadPageToken', () => {
    const bad = [
      '',
      'not-a-token',
      '%%%',
      Buffer.from('[1,2]').toString('base64url'),
      Buffer.from('{"k":[{"x":1}]}').toString('base64url'),
      Buffer.from('{"k":[null]}').toString('base64url'),
      encodePageToken(['a', 'b']),
    ];
    for (const t of bad) expect(() => decodePageToken(t, 1), t).toThrow(BadPageToken);
  });

  it('pageOf splits limit + 1 rows into a page and the next token', () => {
    expect(pageOf([1, 2], 2, (n) => [n])).toEqual({ items: [1, 2], next_page_token: null });
    const page = pageOf([1, 2, 3], 2, (n) => [n]);
    expect(page.items).toEqual([1, 2]);
    expect(decodePageToken(page.next_page_token!, 1)).toEqual([2]);
    expect(pageOf([], 5, (n: number) => [n])).toEqual({ items: [], next_page_token: null });
  });
});
