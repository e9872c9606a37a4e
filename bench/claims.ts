// Claims over HTTP: `POST /api/runner/v1/claim` (claim + task payload) from 16 concurrent
// clients, beside the engine's own claim and (PostgreSQL) the raw SQL claim statement, all on
// the same database in the same run.
//
//   npm run bench:claims
//   CIRCLET_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:claims
//   BENCH_CLAIM_TASKS=8000 npm run bench:claims
//   BENCH_CLAIM_ONLY=postgres npm run bench:claims      (or sqlite: one database only)
//
// The clients run in a child process of their own (agents are other processes), so this
// process's CPU time is the server's. Printed per claim beside the clients' own and (when the
// PostgreSQL server is on this machine) its backends': on a small machine the three share the
// cores, and CPU per claim holds up better than claims/s when other work shares the machine.
// Duplicates (one task handed out twice) must be 0.
// Target: ≥ 1,500 HTTP claims/s on PostgreSQL. Exits 1 on a miss.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSecretBox } from '../src/domain/secret-box.ts';
import { claimTask } from '../src/engine/runner/claims.ts';
import { createInstance } from '../src/server/instance.ts';
import { openAndMigrate, type Database } from '../src/storage/db.ts';
import { addMember, ensureOrganization } from '../src/storage/organizations.ts';
import { createProject } from '../src/storage/projects.ts';
import { createRunnerToken } from '../src/storage/runner-tokens.ts';
import { ensureUser } from '../src/storage/users.ts';
import { rawClaimAll, seedPipeline, seedTasks } from './claim-seed.ts';
import { benchPostgresUrl, loadAverage, postgresCpuMeter, withFreshPostgres } from './lib.ts';

const TASKS = Number(process.env.BENCH_CLAIM_TASKS ?? 6000);
const CLIENTS = 16;
const TARGET_PER_S = 1500;
const ONLY = process.env.BENCH_CLAIM_ONLY;

/**
 * The HTTP clients: `CLIENTS` claim loops until the queue is empty, each on a keep-alive
 * HTTP/1.1 connection of its own (one request at a time, as an agent asks), written as raw
 * bytes built once per client and the response read by its status line and content-length:
 * the same requests and responses as the agent's, without a client library's work per
 * request, so the load generator takes little of the CPU the server and PostgreSQL share
 * with it. Prints what they got and their CPU time (per claim beside the server's).
 */
const CLIENT = `
import net from 'node:net';
const { BASE, TOKEN, CLIENTS } = process.env;
const base = new URL(BASE);
const HEAD_END = Buffer.from('\\r\\n\\r\\n');
function client(i) {
  const body = JSON.stringify({ agent_id: 'http-' + i, executors: ['machine'], wait_ms: 0 });
  const request = Buffer.from('POST /api/runner/v1/claim HTTP/1.1\\r\\nHost: ' + base.host + '\\r\\nAuthorization: Bearer ' + TOKEN +
    '\\r\\nContent-Type: application/json\\r\\nContent-Length: ' + Buffer.byteLength(body) + '\\r\\n\\r\\n' + body);
  const socket = net.connect(Number(base.port), base.hostname);
  socket.setNoDelay(true);
  let buf = Buffer.alloc(0);
  let waiter;
  socket.on('data', (d) => {
    buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
    const end = buf.indexOf(HEAD_END);
    if (end === -1) return;
    const head = buf.toString('latin1', 0, end);
    const status = Number(head.slice(9, 12));
    const m = /\\r\\ncontent-length: *(\\d+)/i.exec(head);
    if (!m && status !== 204) return waiter.reject(new Error('no content-length: ' + head));
    const length = m ? Number(m[1]) : 0;
    if (buf.length < end + 4 + length) return;
    const text = buf.toString('utf8', end + 4, end + 4 + length);
    buf = buf.subarray(end + 4 + length);
    waiter.resolve({ status, text });
  });
  socket.on('error', (err) => waiter?.reject(err));
  return {
    claim: () => new Promise((resolve, reject) => { waiter = { resolve, reject }; socket.write(request); }),
    close: () => socket.end(),
  };
}
const ids = [];
const c0 = process.cpuUsage();
const t0 = performance.now();
await Promise.all(Array.from({ length: Number(CLIENTS) }, async (_, i) => {
  const c = client(i);
  for (;;) {
    const res = await c.claim();
    if (res.status === 204) return c.close();
    if (res.status !== 200) throw new Error('claim ' + res.status + ': ' + res.text);
    ids.push(JSON.parse(res.text).task.id);
  }
}));
const seconds = (performance.now() - t0) / 1000;
const c = process.cpuUsage(c0);
console.log(JSON.stringify({ count: ids.length, unique: new Set(ids).size, seconds, cpuMs: (c.user + c.system) / 1000 }));
`;

function httpClients(base: string, token: string): Promise<{ count: number; unique: number; seconds: number; cpuMs: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CLIENT], { env: { ...process.env, BASE: base, TOKEN: token, CLIENTS: String(CLIENTS) }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`clients exited ${code}: ${out}`))));
  });
}

/** This process's CPU time, user and system apart (ms): the server's, as the clients are a child. */
const cpu = () => {
  const u = process.cpuUsage();
  return { user: u.user / 1000, sys: u.system / 1000 };
};
const us = (ms: number | undefined, n: number) => (ms === undefined ? '—' : ((ms * 1000) / n).toFixed(0));

interface Phase {
  figure: string;
  rate: number;
  count: number;
  /** CPU ms of each party; undefined when not measured (PostgreSQL elsewhere) or not there. */
  server?: { user: number; sys: number };
  clients?: number;
  postgres?: number;
  note: string;
}

function printPhases(phases: Phase[]): void {
  console.log(`  ${'figure'.padEnd(36)} ${'rate'.padStart(8)}   ${'CPU µs per claim: server (user+sys)'.padEnd(36)} ${'clients'.padStart(7)} ${'pg'.padStart(5)} ${'total'.padStart(6)}   note`);
  for (const p of phases) {
    const server = p.server ? `${us(p.server.user + p.server.sys, p.count)} (${us(p.server.user, p.count)}+${us(p.server.sys, p.count)})` : '—';
    const total = (p.server ? p.server.user + p.server.sys : 0) + (p.clients ?? 0) + (p.postgres ?? 0);
    console.log(`  ${p.figure.padEnd(36)} ${(p.rate.toFixed(0) + '/s').padStart(8)}   ${server.padEnd(36)} ${us(p.clients, p.count).padStart(7)} ${us(p.postgres, p.count).padStart(5)} ${us(total, p.count).padStart(6)}   ${p.note}`);
  }
}

/** Runs `fn`, answering the server's CPU over it and PostgreSQL's (on PostgreSQL, when local). */
async function measured<T>(url: string | undefined, fn: () => Promise<T>): Promise<{ value: T; seconds: number; server: { user: number; sys: number }; postgres?: number }> {
  const meter = url ? await postgresCpuMeter(url) : undefined;
  const c0 = cpu();
  const t0 = performance.now();
  const value = await fn();
  const seconds = (performance.now() - t0) / 1000;
  const c1 = cpu();
  const postgres = await meter?.stop();
  const server = { user: c1.user - c0.user, sys: c1.sys - c0.sys };
  return postgres === undefined ? { value, seconds, server } : { value, seconds, server, postgres };
}

async function benchDatabase(name: 'sqlite' | 'postgres', url: string): Promise<boolean> {
  console.log(`\n${name} (${TASKS} tasks per run, ${CLIENTS} clients; load ${loadAverage()})`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'circlet-bench-claims-'));
  const database: Database = await openAndMigrate(url);
  const instance = await createInstance({ database, secrets: createSecretBox(crypto.randomBytes(32)), dataDir, engine: { leaseMs: 60_000 }, start: false });
  const pgUrl = name === 'postgres' ? url : undefined;
  try {
    const user = await ensureUser(database.db, 'bench');
    const org = await ensureOrganization(database.db, 'github', 'bench');
    await addMember(database.db, org.id, user.id);
    const project = await createProject(database.db, org, { name: 'app', vcsUrl: dataDir, defaultBranch: 'main' });
    await seedPipeline(database, project.id);
    const token = await createRunnerToken(database.db, 'bench');

    // Warm-up: the JIT, the pool, the statement caches.
    await seedTasks(database, 500);
    await httpClients(instance.url, token);

    const phases: Phase[] = [];
    if (pgUrl) {
      await seedTasks(database, TASKS);
      const c0 = cpu();
      const raw = await rawClaimAll(pgUrl, CLIENTS);
      const c1 = cpu();
      const dupRaw = raw.ids.length - new Set(raw.ids).size;
      phases.push({
        figure: `raw SQL claim, ${CLIENTS} connections`,
        rate: raw.ids.length / raw.seconds,
        count: raw.ids.length,
        server: { user: c1.user - c0.user, sys: c1.sys - c0.sys },
        ...(raw.pgCpuMs === undefined ? {} : { postgres: raw.pgCpuMs }),
        note: `the statement alone (server: its pg client); dup ${dupRaw}`,
      });
    }

    await seedTasks(database, TASKS);
    const ids: string[] = [];
    const engine = await measured(pgUrl, () =>
      Promise.all(
        Array.from({ length: CLIENTS }, async (_, i) => {
          for (;;) {
            const claimed = await claimTask(instance.engine.deps, { agentId: `engine-${i}`, executors: ['machine'], resourceClasses: null, runnerTokenId: 'bench' }, 'bench');
            if (!claimed) return;
            ids.push(claimed.task.id);
          }
        }),
      ),
    );
    const engineRate = ids.length / engine.seconds;
    phases.push({ figure: `engine claims, ${CLIENTS} claimers`, rate: engineRate, count: ids.length, server: engine.server, ...(engine.postgres === undefined ? {} : { postgres: engine.postgres }), note: `dup ${ids.length - new Set(ids).size}` });

    await seedTasks(database, TASKS);
    const run = await measured(pgUrl, () => httpClients(instance.url, token));
    const http = run.value;
    const httpRate = http.count / run.seconds;
    const dup = http.count - http.unique;
    const ok = dup === 0 && http.count === TASKS && (name !== 'postgres' || httpRate >= TARGET_PER_S);
    phases.push({
      figure: `HTTP claims, ${CLIENTS} clients`,
      rate: httpRate,
      count: http.count,
      server: run.server,
      clients: http.cpuMs,
      ...(run.postgres === undefined ? {} : { postgres: run.postgres }),
      note: `${(httpRate / engineRate).toFixed(2)}× the engine; dup ${dup}, ${http.count}/${TASKS} claimed; ${name === 'postgres' ? `target ≥ ${TARGET_PER_S}/s: ${ok ? 'ok' : 'MISSED'}` : ok ? 'ok' : 'MISSED'}`,
    });
    printPhases(phases);
    const last = phases.at(-1)!;
    if (last.postgres !== undefined || name === 'sqlite') {
      const total = (last.server!.user + last.server!.sys + (last.clients ?? 0) + (last.postgres ?? 0)) / last.count; // ms per claim
      const cores = os.cpus().length;
      console.log(`  HTTP claims' CPU-bound ceiling on ${cores} cores with nothing else running: ${((cores * 1000) / total).toFixed(0)}/s (derived from the CPU per claim above, not measured)`);
    }
    return ok;
  } finally {
    await instance.close();
    await database.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(`circlet claims benchmark: ${os.cpus().length} CPUs, node ${process.version}`);
  const sqliteDir = fs.mkdtempSync(path.join(os.tmpdir(), 'circlet-bench-claims-db-'));
  let ok = true;
  try {
    if (ONLY !== 'postgres') ok = (await benchDatabase('sqlite', path.join(sqliteDir, 'circlet.db'))) && ok;
    const pgUrl = benchPostgresUrl();
    if (ONLY === 'sqlite') console.log('\npostgres: skipped (BENCH_CLAIM_ONLY=sqlite)');
    else if (!pgUrl) console.log('\npostgres: skipped (set CIRCLET_BENCH_DATABASE_URL, CIRCLET_TEST_DATABASE_URL or DATABASE_URL)');
    else ok = (await withFreshPostgres(pgUrl, (url) => benchDatabase('postgres', url))) && ok;
  } finally {
    fs.rmSync(sqliteDir, { recursive: true, force: true });
  }
  console.log(`\nload average ${loadAverage()} at end (claims/s stretch with it; CPU per claim less so)`);
  process.exitCode = ok ? 0 : 1;
}

await main();
