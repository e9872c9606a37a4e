// API latency benchmark: circlet against a bare node:http server answering the same bytes.
//
//   npm run bench:api                 # 10 s per target, 64 connections
//   BENCH_DURATION=3 npm run bench:api
//   BENCH_PROFILE=/tmp/prof npm run bench:api   # also writes a V8 CPU profile of the circlet process
//   BENCH_ONLY=project npm run bench:api        # only the paths containing `project`
//   BENCH_CIRCLET=/other/checkout/bin/circlet.js npm run bench:api   # measure another build (before/after)
//
// Seeds a fresh SQLite data dir (10,000 projects, 1,000 users), starts `circlet serve` (without
// its embedded agent, whose job polling is not API traffic) and a bare node:http server, each
// in a child process of its own (the load generator, autocannon, runs here), then loads
// `GET /api/v2/me` and `GET /api/v2/project/{slug}` on both.
// Targets: circlet reaches at least 0.8 of the bare server's req/s on /me and 0.6 on
// /project/{slug}, with p99 under 10 ms. Exits 1 when a target is missed. It also prints each
// server's CPU time per request, which holds up better than req/s when other work shares the
// machine.
//
// Fastify answering the same bytes from a bare route is measured too, as a second floor (what
// the framework alone costs). The servers are loaded in turns (BENCH_SLICES slices each, in
// the order c b f f b c c b f …), not one whole run after the other, so a change in the
// machine's other load during the run falls on all alike; a server's figure is over all its
// slices (req/s: requests over the time; p50/p99: over every response's latency).
import { execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BARE_SERVER, FASTIFY_SERVER, nodeFlags, seed, startChild, stopChild } from './api-servers.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DURATION_S = Number(process.env.BENCH_DURATION ?? 10);
const WARMUP_S = Number(process.env.BENCH_WARMUP ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const SLICES = Math.max(1, Number(process.env.BENCH_SLICES ?? 4));
/** Processes started per server; each server's figure is its median process's (see median). */
const PROCESSES = Math.max(1, Number(process.env.BENCH_PROCESSES ?? 1));
const NAMES = ['circlet', 'bare', 'fastify'] as const;
type Name = (typeof NAMES)[number];
/**
 * BENCH_PIN=1 (with 2 CPUs or more): the load generator (this process) on CPU 0 and every
 * server on the others, so a server never waits for the CPU autocannon holds, nor the other way.
 */
const PIN = process.env.BENCH_PIN === '1' && os.cpus().length >= 2 ? { client: '0', server: os.cpus().length === 2 ? '1' : `1-${os.cpus().length - 1}` } : undefined;
/** Least ratio of circlet's req/s to the bare server's, per path (issue 17). */
const targetRatio = (p: string) => (p === '/api/v2/me' ? 0.8 : 0.6);
const TARGET_P99_MS = 10;

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number; max: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
}
interface AutocannonInstance {
  on(event: 'response', listener: (client: unknown, statusCode: number, resBytes: number, responseTimeMs: number) => void): void;
}
type Autocannon = (
  opts: { url: string; connections: number; duration: number; headers?: Record<string, string> },
  done: (err: Error | null, result: AutocannonResult) => void,
) => AutocannonInstance;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

interface Row {
  path: string;
  circlet: Measured & { perProcess: number[] };
  bare: Measured & { perProcess: number[] };
  fastify: Measured & { perProcess: number[] };
}

interface Measured extends AutocannonResult {
  /** Server CPU time (user + system) per request, in µs; undefined where /proc is missing. */
  cpuPerRequestUs?: number;
  /** Every response's latency, ms. */
  samples: number[];
}

/** CPU seconds a process has used so far (Linux /proc), or undefined. */
function cpuSeconds(pid: number): number | undefined {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks (USER_HZ = 100)
  } catch {
    return undefined;
  }
}

async function load(url: string, token: string, duration: number, pid?: number): Promise<Measured> {
  const before = pid === undefined ? undefined : cpuSeconds(pid);
  const samples: number[] = [];
  const result = await new Promise<AutocannonResult>((resolve, reject) => {
    const instance = autocannon({ url, connections: CONNECTIONS, duration, headers: { 'Circle-Token': token } }, (err, res) => (err ? reject(err) : resolve(res)));
    instance.on('response', (_client, _status, _bytes, ms) => void samples.push(ms));
  });
  const r: Measured = { ...result, samples };
  const after = pid === undefined ? undefined : cpuSeconds(pid);
  if (before !== undefined && after !== undefined && r.requests.total > 0) r.cpuPerRequestUs = ((after - before) * 1e6) / r.requests.total;
  return r;
}

/**
 * A server's figure over its processes: the one with the median req/s (the lower of the two
 * middle ones for an even count). Two processes of the same build on this kind of machine
 * differ by up to a third in CPU per request for their whole life (where their code and heap
 * fall in memory), so one process per server can decide a ratio by chance.
 */
function median(perProcess: Measured[]): Measured & { perProcess: number[] } {
  const sorted = [...perProcess].sort((a, b) => a.requests.average - b.requests.average);
  return { ...sorted[Math.floor((sorted.length - 1) / 2)]!, perProcess: perProcess.map((r) => r.requests.average) };
}

/** The q-quantile of sorted values (nearest rank). */
const quantile = (sorted: Float64Array, q: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!);

/** One server's slices as one figure: requests over the whole time, CPU over all requests, latency over every response. */
function combine(slices: Measured[], sliceSeconds: number): Measured {
  const total = slices.reduce((n, r) => n + r.requests.total, 0);
  const sum = (f: (r: Measured) => number) => slices.reduce((n, r) => n + f(r), 0);
  const cpu = slices.every((r) => r.cpuPerRequestUs !== undefined) && total > 0 ? sum((r) => r.cpuPerRequestUs! * r.requests.total) / total : undefined;
  const samples = slices.flatMap((r) => r.samples);
  const sorted = Float64Array.from(samples).sort();
  return {
    samples,
    requests: { average: total / (sliceSeconds * slices.length), total },
    latency: {
      p50: quantile(sorted, 0.5),
      p99: quantile(sorted, 0.99),
      average: samples.length > 0 ? sum((r) => r.samples.reduce((a, b) => a + b, 0)) / samples.length : 0,
      max: sorted.length > 0 ? sorted[sorted.length - 1]! : 0,
    },
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    non2xx: sum((r) => r.non2xx),
    '2xx': sum((r) => r['2xx']),
    ...(cpu === undefined ? {} : { cpuPerRequestUs: cpu }),
  };
}

function fmt(r: Measured): string {
  const cpu = r.cpuPerRequestUs === undefined ? '' : `  server CPU ${r.cpuPerRequestUs.toFixed(0).padStart(4)} µs/req`;
  return `${r.requests.average.toFixed(0).padStart(7)} req/s  p50 ${r.latency.p50.toFixed(1).padStart(5)} ms  p99 ${r.latency.p99.toFixed(1).padStart(5)} ms${cpu}`;
}

async function main(): Promise<void> {
  // Every thread of this process (autocannon runs on the main one).
  if (PIN) execFileSync('taskset', ['-a', '-cp', PIN.client, String(process.pid)], { stdio: 'ignore' });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'circlet-bench-'));
  const children: ChildProcess[] = [];
  try {
    const { token, slug } = await seed(dataDir);
    const paths = ['/api/v2/me', `/api/v2/project/${slug}`].filter((p) => !process.env.BENCH_ONLY || p.includes(process.env.BENCH_ONLY));

    const env: NodeJS.ProcessEnv = { ...process.env, CIRCLET_LOG_LEVEL: 'warn' };
    delete env.DATABASE_URL;
    const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_PROFILE)}`] : [];
    const bin = path.resolve(process.env.BENCH_CIRCLET ?? path.join(ROOT, 'bin/circlet.js'));
    const startCirclet = () => startChild('circlet', process.execPath, [...profile, ...nodeFlags(), bin, 'serve', '--port', '0', '--agents', '0', '--data-dir', dataDir], env, undefined, PIN?.server);
    const circlets = [await startCirclet()];
    children.push(circlets[0]!.child);

    // Record circlet's answers; the bare server replays them byte for byte.
    const routes: Record<string, { status: number; body: string; type: string }> = {};
    for (const p of paths) {
      const res = await fetch(circlets[0]!.url + p, { headers: { 'Circle-Token': token } });
      const body = await res.text();
      routes[p] = { status: res.status, body, type: res.headers.get('content-type') ?? 'application/json' };
      if (res.status !== 200) console.warn(`warning: circlet answers ${res.status} to GET ${p}: ${body}`);
    }

    const floorEnv = { ...process.env, BENCH_ROUTES: JSON.stringify(routes) };
    const fastifyEnv = { ...floorEnv, BENCH_FASTIFY: createRequire(import.meta.url).resolve('fastify') };
    const servers: Record<Name, { child: ChildProcess; url: string }[]> = { circlet: circlets, bare: [], fastify: [] };
    for (let i = 0; i < PROCESSES; i++) {
      if (i > 0) circlets.push(await startCirclet());
      servers.bare.push(await startChild('bare server', process.execPath, ['-e', BARE_SERVER], floorEnv, undefined, PIN?.server));
      servers.fastify.push(await startChild('fastify server', process.execPath, ['-e', FASTIFY_SERVER], fastifyEnv, undefined, PIN?.server));
    }
    for (const n of NAMES) for (const s of servers[n]) if (!children.includes(s.child)) children.push(s.child);

    const pins = PIN ? `; servers on CPU ${PIN.server}, load generator on CPU ${PIN.client}` : '';
    console.log(`${CONNECTIONS} connections, ${WARMUP_S} s warm-up + ${DURATION_S} s per target in ${SLICES} turns, ${PROCESSES} process(es) per server${pins}; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
    const rows: Row[] = [];
    for (const p of paths) {
      if (WARMUP_S > 0) for (const n of NAMES) for (const s of servers[n]) await load(s.url + p, token, WARMUP_S);
      const slice = DURATION_S / SLICES;
      // slices[name][process]: that process's turns.
      const slices = Object.fromEntries(NAMES.map((n) => [n, servers[n].map(() => [] as Measured[])])) as Record<Name, Measured[][]>;
      for (let i = 0; i < SLICES; i++) {
        for (let k = 0; k < PROCESSES; k++) {
          for (const n of (i + k) % 2 === 0 ? NAMES : [...NAMES].reverse()) {
            const s = servers[n][k]!;
            slices[n][k]!.push(await load(s.url + p, token, slice, s.child.pid));
          }
        }
      }
      const [c, b, f] = NAMES.map((n) => median(slices[n].map((turns) => combine(turns, slice)))) as [Row['circlet'], Row['bare'], Row['fastify']];
      rows.push({ path: p, circlet: c, bare: b, fastify: f });
      for (const [name, r] of [['circlet', c], ['bare', b], ['fastify', f]] as const) {
        if (r.errors || r.timeouts || r.non2xx) console.warn(`warning: ${name} ${p}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx`);
      }
    }

    let ok = true;
    console.log('GET path'.padEnd(34) + 'server   result');
    for (const r of rows) {
      const ratio = r.circlet.requests.average / r.bare.requests.average;
      const target = targetRatio(r.path);
      const pass = ratio >= target && r.circlet.latency.p99 < TARGET_P99_MS && routes[r.path]!.status === 200;
      ok &&= pass;
      console.log(`${r.path.padEnd(34)}circlet  ${fmt(r.circlet)}`);
      console.log(`${''.padEnd(34)}bare     ${fmt(r.bare)}`);
      console.log(`${''.padEnd(34)}fastify  ${fmt(r.fastify)}  (${(r.fastify.requests.average / r.bare.requests.average).toFixed(2)}x bare: Fastify's own floor)`);
      if (PROCESSES > 1) {
        const list = (n: Name) => `${n} ${r[n].perProcess.map((v) => v.toFixed(0)).join(', ')}`;
        console.log(`${''.padEnd(34)}req/s per process (the median one above): ${NAMES.map(list).join('; ')}`);
      }
      const cpuRatio = r.circlet.cpuPerRequestUs && r.bare.cpuPerRequestUs ? `; CPU per request ${(r.circlet.cpuPerRequestUs / r.bare.cpuPerRequestUs).toFixed(1)}x bare's` : '';
      console.log(`${''.padEnd(34)}ratio    ${ratio.toFixed(2)} (target >= ${target}, p99 < ${TARGET_P99_MS} ms): ${pass ? 'ok' : 'MISSED'}${cpuRatio}\n`);
    }
    if (!ok) process.exitCode = 1;
  } finally {
    await Promise.all(children.map(stopChild));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
