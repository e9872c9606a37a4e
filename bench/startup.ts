// bench:startup: how long `circlet --help` takes and how much memory an idle `circlet serve`
// holds, beside bare `node -e 0` measured in the same run.
//   npm run bench:startup [-- --runs 15] [--idle-seconds 8]
// Targets (issue 10): --help ≤ 100 ms wall on an idle machine and ≤ 2.5× `node -e 0`;
// serve idle RSS ≤ 80 MB.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAverage } from './lib.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'circlet.js');
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const RUNS = arg('runs', 15);
const IDLE_S = arg('idle-seconds', 8);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Wall and CPU (user+sys of the child) per run of `node args`, medians over RUNS. */
function time(args: string[]): { wallMs: number; cpuMs: number } {
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    const res = spawnSync('/usr/bin/time', ['-f', '%U %S', process.execPath, ...args], { encoding: 'utf8' });
    walls.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const [u, s] = res.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
    cpus.push(((u ?? 0) + (s ?? 0)) * 1000);
  }
  return { wallMs: median(walls), cpuMs: median(cpus) };
}

if (!fs.existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });

console.log(`bench:startup  (${RUNS} runs each, medians; load ${loadAverage()}; ${os.cpus().length} CPUs)`);
const bare = time(['-e', '0']);
const help = time([BIN, '--help']);
console.log(`  node -e 0          ${bare.wallMs.toFixed(0).padStart(4)} ms wall  ${bare.cpuMs.toFixed(0).padStart(4)} ms CPU   (floor)`);
console.log(`  circlet --help     ${help.wallMs.toFixed(0).padStart(4)} ms wall  ${help.cpuMs.toFixed(0).padStart(4)} ms CPU   ${(help.wallMs / bare.wallMs).toFixed(2)}× the floor (target ≤ 100 ms and ≤ 2.5×)`);

// Idle RSS of `circlet serve` (SQLite, embedded agent) IDLE_S seconds after it is ready.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'circlet-bench-startup-'));
const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', dir], { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, CIRCLET_LOG_LEVEL: 'warn' } });
const t0 = Date.now();
await new Promise<void>((resolve, reject) => {
  let out = '';
  child.stdout.on('data', (b: Buffer) => {
    out += b.toString();
    if (out.includes('circlet listening on')) resolve();
  });
  child.on('exit', (code) => reject(new Error(`serve exited ${code}`)));
});
const readyMs = Date.now() - t0;
await new Promise((r) => setTimeout(r, IDLE_S * 1000));
const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
fs.rmSync(dir, { recursive: true, force: true });
const nodeRss = Number(spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, '-e', 'setTimeout(()=>{},50)'], { encoding: 'utf8' }).stderr.trim().split('\n').at(-1));
console.log(`  serve ready in     ${String(readyMs).padStart(4)} ms`);
console.log(`  serve idle RSS     ${(rssKb / 1024).toFixed(0).padStart(4)} MB after ${IDLE_S} s   (bare node process: ${(nodeRss / 1024).toFixed(0)} MB; target ≤ 80 MB)`);
