// The servers bench:api and bench:api-instructions load: circlet's seeded data dir, a bare
// node:http server and a plain Fastify app answering circlet's recorded bytes, each started as
// a child process that prints `listening on <url>`.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { newId, nowIso } from '../src/domain/clock.ts';
import { generateToken, hashToken } from '../src/domain/tokens.ts';
import { openAndMigrate } from '../src/storage/db.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PROJECTS = 10_000;
const USERS = 1_000;
const ORGS = 100;

/** Seeds users, tokens, organizations, memberships and projects; returns the bench user's token and a project slug. */
export async function seed(dataDir: string): Promise<{ token: string; slug: string }> {
  const database = await openAndMigrate(path.join(dataDir, 'circlet.db'));
  const createdAt = nowIso();
  const users = Array.from({ length: USERS }, (_, i) => ({ id: newId(), login: `user-${i}`, name: `User ${i}`, avatar_url: null, created_at: createdAt }));
  const tokens = users.map((u) => ({ token: generateToken(), user: u }));
  const orgs = Array.from({ length: ORGS }, (_, i) => ({ id: newId(), vcs_type: 'github', name: `org-${i}`, created_at: createdAt }));
  // Every user belongs to 3 organizations.
  const memberships = users.flatMap((u, i) =>
    [0, 1, 2].map((k) => ({ organization_id: orgs[(i + k * 37) % ORGS]!.id, user_id: u.id, role: 'member', created_at: createdAt })),
  );
  const projects = Array.from({ length: PROJECTS }, (_, i) => ({
    id: newId(),
    organization_id: orgs[i % ORGS]!.id,
    name: `repo-${i}`,
    vcs_url: `https://github.com/org-${i % ORGS}/repo-${i}`,
    default_branch: 'main',
    settings: '{}',
    created_at: createdAt,
  }));
  const batches = <T>(rows: T[], size = 500): T[][] => Array.from({ length: Math.ceil(rows.length / size) }, (_, i) => rows.slice(i * size, (i + 1) * size));
  const started = performance.now();
  await database.db.transaction().execute(async (trx) => {
    for (const b of batches(users)) await trx.insertInto('users').values(b).execute();
    for (const b of batches(tokens)) {
      await trx
        .insertInto('api_tokens')
        .values(b.map((t) => ({ id: newId(), user_id: t.user.id, name: 'bench', token_hash: hashToken(t.token), created_at: createdAt })))
        .execute();
    }
    for (const b of batches(orgs)) await trx.insertInto('organizations').values(b).execute();
    for (const b of batches(memberships)) await trx.insertInto('memberships').values(b).execute();
    for (const b of batches(projects)) await trx.insertInto('projects').values(b).execute();
  });
  await database.close();
  console.log(`seeded ${USERS} users, ${ORGS} organizations, ${PROJECTS} projects in ${(performance.now() - started).toFixed(0)} ms`);
  // user-500 is a member of org-0 (500 % 100 = 0); repo-5000 belongs to org-0.
  return { token: tokens[500]!.token, slug: 'gh/org-0/repo-5000' };
}

/** BENCH_NODE_FLAGS, space-separated: node flags for the servers a bench starts. */
export function nodeFlags(): string[] {
  return process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? [];
}

/**
 * Starts a child process and resolves with the URL from its first `listening on <url>` stdout
 * line; with `cpus` (a taskset list, `1` or `1-3`), the process runs on those CPUs only.
 */
export function startChild(name: string, command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000, cpus?: string): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const [cmd, argv] = cpus === undefined ? [command, args] : ['taskset', ['-c', cpus, command, ...args]];
    const child = spawn(cmd, argv, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${name} did not start within ${timeoutMs / 1000} s; stdout: ${out}`)), timeoutMs);
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      out += chunk;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]! });
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? signal}) before listening; stdout: ${out}`));
    });
  });
}

export function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** The bare server: answers exactly the recorded responses (same body bytes and content-type). */
export const BARE_SERVER = `
const http = require('node:http');
const routes = JSON.parse(process.env.BENCH_ROUTES);
const answers = new Map(Object.entries(routes).map(([p, r]) => [p, { status: r.status, body: Buffer.from(r.body), type: r.type }]));
const server = http.createServer((req, res) => {
  const a = answers.get(req.url);
  if (!a) { res.writeHead(404); res.end(); return; }
  res.writeHead(a.status, { 'content-type': a.type, 'content-length': a.body.length });
  res.end(a.body);
});
server.keepAliveTimeout = 72000;
server.listen(0, '127.0.0.1', () => console.log('bare listening on http://127.0.0.1:' + server.address().port));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

/**
 * A second floor, for reference: Fastify itself answering the same bytes from static routes
 * (no hooks, no logger), i.e. what any Fastify application pays per request before its own work.
 */
export const FASTIFY_SERVER = `
const fastify = require(process.env.BENCH_FASTIFY)({ logger: false, keepAliveTimeout: 72000 });
const routes = JSON.parse(process.env.BENCH_ROUTES);
for (const [p, r] of Object.entries(routes)) fastify.get(p, (req, reply) => { reply.code(r.status).type(r.type).send(r.body); });
fastify.listen({ port: 0, host: '127.0.0.1' }).then((url) => console.log('fastify listening on ' + url));
process.on('SIGTERM', () => fastify.close().then(() => process.exit(0)));
`;

