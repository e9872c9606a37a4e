// A real circlet server on loopback for HTTP tests, on the given database kind.
import fs from 'node:fs';
import { createSecretBox } from '../../src/domain/secret-box.ts';
import type { Engine } from '../../src/engine/engine.ts';
import { createInstance, type EngineTuning, type InstanceConfig } from '../../src/server/instance.ts';
import type { Database } from '../../src/storage/db.ts';
import { addMember, ensureOrganization } from '../../src/storage/organizations.ts';
import { createProject, type ProjectWithOrg } from '../../src/storage/projects.ts';
import { createApiToken, ensureUser, type User } from '../../src/storage/users.ts';
import { tempDir, type TestDatabaseKind } from './databases.ts';
import type { FastifyInstance } from 'fastify';
import crypto from 'node:crypto';

export interface TestServer {
  app: FastifyInstance;
  database: Database;
  url: string;
  /** The metrics listener's URL, when the instance was given one. */
  metricsUrl?: string;
  dataDir: string;
  secrets: ReturnType<typeof createSecretBox>;
  engine: Engine;
  close(): Promise<void>;
  /** A user with a token, member of `gh/<org>` when org is given. */
  user(login: string, org?: string): Promise<{ user: User; token: string }>;
  project(slug: string, repo?: string, defaultBranch?: string): Promise<ProjectWithOrg>;
  /** fetch against the server with the given token. */
  call(method: string, path: string, token?: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; text: string; headers: Headers }>;
}

/** Instance settings a test may add (metrics, TLS, rate limits, proxies). */
export type TestInstanceOptions = Partial<Omit<InstanceConfig, 'database' | 'secrets' | 'dataDir' | 'engine'>>;

export async function startTestServer(kind: TestDatabaseKind, engineOptions: EngineTuning = {}, instanceOptions: TestInstanceOptions = {}): Promise<TestServer> {
  const { database, dispose } = await kind.create();
  const dataDir = tempDir('circlet-data-');
  const secrets = createSecretBox(crypto.randomBytes(32));
  const { app, engine, url, close, metricsUrl } = await createInstance({ ...instanceOptions, database, secrets, dataDir, engine: engineOptions });
  return {
    app,
    database,
    url,
    metricsUrl,
    dataDir,
    secrets,
    engine,
    async close() {
      await close();
      await dispose();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
    async user(login, org) {
      const user = await ensureUser(database.db, login);
      if (org) await addMember(database.db, (await ensureOrganization(database.db, 'github', org)).id, user.id);
      return { user, token: await createApiToken(database.db, user.id, 'test') };
    },
    async project(slug, repo = '/nonexistent', defaultBranch = 'main') {
      const [provider, org, name] = slug.split('/');
      const vcs = provider === 'bb' || provider === 'bitbucket' ? 'bitbucket' : 'github';
      const o = await ensureOrganization(database.db, vcs, org!);
      return createProject(database.db, o, { name: name!, vcsUrl: repo, defaultBranch });
    },
    async call(method, path, token, body, headers = {}) {
      const res = await fetch(url + path, {
        method,
        headers: { ...(token ? { 'Circle-Token': token } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = undefined;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: res.status, body: parsed, text, headers: res.headers };
    },
  };
}
