import { describe, expect, it } from 'vitest';
import { decodeOffsetToken, decodePageToken, encodePageToken, MAX_OFFSET, pageOf } from '../../src/domain/paging.ts';

const raw = (json: string) => Buffer.from(json).toString('base64url');

describe('page tokens (one codec for every list)', () => {
  it('round-trip the sort key and are URL-safe', () => {
    const token = encodePageToken(['2024-01-01T00:00:00.000Z', 'a/b+c', '7']);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodePageToken(token, 3)).toEqual(['2024-01-01T00:00:00.000Z', 'a/b+c', '7']);
    expect(decodeOffsetToken(encodePageToken([20]))).toBe(20);
    expect(decodeOffsetToken(undefined)).toBe(0);
  });

  it('anything else is BAD_PAGE_TOKEN', () => {
    const bad = [
      '',
      'not a token',
      '%%%',
      raw('[1,2]'),
      raw('null'),
      raw('{"k":[{"x":1}]}'),
      raw('{"k":[null]}'),
      raw('{"k":[7]}'),
      raw('{"k":["a\\u0000b"]}'),
      raw('{"k":["\\ud800"]}'),
      encodePageToken(['a', 'b']),
      'A'.repeat(5000),
    ];
    for (const t of bad) expect(() => decodePageToken(t, 1), t).toThrow(expect.objectContaining({ code: 'BAD_PAGE_TOKEN', statusCode: 400 }));
  });

  it('an offset token holds one integer 0..MAX_OFFSET (issue 18 items 7 and 10)', () => {
    for (const json of ['{"k":[-1]}', '["abc"]', '1.5', '{"k":[1.5]}', '{"k":[1e308]}', '{"k":["3"]}', '{"k":[1,2]}', `{"k":[${MAX_OFFSET + 1}]}`, '{"k":[99999999999999999999999]}']) {
      expect(() => decodeOffsetToken(raw(json)), json).toThrow(expect.objectContaining({ code: 'BAD_PAGE_TOKEN', statusCode: 400 }));
    }
    expect(() => decodeOffsetToken('1.5')).toThrow(expect.objectContaining({ code: 'BAD_PAGE_TOKEN', statusCode: 400 }));
    expect(decodeOffsetToken(raw(`{"k":[${MAX_OFFSET}]}`))).toBe(MAX_OFFSET);
  });

  it('pageOf splits limit + 1 rows into a page and the next token', () => {
    expect(pageOf(['1', '2'], 2, (n) => [n])).toEqual({ items: ['1', '2'], next_page_token: null });
    const page = pageOf(['1', '2', '3'], 2, (n) => [n]);
    expect(page.items).toEqual(['1', '2']);
    expect(decodePageToken(page.next_page_token!, 1)).toEqual(['2']);
    expect(pageOf([], 5, (n: string) => [n])).toEqual({ items: [], next_page_token: null });
  });
});
