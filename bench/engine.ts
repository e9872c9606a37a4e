// Pipeline engine benchmark, on SQLite and (when a URL is given) PostgreSQL.
//
//   npm run bench:engine
//   CIRCLET_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:engine
//   BENCH_ITERATIONS=40 BENCH_WARMUP=15 BENCH_CLAIM_TASKS=8000 npm run bench:engine
//
// The PostgreSQL URL comes from CIRCLET_BENCH_DATABASE_URL, else CIRCLET_TEST_DATABASE_URL;
// a fresh database is created next to it and dropped afterwards.
//
// Figures (each printed beside its floor and target):
// - trigger → claimable: `POST /project/{slug}/pipeline` on a warm git mirror until the first
//   job is claimable (the 201 is sent after the insert transaction commits, so claimable =
//   the trigger's response), p50 and p95; also trigger → first claim answered.
// - orchestration overhead per job: a pipeline of 3 workflows × 10 jobs (fan-out 1 → 8 → 1)
//   run by one agent over HTTP that completes each job at once; wall time ÷ 30.
// - claims/s with 16 concurrent claimers (PostgreSQL): the engine's claim (atomic UPDATE …
//   FOR UPDATE SKIP LOCKED + the workflow advance), and over HTTP (`POST /runner/v1/claim`
//   with its task payload); duplicates counted (must be 0); beside the raw SQL claim
//   statement alone on the same database in the same run.
// Floors: what a single SQL round trip allows on this machine (measured here). Targets:
// trigger → claimable ≤ 30 ms p50; ≥ 1,000 claims/s on PostgreSQL. Exits 1 on a miss.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { createSecretBox } from '../src/domain/secret-box.ts';
import { claimTask } from '../src/engine/runner/claims.ts';
import type { Engine } from '../src/engine/engine.ts';
import { createInstance } from '../src/server/instance.ts';
import { openAndMigrate, type Database } from '../src/storage/db.ts';
import { addMember, ensureOrganization } from '../src/storage/organizations.ts';
import { createProject } from '../src/storage/projects.ts';
import { createRunnerToken } from '../src/storage/runner-tokens.ts';
import { createApiToken, ensureUser } from '../src/storage/users.ts';
import { execFileSync } from 'node:child_process';
import { benchPostgresUrl, cpuMs, loadAverage, withFreshPostgres } from './lib.ts';
import { rawClaimAll, seedTasks } from './claim-seed.ts';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 30);
const PIPELINE_RUNS = Number(process.env.BENCH_PIPELINE_RUNS ?? 5);
const CLAIM_TASKS = Number(process.env.BENCH_CLAIM_TASKS ?? 6000);
const CLAIMERS = 16;
const WARMUP = Number(process.env.BENCH_WARMUP ?? 15);
const TARGET_TRIGGER_P50_MS = 30;
const TARGET_CLAIMS_PER_S = 1000;

const JOBS_PER_WORKFLOW = 10;
const WORKFLOWS = 3;
function benchConfig(): string {
  const jobs = Array.from({ length: JOBS_PER_WORKFLOW }, (_, i) => `  j${i}:\n    machine: true\n    steps: [checkout, {run: echo ${i}}]\n`).join('');
  const wf = (name: string) =>
    `  ${name}:\n    jobs:\n      - j0\n` +
    Array.from({ length: JOBS_PER_WORKFLOW - 2 }, (_, i) => `      - j${i + 1}: {requires: [j0]}\n`).join('') +
    `      - j${JOBS_PER_WORKFLOW - 1}: {requires: [${Array.from({ length: JOBS_PER_WORKFLOW - 2 }, (_, i) => `j${i + 1}`).join(', ')}]}\n`;
  return `version: 2.1\njobs:\n${jobs}workflows:\n${Array.from({ length: WORKFLOWS }, (_, i) => wf(`w${i + 1}`)).join('')}`;
}


const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const ms = (n: number) => `${n.toFixed(2)} ms`;

interface Row {
  db: string;
  figure: string;
  value: string;
  floor: string;
  target: string;
  ok: boolean | null;
}
const rows: Row[] = [];
const report = (r: Row) => {
  rows.push(r);
  console.log(`  ${r.figure.padEnd(46)} ${r.value.padStart(14)}   floor ${r.floor.padEnd(16)} target ${r.target}${r.ok === false ? '   MISSED' : ''}`);
};

function gitRepo(config: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'circlet-bench-repo-'));
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=Bench', '-c', 'user.email=bench@example.com', ...args], { cwd: dir, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  fs.mkdirSync(path.join(dir, '.circleci'));
  fs.writeFileSync(path.join(dir, '.circleci/config.yml'), config);
  git('add', '-A');
  git('commit', '-q', '-m', 'bench');
  return dir;
}

async function roundTripFloor(database: Database): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    await sql`select 1`.execute(database.db);
    times.push(performance.now() - t);
  }
  return pct(times, 50);
}

async function benchDatabase(name: 'sqlite' | 'postgres', url: string, repoDir: string): Promise<void> {
  console.log(`\n${name}`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'circlet-bench-data-'));
  const database = await openAndMigrate(url);
  const secrets = createSecretBox(crypto.randomBytes(32));
  const instance = await createInstance({ database, secrets, dataDir, engine: { leaseMs: 60_000 }, start: false });
  const { engine, url: base } = instance;
  try {
    const user = await ensureUser(database.db, 'bench');
    const org = await ensureOrganization(database.db, 'github', 'bench');
    await addMember(database.db, org.id, user.id);
    const token = await createApiToken(database.db, user.id, 'bench');
    await createProject(database.db, org, { name: 'app', vcsUrl: repoDir, defaultBranch: 'main' });
    const runnerToken = await createRunnerToken(database.db, 'bench');
    const floor = await roundTripFloor(database);

    const post = async (p: string, body: unknown, auth: Record<string, string>) => {
      const res = await fetch(base + p, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    };
    const trigger = () => post('/api/v2/project/gh/bench/app/pipeline', {}, { 'Circle-Token': token });
    const runner = { authorization: `Bearer ${runnerToken}` };
    const claim = () => post('/api/runner/v1/claim', { agent_id: 'bench', executors: ['machine'], wait_ms: 0 }, runner);
    const complete = (task: { id: string; credential: string }) =>
      post(`/api/runner/v1/tasks/${task.id}/complete`, { agent_id: 'bench', status: 'success' }, { ...runner, 'x-circlet-task-credential': task.credential });
    const drain = async () => {
      let n = 0;
      for (;;) {
        const c = await claim();
        if (c.status === 204) return n;
        if (c.status !== 200) throw new Error(`claim: ${c.status}`);
        await complete(c.body.task);
        n++;
      }
    };

    // Warm the mirror, the compiler and the JIT (the first database measured must not pay for it).
    for (let i = 0; i < WARMUP; i++) {
      const t = await trigger();
      if (t.status !== 201 || t.body.state !== 'created') throw new Error(`trigger: ${JSON.stringify(t)}`);
      await drain();
    }

    // Trigger → claimable.
    const claimable: number[] = [];
    const firstClaim: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < ITERATIONS; i++) {
      const c0 = cpuMs();
      const t0 = performance.now();
      const t = await trigger();
      claimable.push(performance.now() - t0);
      cpu.push(cpuMs() - c0);
      const c = await claim();
      firstClaim.push(performance.now() - t0);
      if (t.status !== 201 || c.status !== 200) throw new Error(`trigger ${t.status} / claim ${c.status}`);
      await complete(c.body.task);
      await drain();
    }
    const p50 = pct(claimable, 50);
    report({ db: name, figure: 'trigger → claimable p50 (warm mirror)', value: ms(p50), floor: ms(floor) + ' (1 RTT)', target: `≤ ${TARGET_TRIGGER_P50_MS} ms`, ok: p50 <= TARGET_TRIGGER_P50_MS });
    report({ db: name, figure: 'trigger → claimable p95', value: ms(pct(claimable, 95)), floor: '', target: '', ok: null });
    report({ db: name, figure: 'trigger CPU of the server process, mean', value: ms(cpu.reduce((a, b) => a + b, 0) / cpu.length), floor: '', target: '(load-independent)', ok: null });
    // The git part alone: the mirror's fetch + read, as a trigger does it (git runs in a helper shell).
    const project = (await database.db.selectFrom('projects').select('id').executeTakeFirstOrThrow()).id;
    const gitWall: number[] = [];
    for (let i = 0; i < ITERATIONS; i++) {
      const t = performance.now();
      await engine.deps.mirrors.resolve(project, repoDir, { branch: 'main' }, '.circleci/config.yml');
      gitWall.push(performance.now() - t);
    }
    report({ db: name, figure: 'of which git fetch + cat-file, p50 (wall)', value: ms(pct(gitWall, 50)), floor: '', target: '', ok: null });
    report({ db: name, figure: 'trigger → first claim answered p50', value: ms(pct(firstClaim, 50)), floor: '', target: '', ok: null });

    // Orchestration overhead per job.
    const perJob: number[] = [];
    const perJobCpu: number[] = [];
    for (let i = 0; i < PIPELINE_RUNS; i++) {
      const c0 = cpuMs();
      const t0 = performance.now();
      await trigger();
      const n = await drain();
      if (n !== WORKFLOWS * JOBS_PER_WORKFLOW) throw new Error(`ran ${n} jobs`);
      perJob.push((performance.now() - t0) / n);
      perJobCpu.push((cpuMs() - c0) / n);
    }
    const wfs = await database.db.selectFrom('workflows').select('status').where('status', '!=', 'success').execute();
    if (wfs.length > 0) throw new Error(`${wfs.length} workflows did not succeed`);
    report({ db: name, figure: 'orchestration overhead per job (3×10, HTTP)', value: ms(pct(perJob, 50)), floor: ms(2 * floor) + ' (2 RTT)', target: '—', ok: null });
    report({ db: name, figure: 'per job CPU (server + agent, one process)', value: ms(pct(perJobCpu, 50)), floor: '', target: '(load-independent)', ok: null });

    if (name === 'postgres') await claimThroughput(engine, database, url, base, runnerToken, floor);
  } finally {
    await instance.close();
    await database.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function claimThroughput(engine: Engine, database: Database, url: string, base: string, runnerToken: string, floor: number): Promise<void> {
  const dupCheck = (ids: string[]) => ids.length - new Set(ids).size;

  // Raw SQL: the claim statement alone, 16 connections.
  await seedTasks(database, CLAIM_TASKS);
  const raw = await rawClaimAll(url, CLAIMERS);
  const rawIds = raw.ids;
  const rawRate = rawIds.length / raw.seconds;
  report({ db: 'postgres', figure: `raw SQL claim, ${CLAIMERS} connections`, value: `${rawRate.toFixed(0)}/s`, floor: `${(1000 / floor).toFixed(0)}/s/conn`, target: `duplicates ${dupCheck(rawIds)}`, ok: dupCheck(rawIds) === 0 });

  // Engine claims: UPDATE … SKIP LOCKED + advance, 16 concurrent claimers in this process.
  await seedTasks(database, CLAIM_TASKS);
  const engineIds: string[] = [];
  let t0 = performance.now();
  await Promise.all(
    Array.from({ length: CLAIMERS }, async (_, i) => {
      for (;;) {
        const claimed = await claimTask(engine.deps, { agentId: `engine-${i}`, executors: ['machine'], resourceClasses: null, runnerTokenId: 'bench' }, 'bench');
        if (!claimed) return;
        engineIds.push(claimed.task.id);
      }
    }),
  );
  const engineRate = engineIds.length / ((performance.now() - t0) / 1000);
  const dupEngine = dupCheck(engineIds);
  report({
    db: 'postgres',
    figure: `engine claims/s, ${CLAIMERS} claimers`,
    value: `${engineRate.toFixed(0)}/s`,
    floor: `raw ${rawRate.toFixed(0)}/s`,
    target: `≥ ${TARGET_CLAIMS_PER_S}/s, dup ${dupEngine}`,
    ok: engineRate >= TARGET_CLAIMS_PER_S && dupEngine === 0 && engineIds.length === CLAIM_TASKS,
  });

  // Over HTTP: claim + task payload, 16 concurrent clients.
  await seedTasks(database, CLAIM_TASKS);
  const httpIds: string[] = [];
  t0 = performance.now();
  await Promise.all(
    Array.from({ length: CLAIMERS }, async (_, i) => {
      for (;;) {
        const res = await fetch(`${base}/api/runner/v1/claim`, {
          method: 'POST',
          headers: { authorization: `Bearer ${runnerToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ agent_id: `http-${i}`, executors: ['machine'], wait_ms: 0 }),
        });
        if (res.status === 204) return;
        if (res.status !== 200) throw new Error(`claim ${res.status}: ${await res.text()}`);
        httpIds.push(((await res.json()) as { task: { id: string } }).task.id);
      }
    }),
  );
  const httpRate = httpIds.length / ((performance.now() - t0) / 1000);
  const dupHttp = dupCheck(httpIds);
  report({ db: 'postgres', figure: `HTTP claims/s, ${CLAIMERS} clients`, value: `${httpRate.toFixed(0)}/s`, floor: `raw ${rawRate.toFixed(0)}/s`, target: `dup ${dupHttp}`, ok: dupHttp === 0 && httpIds.length === CLAIM_TASKS });
}

async function main(): Promise<void> {
  const repoDir = gitRepo(benchConfig());
  const sqliteDir = fs.mkdtempSync(path.join(os.tmpdir(), 'circlet-bench-sqlite-'));
  console.log(`circlet engine benchmark: ${ITERATIONS} triggers, ${PIPELINE_RUNS} pipelines of ${WORKFLOWS}×${JOBS_PER_WORKFLOW} jobs, ${CLAIM_TASKS} tasks per claim run`);
  console.log(`machine: ${os.cpus().length} CPUs, load average ${loadAverage()} at start`);
  try {
    await benchDatabase('sqlite', path.join(sqliteDir, 'circlet.db'), repoDir);
    const pgUrl = benchPostgresUrl();
    if (!pgUrl) console.log('\npostgres: skipped (set CIRCLET_BENCH_DATABASE_URL, CIRCLET_TEST_DATABASE_URL or DATABASE_URL)');
    else await withFreshPostgres(pgUrl, (url) => benchDatabase('postgres', url, repoDir));
  } finally {
    fs.rmSync(repoDir, { recursive: true, force: true });
    fs.rmSync(sqliteDir, { recursive: true, force: true });
  }
  console.log(`\nload average ${loadAverage()} at end (wall-clock figures stretch with it; CPU figures do not)`);
  const missed = rows.filter((r) => r.ok === false);
  console.log(missed.length === 0 ? '\nall targets met' : `\n${missed.length} target(s) missed: ${missed.map((r) => `${r.db} ${r.figure}`).join('; ')}`);
  process.exitCode = missed.length === 0 ? 0 : 1;
}

await main();
