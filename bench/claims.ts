// Claims over HTTP: `POST /api/runner/v1/claim` (claim + task payload) from 16 concurrent
// clients, beside the engine's own claim and (PostgreSQL) the raw SQL claim statement, all on
// the same database in the same run.
//
//   npm run bench:claims
//   CIRCLET_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:claims
//   BENCH_CLAIM_TASKS=8000 npm run bench:claims
//
// The clients run in a child process of their own (agents are other processes), so this
// process's CPU time is the server's: printed per claim, which holds up better than claims/s
// when other work shares the machine. Duplicates (one task handed out twice) must be 0.
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
import { benchPostgresUrl, cpuSplit, loadAverage, withFreshPostgres } from './lib.ts';

const TASKS = Number(process.env.BENCH_CLAIM_TASKS ?? 6000);
const CLIENTS = 16;
const TARGET_PER_S = 1500;

/** The HTTP clients: `CLIENTS` claim loops until the queue is empty; prints what they got. */
const CLIENT = `
const { BASE, TOKEN, CLIENTS } = process.env;
const ids = [];
const t0 = performance.now();
await Promise.all(Array.from({ length: Number(CLIENTS) }, async (_, i) => {
  for (;;) {
    const res = await fetch(BASE + '/api/runner/v1/claim', {
      method: 'POST',
      headers: { authorization: 'Bearer ' + TOKEN, 'content-type': 'application/json' },
      body: JSON.stringify({ agent_id: 'http-' + i, executors: ['machine'], wait_ms: 0 }),
    });
    if (res.status === 204) { await res.arrayBuffer(); return; }
    if (res.status !== 200) throw new Error('claim ' + res.status + ': ' + (await res.text()));
    ids.push((await res.json()).task.id);
  }
}));
console.log(JSON.stringify({ count: ids.length, unique: new Set(ids).size, seconds: (performance.now() - t0) / 1000 }));
`;

function httpClients(base: string, token: string): Promise<{ count: number; unique: number; seconds: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CLIENT], { env: { ...process.env, BASE: base, TOKEN: token, CLIENTS: String(CLIENTS) }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`clients exited ${code}: ${out}`))));
  });
}

const cpu = () => cpuSplit().self;
const line = (figure: string, value: string, floor: string, extra = '') => console.log(`  ${figure.padEnd(40)} ${value.padStart(10)}   ${floor.padEnd(34)} ${extra}`);

async function rawClaims(url: string): Promise<number> {
  const { ids, seconds } = await rawClaimAll(url, CLIENTS);
  return ids.length / seconds;
}

async function benchDatabase(name: 'sqlite' | 'postgres', url: string): Promise<boolean> {
  console.log(`\n${name} (${TASKS} tasks per run, ${CLIENTS} clients; load ${loadAverage()})`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'circlet-bench-claims-'));
  const database: Database = await openAndMigrate(url);
  const instance = await createInstance({ database, secrets: createSecretBox(crypto.randomBytes(32)), dataDir, engine: { leaseMs: 60_000 }, start: false });
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

    let raw: number | undefined;
    if (name === 'postgres') {
      await seedTasks(database, TASKS);
      raw = await rawClaims(url);
    }

    await seedTasks(database, TASKS);
    const ids: string[] = [];
    let c0 = cpu();
    let t0 = performance.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, i) => {
        for (;;) {
          const claimed = await claimTask(instance.engine.deps, { agentId: `engine-${i}`, executors: ['machine'], resourceClasses: null, runnerTokenId: 'bench' }, 'bench');
          if (!claimed) return;
          ids.push(claimed.task.id);
        }
      }),
    );
    const engineRate = ids.length / ((performance.now() - t0) / 1000);
    const engineCpu = ((cpu() - c0) * 1000) / ids.length;

    await seedTasks(database, TASKS);
    c0 = cpu();
    t0 = performance.now();
    const http = await httpClients(instance.url, token);
    const httpRate = http.count / ((performance.now() - t0) / 1000);
    const httpCpu = ((cpu() - c0) * 1000) / http.count;
    const dup = http.count - http.unique;
    const ok = dup === 0 && http.count === TASKS && (name !== 'postgres' || httpRate >= TARGET_PER_S);

    if (raw !== undefined) line(`raw SQL claim, ${CLIENTS} connections`, `${raw.toFixed(0)}/s`, '(the statement alone)');
    line(`engine claims/s, ${CLIENTS} claimers`, `${engineRate.toFixed(0)}/s`, `dup ${ids.length - new Set(ids).size}`, `CPU ${engineCpu.toFixed(0)} µs/claim`);
    line(`HTTP claims/s, ${CLIENTS} clients`, `${httpRate.toFixed(0)}/s`, `floor: engine claim ${engineRate.toFixed(0)}/s`, `server CPU ${httpCpu.toFixed(0)} µs/claim`);
    line('', `${(httpRate / engineRate).toFixed(2)}×`, `dup ${dup}, ${http.count}/${TASKS} claimed`, name === 'postgres' ? `target ≥ ${TARGET_PER_S}/s: ${ok ? 'ok' : 'MISSED'}` : ok ? 'ok' : 'MISSED');
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
    ok = (await benchDatabase('sqlite', path.join(sqliteDir, 'circlet.db'))) && ok;
    const pgUrl = benchPostgresUrl();
    if (!pgUrl) console.log('\npostgres: skipped (set CIRCLET_BENCH_DATABASE_URL, CIRCLET_TEST_DATABASE_URL or DATABASE_URL)');
    else ok = (await withFreshPostgres(pgUrl, (url) => benchDatabase('postgres', url))) && ok;
  } finally {
    fs.rmSync(sqliteDir, { recursive: true, force: true });
  }
  console.log(`\nload average ${loadAverage()} at end (claims/s stretch with it; CPU per claim less so)`);
  process.exitCode = ok ? 0 : 1;
}

await main();
