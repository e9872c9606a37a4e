// bench:local-run: `circlet run` of a 3-job workflow of trivial host steps, from command start
// to exit, beside raw `git clone --local` and `bash -c true` measured in the same run; and the
// per-step overhead (a `run: true` step's recorded time over a raw `bash -c true`).
//   npm run bench:local-run [-- --runs 5] [--steps 40]
// Targets (issue 12): ≤ 1.0 s wall on an idle machine; per-step overhead ≤ the server's
// (6.4 ms over a raw spawn).
import { execFileSync, spawnSync } from 'node:child_process';
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
const RUNS = arg('runs', 5);
const STEPS = arg('steps', 40);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

function repoWith(config: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'circlet-bench-local-run-'));
  fs.mkdirSync(path.join(dir, '.circleci'));
  fs.writeFileSync(path.join(dir, '.circleci/config.yml'), config);
  fs.writeFileSync(path.join(dir, 'README.md'), 'bench\n');
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=b', '-c', 'user.email=b@b', ...args], { cwd: dir, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-qm', 'bench');
  return dir;
}

const THREE = `
version: 2.1
jobs:
  a: {machine: true, steps: [checkout, {run: echo a}]}
  b: {machine: true, steps: [{run: echo b}]}
  c: {machine: true, steps: [{run: echo c}]}
workflows: {main: {jobs: [a, {b: {requires: [a]}}, {c: {requires: [a]}}]}}
`;

const MANY = `
version: 2.1
jobs:
  steps:
    machine: true
    steps:
${Array.from({ length: STEPS }, () => '      - run: "true"').join('\n')}
workflows: {main: {jobs: [steps]}}
`;

if (!fs.existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'circlet-bench-cache-'));
const env = { ...process.env, XDG_CACHE_HOME: cache, CIRCLET_LOG_LEVEL: 'warn' };
console.log(`bench:local-run  (${RUNS} runs, medians; load ${loadAverage()}; ${os.cpus().length} CPUs)`);

// Raw floors, in the same run.
const three = repoWith(THREE);
const clones: number[] = [];
for (let i = 0; i < 3; i++) {
  const target = fs.mkdtempSync(path.join(os.tmpdir(), 'circlet-bench-clone-'));
  const t0 = process.hrtime.bigint();
  execFileSync('git', ['clone', '-q', '--local', three, path.join(target, 'c')]);
  clones.push(ms(t0));
  fs.rmSync(target, { recursive: true, force: true });
}
const spawns: number[] = [];
for (let i = 0; i < STEPS; i++) {
  const t0 = process.hrtime.bigint();
  spawnSync('bash', ['-c', 'true']);
  spawns.push(ms(t0));
}
const nodeFloor: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const t0 = process.hrtime.bigint();
  spawnSync(process.execPath, ['-e', '0']);
  nodeFloor.push(ms(t0));
}

// The 3-job workflow, command start to exit.
const walls: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [BIN, 'run', '--host', '--out', path.join(cache, 'out', String(i))], { cwd: three, env, encoding: 'utf8' });
  walls.push(ms(t0));
  if (r.status !== 0) throw new Error(`circlet run failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
}

// Per-step: the recorded duration of each `run: true` step (agent + executor), median.
const many = repoWith(MANY);
const stepMs: number[] = [];
const r = spawnSync(process.execPath, [BIN, 'run', '--host', '--json', '--out', path.join(cache, 'out', 'many')], { cwd: many, env, encoding: 'utf8' });
if (r.status !== 0) throw new Error(`circlet run failed (${r.status}):\n${r.stderr}`);
for (const line of r.stdout.trim().split('\n')) {
  const e = JSON.parse(line) as { type: string; name?: string; ms?: number };
  if (e.type === 'step_ended' && e.name === 'true') stepMs.push(e.ms ?? 0);
}

const clone = median(clones);
const bash = median(spawns);
const wall = median(walls);
const step = median(stepMs);
console.log(`  node -e 0                 ${median(nodeFloor).toFixed(1).padStart(7)} ms   (a process start, the floor of any CLI)`);
console.log(`  git clone --local (×3)    ${clone.toFixed(1).padStart(7)} ms   median of ${clones.map((c) => c.toFixed(0)).join(', ')} ms`);
console.log(`  bash -c true (×${STEPS})       ${bash.toFixed(1).padStart(7)} ms   median`);
console.log(`  circlet run, 3 jobs       ${wall.toFixed(0).padStart(7)} ms   wall, command start to exit (target ≤ 1000 ms idle); runs: ${walls.map((w) => w.toFixed(0)).join(', ')} ms`);
console.log(`  a run: true step          ${step.toFixed(1).padStart(7)} ms   median over ${stepMs.length} steps; overhead over bash -c true: ${(step - bash).toFixed(1)} ms (server: 6.4 ms)`);
fs.rmSync(three, { recursive: true, force: true });
fs.rmSync(many, { recursive: true, force: true });
fs.rmSync(cache, { recursive: true, force: true });
