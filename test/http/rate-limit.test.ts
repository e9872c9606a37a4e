// Rate limits over real HTTP: per token and per address, counted in the database shared by
// two instances (replicas) on SQLite and PostgreSQL, 429 with Retry-After and the
// X-RateLimit-* headers, the routes of a claimed task never limited, off by default.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretBox } from '../../src/domain/secret-box.ts';
import { createInstance, type Instance } from '../../src/server/instance.ts';
import { openAndMigrate, type Database } from '../../src/storage/db.ts';
import { createRunnerToken } from '../../src/storage/runner-tokens.ts';
import { createApiToken, ensureUser } from '../../src/storage/users.ts';
import { databaseKinds, tempDir } from '../helpers/databases.ts';
import { startTestServer } from '../helpers/server.ts';

const WINDOW_MS = 4_000;

async function get(url: string, headers: Record<string, string> = {}, method = 'GET') {
  const r = await fetch(url, { method, headers });
  const text = await r.text();
  return { status: r.status, text, headers: r.headers };
}

for (const kind of databaseKinds()) {
  describe(`rate limits (${kind.name})`, () => {
    let first: { database: Database; dispose(): Promise<void>; url: string };
    let second: Database;
    let a: Instance;
    let b: Instance;
    let memory: Instance;
    const dirs: string[] = [];
    let alice: string;
    let bob: string;
    let runner: string;
    beforeAll(async () => {
      first = await kind.create();
      second = await openAndMigrate(first.url);
      const secrets = createSecretBox(crypto.randomBytes(32));
      const dir = () => {
        const d = tempDir('circlet-rl-');
        dirs.push(d);
        return d;
      };
      const rateLimit = { perToken: 5, perIp: 3, windowMs: WINDOW_MS, shared: true };
      a = await createInstance({ database: first.database, secrets, dataDir: dir(), rateLimit, start: false });
      b = await createInstance({ database: second, secrets, dataDir: dir(), rateLimit, start: false });
      memory = await createInstance({ database: first.database, secrets, dataDir: dir(), rateLimit: { ...rateLimit, shared: false }, start: false });
      alice = await createApiToken(first.database.db, (await ensureUser(first.database.db, 'alice')).id, 't');
      bob = await createApiToken(first.database.db, (await ensureUser(first.database.db, 'bob')).id, 't');
      runner = await createRunnerToken(first.database.db, 'agent');
    });
    afterAll(async () => {
      for (const i of [a, b, memory]) {
        i?.app.server.closeAllConnections();
        await i?.close();
      }
      await second?.close();
      await first?.dispose();
      for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    });

    it('counts a token across both replicas and answers 429 with Retry-After past the limit', async () => {
      const seen: string[] = [];
      for (const [i, url] of [a.url, b.url, a.url, b.url, a.url].entries()) {
        const r = await get(`${url}/api/v2/me`, { 'Circle-Token': alice });
        expect(r.status).toBe(200);
        expect(r.headers.get('x-ratelimit-limit')).toBe('5');
        seen.push(r.headers.get('x-ratelimit-remaining')!);
        expect(Number(r.headers.get('x-ratelimit-reset'))).toBeGreaterThan(0);
        expect(i).toBeLessThan(5);
      }
      expect(seen).toEqual(['4', '3', '2', '1', '0']);
      const over = await get(`${b.url}/api/v2/me`, { 'Circle-Token': alice });
      expect(over.status).toBe(429);
      expect(JSON.parse(over.text)).toEqual({ message: 'Rate limit exceeded.' });
      const retry = Number(over.headers.get('retry-after'));
      expect(retry).toBeGreaterThan(0);
      expect(retry).toBeLessThanOrEqual(WINDOW_MS / 1000);
      expect(over.headers.get('x-ratelimit-remaining')).toBe('0');
      // The same token in Basic auth or the query is the same token.
      expect((await get(`${a.url}/api/v2/me?circle-token=${alice}`)).status).toBe(429);
      expect((await get(`${a.url}/api/v2/me`, { authorization: `Basic ${Buffer.from(`${alice}:`).toString('base64')}` })).status).toBe(429);
      // Another token has its own count.
      expect((await get(`${a.url}/api/v2/me`, { 'Circle-Token': bob })).status).toBe(200);
    });

    it('limits requests without a token per address', async () => {
      for (let i = 0; i < 3; i++) expect((await get(`${a.url}/api/v2/me`)).status).toBe(401);
      const over = await get(`${b.url}/api/v2/me`);
      expect(over.status).toBe(429);
      expect(over.headers.get('x-ratelimit-limit')).toBe('3');
    });

    it('never limits the routes of a claimed task, nor the health probes', async () => {
      for (let i = 0; i < 8; i++) {
        const r = await get(`${a.url}/api/runner/v1/tasks/00000000-0000-4000-8000-000000000000/heartbeat`, { authorization: `Bearer ${runner}`, 'content-type': 'application/json' }, 'POST');
        expect(r.status).not.toBe(429);
        expect(r.headers.get('x-ratelimit-limit')).toBeNull();
        expect((await get(`${a.url}/healthz`)).status).toBe(200);
      }
      // The claim itself is a request like any other.
      expect((await get(`${a.url}/api/runner/v1/claim`, { authorization: `Bearer ${runner}` }, 'POST')).headers.get('x-ratelimit-limit')).toBe('5');
    });

    it('opens a new window once the old one ends', async () => {
      await new Promise((r) => setTimeout(r, WINDOW_MS + 200));
      const r = await get(`${a.url}/api/v2/me`, { 'Circle-Token': alice });
      expect(r.status).toBe(200);
      expect(r.headers.get('x-ratelimit-remaining')).toBe('4');
    });

    it('counts in memory per replica when not shared', async () => {
      const carol = await createApiToken(first.database.db, (await ensureUser(first.database.db, 'carol')).id, 't');
      for (let i = 0; i < 5; i++) expect((await get(`${memory.url}/api/v2/me`, { 'Circle-Token': carol })).status).toBe(200);
      expect((await get(`${memory.url}/api/v2/me`, { 'Circle-Token': carol })).status).toBe(429);
      // The shared count never saw those requests.
      expect((await get(`${a.url}/api/v2/me`, { 'Circle-Token': carol })).headers.get('x-ratelimit-remaining')).toBe('4');
    });
  });
}

describe('rate limits off by default', () => {
  it('sends no X-RateLimit headers and never 429s', async () => {
    const server = await startTestServer(databaseKinds()[0]!);
    try {
      const { token } = await server.user('dora');
      for (let i = 0; i < 20; i++) {
        const r = await server.call('GET', '/api/v2/me', token);
        expect(r.status).toBe(200);
        expect(r.headers.get('x-ratelimit-limit')).toBeNull();
      }
    } finally {
      server.app.server.closeAllConnections();
      await server.close();
    }
  });
});
