// Issue 18 item 9: while PostgreSQL is unreachable the API answers 503 with Retry-After (as
// /readyz does), not 500, and answers again once it is back. PostgreSQL is reached through
// a TCP relay on loopback that the test closes (the shared PostgreSQL itself stays up).
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretBox } from '../../src/domain/secret-box.ts';
import { createInstance, type Instance } from '../../src/server/instance.ts';
import { isDatabaseUnavailable, openAndMigrate, type Database } from '../../src/storage/db.ts';
import { addMember, ensureOrganization } from '../../src/storage/organizations.ts';
import { createApiToken, ensureUser } from '../../src/storage/users.ts';
import { createPostgresDatabase, tempDir } from '../helpers/databases.ts';

/** A TCP relay to `target` on a fixed loopback port; `down()` refuses and cuts connections, `up()` relays again. */
async function relay(target: { host: string; port: number }) {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  const up = () =>
    new Promise<void>((resolve) => {
      server = net.createServer((client) => {
        const upstream = net.connect(target.port, target.host);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => s.destroy());
        }
        client.pipe(upstream).pipe(client);
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as net.AddressInfo).port;
        resolve();
      });
    });
  const down = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server!.close(() => resolve());
    });
  await up();
  return { port: () => port, up, down };
}

describe.skipIf(!process.env.CIRCLET_TEST_DATABASE_URL)('API while PostgreSQL is unreachable (postgres)', () => {
  let pg: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let proxy: Awaited<ReturnType<typeof relay>>;
  let database: Database;
  let instance: Instance;
  let dataDir: string;
  const tokens: string[] = [];

  beforeAll(async () => {
    pg = await createPostgresDatabase();
    const target = new URL(pg.url);
    proxy = await relay({ host: target.hostname, port: Number(target.port || 5432) });
    target.hostname = '127.0.0.1';
    target.port = String(proxy.port());
    database = await openAndMigrate(target.toString());
    dataDir = tempDir('circlet-down-');
    instance = await createInstance({ database, secrets: createSecretBox(crypto.randomBytes(32)), dataDir });
    const user = await ensureUser(database.db, 'alice');
    await addMember(database.db, (await ensureOrganization(database.db, 'github', 'acme')).id, user.id);
    for (let i = 0; i < 3; i++) tokens.push(await createApiToken(database.db, user.id, `t${i}`));
  });
  afterAll(async () => {
    await instance?.close();
    await database?.close().catch(() => undefined);
    await pg?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const get = (path: string, token?: string) => fetch(instance.url + path, { headers: token ? { 'circle-token': token } : {} });

  it('answers 503 with Retry-After while down, and 200 again once back', async () => {
    expect((await get('/api/v2/me', tokens[0])).status).toBe(200);
    await proxy.down();
    for (const path of ['/api/v2/me', '/api/v2/project/gh/acme/app', '/api/v2/pipeline?org-slug=gh/acme']) {
      const res = await get(path, tokens[1]);
      expect(res.status, path).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(((await res.json()) as { message: string }).message).toMatch(/database is unreachable/);
    }
    const ready = await get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.headers.get('retry-after')).toBe('5');
    await proxy.up();
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (Date.now() < deadline && (status = (await get('/api/v2/me', tokens[2])).status) !== 200) await new Promise((r) => setTimeout(r, 200));
    expect(status).toBe(200);
  });

  it('a bad query is not mistaken for an unreachable database', () => {
    expect(isDatabaseUnavailable(Object.assign(new Error('syntax error at or near "x"'), { code: '42601' }))).toBe(false);
    expect(isDatabaseUnavailable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
  });
});
