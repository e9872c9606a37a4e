// Writes the upgrade fixture (test/fixtures/upgrade/, read by test/ops/upgrade-fixture.test.ts):
// drives an OLD circlet — built from an older commit by scripts/make-upgrade-fixture.sh —
// through its command line and its HTTP API only (nothing here imports circlet's code, so the
// rows are what that version wrote): users and tokens, an organization with members, a
// project with env vars, a checkout key, follows, an incoming-hook secret, a schedule, an
// outbound webhook (delivered to a receiver here), a context with a variable and a
// restriction, a self-hosted resource class with its runner token and agent, a dashboard
// session, and three pipelines run by real agents (artifacts, test results, caches,
// workspaces, step output, an approval, a canceled workflow). Then it records what the old
// server answers on every read route, stops it, checks that no table of its schema is empty,
// and saves the database (SQLite: VACUUM INTO; PostgreSQL: pg_dump, plain SQL), the blobs and
// the secret key.
//   tsx scripts/upgrade-fixture/drive.ts --old DIR --out DIR [--database-url postgres://…]
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import pg from 'pg';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1]!);
const OLD = path.resolve(args.get('old') ?? fail('--old DIR is required'));
const OUT = path.resolve(args.get('out') ?? fail('--out DIR is required'));
const DATABASE_URL = args.get('database-url');
const KIND = DATABASE_URL ? 'postgres' : 'sqlite';

function fail(message: string): never {
  throw new Error(message);
}

const SLUG = 'gh/acme/app';
const CONFIG = `
version: 2.1
jobs:
  build:
    machine: true
    steps:
      - checkout
      - run: {name: make, command: 'mkdir -p out/tests && echo hi > out/a.txt && echo "<testsuite><testcase name=\\"t1\\" classname=\\"c\\"/><testcase name=\\"t2\\" classname=\\"c\\"><failure message=\\"boom\\">boom</failure></testcase></testsuite>" > out/tests/r.xml'}
      - store_artifacts: {path: out/a.txt}
      - store_test_results: {path: out/tests}
      - save_cache: {key: deps-v1, paths: [out]}
      - persist_to_workspace: {root: out, paths: [a.txt]}
  big:
    machine: true
    resource_class: acme/big
    steps: [{run: echo on the self-hosted class}]
  deploy:
    machine: true
    steps: [{attach_workspace: {at: ws}}, {restore_cache: {keys: [deps-v1]}}, {run: 'cat ws/a.txt && test -n "$CTX"'}]
workflows:
  main:
    jobs:
      - build
      - big: {requires: [build]}
      - hold: {type: approval, requires: [build]}
      - deploy: {requires: [hold, big], context: [prod]}
  lint:
    jobs: [build]
`;

const TABLES_IGNORED = new Set(['circlet_migrations', 'circlet_migrations_lock', 'kysely_migration', 'kysely_migration_lock']);

function git(cwd: string, ...a: string[]): string {
  return execFileSync('git', a, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'Fixture', GIT_AUTHOR_EMAIL: 'fixture@example.com', GIT_COMMITTER_NAME: 'Fixture', GIT_COMMITTER_EMAIL: 'fixture@example.com' } }).trim();
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'circlet-fixture-'));
const dataDir = path.join(tmp, 'data');
const repoDir = path.join(tmp, 'repo');
const children: ChildProcess[] = [];

function dataArgs(): string[] {
  return ['--data-dir', dataDir, ...(DATABASE_URL ? ['--database-url', DATABASE_URL] : [])];
}

function cli(...a: string[]): string {
  return execFileSync(process.execPath, [path.join(OLD, 'bin/circlet.js'), ...a, ...dataArgs()], { encoding: 'utf8', env: { ...process.env, CIRCLET_LOG_LEVEL: 'warn' } }).trim();
}

function start(a: string[], ready: RegExp): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, [path.join(OLD, 'bin/circlet.js'), ...a], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CIRCLET_LOG_LEVEL: 'warn' } });
  children.push(child);
  let out = '';
  child.stderr!.on('data', (d: Buffer) => process.stderr.write(`[${a[0]}] ${d}`));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m) resolve({ child, line: m[0] });
    });
    child.on('exit', (code) => reject(new Error(`${a[0]} exited ${code} before it was ready: ${out}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 120_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function main(): Promise<void> {
  // The repository: main with the config, a feature branch one commit ahead.
  fs.mkdirSync(repoDir);
  git(repoDir, 'init', '-q', '-b', 'main');
  fs.mkdirSync(path.join(repoDir, '.circleci'));
  fs.writeFileSync(path.join(repoDir, '.circleci/config.yml'), CONFIG);
  fs.writeFileSync(path.join(repoDir, 'README.md'), 'fixture\n');
  git(repoDir, 'add', '-A');
  git(repoDir, 'commit', '-q', '-m', 'config');
  git(repoDir, 'checkout', '-q', '-b', 'feature');
  fs.writeFileSync(path.join(repoDir, 'feature.txt'), 'feature\n');
  git(repoDir, 'add', '-A');
  git(repoDir, 'commit', '-q', '-m', 'feature');
  git(repoDir, 'checkout', '-q', 'main');

  // Through the old command line: users and tokens, the project and its organization,
  // members, a self-hosted resource class and its runner token.
  const alice = cli('token', 'create', '--login', 'alice', '--name', 'alice-laptop');
  const bob = cli('token', 'create', '--login', 'bob', '--name', 'bob-ci');
  cli('project', 'add', SLUG, '--repo', repoDir, '--owner', 'alice');
  cli('project', 'add', 'gh/acme/lib', '--repo', repoDir, '--owner', 'alice');
  cli('project', 'member', 'add', SLUG, 'bob', '--role', 'member');
  cli('runner', 'resource-class', 'create', 'acme/big', '--org', 'gh/acme');
  const runnerToken = cli('runner', 'token', 'create', '--resource-class', 'acme/big', '--name', 'big-runner');

  const server = await start(['serve', '--port', '0', '--agents', '1', ...dataArgs()], /circlet listening on (\S+)/);
  const url = /circlet listening on (\S+)/.exec(server.line)![1]!;
  const admin = fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
  const agentDir = path.join(tmp, 'agent');
  const agent = spawn(process.execPath, [path.join(OLD, 'bin/circlet.js'), 'agent', '--server', url, '--token', runnerToken, '--resource-class', 'acme/big', '--work-dir', agentDir, '--name', 'fixture-big'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(agent);

  // A webhook receiver: every delivery answered 200.
  const received: string[] = [];
  const receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push(body);
      res.end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const hookUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;

  const call = async (method: string, p: string, token: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(url + p, {
      method,
      headers: { 'Circle-Token': token, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: res.status, body: json, headers: res.headers };
  };
  const ok = async (method: string, p: string, token: string, body?: unknown) => {
    const r = await call(method, p, token, body);
    if (r.status >= 300) throw new Error(`${method} ${p}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };

  try {
    const project = await ok('GET', `/api/v2/project/${SLUG}`, alice);
    await ok('POST', `/api/v2/project/${SLUG}/envvar`, alice, { name: 'SECRET', value: 'value-1' });
    await ok('POST', `/api/v1.1/project/${SLUG}/envvar`, alice, { name: 'V1_VAR', value: 'value-2' });
    const key = await ok('POST', `/api/v2/project/${SLUG}/checkout-key`, alice, { type: 'deploy-key' });
    const ctx = await ok('POST', '/api/v2/context', alice, { name: 'prod', owner: { slug: 'gh/acme', type: 'organization' } });
    await ok('PUT', `/api/v2/context/${ctx.id}/environment-variable/CTX`, alice, { value: 'context-value' });
    await ok('POST', `/api/v2/context/${ctx.id}/restrictions`, alice, { restriction_type: 'expression', restriction_value: 'pipeline.git.branch == "main" or pipeline.git.branch == "feature"' });
    // A schedule that does not come due soon after the fixture is made (its hour is twelve
    // hours away, on one day of the week).
    const hour = (new Date().getUTCHours() + 12) % 24;
    const day = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'][(new Date().getUTCDay() + 3) % 7];
    const schedule = await ok('POST', `/api/v2/project/${SLUG}/schedule`, alice, {
      name: 'nightly',
      description: 'the nightly build',
      'attribution-actor': 'current',
      parameters: { branch: 'main' },
      timetable: { 'per-hour': 1, 'hours-of-day': [hour], 'days-of-week': [day] },
    });
    const webhook = await ok('POST', '/api/v2/webhook', alice, {
      name: 'notify',
      events: ['workflow-completed', 'job-completed'],
      url: hookUrl,
      'verify-tls': false,
      'signing-secret': 'fixture-signing-secret',
      scope: { id: project.id, type: 'project' },
    });
    await ok('GET', `/api/v2/project/${SLUG}/incoming-webhooks`, alice);
    await ok('POST', `/api/v1.1/project/${SLUG}/follow`, alice);
    await ok('POST', `/api/v1.1/project/gh/acme/lib/follow`, bob).catch(() => undefined);
    const signIn = await fetch(url + '/auth/sign-in', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: alice }) });
    if (signIn.status >= 300) throw new Error(`sign-in: ${signIn.status}`);

    const workflowsDone = (pipelineId: string, want: number) =>
      until(`the workflows of ${pipelineId}`, async () => {
        const items = (await ok('GET', `/api/v2/pipeline/${pipelineId}/workflow`, alice)).items as { id: string; name: string; status: string }[];
        return items.length === want && items.every((w) => !['running', 'on_hold', 'not_run', 'failing'].includes(w.status)) ? items : undefined;
      });
    const onHold = (pipelineId: string) =>
      until(`an approval in ${pipelineId}`, async () => {
        const wf = ((await ok('GET', `/api/v2/pipeline/${pipelineId}/workflow`, alice)).items as { id: string; name: string; status: string }[]).find((w) => w.name === 'main');
        if (!wf || wf.status !== 'on_hold') return undefined;
        const jobs = (await ok('GET', `/api/v2/workflow/${wf.id}/job`, alice)).items as { type: string; status: string; approval_request_id?: string }[];
        const hold = jobs.find((j) => j.type === 'approval' && j.status === 'on_hold');
        return hold ? { wf, hold } : undefined;
      });

    // Pipeline 1 (v2, main): everything runs, the approval given by alice.
    const p1 = await ok('POST', `/api/v2/project/${SLUG}/pipeline`, alice, { branch: 'main' });
    const h1 = await onHold(p1.id);
    await ok('POST', `/api/v2/workflow/${h1.wf.id}/approve/${h1.hold.approval_request_id}`, alice);
    await workflowsDone(p1.id, 2);
    // Pipeline 2 (v1.1, feature): its main workflow canceled at the approval.
    await ok('POST', `/api/v1.1/project/${SLUG}/tree/feature`, bob, {});
    const p2 = (await ok('GET', `/api/v2/project/${SLUG}/pipeline?branch=feature`, alice)).items[0];
    const h2 = await onHold(p2.id);
    await ok('POST', `/api/v2/workflow/${h2.wf.id}/cancel`, bob);
    await workflowsDone(p2.id, 2);
    // Pipeline 3 (v2, main, with parameters): rerun of pipeline 1's lint workflow from failed is not needed; a plain second run gives insights two runs.
    const p3 = await ok('POST', `/api/v2/project/${SLUG}/pipeline`, bob, { branch: 'main' });
    const h3 = await onHold(p3.id);
    await ok('POST', `/api/v2/workflow/${h3.wf.id}/approve/${h3.hold.approval_request_id}`, bob);
    await workflowsDone(p3.id, 2);
    // Every delivery answered before the answers are recorded.
    await until('webhook deliveries', async () => {
      const n = received.length;
      await new Promise((r) => setTimeout(r, 1500));
      return n > 0 && received.length === n ? n : undefined;
    });

    // The read routes and what the old server answers on them.
    const pipelines = [p1.id, p2.id, p3.id];
    const routes: { path: string; as: 'alice' | 'bob' | 'admin' }[] = [];
    const add = (p: string, as: 'alice' | 'bob' | 'admin' = 'alice') => routes.push({ path: p, as });
    add('/api/v2/me');
    add('/api/v2/me', 'bob');
    add('/api/v2/me/collaborations');
    add(`/api/v2/project/${SLUG}`);
    add(`/api/v2/project/gh/acme/lib`);
    add(`/api/v2/project/${SLUG}/pipeline`);
    add(`/api/v2/project/${SLUG}/pipeline?branch=feature`);
    add(`/api/v2/project/${SLUG}/pipeline/mine`, 'bob');
    add(`/api/v2/project/${SLUG}/pipeline/1`);
    add('/api/v2/pipeline?org-slug=gh/acme');
    add(`/api/v2/project/${SLUG}/settings`);
    add(`/api/v2/project/${SLUG}/envvar`);
    add(`/api/v2/project/${SLUG}/envvar/SECRET`);
    add(`/api/v2/project/${SLUG}/checkout-key`);
    add(`/api/v2/project/${SLUG}/checkout-key/${key.fingerprint}`);
    add(`/api/v2/project/${SLUG}/schedule`);
    add(`/api/v2/schedule/${schedule.id}`);
    add(`/api/v2/projects/${project.id}/pipeline-definitions`);
    add(`/api/v2/context?owner-slug=gh/acme&owner-type=organization`);
    add(`/api/v2/context/${ctx.id}`);
    add(`/api/v2/context/${ctx.id}/environment-variable`);
    add(`/api/v2/context/${ctx.id}/restrictions`);
    add(`/api/v2/webhook?scope-id=${project.id}&scope-type=project`);
    add(`/api/v2/webhook/${webhook.id}`);
    add(`/api/v2/user/${(await ok('GET', '/api/v2/me', bob)).id}`);
    for (const id of pipelines) {
      add(`/api/v2/pipeline/${id}`);
      add(`/api/v2/pipeline/${id}/config`);
      add(`/api/v2/pipeline/${id}/values`);
      add(`/api/v2/pipeline/${id}/workflow`);
      for (const wf of (await ok('GET', `/api/v2/pipeline/${id}/workflow`, alice)).items as { id: string }[]) {
        add(`/api/v2/workflow/${wf.id}`);
        add(`/api/v2/workflow/${wf.id}/job`);
        for (const job of (await ok('GET', `/api/v2/workflow/${wf.id}/job`, alice)).items as { job_number?: number }[]) {
          if (job.job_number === undefined || job.job_number === null) continue;
          add(`/api/v2/project/${SLUG}/job/${job.job_number}`);
          add(`/api/v2/project/${SLUG}/${job.job_number}/artifacts`);
          add(`/api/v2/project/${SLUG}/${job.job_number}/tests`);
          add(`/api/v1.1/project/${SLUG}/${job.job_number}`);
          add(`/api/v1.1/project/${SLUG}/${job.job_number}/artifacts`);
          add(`/api/v1.1/project/${SLUG}/${job.job_number}/tests`);
        }
      }
    }
    const w = `/api/v2/insights/${SLUG}/workflows`;
    for (const q of ['?branch=main', '?all-branches=true', '?branch=feature']) add(w + q);
    add(`${w}/main?branch=main`);
    add(`${w}/main/jobs?branch=main`);
    add(`${w}/main/jobs/build?branch=main`);
    add(`${w}/main/summary?branch=main`);
    add(`${w}/main/test-metrics?branch=main`);
    add(`/api/v2/insights/${SLUG}/branches`);
    add(`/api/v2/insights/${SLUG}/flaky-tests`);
    add(`/api/v2/insights/time-series/${SLUG}/workflows/main/jobs?branch=main`);
    add(`/api/v2/insights/pages/${SLUG}/summary`);
    add('/api/v2/insights/gh/acme/summary');
    add('/api/v1.1/me');
    add('/api/v1.1/projects');
    add('/api/v1.1/recent-builds');
    add('/api/v1.1/recent-builds', 'admin');
    add(`/api/v1.1/project/${SLUG}`);
    add(`/api/v1.1/project/${SLUG}/tree/feature`);
    add(`/api/v1.1/project/${SLUG}/envvar`);
    add(`/api/v1.1/project/${SLUG}/checkout-key`);
    add('/api/private/me/followed-projects');

    const tokens = { alice, bob, admin };
    const answers: { path: string; as: string; status: number; body: unknown }[] = [];
    for (const r of routes) {
      const res = await call('GET', r.path, tokens[r.as]);
      answers.push({ path: r.path, as: r.as, status: res.status, body: res.body });
    }
    // What the links in those answers serve: artifacts and step output (read from the blobs).
    const downloads: { url: string; status: number; body: string }[] = [];
    const links = new Set<string>();
    for (const a of answers) for (const m of JSON.stringify(a.body).matchAll(/"(http:\/\/127\.0\.0\.1:\d+\/api\/(?:v2\/output\/job|v1\.1\/step-output)\/[^"]+)"/g)) links.add(m[1]!);
    for (const link of [...links].sort()) {
      const res = await fetch(link, { headers: { 'Circle-Token': alice } });
      downloads.push({ url: link.replace(url, 'ORIGIN').replace(/expires=\d+&sig=[0-9a-f]+/, 'SIGNED'), status: res.status, body: await res.text() });
    }
    const capturedAt = new Date().toISOString();

    await stop(agent);
    await stop(server.child);
    await new Promise((r) => receiver.close(r));

    // No table of the old schema may be empty.
    const counts = await tableCounts();
    const empty = Object.entries(counts).filter(([, n]) => n === 0);
    if (empty.length > 0) throw new Error(`empty tables in the fixture: ${empty.map(([t]) => t).join(', ')}`);

    const out = path.join(OUT, KIND);
    fs.rmSync(out, { recursive: true, force: true });
    fs.mkdirSync(out, { recursive: true });
    if (DATABASE_URL) {
      const dump = execFileSync('pg_dump', ['--no-owner', '--no-privileges', '--format=plain', DATABASE_URL], { encoding: 'utf8', maxBuffer: 64 << 20 });
      // The dump of a pg_dump newer than the server the test restores into may set settings
      // the older one does not know; none are needed.
      fs.writeFileSync(path.join(out, 'circlet.sql'), dump.replace(/^SET transaction_timeout = .*$/m, ''));
    } else {
      const db = new Sqlite(path.join(dataDir, 'circlet.db'));
      db.exec(`VACUUM INTO '${path.join(out, 'circlet.db').replace(/'/g, "''")}'`);
      db.close();
    }
    fs.cpSync(path.join(dataDir, 'blobs'), path.join(out, 'blobs'), { recursive: true });
    fs.copyFileSync(path.join(dataDir, 'secret.key'), path.join(out, 'secret.key'));
    fs.writeFileSync(
      path.join(out, 'answers.json'),
      JSON.stringify({ commit: process.env.FIXTURE_COMMIT ?? 'unknown', kind: KIND, url, capturedAt, tokens: { ...tokens, runner: runnerToken }, tables: counts, answers, downloads }, null, 1) + '\n',
    );
    process.stdout.write(`${KIND}: ${answers.length} answers, ${downloads.length} downloads, ${Object.keys(counts).length} tables, ${received.length} webhook deliveries -> ${out}\n`);
  } finally {
    for (const c of children) await stop(c).catch(() => undefined);
    receiver.close();
  }
}

async function tableCounts(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  if (DATABASE_URL) {
    const c = new pg.Client({ connectionString: DATABASE_URL });
    await c.connect();
    try {
      const { rows } = await c.query<{ table_name: string }>("select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name");
      for (const { table_name: t } of rows) if (!TABLES_IGNORED.has(t)) counts[t] = Number((await c.query(`select count(*) as n from "${t}"`)).rows[0].n);
    } finally {
      await c.end();
    }
  } else {
    const db = new Sqlite(path.join(dataDir, 'circlet.db'), { readonly: true });
    const names = db.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name").all() as { name: string }[];
    for (const { name } of names) if (!TABLES_IGNORED.has(name)) counts[name] = (db.prepare(`select count(*) as n from "${name}"`).get() as { n: number }).n;
    db.close();
  }
  return counts;
}

try {
  await main();
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
