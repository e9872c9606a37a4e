// Ctrl-C during `circlet run`: the running job is cancelled, its processes and the run's
// temp dir are gone, and the exit code is 130.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ROOT, childEnv } from '../cli/child.ts';
import { tempDir } from '../helpers/databases.ts';
import { makeRepo } from '../helpers/git.ts';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Pids of processes whose command line contains `marker`. */
function processesWith(marker: string): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(marker)) out.push(Number(entry));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** A temp dir removed when the test ends. */
function ownDir(prefix: string): string {
  const dir = tempDir(prefix);
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** `circlet run` in `dir` (its stdout piped), once its job `slow` has printed `ready`. */
async function startRun(dir: string) {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/circlet.js'), 'run'], { cwd: dir, env: childEnv({ XDG_CACHE_HOME: ownDir('circlet-run-cache-') }), stdio: ['ignore', 'pipe', 'pipe'] });
  const run = { child, out: '', err: '', exited: new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code))) };
  child.stderr.setEncoding('utf8').on('data', (c: string) => (run.err += c));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the job did not start\n${run.out}\n${run.err}`)), 40_000);
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      run.out += c;
      if (run.out.includes('[slow] ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return run;
}

/**
 * `circlet run` in a new repository whose config is `config(pidFile)`, once its job `slow`
 * has printed `ready`; with the pid of the job's shell (which the job writes to `pidFile`)
 * and the run's temp dir (added to the run, whose `out` and `err` keep growing).
 */
async function startInRepo(config: (pidFile: string) => string) {
  const pidFile = path.join(ownDir('circlet-run-pid-'), 'pid');
  const repo = makeRepo();
  onTestFinished(() => fs.rmSync(repo.dir, { recursive: true, force: true }));
  repo.commit({ '.circleci/config.yml': config(pidFile) });
  const run = await startRun(repo.dir);
  const shellPid = Number(fs.readFileSync(pidFile, 'utf8').trim());
  const workDir = /Running on the host executor \(.*\) in (\S+)/.exec(run.out)![1]!;
  // The last one: a run inside a job of another run (circlet's own pipeline) has two.
  const runTmp = workDir.slice(0, workDir.lastIndexOf('/data/agent-work/'));
  return Object.assign(run, { shellPid, runTmp });
}

describe('circlet run, interrupted', () => {
  it('SIGINT mid-job cancels it, leaves no process or temp dir behind, and exits 130', async () => {
    const marker = `${4000 + (process.pid % 1000)}.25`;
    const run = await startInRepo(
      (pidFile) => `
version: 2.1
jobs:
  slow:
    machine: true
    steps:
      - run: echo $$ > ${pidFile}; echo ready; sleep ${marker}
  later: {machine: true, steps: [{run: echo never}]}
workflows: {main: {jobs: [slow, {later: {requires: [slow]}}]}}
`,
    );
    const { child, exited, shellPid, runTmp } = run;
    expect(alive(shellPid)).toBe(true);
    expect(processesWith(marker).length).toBeGreaterThan(0);
    expect(fs.existsSync(runTmp)).toBe(true);

    const sent = Date.now();
    child.kill('SIGINT');
    const code = await exited;
    expect(code, `${run.out}\n${run.err}`).toBe(130);
    expect(Date.now() - sent).toBeLessThan(15_000);
    expect(run.err).toContain('cancelling running jobs');
    expect(run.out).toMatch(/\[slow\] canceled/);
    expect(run.out).not.toContain('[later] started');
    expect(alive(shellPid)).toBe(false);
    expect(processesWith(marker)).toEqual([]);
    expect(fs.existsSync(runTmp)).toBe(false);
  });

  it('a reader that goes away (| head) cancels the run like Ctrl-C: no EPIPE crash, no process or temp dir left', async () => {
    // The job keeps printing, so the run writes (and meets the closed pipe) while it runs.
    const marker = `0.2${String(process.pid % 1000).padStart(3, '0')}`;
    const run = await startInRepo(
      (pidFile) => `
version: 2.1
jobs:
  slow:
    machine: true
    steps:
      - run: echo $$ > ${pidFile}; echo ready; while true; do echo tick; sleep ${marker}; done
workflows: {main: {jobs: [slow]}}
`,
    );
    const { child, exited, shellPid, runTmp } = run;
    // The reader closes its end; the run's next line meets EPIPE (the shell's `| head` exiting).
    child.stdout.destroy();
    const code = await exited;
    expect(run.err).not.toContain('EPIPE');
    expect(run.err).toContain('the output was closed: cancelling running jobs');
    expect(code, run.err).toBe(130);
    expect(alive(shellPid)).toBe(false);
    expect(processesWith(marker)).toEqual([]);
    expect(fs.existsSync(runTmp)).toBe(false);
  });
});
