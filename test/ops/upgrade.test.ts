// Migrations applied out of number order, on SQLite and PostgreSQL (the stored-fixture upgrade
// test is upgrade-from-fixture.test.ts): a database migrated through 0011 (the schema of
// commit 01478eb; migrations are append-only, so 0001–0011 are what it ran) with users,
// tokens, sessions, organizations and memberships written then, then the later migrations but this branch's 0013 and a
// real pipeline run by a real agent, is migrated to the current schema (0013 applied after a
// higher-numbered one, as a database of main meets this branch); every read route below
// answers the same before and after.
// And a database newer than this circlet (a migration it does not know) is refused.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSecretBox } from '../../src/domain/secret-box.ts';
import { startEmbeddedAgent } from '../../src/server/embedded-agent.ts';
import { createInstance } from '../../src/server/instance.ts';
import { putContextEnvVar, createContext, createContextRestriction } from '../../src/storage/contexts.ts';
import { createCheckoutKey } from '../../src/storage/checkout-keys.ts';
import { migrate, migrateOnly, NewerDatabaseError, openDatabase } from '../../src/storage/db.ts';
import { migrations } from '../../src/storage/migrations/index.ts';
import { putEnvVar } from '../../src/storage/env-vars.ts';
import { addMember, ensureOrganization } from '../../src/storage/organizations.ts';
import { createProject } from '../../src/storage/projects.ts';
import { createRunnerToken } from '../../src/storage/runner-tokens.ts';
import { createApiToken, ensureUser } from '../../src/storage/users.ts';
import { createWebSession } from '../../src/storage/web-sessions.ts';
import { createWebhook } from '../../src/storage/webhooks.ts';
import { killAll, runCli } from '../cli/child.ts';
import { createPostgresDatabase, databaseKinds, tempDir } from '../helpers/databases.ts';
import { makeRepo } from '../helpers/git.ts';

const CONFIG = `
version: 2.1
jobs:
  build:
    machine: true
    steps:
      - run: {name: make, command: 'mkdir -p out/tests && echo hi > out/a.txt && echo "<testsuite><testcase name=\\"t1\\" classname=\\"c\\"/></testsuite>" > out/tests/r.xml'}
      - store_artifacts: {path: out/a.txt}
      - store_test_results: {path: out/tests}
      - save_cache: {key: deps-v1, paths: [out]}
      - persist_to_workspace: {root: out, paths: [a.txt]}
  use:
    machine: true
    steps: [{attach_workspace: {at: ws}}, {restore_cache: {keys: [deps-v1]}}, {run: cat ws/a.txt}]
workflows: {main: {jobs: [build, {use: {requires: [build]}}]}}
`;
const SLUG = 'gh/acme/app';

async function newDatabase(kind: 'sqlite' | 'postgres'): Promise<{ url: string; drop(): Promise<void> }> {
  if (kind === 'postgres') return createPostgresDatabase();
  const dir = tempDir();
  return { url: path.join(dir, 'circlet.db'), drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
}

for (const kind of databaseKinds()) {
  describe(`upgrading from migration 0011 (${kind.name})`, () => {
    afterAll(() => killAll());

    it('migrates old data; every read route answers the same', async () => {
      const created = await newDatabase(kind.name);
      const dataDir = tempDir('circlet-upgrade-');
      const repo = makeRepo(CONFIG);
      const database = openDatabase(created.url);
      try {
        const names = Object.keys(migrations);
        await migrateOnly(database, names.filter((n) => n <= '0011_runner_scope'));
        const db = database.db;
        const secrets = createSecretBox(crypto.randomBytes(32));
        const user = await ensureUser(db, 'alice');
        const token = await createApiToken(db, user.id, 't');
        await createWebSession(db, user.id, 60_000);
        const org = await ensureOrganization(db, 'github', 'acme');
        await addMember(db, org.id, user.id, 'admin');
        // The rest is written by today's storage, engine and agent, which need the tables
        // other branches added since 0011 (0012, 0014, 0015, 0020), so those are applied now:
        // the schema main had before this branch, without 0013 (the audit log).
        await migrateOnly(database, names.filter((n) => n !== '0013_audit_log'));
        expect((await import('../../src/storage/backup.ts').then((m) => m.appliedMigrations(db))).includes('0013_audit_log')).toBe(false);
        repo.commit({ '.circleci/config.yml': CONFIG });
        const project = await createProject(db, org, { name: 'app', vcsUrl: repo.dir, defaultBranch: 'main' });
        await putEnvVar(db, secrets, project.id, 'SECRET', 'value-1');
        await createCheckoutKey(db, secrets, project.id, 'deploy-key');
        const ctx = await createContext(db, org.id, 'prod');
        if (!ctx.ok) throw new Error('context');
        await putContextEnvVar(db, secrets, ctx.context.id, 'CTX', 'v');
        await createContextRestriction(db, ctx.context.id, { type: 'expression', value: 'pipeline.git.branch == "main"', name: null });
        await createWebhook(db, secrets, { projectId: project.id, name: 'hook', url: 'http://127.0.0.1:9/hook', verifyTls: false, signingSecret: 's', events: ['workflow-completed'] });
        // A real pipeline, run by a real agent.
        fs.writeFileSync(path.join(dataDir, 'agent-token'), (await createRunnerToken(db, 'agent')) + '\n');
        const instance = await createInstance({ database, secrets, dataDir });
        const agent = await startEmbeddedAgent({ database, url: instance.url, dataDir, concurrency: 1, logger: { info() {}, warn() {}, error() {}, debug() {} } as never });
        const get = async (p: string) => {
          const res = await fetch(instance.url + p, { headers: { 'Circle-Token': token } });
          return { status: res.status, body: (await res.json()) as any };
        };
        try {
          const trig = await fetch(`${instance.url}/api/v2/project/${SLUG}/pipeline`, { method: 'POST', headers: { 'Circle-Token': token, 'content-type': 'application/json' }, body: '{}' });
          expect(trig.status).toBe(201);
          const pipeline = (await trig.json()) as { id: string; number: number };
          let wf: any;
          const end = Date.now() + 60_000;
          while (Date.now() < end) {
            wf = (await get(`/api/v2/pipeline/${pipeline.id}/workflow`)).body.items[0];
            if (wf && ['success', 'failed', 'error'].includes(wf.status)) break;
            await new Promise((r) => setTimeout(r, 200));
          }
          expect(wf.status).toBe('success');
          const jobs = (await get(`/api/v2/workflow/${wf.id}/job`)).body.items as { name: string; job_number: number }[];
          const build = jobs.find((j) => j.name === 'build')!.job_number;
          const routes = [
            '/api/v2/me', '/api/v2/me/collaborations', `/api/v2/project/${SLUG}`, `/api/v2/project/${SLUG}/pipeline`, `/api/v2/pipeline/${pipeline.id}`,
            `/api/v2/pipeline/${pipeline.id}/config`, `/api/v2/pipeline/${pipeline.id}/workflow`, `/api/v2/workflow/${wf.id}`, `/api/v2/workflow/${wf.id}/job`,
            `/api/v2/project/${SLUG}/job/${build}`, `/api/v2/project/${SLUG}/${build}/artifacts`, `/api/v2/project/${SLUG}/${build}/tests`,
            `/api/v2/project/${SLUG}/envvar`, `/api/v2/project/${SLUG}/checkout-key`, `/api/v2/project/${SLUG}/settings`, `/api/v2/project/${SLUG}/schedule`,
            `/api/v2/context?owner-slug=gh/acme&owner-type=organization`, `/api/v2/context/${ctx.context.id}/environment-variable`, `/api/v2/context/${ctx.context.id}/restrictions`,
            `/api/v2/webhook?scope-id=${project.id}&scope-type=project`, `/api/v2/insights/${SLUG}/workflows?branch=main`, `/api/v2/insights/${SLUG}/workflows/main/jobs?branch=main`,
            `/api/v1.1/me`, `/api/v1.1/projects`, `/api/v1.1/recent-builds`, `/api/v1.1/project/${SLUG}`, `/api/v1.1/project/${SLUG}/${build}/artifacts`, `/api/v1.1/project/${SLUG}/envvar`, `/api/v1.1/project/${SLUG}/checkout-key`,
          ];
          // Presigned URLs carry their expiry: compared without it.
          const stable = (v: unknown) => JSON.parse(JSON.stringify(v).replace(/expires=\d+&sig=[0-9a-f]+/g, 'SIGNED'));
          const before: Record<string, unknown> = {};
          for (const r of routes) {
            const res = await get(r);
            expect(res.status, `${r}: ${JSON.stringify(res.body)}`).toBe(200);
            before[r] = stable(res.body);
          }
          await agent.stop();
          // The upgrade: the current migrations over the old data, the server still up.
          await migrate(database);
          const { appliedMigrations } = await import('../../src/storage/backup.ts');
          expect(await appliedMigrations(db)).toContain('0013_audit_log');
          for (const r of routes) {
            const res = await get(r);
            expect(res.status, r).toBe(200);
            expect(stable(res.body), r).toEqual(before[r]);
          }
        } finally {
          await agent.stop().catch(() => undefined);
          await instance.close();
        }
      } finally {
        await database.close();
        await created.drop();
        fs.rmSync(dataDir, { recursive: true, force: true });
        fs.rmSync(repo.dir, { recursive: true, force: true });
      }
    });

    it('refuses a database newer than this circlet, with a message saying so', async () => {
      const created = await newDatabase(kind.name);
      const database = openDatabase(created.url);
      try {
        await migrate(database);
        const { recordFutureMigration } = await import('./future-migration.ts');
        await recordFutureMigration(database, '9999_from_the_future');
        await expect(migrate(database)).rejects.toThrow(NewerDatabaseError);
        await expect(migrate(database)).rejects.toThrow(/newer than this circlet: it has migration\(s\) 9999_from_the_future/);
      } finally {
        await database.close();
      }
      if (kind.name === 'sqlite') {
        // `circlet serve` on it: exits 1 with the message, before listening.
        const dir = path.dirname(created.url);
        const r = await runCli(['serve', '--port', '0', '--data-dir', dir]);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/cannot open the database .*newer than this circlet.*9999_from_the_future/);
        expect(r.stdout).not.toMatch(/listening/);
      } else {
        const dir = tempDir();
        const r = await runCli(['serve', '--port', '0', '--data-dir', dir, '--database-url', created.url]);
        fs.rmSync(dir, { recursive: true, force: true });
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/newer than this circlet/);
      }
      await created.drop();
    });
  });
}
