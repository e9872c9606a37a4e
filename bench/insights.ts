// Insights benchmark, on SQLite and (when a URL is given) PostgreSQL.
//
//   npm run bench:insights
//   CIRCLET_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:insights
//   BENCH_INSIGHTS_RUNS=20000 BENCH_ITERATIONS=20 npm run bench:insights     (a smaller history)
//   BENCH_ONLY=TestMetrics BENCH_SKIP_SQLITE=1 npm run bench:insights   (operations whose name holds it, and the floor)
//
// History: BENCH_INSIGHTS_RUNS workflow runs (default 100,000), each in a pipeline of its own,
// with BENCH_INSIGHTS_JOBS jobs each (default 10: 1,000,000 job runs) and two test results
// (one of them flaky: pipelines come in pairs on one revision). Runs arrive at a fixed rate,
// newest first, so that the first tenth of the history spans 180 days: a window asked for
// holds the same runs whether the history kept is 10% or 100% of the runs.
// Phase 1 seeds the newest 10% and measures; phase 2 seeds the older 90% and measures again.
// Figure: p50 (and p95) of each Insights operation through the HTTP app (Fastify inject, so
// routing, auth and serialization count; the network does not), and its CPU time per call: this
// process's, plus on PostgreSQL the CPU of the database's server processes (read from /proc),
// which is less sensitive to other processes on the machine than wall time (client backends only;
// on PostgreSQL each phase is measured after a VACUUM ANALYZE of the seeded tables, the state
// autovacuum keeps a server's database in). On PostgreSQL each operation also prints the shared
// buffers its SELECTs touch (hit + read, from EXPLAIN (ANALYZE, BUFFERS) of the statements one
// call issued, captured by a Kysely plugin): unlike time, this count does not stretch with the
// machine's load, and it shows the work a longer history adds. The floor, measured
// in the same run and phase, is `GET /api/v2/me` (routing, auth and serialization alone).
// Targets: p50 ≤ 100 ms on SQLite; flat from phase 1 to phase 2 (CPU per call grows ≤ 1.2×,
// printed per operation at the end). Exits 1 on a miss of the p50 target.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSecretBox } from '../src/domain/secret-box.ts';
import type { FastifyInstance } from 'fastify';
import { CompiledQuery, sql, type KyselyPlugin, type RootOperationNode } from 'kysely';
import { createInstance } from '../src/server/instance.ts';
import { openAndMigrate, type Database } from '../src/storage/db.ts';
import { addMember, ensureOrganization } from '../src/storage/organizations.ts';
import { createProject } from '../src/storage/projects.ts';
import type { JobsTable, PipelinesTable, TestResultsTable, WorkflowsTable } from '../src/storage/schema.ts';
import { createApiToken, ensureUser } from '../src/storage/users.ts';
import { benchPostgresUrl, withFreshPostgres } from './lib.ts';

const RUNS = Number(process.env.BENCH_INSIGHTS_RUNS ?? 100_000);
const JOBS = Number(process.env.BENCH_INSIGHTS_JOBS ?? 10);
// 100 calls: the CPU of PostgreSQL's processes is read in 10 ms ticks, and 30 calls of a 5 ms
// operation (150 ms) left its per-call figure a few ticks from noise (growth figures of 0.7× and
// 1.4× for one unchanged query in two runs).
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 100);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 10);
const TARGET_P50_MS = 100;
const PHASE1 = Math.max(1, Math.round(RUNS / 10));
/** Runs per day: the first phase spans 180 days (a 90-day window and the one before it). */
const PER_DAY = PHASE1 / 180;
const DAY = 86_400_000;
const NOW = Date.now();
const WORKFLOWS = ['build', 'test', 'deploy', 'nightly'];

interface Row {
  db: string;
  phase: string;
  op: string;
  p50: number;
  p95: number;
  /** CPU ms per call: this process, plus the database's server processes on PostgreSQL. */
  cpu: number;
  /** Shared buffers (hit + read) one call's SELECTs touch, on PostgreSQL. */
  buffers?: number;
}
const FLOOR_OP = 'floor: GET /api/v2/me';
const GROWTH_TARGET = 1.2;

/** CPU ms of this process and of the given PostgreSQL server processes (utime + stime, 100 ticks/s). */
function cpuNow(pids: number[]): number {
  const u = process.cpuUsage();
  let ms = (u.user + u.system) / 1000;
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ms += ((Number(f[11]) + Number(f[12])) * 1000) / 100;
    } catch {
      /* gone, or not Linux */
    }
  }
  return ms;
}
const results: Row[] = [];

/** Records the operation nodes of the queries run while `on`: the statements of one call. */
function captureQueries() {
  const nodes: RootOperationNode[] = [];
  const plugin: KyselyPlugin & { on: boolean; nodes: RootOperationNode[] } = {
    on: false,
    nodes,
    transformQuery({ node }) {
      if (plugin.on) nodes.push(node);
      return node;
    },
    async transformResult({ result }) {
      return result;
    },
  };
  return plugin;
}

/** Shared buffers (hit + read) the captured SELECTs touch, run again under EXPLAIN (ANALYZE, BUFFERS). */
async function buffersOf(database: Database, nodes: RootOperationNode[]): Promise<number> {
  let total = 0;
  const executor = database.db.getExecutor();
  for (const node of nodes) {
    const q = executor.compileQuery(node, { queryId: 'bench' });
    if (!/^\s*(select|with)\b/i.test(q.sql)) continue;
    const r = await database.db.executeQuery<{ 'QUERY PLAN': [{ Plan: Record<string, number> }] }>(CompiledQuery.raw(`explain (analyze, buffers, format json) ${q.sql}`, [...q.parameters]));
    const plan = r.rows[0]!['QUERY PLAN'][0].Plan;
    total += (plan['Shared Hit Blocks'] ?? 0) + (plan['Shared Read Blocks'] ?? 0);
  }
  return total;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Deterministic pseudo-random numbers, so both databases get the same history. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

async function seed(database: Database, projectId: string, from: number, to: number): Promise<void> {
  const db = database.db;
  const rand = rng(from + 1);
  const BATCH = 200;
  for (let start = from; start < to; start += BATCH) {
    const pipelines: PipelinesTable[] = [];
    const workflows: WorkflowsTable[] = [];
    const jobs: JobsTable[] = [];
    const tests: TestResultsTable[] = [];
    for (let i = start; i < Math.min(to, start + BATCH); i++) {
      const created = NOW - (i / PER_DAY) * DAY - 60_000;
      const createdAt = new Date(created).toISOString();
      const r = rand();
      const status = r < 0.85 ? 'success' : r < 0.95 ? 'failed' : 'canceled';
      const duration = 60 + Math.floor(rand() * 840);
      const pipelineId = crypto.randomUUID();
      const workflowId = crypto.randomUUID();
      const branch = rand() < 0.6 ? 'main' : `feature-${Math.floor(rand() * 20)}`;
      pipelines.push({
        id: pipelineId,
        project_id: projectId,
        number: RUNS - i,
        state: 'created',
        trigger_type: 'api',
        trigger_actor_id: null,
        trigger_received_at: createdAt,
        branch,
        tag: null,
        revision: `rev-${Math.floor(i / 2)}`,
        vcs: '{}',
        parameters: '{}',
        trigger_parameters: '{}',
        pipeline_values: '{}',
        errors: '[]',
        source_config: '',
        compiled_config: '',
        setup_config: '',
        compiled_setup_config: '',
        continuation_key_hash: null,
        continuation_state: null,
        created_at: createdAt,
        updated_at: createdAt,
      });
      workflows.push({
        id: workflowId,
        pipeline_id: pipelineId,
        project_id: projectId,
        name: WORKFLOWS[i % WORKFLOWS.length]!,
        status,
        tag: null,
        started_by: 'bench',
        canceled_by: null,
        errored_by: null,
        rerun_of: null,
        created_at: createdAt,
        stopped_at: new Date(created + duration * 1000).toISOString(),
      });
      for (let j = 0; j < JOBS; j++) {
        const started = created + j * 5000;
        const failedJob = status === 'failed' && j === JOBS - 1;
        const jobId = crypto.randomUUID();
        jobs.push({
          id: jobId,
          workflow_id: workflowId,
          pipeline_id: pipelineId,
          project_id: projectId,
          name: `j${j}`,
          type: 'build',
          status: failedJob ? 'failed' : status === 'canceled' ? 'canceled' : 'success',
          number: (RUNS - i) * JOBS + j,
          requires: '[]',
          config: '{}',
          contexts: '[]',
          executor: 'docker',
          resource_class: 'medium',
          parallelism: 1,
          approval_request_id: null,
          approved_by: null,
          canceled_by: null,
          messages: '[]',
          created_at: new Date(started).toISOString(),
          queued_at: new Date(started).toISOString(),
          started_at: new Date(started).toISOString(),
          stopped_at: new Date(started + (10 + Math.floor(rand() * 200)) * 1000).toISOString(),
        });
        if (j === JOBS - 1) {
          for (const [name, result] of [
            ['stable', 'success'],
            ['flaky', i % 2 === 0 ? 'success' : 'failure'],
          ] as const) {
            tests.push({
              id: crypto.randomUUID(),
              project_id: projectId,
              job_id: jobId,
              node_index: 0,
              name,
              classname: 'Suite',
              file: 'suite.test.ts',
              result,
              message: '',
              run_time: rand() * 3,
              source: 'junit.xml',
              created_at: new Date(started + 1000).toISOString(),
            });
          }
        }
      }
    }
    await db.transaction().execute(async (tx) => {
      await tx.insertInto('pipelines').values(pipelines).execute();
      await tx.insertInto('workflows').values(workflows).execute();
      for (let k = 0; k < jobs.length; k += 500) await tx.insertInto('jobs').values(jobs.slice(k, k + 500)).execute();
      await tx.insertInto('test_results').values(tests).execute();
    });
  }
}

/** The operations measured: all, or those whose name contains BENCH_ONLY (case-insensitive), beside the floor. */
function operations(): [string, string][] {
  const only = process.env.BENCH_ONLY?.toLowerCase();
  return allOperations().filter(([op]) => !only || op === FLOOR_OP || op.toLowerCase().includes(only));
}

function allOperations(): [string, string][] {
  const slug = 'gh/bench/app';
  const week = new Date(NOW - 7 * DAY).toISOString();
  return [
    [FLOOR_OP, '/api/v2/me'],
    ['getProjectWorkflowMetrics (7d)', `/api/v2/insights/${slug}/workflows?reporting-window=last-7-days`],
    ['getProjectWorkflowMetrics (90d)', `/api/v2/insights/${slug}/workflows?reporting-window=last-90-days`],
    ['getProjectWorkflowRuns', `/api/v2/insights/${slug}/workflows/build?start-date=${week}`],
    ['getProjectWorkflowJobMetrics (7d)', `/api/v2/insights/${slug}/workflows/build/jobs?reporting-window=last-7-days`],
    ['getProjectWorkflowJobMetrics (90d)', `/api/v2/insights/${slug}/workflows/build/jobs?reporting-window=last-90-days`],
    ['getWorkflowSummary (7d)', `/api/v2/insights/${slug}/workflows/build/summary?reporting-window=last-7-days`],
    ['getAllInsightsBranches', `/api/v2/insights/${slug}/branches`],
    ['getFlakyTests', `/api/v2/insights/${slug}/flaky-tests`],
    ['getProjectWorkflowTestMetrics', `/api/v2/insights/${slug}/workflows/build/test-metrics`],
    ['getJobTimeseries (daily, 7d)', `/api/v2/insights/time-series/${slug}/workflows/build/jobs?start-date=${week}`],
    ['getProjectWorkflowsPageData (7d)', `/api/v2/insights/pages/${slug}/summary?reporting-window=last-7-days`],
    ['getOrgSummaryData (7d)', `/api/v2/insights/gh/bench/summary?reporting-window=last-7-days`],
  ];
}

/**
 * The server processes serving this database's connections (PostgreSQL), whose CPU counts with
 * the process's. Client backends only: an autovacuum worker busy with this database (after the
 * bulk seed) was counted too, into whichever operation was measured while it ran.
 */
async function serverPids(database: Database): Promise<number[]> {
  if (database.dialect !== 'postgres') return [];
  const r = await sql<{ pid: number }>`select pid from pg_stat_activity where datname = current_database() and backend_type = 'client backend'`.execute(database.db);
  return r.rows.map((x) => Number(x.pid));
}

/**
 * After a bulk seed, PostgreSQL's tables are vacuumed and analyzed before measuring, as
 * autovacuum keeps them on a server: otherwise the phase is measured while autovacuum works
 * through the rows just written, with plans made from the statistics of the smaller history.
 */
async function settle(database: Database): Promise<void> {
  if (database.dialect === 'postgres') await sql`vacuum analyze`.execute(database.db);
}

async function measure(name: string, phase: string, app: FastifyInstance, token: string, database: Database, capture: ReturnType<typeof captureQueries>): Promise<void> {
  for (const [op, url] of operations()) {
    const times: number[] = [];
    let pids: number[] = [];
    let cpu0 = 0;
    for (let i = 0; i < WARMUP + ITERATIONS; i++) {
      if (i === WARMUP) {
        pids = await serverPids(database);
        cpu0 = cpuNow(pids);
      }
      const t0 = performance.now();
      const res = await app.inject({ method: 'GET', url, headers: { 'circle-token': token } });
      const ms = performance.now() - t0;
      if (res.statusCode !== 200) throw new Error(`${op}: ${res.statusCode} ${res.body}`);
      if (i >= WARMUP) times.push(ms);
    }
    const cpu = (cpuNow(pids) - cpu0) / ITERATIONS;
    times.sort((a, b) => a - b);
    let buffers: number | undefined;
    if (database.dialect === 'postgres') {
      capture.nodes.length = 0;
      capture.on = true;
      await app.inject({ method: 'GET', url, headers: { 'circle-token': token } });
      capture.on = false;
      buffers = await buffersOf(database, capture.nodes);
    }
    const row: Row = { db: name, phase, op, p50: quantile(times, 0.5), p95: quantile(times, 0.95), cpu, buffers };
    results.push(row);
    const bufs = buffers === undefined ? '' : `   buffers ${String(buffers).padStart(6)}`;
    console.log(`  ${phase.padEnd(12)} ${op.padEnd(38)} p50 ${row.p50.toFixed(1).padStart(7)} ms   p95 ${row.p95.toFixed(1).padStart(7)} ms   cpu ${row.cpu.toFixed(1).padStart(7)} ms/call${bufs}`);
  }
}

/** Phase 2 ÷ phase 1 per operation (CPU per call and wall p50), beside the floor's. */
function printGrowth(name: string): void {
  const rows = results.filter((r) => r.db === name);
  const phases = [...new Set(rows.map((r) => r.phase))];
  if (phases.length < 2) return;
  const [p1, p2] = phases as [string, string];
  console.log(`\n  ${name}: growth from ${p1} to ${p2} (target: CPU per call ≤ ${GROWTH_TARGET}×; the floor is ${FLOOR_OP})`);
  const bufs = rows.some((r) => r.buffers !== undefined);
  console.log(`  ${'operation'.padEnd(38)} ${'cpu ms'.padStart(15)} ${'cpu ×'.padStart(6)} ${'p50 ms'.padStart(15)} ${'p50 ×'.padStart(6)}${bufs ? ` ${'buffers'.padStart(13)} ${'buf ×'.padStart(6)}` : ''}`);
  for (const a of rows.filter((r) => r.phase === p1)) {
    const b = rows.find((r) => r.phase === p2 && r.op === a.op);
    if (!b) continue;
    const g = b.cpu / a.cpu;
    const mark = a.op === FLOOR_OP ? '(floor)' : g <= GROWTH_TARGET ? '' : `> ${GROWTH_TARGET}×`;
    const buf = a.buffers !== undefined && b.buffers !== undefined ? ` ${`${a.buffers} → ${b.buffers}`.padStart(13)} ${(a.buffers > 0 ? (b.buffers / a.buffers).toFixed(2) : '-').padStart(6)}` : '';
    console.log(
      `  ${a.op.padEnd(38)} ${`${a.cpu.toFixed(1)} → ${b.cpu.toFixed(1)}`.padStart(15)} ${g.toFixed(2).padStart(6)} ${`${a.p50.toFixed(1)} → ${b.p50.toFixed(1)}`.padStart(15)} ${(b.p50 / a.p50).toFixed(2).padStart(6)}${buf}  ${mark}`,
    );
  }
}

async function benchDatabase(name: 'sqlite' | 'postgres', url: string): Promise<void> {
  console.log(`\n${name}`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'circlet-bench-data-'));
  const database = await openAndMigrate(url);
  // The app's queries pass through the plugin, which records one call's statements when asked.
  const capture = captureQueries();
  database.db = database.db.withPlugin(capture);
  const secrets = createSecretBox(crypto.randomBytes(32));
  const instance = await createInstance({ database, secrets, dataDir, start: false });
  const { app } = instance;
  try {
    const user = await ensureUser(database.db, 'bench');
    const org = await ensureOrganization(database.db, 'github', 'bench');
    await addMember(database.db, org.id, user.id);
    const token = await createApiToken(database.db, user.id, 'bench');
    const project = await createProject(database.db, org, { name: 'app', vcsUrl: '/nonexistent', defaultBranch: 'main' });

    let t0 = performance.now();
    await seed(database, project.id, 0, PHASE1);
    console.log(`  seeded ${PHASE1} workflow runs, ${PHASE1 * JOBS} job runs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    await settle(database);
    await measure(name, `${PHASE1} runs`, app, token, database, capture);

    t0 = performance.now();
    await seed(database, project.id, PHASE1, RUNS);
    console.log(`  seeded ${RUNS - PHASE1} older workflow runs, ${(RUNS - PHASE1) * JOBS} job runs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    await settle(database);
    await measure(name, `${RUNS} runs`, app, token, database, capture);
    printGrowth(name);
  } finally {
    await instance.close();
    await database.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(`circlet insights benchmark: ${RUNS} workflow runs × ${JOBS} jobs (${RUNS * JOBS} job runs), ${PER_DAY.toFixed(1)} runs a day; ${ITERATIONS} calls per operation after ${WARMUP} warm-up`);
  console.log(`machine: ${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  process.on('exit', () => console.log(`load average at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`));
  const sqliteDir = fs.mkdtempSync(path.join(os.tmpdir(), 'circlet-bench-sqlite-'));
  try {
    if (process.env.BENCH_SKIP_SQLITE !== '1') await benchDatabase('sqlite', path.join(sqliteDir, 'circlet.db'));
    const pgUrl = benchPostgresUrl();
    if (!pgUrl) console.log('\npostgres: skipped (set CIRCLET_BENCH_DATABASE_URL, CIRCLET_TEST_DATABASE_URL or DATABASE_URL)');
    else await withFreshPostgres(pgUrl, (url) => benchDatabase('postgres', url));
  } finally {
    fs.rmSync(sqliteDir, { recursive: true, force: true });
  }
  const missed = results.filter((r) => r.db === 'sqlite' && r.p50 > TARGET_P50_MS);
  console.log(missed.length === 0 ? `\nall SQLite p50 ≤ ${TARGET_P50_MS} ms` : `\n${missed.length} SQLite p50 over ${TARGET_P50_MS} ms: ${missed.map((r) => `${r.op} (${r.phase}) ${r.p50.toFixed(1)} ms`).join('; ')}`);
  process.exitCode = missed.length === 0 ? 0 : 1;
}

await main();
