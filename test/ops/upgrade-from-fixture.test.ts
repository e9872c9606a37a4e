// Safe upgrades from stored old data (issue 19): test/fixtures/upgrade/ holds a database written
// by circlet as it was at an older commit (its README: which, and how it was made), with real
// rows in every table of that schema, and what that old server answered on its read routes.
// Today's server is started on a copy (its migrations run at start); every table of the old
// schema keeps its rows, and every recorded read route answers as the old server did, but for
// the differences listed in upgrade-compare.ts (each one a field added or changed on purpose
// since). The clock is set to the moment the answers were recorded, so reporting windows,
// retention and schedules see the same "now" the old server saw.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/server.ts';
import { appliedMigrations } from '../../src/storage/backup.ts';
import { migrations } from '../../src/storage/migrations/index.ts';
import { createPostgresDatabase, databaseKinds, tempDir } from '../helpers/databases.ts';
import { copyDataDir, readFixture, restorePostgresDump, storedTableCounts, tableRowCounts, downloadLinks } from './upgrade-fixture.ts';
import { compareAnswer } from './upgrade-compare.ts';
import { UPGRADE_DIR } from '../fixtures/index.ts';

const MIGRATION_TABLES = new Set(['circlet_migrations', 'circlet_migrations_lock']);

describe('the stored upgrade fixture', () => {
  for (const kind of ['sqlite', 'postgres'] as const) {
    it(`(${kind}) has rows in every table of its schema, and only that schema's migrations`, () => {
      const fixture = readFixture(kind);
      const stored = storedTableCounts(kind);
      const tables = Object.keys(stored).filter((t) => !MIGRATION_TABLES.has(t));
      expect(tables.length).toBeGreaterThan(20);
      expect(tables.sort()).toEqual(Object.keys(fixture.tables).sort());
      const empty = tables.filter((t) => stored[t] === 0);
      expect(empty, `empty tables in the ${kind} fixture`).toEqual([]);
      for (const t of tables) expect(stored[t], t).toBe(fixture.tables[t]);
      // Made by an older circlet: fewer migrations than today's.
      expect(fixture.tables).not.toHaveProperty('audit_events');
      expect(fixture.answers.length).toBeGreaterThan(100);
    });
  }
  it('the comparison finds a changed, removed or added field and another status, and normalises only the origin and signatures', () => {
    const urls = { oldUrl: 'http://127.0.0.1:1000', newUrl: 'http://127.0.0.1:2000' };
    const recorded = { path: '/api/v2/x', as: 'alice' as const, status: 200, body: { items: [{ id: 'a', n: 1, url: 'http://127.0.0.1:1000/f?expires=1&sig=ab' }], next_page_token: null } };
    const same = { items: [{ id: 'a', n: 1, url: 'http://127.0.0.1:2000/f?expires=9&sig=cd' }], next_page_token: null };
    expect(compareAnswer(recorded, { status: 200, body: same }, urls)).toEqual([]);
    expect(compareAnswer(recorded, { status: 200, body: { ...same, items: [{ ...same.items[0], n: 2 }] } }, urls)).toEqual(['GET /api/v2/x (as alice): changed items.0.n was 1 now 2']);
    expect(compareAnswer(recorded, { status: 200, body: { items: same.items } }, urls)).toEqual(['GET /api/v2/x (as alice): removed next_page_token was null']);
    expect(compareAnswer(recorded, { status: 200, body: { ...same, extra: true } }, urls)).toEqual(['GET /api/v2/x (as alice): added extra now true']);
    expect(compareAnswer(recorded, { status: 200, body: { ...same, extra: true } }, urls, [{ route: /^\/api\/v2\/x$/, at: /^extra$/, kind: 'added', why: 'test' }])).toEqual([]);
    expect(compareAnswer(recorded, { status: 200, body: { ...same, items: [{ ...same.items[0], url: 'http://elsewhere/f' }] } }, urls)).toHaveLength(1);
    expect(compareAnswer(recorded, { status: 404, body: {} }, urls)[0]).toMatch(/status 404, was 200/);
  });
  it('is small', () => {
    const size = (p: string): number => (fs.statSync(p).isDirectory() ? fs.readdirSync(p).reduce((n, e) => n + size(path.join(p, e)), 0) : fs.statSync(p).size);
    expect(size(UPGRADE_DIR)).toBeLessThan(2 * 1024 * 1024);
  });
});

for (const kind of databaseKinds()) {
  describe(`upgrading the stored fixture (${kind.name})`, () => {
    const fixture = readFixture(kind.name);
    let server: RunningServer;
    let dataDir: string;
    let drop = async () => {};

    beforeAll(async () => {
      vi.useFakeTimers({ toFake: ['Date'], now: new Date(fixture.capturedAt) });
      dataDir = tempDir('circlet-upgrade-');
      copyDataDir(kind.name, dataDir, fixture);
      let databaseUrl: string | undefined;
      if (kind.name === 'postgres') {
        const created = await createPostgresDatabase();
        drop = created.drop;
        restorePostgresDump(created.url);
        databaseUrl = created.url;
      }
      // The old data dir keeps its blobs on disk (before 0018 every database did): an upgraded
      // PostgreSQL installation names the filesystem store (docs/operations.md).
      server = await startServer({ dataDir, databaseUrl, agents: 0, logLevel: 'silent', port: 0, blobStore: 'filesystem' });
    }, 60_000);
    afterAll(async () => {
      // The real clock first: shutting down waits on timers measured by it.
      vi.useRealTimers();
      await server?.close();
      await drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }, 60_000);

    it('applies every migration of today over the old ones', async () => {
      const applied = await appliedMigrations(server.database.db);
      expect(applied.sort()).toEqual(Object.keys(migrations).sort());
    });

    it('keeps every row of every table of the old schema', async () => {
      const now = await tableRowCounts(server.database);
      for (const [table, n] of Object.entries(fixture.tables)) expect(now[table], table).toBe(n);
    });

    it('answers every recorded read route as the old server did', async () => {
      const differences: string[] = [];
      const links: string[] = [];
      for (const a of fixture.answers) {
        const res = await fetch(server.url + a.path, { headers: { 'Circle-Token': fixture.tokens[a.as] } });
        const text = await res.text();
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: compared as text
        }
        links.push(...downloadLinks(body));
        differences.push(...compareAnswer(a, { status: res.status, body }, { oldUrl: fixture.url, newUrl: server.url }));
      }
      expect(differences).toEqual([]);
      // The links in today's answers serve what the old ones did (the blobs were kept).
      const served: { url: string; status: number; body: string }[] = [];
      for (const link of [...new Set(links)].sort()) {
        const res = await fetch(link, { headers: { 'Circle-Token': fixture.tokens.alice } });
        served.push({ url: link.replace(server.url, 'ORIGIN').replace(/expires=\d+&sig=[0-9a-f]+/, 'SIGNED'), status: res.status, body: await res.text() });
      }
      expect(served.length).toBeGreaterThan(10);
      expect(served.some((d) => d.body === 'hi\n')).toBe(true);
      expect(served.sort((a, b) => a.url.localeCompare(b.url))).toEqual([...fixture.downloads].sort((a, b) => a.url.localeCompare(b.url)));
    }, 60_000);
  });
}
