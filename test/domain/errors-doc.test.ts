// docs/errors.md lists every code of the error registry with its status and message, and
// nothing else: a code added to one and not the other fails here.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CircletError, ERROR_CODES, errorStatus, errorTemplate, isCircletError } from '../../src/domain/errors.ts';

const doc = fs.readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

/** The table rows of docs/errors.md: `| \`CODE\` | status | message |`. */
function documented(): Map<string, { status: number; message: string }> {
  const rows = new Map<string, { status: number; message: string }>();
  for (const line of doc.split('\n')) {
    const m = /^\| `([A-Z0-9_]+)` \| (\d{3}) \| (.*) \|$/.exec(line);
    if (m) rows.set(m[1]!, { status: Number(m[2]), message: m[3]!.replace(/\\\|/g, '|') });
  }
  return rows;
}

describe('error registry and docs/errors.md', () => {
  it('lists every code with its status and message, and no other', () => {
    const rows = documented();
    expect([...rows.keys()].sort()).toEqual([...ERROR_CODES].sort());
    for (const code of ERROR_CODES) expect(rows.get(code), code).toEqual({ status: errorStatus(code), message: errorTemplate(code) });
  });

  it('fills a message’s parameters and carries code, status and headers', () => {
    const err = new CircletError('ROUTE_NOT_FOUND', { method: 'GET', path: '/x/{y}' });
    expect(err).toMatchObject({ code: 'ROUTE_NOT_FOUND', statusCode: 404, message: 'Route not found: GET /x/{y}' });
    expect(new CircletError('DATABASE_UNAVAILABLE').headers).toEqual({ 'retry-after': '5' });
    expect(isCircletError(err, 'ROUTE_NOT_FOUND')).toBe(true);
    expect(isCircletError(err, 'PROJECT_NOT_FOUND')).toBe(false);
    expect(isCircletError(new Error('Route not found'), 'ROUTE_NOT_FOUND')).toBe(false);
  });
});
