// bench:local-run: `circlet run` of a 3-job workflow of trivial host steps, from command start
// to exit, beside raw `git clone --local` and `bash -c true` measured in the same run; and the
// per-step overhead (a `run: true` step's recorded time over a raw `bash -c true`).
//   npm run bench:local-run [-- --runs 5] [--steps 40]
// Targets (issue 12): ≤ 1.0 s wall on an idle machine; per-step overhead ≤ the server's
// (6.4 ms over a raw spawn). CPU time (user + sys of the process and its children) is printed
// beside each wall figure: on a shared machine it moves less than the wall does. The first
// run of a fresh cache dir (which builds the store's schema template and the code cache of the
// bundle) is reported apart, and so are runs that load dist/ module by module
// (CIRCLET_NO_BUNDLE=1, src/cli/run-bundle.ts), the way `circlet run` started before the bundle.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSplit, loadAverage } from './lib.ts';
import type { RunPhases } from '../src/run/events.ts';

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
/** Wall and CPU (children's user + sys, waited for) of a synchronous run of `fn`. */
function timed<T>(fn: () => T): { wall: number; cpu: number; value: T } {
  const c0 = cpuSplit().children;
  const t0 = process.hrtime.bigint();
  const value = fn();
  return { wall: ms(t0), cpu: cpuSplit().children - c0, value };
}

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
const cloneCpu: number[] = [];
for (let i = 0; i < 3; i++) {
  const target = fs.mkdtempSync(path.join(os.tmpdir(), 'circlet-bench-clone-'));
  const t = timed(() => execFileSync('git', ['clone', '-q', '--local', three, path.join(target, 'c')]));
  clones.push(t.wall);
  cloneCpu.push(t.cpu);
  fs.rmSync(target, { recursive: true, force: true });
}
const spawns: number[] = [];
for (let i = 0; i < STEPS; i++) spawns.push(timed(() => spawnSync('bash', ['-c', 'true'])).wall);
const nodeFloor: number[] = [];
const nodeCpu: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const t = timed(() => spawnSync(process.execPath, ['-e', '0']));
  nodeFloor.push(t.wall);
  nodeCpu.push(t.cpu);
}

// The 3-job workflow, command start to exit; the first run (fresh cache dir) apart.
type Phases = RunPhases;
function runThree(i: number | string, extra: Record<string, string> = {}) {
  const t = timed(() => spawnSync(process.execPath, [BIN, 'run', '--host', '--json', '--out', path.join(cache, 'out', String(i))], { cwd: three, env: { ...env, ...extra }, encoding: 'utf8' }));
  const r = t.value;
  if (r.status !== 0) throw new Error(`circlet run failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  const end = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { type: string; phases: Phases };
  return { wall: t.wall, cpu: t.cpu, phases: end.phases };
}
const first = runThree('first');
// Interleaved, so both see the same load.
const runs: ReturnType<typeof runThree>[] = [];
const unbundled: ReturnType<typeof runThree>[] = [];
for (let i = 0; i < RUNS; i++) {
  runs.push(runThree(i));
  unbundled.push(runThree(`unbundled-${i}`, { CIRCLET_NO_BUNDLE: '1' }));
}
const walls = runs.map((r) => r.wall);

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
const PHASES = ['startup', 'prepare', 'store', 'trigger', 'jobs', 'finish'] as const;
/** The phases' medians, and what came after run_ended (stopping the instance, removing the temp dir, exiting). */
const phaseLine = (rs: typeof runs) => [...PHASES.map((k) => `${k} ${median(rs.map((r) => r.phases[k]))}`), `after ${median(rs.map((r) => r.wall - PHASES.reduce((sum, k) => sum + r.phases[k], 0))).toFixed(0)}`].join(', ');
const step = median(stepMs);
console.log(`  node -e 0                 ${median(nodeFloor).toFixed(1).padStart(7)} ms   (a process start, the floor of any CLI); CPU ${median(nodeCpu).toFixed(0)} ms`);
console.log(`  git clone --local (×3)    ${clone.toFixed(1).padStart(7)} ms   median of ${clones.map((c) => c.toFixed(0)).join(', ')} ms; CPU ${median(cloneCpu).toFixed(0)} ms`);
console.log(`  bash -c true (×${STEPS})       ${bash.toFixed(1).padStart(7)} ms   median`);
console.log(`  circlet run, 3 jobs       ${wall.toFixed(0).padStart(7)} ms   wall, command start to exit (target ≤ 1000 ms idle); runs: ${walls.map((w) => w.toFixed(0)).join(', ')} ms`);
console.log(`                            ${median(runs.map((r) => r.cpu)).toFixed(0).padStart(7)} ms   CPU (user + sys, with its children), median`);
console.log(`                                       phases (ms, medians): ${phaseLine(runs)}`);
console.log(`  module by module          ${median(unbundled.map((r) => r.wall)).toFixed(0).padStart(7)} ms   wall, CIRCLET_NO_BUNDLE=1 (no bundle, no code cache); runs: ${unbundled.map((r) => r.wall.toFixed(0)).join(', ')} ms`);
console.log(`                            ${median(unbundled.map((r) => r.cpu)).toFixed(0).padStart(7)} ms   CPU, median; phases: ${phaseLine(unbundled)}`);
console.log(`  first run, fresh cache    ${first.wall.toFixed(0).padStart(7)} ms   wall (builds the schema template and the code cache); CPU ${first.cpu.toFixed(0)} ms`);
console.log(`  a run: true step          ${step.toFixed(1).padStart(7)} ms   median over ${stepMs.length} steps; overhead over bash -c true: ${(step - bash).toFixed(1)} ms (server: 6.4 ms)`);
fs.rmSync(three, { recursive: true, force: true });
fs.rmSync(many, { recursive: true, force: true });
fs.rmSync(cache, { recursive: true, force: true });
