// API cost in instructions per request, counted by valgrind's callgrind: circlet beside a bare
// node:http server and plain Fastify answering the same bytes (the servers of bench:api).
//
//   npm run bench:api-instructions
//   BENCH_ONLY=me BENCH_REQUESTS=5000 BENCH_WARMUP=30000 npm run bench:api-instructions
//   BENCH_CIRCLET=/other/checkout/bin/circlet.js npm run bench:api-instructions   # another build
//   BENCH_FLOORS=0 npm run bench:api-instructions   # circlet alone (comparing two builds of it)
//   BENCH_KEEP=1 BENCH_NODE_FLAGS=--perf-basic-prof npm run bench:api-instructions
//                    # keeps the dumps (and /tmp/perf-<pid>.map names the JIT code in them)
//
// Each server runs under callgrind with instrumentation off while it starts and while it is
// warmed up (BENCH_WARMUP requests, so V8 has optimised the request path); instrumentation is
// then switched on, first for BENCH_IDLE seconds without requests (what the server does on its
// own per second, taken off the measured window at the same rate), then for BENCH_REQUESTS
// requests (16 connections), and the counts read back. An instruction count is the same
// whatever else the machine is doing (bench:api's req/s is not), so it shows a change in the
// server's own work even on a busy machine. Each count is printed twice: all instructions,
// and without V8's compilers (COMPILER below), which under valgrind are still optimising
// code in the measured window, a share that differs by several thousand instructions per
// request from one run of the same build to the next; the second count is the one to compare.
// It leaves out the kernel's part (socket reads and writes, the same for all three servers),
// so the ratio to bare is lower than the req/s ratio bench:api measures on a quiet machine. Needs valgrind; slow
// (each server's warm-up runs under valgrind): about 3 minutes per server and path.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BARE_SERVER, FASTIFY_SERVER, nodeFlags, seed, startChild, stopChild } from './api-servers.ts';
import { loadAverage } from './lib.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 5000);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 30000);
const CONNECTIONS = 16;
/** Seconds of idle counting before the measured requests (see measure). */
const IDLE_S = Number(process.env.BENCH_IDLE ?? 5);
/** Measure circlet alone (the floors' counts do not change with circlet's code): comparing builds. */
const ONLY_CIRCLET = process.env.BENCH_FLOORS === '0';
/** Node flags for every server (`--perf-basic-prof` to name JIT code in a kept dump, say). */
const NODE_FLAGS = nodeFlags();

type Autocannon = (
  opts: { url: string; connections: number; amount: number; timeout: number; headers?: Record<string, string> },
  done: (err: Error | null, result: { requests: { total: number }; non2xx: number; errors: number }) => void,
) => unknown;
const require = createRequire(import.meta.url);
const autocannon = require('autocannon') as Autocannon;

function fire(url: string, token: string, amount: number): Promise<{ total: number; failed: number }> {
  return new Promise((resolve, reject) =>
    // Under valgrind a request can take seconds when the machine is busy: a long timeout.
    autocannon({ url, connections: CONNECTIONS, amount, timeout: 300, headers: { 'Circle-Token': token } }, (err, r) =>
      err ? reject(err) : resolve({ total: r.requests.total, failed: r.non2xx + r.errors }),
    ),
  );
}

/**
 * V8's compilers (TurboFan, Maglev, Sparkplug, the bytecode generator and parser) by
 * function name. Under valgrind V8 keeps compiling long after a warm-up that a real run
 * finishes in well under a second (its background compile jobs run at valgrind's pace and
 * tiering goes on for minutes), and how much of that falls in the measured window varies
 * from run to run by more than the per-request work being compared.
 */
const COMPILER = /v8::internal::compiler::|turboshaft|maglev|baseline::|interpreter::Bytecode|TranslationArrayBuilder|v8::internal::Zone::|v8::internal::(Pre)?Parser|v8::internal::Scanner/i;

interface Count {
  /** Every instruction. */
  total: number;
  /** Those in V8's compilers (COMPILER). */
  compiler: number;
}

/** Instructions in a dump: all, and those in functions whose name COMPILER matches (callgrind_annotate's self counts). */
function countsOf(file: string): Count {
  const total = Number(/^totals: (\d+)/m.exec(fs.readFileSync(file, 'utf8'))?.[1] ?? NaN);
  if (!Number.isFinite(total)) throw new Error(`${file}: callgrind recorded nothing`);
  const annotated = execFileSync('callgrind_annotate', ['--inclusive=no', '--threshold=100', file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  let compiler = 0;
  for (const line of annotated.split('\n')) {
    const m = /^\s*([\d,]+) \([^)]*\)\s+(.*)$/.exec(line);
    if (m && COMPILER.test(m[2]!)) compiler += Number(m[1]!.replaceAll(',', ''));
  }
  return { total, compiler };
}

/** The instructions callgrind counted since its last dump: dumps it (and zeroes the count), reads the new file. */
function dump(pid: string, out: string): Count {
  const [outDir, prefix] = [path.dirname(out), path.basename(out)];
  const before = new Set(fs.readdirSync(outDir));
  execFileSync('callgrind_control', ['-d', pid], { stdio: 'ignore' });
  const added = fs.readdirSync(outDir).filter((f) => f.startsWith(prefix) && !before.has(f));
  if (added.length !== 1) throw new Error(`${prefix}: expected one new callgrind dump, found ${added.length}`);
  return countsOf(path.join(outDir, added[0]!));
}

/**
 * Instructions per request of one server (a node command line) on one path. What the server
 * does on its own while it waits (timers: circlet's background services, its connection
 * sweep) is counted first over an idle window of IDLE_S seconds and taken off at the same
 * rate per second: under valgrind a request lasts ~50× longer, so background work would
 * otherwise be charged to the requests ~50× over.
 */
let measurements = 0;

interface Measured {
  /** Instructions per request, the idle rate taken off. */
  perRequest: number;
  /** The same without V8's compilers' instructions (COMPILER), in the window and in the idle rate. */
  perRequestRun: number;
  idlePerSecond: number;
}

async function measure(name: string, nodeArgs: string[], env: NodeJS.ProcessEnv, url: (base: string) => string, token: string, outDir: string): Promise<Measured> {
  // A file name of its own per measurement: the dumps of a server measured again (the next
  // path) would otherwise bear the names of the last one's and not be told apart.
  const out = path.join(outDir, `${name}-${++measurements}.callgrind`);
  const args = ['-q', '--tool=callgrind', '--instr-atstart=no', '--smc-check=all-non-file', `--callgrind-out-file=${out}`, process.execPath, ...nodeArgs];
  const server = await startChild(name, 'valgrind', args, env, 300_000);
  try {
    await fire(url(server.url), token, WARMUP);
    const pid = String(server.child.pid);
    execFileSync('callgrind_control', ['-i', 'on', pid], { stdio: 'ignore' });
    let t = performance.now();
    await new Promise((resolve) => setTimeout(resolve, IDLE_S * 1000));
    const idle = dump(pid, out);
    const idleMs = performance.now() - t;
    t = performance.now();
    const r = await fire(url(server.url), token, REQUESTS);
    const loadedMs = performance.now() - t;
    execFileSync('callgrind_control', ['-i', 'off', pid], { stdio: 'ignore' });
    const loaded = dump(pid, out);
    if (r.failed > 0) throw new Error(`${name}: ${r.failed} of ${r.total} requests failed`);
    const perRequest = (count: (c: Count) => number) => Math.max(0, count(loaded) - (count(idle) / idleMs) * loadedMs) / r.total;
    return { perRequest: perRequest((c) => c.total), perRequestRun: perRequest((c) => c.total - c.compiler), idlePerSecond: (idle.total / idleMs) * 1000 };
  } finally {
    server.child.kill('SIGKILL');
    await stopChild(server.child);
  }
}

async function main(): Promise<void> {
  if (spawnSync('valgrind', ['--version']).status !== 0) {
    console.error('bench:api-instructions needs valgrind (apt-get install valgrind)');
    process.exit(2);
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'circlet-bench-'));
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'circlet-callgrind-'));
  try {
    const { token, slug } = await seed(dataDir);
    const paths = ['/api/v2/me', `/api/v2/project/${slug}`].filter((p) => !process.env.BENCH_ONLY || p.includes(process.env.BENCH_ONLY));
    console.log(`callgrind, ${WARMUP} warm-up + ${REQUESTS} measured requests per server, ${CONNECTIONS} connections; load average ${loadAverage()} (not a factor here)\n`);
    const bin = path.resolve(process.env.BENCH_CIRCLET ?? path.join(ROOT, 'bin/circlet.js'));
    const circletEnv: NodeJS.ProcessEnv = { ...process.env, CIRCLET_LOG_LEVEL: 'warn' };
    delete circletEnv.DATABASE_URL;
    let ok = true;
    for (const p of paths) {
      // The floors answer circlet's own bytes for the path, recorded from a plain run of it.
      const plain = await startChild('circlet', process.execPath, [bin, 'serve', '--port', '0', '--agents', '0', '--data-dir', dataDir], circletEnv);
      const res = await fetch(plain.url + p, { headers: { 'Circle-Token': token } });
      const routes = { [p]: { status: res.status, body: await res.text(), type: res.headers.get('content-type') ?? 'application/json' } };
      await stopChild(plain.child);
      const floorEnv = { ...process.env, BENCH_ROUTES: JSON.stringify(routes), BENCH_FASTIFY: require.resolve('fastify') };
      const at = (base: string) => base + p;
      const skip = { perRequest: NaN, perRequestRun: NaN, idlePerSecond: NaN };
      const circlet = await measure('circlet', [...NODE_FLAGS, bin, 'serve', '--port', '0', '--agents', '0', '--data-dir', dataDir], circletEnv, at, token, outDir);
      const bare = ONLY_CIRCLET ? skip : await measure('bare', [...NODE_FLAGS, '-e', BARE_SERVER], floorEnv, at, token, outDir);
      const fastify = ONLY_CIRCLET ? skip : await measure('fastify', [...NODE_FLAGS, '-e', FASTIFY_SERVER], floorEnv, at, token, outDir);
      const k = (m: Measured) => `${(m.perRequest / 1000).toFixed(1).padStart(6)} k instructions/req, ${(m.perRequestRun / 1000).toFixed(1).padStart(6)} k without V8's compilers  (idle: ${(m.idlePerSecond / 1e6).toFixed(1)} M/s under valgrind, taken off)`;
      console.log(`${p}`);
      console.log(`  circlet  ${k(circlet)}`);
      console.log(`  bare     ${k(bare)}   (floor)`);
      console.log(`  fastify  ${k(fastify)}   (Fastify's own floor: ${(bare.perRequestRun / fastify.perRequestRun).toFixed(2)}× bare's count)`);
      console.log(`  bare / circlet ${(bare.perRequest / circlet.perRequest).toFixed(2)}, without the compilers ${(bare.perRequestRun / circlet.perRequestRun).toFixed(2)}; circlet over plain Fastify: ${((circlet.perRequestRun - fastify.perRequestRun) / 1000).toFixed(1)} k/req without the compilers\n`);
      ok &&= routes[p]!.status === 200;
    }
    if (!ok) process.exitCode = 1;
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (process.env.BENCH_KEEP) console.log(`callgrind files kept in ${outDir}`);
    else fs.rmSync(outDir, { recursive: true, force: true });
  }
}

await main();
