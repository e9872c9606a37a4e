// `circlet serve` as a real child process, on SQLite and on PostgreSQL.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createPostgresDatabase, databaseKinds, tempDir } from '../helpers/databases.ts';
import { freePort, getJson, killAll, runCli, startServe, TOKEN_RE, URL_LINE } from './child.ts';

afterEach(killAll);

/** Where a test's data lives: a data dir, and a fresh PostgreSQL database for the postgres kind. */
interface Data {
  dir: string;
  /** `--database-url` arguments (none for SQLite: the default under the data dir). */
  dbArgs: string[];
  dbUrl?: string;
}

const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function freshData(kind: 'sqlite' | 'postgres'): Promise<Data> {
  const dir = tempDir('circlet-serve-');
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  if (kind === 'sqlite') return { dir, dbArgs: [] };
  const pg = await createPostgresDatabase();
  cleanups.push(() => pg.drop());
  return { dir, dbArgs: ['--database-url', pg.url], dbUrl: pg.url };
}

/** A keep-alive GET whose connection stays open (idle) afterwards. */
function keepAliveGet(url: string, agent: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

for (const kind of databaseKinds()) {
  describe(`circlet serve (${kind.name})`, () => {
    it('first start prints the URL, then the admin token; the saved token works; SIGTERM exits 0', async () => {
      const data = await freshData(kind.name);
      const server = await startServe(['--port', '0', '--data-dir', data.dir, ...data.dbArgs]);
      const token = fs.readFileSync(path.join(data.dir, 'admin-token'), 'utf8').trim();
      expect(token).toMatch(TOKEN_RE);
      const me = await getJson(`${server.url}/api/v2/me`, token);
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ login: 'admin' });
      expect((await getJson(`${server.url}/api/v2/me`)).status).toBe(401);

      const end = await server.stop('SIGTERM');
      expect(end).toMatchObject({ code: 0, signal: null });
      expect(end.ms).toBeLessThan(5_000);
      // A stop is never silent.
      expect(end.stderr).toMatch(/^circlet: SIGTERM received: stopping /m);
      expect(end.stderr).toMatch(/^circlet: stopped$/m);
      const lines = end.stdout.split('\n');
      expect(lines).toHaveLength(3); // two lines and the final newline
      expect(lines[0]).toMatch(URL_LINE);
      expect(lines[0]).toBe(`circlet listening on http://127.0.0.1:${server.port}`);
      expect(lines[1]).toBe(`admin token (saved to ${data.dir}/admin-token): ${token}`);
      expect(lines[2]).toBe('');
      if (kind.name === 'postgres') expect(fs.existsSync(path.join(data.dir, 'circlet.db'))).toBe(false);
      else expect(fs.existsSync(path.join(data.dir, 'circlet.db'))).toBe(true);

      // Second start on the same data: the URL line only, and the first token still works.
      const again = await startServe(['--port', '0', '--data-dir', data.dir, ...data.dbArgs]);
      expect((await getJson(`${again.url}/api/v2/me`, token)).body).toMatchObject({ login: 'admin' });
      // SIGINT, with an idle keep-alive connection open: still a prompt, clean exit.
      const agent = new http.Agent({ keepAlive: true });
      expect(await keepAliveGet(`${again.url}/healthz`, agent)).toBe(200);
      const end2 = await again.stop('SIGINT');
      agent.destroy();
      expect(end2).toMatchObject({ code: 0, signal: null });
      expect(end2.ms).toBeLessThan(5_000);
      expect(end2.stdout).toBe(`circlet listening on http://127.0.0.1:${again.port}\n`);
      expect(fs.readFileSync(path.join(data.dir, 'admin-token'), 'utf8').trim()).toBe(token);
    });

    it('reads PORT, CIRCLET_DATA_DIR and DATABASE_URL from the environment', async () => {
      const data = await freshData(kind.name);
      const port = await freePort();
      // For SQLite, DATABASE_URL names a file outside the data dir, to show it is used.
      const dbDir = tempDir('circlet-db-');
      cleanups.push(() => fs.rmSync(dbDir, { recursive: true, force: true }));
      const databaseUrl = data.dbUrl ?? path.join(dbDir, 'elsewhere.db');
      const server = await startServe([], { env: { PORT: String(port), CIRCLET_DATA_DIR: data.dir, DATABASE_URL: databaseUrl } });
      expect(server.port).toBe(port);
      const token = fs.readFileSync(path.join(data.dir, 'admin-token'), 'utf8').trim();
      expect((await getJson(`${server.url}/api/v2/me`, token)).body).toMatchObject({ login: 'admin' });
      expect(fs.existsSync(path.join(data.dir, 'circlet.db'))).toBe(false);
      if (kind.name === 'sqlite') expect(fs.existsSync(databaseUrl)).toBe(true);
      // Flags win over the environment.
      const other = tempDir('circlet-serve-');
      cleanups.push(() => fs.rmSync(other, { recursive: true, force: true }));
      const flagged = await startServe(['--port', '0', '--data-dir', other, ...(data.dbUrl ? ['--database-url', data.dbUrl] : [])], {
        env: { PORT: String(port), CIRCLET_DATA_DIR: data.dir },
      });
      expect(flagged.port).not.toBe(port);
      expect(fs.existsSync(path.join(other, 'admin-token'))).toBe(true);
      expect((await flagged.stop()).code).toBe(0);
      expect((await server.stop()).code).toBe(0);
    });

    it('a port already in use fails the start with a message and a non-zero exit, promptly', async () => {
      const data = await freshData(kind.name);
      const first = await startServe(['--port', '0', '--data-dir', data.dir, ...data.dbArgs]);
      const other = tempDir('circlet-serve-');
      cleanups.push(() => fs.rmSync(other, { recursive: true, force: true }));
      const started = Date.now();
      const res = await runCli(['serve', '--port', String(first.port), '--data-dir', other, ...data.dbArgs]);
      expect(res.code).not.toBe(0);
      expect(res.stdout).toBe('');
      expect(res.stderr).toMatch(/EADDRINUSE|address already in use/i);
      expect(Date.now() - started).toBeLessThan(20_000);
      // No token was made for a start that never served.
      expect(fs.existsSync(path.join(other, 'admin-token'))).toBe(false);
      expect((await first.stop()).code).toBe(0);
    });
  });
}

describe.skipIf(!process.env.CIRCLET_TEST_DATABASE_URL)('circlet serve replicas (postgres)', () => {
  it('two servers started together on one fresh database both come up (migration lock) and share data', async () => {
    const pg = await createPostgresDatabase();
    cleanups.push(() => pg.drop());
    const dirs = [tempDir('circlet-replica-'), tempDir('circlet-replica-')];
    for (const d of dirs) cleanups.push(() => fs.rmSync(d, { recursive: true, force: true }));
    const env = { CIRCLET_SECRET_KEY: 'shared-replica-key' };
    const servers = await Promise.all(dirs.map((d) => startServe(['--port', '0', '--data-dir', d, '--database-url', pg.url], { env })));
    const tokens = dirs.map((d) => fs.readFileSync(path.join(d, 'admin-token'), 'utf8').trim());
    // Each token works on either replica: one database.
    for (const s of servers) for (const t of tokens) expect((await getJson(`${s.url}/api/v2/me`, t)).body).toMatchObject({ login: 'admin' });
    for (const s of servers) expect((await s.stop()).code).toBe(0);
  });
});

describe('circlet serve logging', () => {
  it("logs API requests at info, but not the embedded agent's long polls", async () => {
    const data = await freshData('sqlite');
    const server = await startServe(['--port', '0', '--data-dir', data.dir], { env: { CIRCLET_LOG_LEVEL: 'info' } });
    // The embedded agent claims at once and then keeps polling.
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await getJson(`${server.url}/api/v2/me`)).status).toBe(401);
    const end = await server.stop('SIGTERM');
    expect(end.stderr).toMatch(/"url":"\/api\/v2\/me"/);
    expect(end.stderr).toMatch(/agent started/);
    expect(end.stderr).not.toMatch(/\/api\/runner\//);
  });
});

describe('circlet serve arguments', () => {
  it('--help exits 0 and prints usage', async () => {
    const res = await runCli(['serve', '--help']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^Usage: circlet serve \[options\]/);
    for (const opt of ['--port', '--host', '--data-dir', '--database-url']) expect(res.stdout).toContain(opt);
  });

  it.each([
    [['--port', '70000'], {}],
    [['--port', 'abc'], {}],
    [['--port', '80.5'], {}],
    [[], { PORT: 'abc' }],
  ])('a bad port (%j, env %j) is refused with a message and a non-zero exit', async (args, env: Record<string, string>) => {
    const dir = tempDir('circlet-serve-');
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const res = await runCli(['serve', '--data-dir', dir, ...args], { env });
    expect(res.code).not.toBe(0);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/port/i);
  });
});
