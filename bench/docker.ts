// Docker executor benchmark (needs a Docker engine and the local base image: .ci/docker-setup.sh).
//
//   npm run bench:docker
//   BENCH_REPS=30 BENCH_IMAGE=local/debian:bookworm npm run bench:docker
//
// Figures, each beside a floor measured in the same run (medians):
// - per-step overhead: `DockerExecutor.exec` of `true` (script file, wrapper, the job's shell,
//   env and cwd, streamed output, exit code) in a running primary container, against a raw
//   `docker exec <container> true` (CLI) in the same container. Target ≤ 1.2×. The raw API
//   exec (dockerode) is shown too.
// - job start: `DockerExecutor.prepare` (image check, create + start with init, labels,
//   limits, bind mounts, the user/shell probe) until the first step can run, against a raw
//   `docker run --rm IMAGE true`. Target ≤ 1.3×. Cleanup (remove) is shown beside it.
// - 3-job workflow end to end: a circlet server (SQLite) and an agent with the docker
//   executor; jobs a → b → c, each `checkout` + `run: true` in circlet-test/base:<run> (the
//   base image tagged so for this run, the tag removed after); trigger until the workflow's
//   `stopped_at`. No target; shown beside
//   3 × raw `docker run --rm`.
// Exits 1 on a missed target, 0 with one line when no engine answers.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Agent, CONTAINER_TOOLS, helperTools } from '../src/agent/agent.ts';
import { silentLogger } from '../src/agent/logger.ts';
import { CONTAINER_NODE, DockerExecutor, pingDocker } from '../src/executor/docker.ts';
import type { JobSpec, Workspace } from '../src/executor/types.ts';
import { startServer } from '../src/server/server.ts';
import { addMember, ensureOrganization } from '../src/storage/organizations.ts';
import { createProject } from '../src/storage/projects.ts';
import { createRunnerToken } from '../src/storage/runner-tokens.ts';
import { createApiToken, ensureUser } from '../src/storage/users.ts';
import { tagBaseImage, testImage } from '../test/executor/docker-helpers.ts';

const REPS = Number(process.env.BENCH_REPS ?? 20);
const IMAGE = process.env.BENCH_IMAGE ?? 'local/debian:bookworm';
const WORKFLOW_REPS = Number(process.env.BENCH_WORKFLOW_REPS ?? 5);
const TARGET_STEP = 1.2;
const TARGET_START = 1.3;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const ms = (n: number) => `${n.toFixed(1)} ms`;
let missed = false;
const report = (figure: string, value: string, floor: string, target: string, ok: boolean | null) => {
  if (ok === false) missed = true;
  console.log(`  ${figure.padEnd(40)} ${value.padStart(10)}  ${floor.padEnd(44)} ${target.padEnd(8)} ${ok === null ? '' : ok ? 'pass' : 'MISSED'}`);
};

function spawnWait(file: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.resume();
    child.stderr.resume();
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`${file} ${args.join(' ')} exited ${code}`))));
  });
}

async function execTrue(ex: DockerExecutor, ws: Workspace): Promise<number> {
  const t0 = performance.now();
  const st = await ex.exec(ws, { script: 'true\n', shell: ws.defaultShell, cwd: `${ws.home}/project`, env: ws.baseEnv, onOutput: () => undefined }).exited;
  if (st.code !== 0) throw new Error(`exec exited ${st.code}`);
  return performance.now() - t0;
}

async function apiExecTrue(ex: DockerExecutor, containerId: string): Promise<number> {
  const t0 = performance.now();
  const exec = await ex.docker.getContainer(containerId).exec({ Cmd: ['true'], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  ex.docker.modem.demuxStream(stream, sink, sink);
  await new Promise((r) => stream.once('end', r));
  await exec.inspect();
  return performance.now() - t0;
}

async function benchExecutor(workDir: string): Promise<number> {
  const ex = new DockerExecutor({ workDir });
  const spec = (id: string): JobSpec => ({ id, executor: { kind: 'docker', images: [{ image: IMAGE, environment: {} }] }, resourceClass: 'medium' });
  // Warm-up: the image's layers in the page cache, the engine's code paths.
  await spawnWait('docker', ['run', '--rm', IMAGE, 'true']);
  const warm = await ex.prepare(spec('bench-warm'));
  await ex.cleanup(warm);

  const start: number[] = [];
  const rawRun: number[] = [];
  const remove: number[] = [];
  for (let i = 0; i < Math.max(5, Math.round(REPS / 2)); i++) {
    rawRun.push(await spawnWait('docker', ['run', '--rm', IMAGE, 'true']));
    const t0 = performance.now();
    const ws = await ex.prepare(spec(`bench-start-${i}`));
    start.push(performance.now() - t0);
    const t1 = performance.now();
    await ex.cleanup(ws);
    remove.push(performance.now() - t1);
  }

  const ws = await ex.prepare(spec('bench-steps'));
  const id = execFileSync('docker', ['ps', '-q', '--no-trunc', '--filter', `label=io.circlet.job=bench-steps`]).toString().trim().split('\n')[0]!;
  const step: number[] = [];
  const rawExec: number[] = [];
  const apiExec: number[] = [];
  await execTrue(ex, ws);
  for (let i = 0; i < REPS; i++) {
    rawExec.push(await spawnWait('docker', ['exec', id, 'true']));
    apiExec.push(await apiExecTrue(ex, id));
    step.push(await execTrue(ex, ws));
  }
  await ex.cleanup(ws);

  const stepRatio = median(step) / median(rawExec);
  report('per step (exec of `true`)', ms(median(step)), `raw docker exec ${ms(median(rawExec))} (API ${ms(median(apiExec))})`, `≤ ${TARGET_STEP}×`, stepRatio <= TARGET_STEP);
  report('  ratio to raw docker exec', `${stepRatio.toFixed(2)}×`, `to the raw API exec ${(median(step) / median(apiExec)).toFixed(2)}×`, '', null);
  const startRatio = median(start) / median(rawRun);
  report('job start (prepare)', ms(median(start)), `raw docker run --rm true ${ms(median(rawRun))}`, `≤ ${TARGET_START}×`, startRatio <= TARGET_START);
  report('  ratio to raw docker run', `${startRatio.toFixed(2)}×`, `cleanup (remove) ${ms(median(remove))}`, '', null);
  return median(rawRun);
}

function gitRepo(config: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'circlet-bench-repo-'));
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=Bench', '-c', 'user.email=bench@example.com', ...args], { cwd: dir, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  fs.mkdirSync(path.join(dir, '.circleci'));
  fs.writeFileSync(path.join(dir, '.circleci/config.yml'), config);
  for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(dir, `f${i}.ts`), `export const v${i} = ${i};\n`.repeat(50));
  git('add', '-A');
  git('commit', '-q', '-m', 'bench');
  return dir;
}

async function benchWorkflow(workDir: string, rawRun: number): Promise<void> {
  const image = testImage('base');
  const untag = tagBaseImage([image], IMAGE);
  try {
    await workflowRuns(workDir, rawRun, image);
  } finally {
    untag();
  }
}

async function workflowRuns(workDir: string, rawRun: number, image: string): Promise<void> {
  const config =
    `version: 2.1\njobs:\n${['a', 'b', 'c'].map((j) => `  ${j}:\n    docker: [{image: ${image}}]\n    steps: [checkout, {run: "true"}]\n`).join('')}` +
    `workflows:\n  main:\n    jobs:\n      - a\n      - b: {requires: [a]}\n      - c: {requires: [b]}\n`;
  const repo = gitRepo(config);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'circlet-bench-docker-'));
  const server = await startServer({ dataDir, port: 0, agents: 0, logLevel: 'silent' });
  const helperDir = path.dirname(helperTools().circleci!.match(/'([^']+circleci\.mjs)'/)![1]!);
  // The bench repo is a local path: mounted into the containers where the host has it.
  const executor = new DockerExecutor({ workDir, mounts: { [repo]: repo, [process.execPath]: CONTAINER_NODE, [helperDir]: CONTAINER_TOOLS } });
  let agent: Agent | undefined;
  let running: Promise<void> | undefined;
  try {
    const database = server.database;
    const user = await ensureUser(database.db, 'bench');
    const org = await ensureOrganization(database.db, 'github', 'bench');
    await addMember(database.db, org.id, user.id);
    const token = await createApiToken(database.db, user.id, 'bench');
    await createProject(database.db, org, { name: 'chain', vcsUrl: repo, defaultBranch: 'main' });
    agent = new Agent({ url: server.url, token: await createRunnerToken(database.db, 'bench'), executor, logger: silentLogger });
    running = agent.start();
    const call = async (method: string, p: string, body?: unknown) => {
      const r = await fetch(server.url + p, { method, headers: { 'circle-token': token, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: r.status, body: (await r.json()) as Record<string, unknown> & { id: string; items: { status: string; stopped_at: string | null }[] } };
    };
    const walls: number[] = [];
    for (let i = 0; i <= WORKFLOW_REPS; i++) {
      const t0 = Date.now();
      const t = await call('POST', '/api/v2/project/gh/bench/chain/pipeline', {});
      if (t.status !== 201) throw new Error(`trigger: ${t.status} ${JSON.stringify(t.body)}`);
      for (;;) {
        const wfs = (await call('GET', `/api/v2/pipeline/${t.body.id}/workflow`)).body.items ?? [];
        if (wfs.length > 0 && wfs.every((w) => w.stopped_at && w.status !== 'running')) {
          if (wfs.some((w) => w.status !== 'success')) throw new Error(`workflow ended ${wfs.map((w) => w.status).join(', ')}`);
          if (i > 0) walls.push(Date.parse(wfs[0]!.stopped_at!) - t0); // the first run is a warm-up
          break;
        }
        if (Date.now() - t0 > 120_000) throw new Error('workflow not done after 120 s');
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    report('3-job workflow, trigger → stopped', ms(median(walls)), `3 × raw docker run --rm ${ms(3 * rawRun)}`, '', null);
  } finally {
    await agent?.stop();
    await running?.catch(() => undefined);
    server.app.server.closeAllConnections();
    await server.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(repo, { recursive: true, force: true });
  }
}

const ping = await pingDocker();
if (!ping.ok) {
  console.log(`bench:docker skipped: ${ping.reason}`);
  process.exit(0);
}
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'circlet-bench-docker-work-'));
try {
  console.log(`docker executor (${IMAGE}; ${REPS} repetitions; load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')})`);
  const rawRun = await benchExecutor(workDir);
  await benchWorkflow(workDir, rawRun);
} finally {
  fs.rmSync(workDir, { recursive: true, force: true });
}
process.exit(missed ? 1 : 0);
