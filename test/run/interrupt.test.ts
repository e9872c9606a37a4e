// Ctrl-C during `circlet run`: the running job is cancelled, its processes and the run's
// temp dir are gone, and the exit code is 130.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
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

describe('circlet run, interrupted', () => {
  it('SIGINT mid-job cancels it, leaves no process or temp dir behind, and exits 130', async () => {
    const marker = `${4000 + (process.pid % 1000)}.25`;
    const pidFile = path.join(tempDir('circlet-run-pid-'), 'pid');
    const repo = makeRepo();
    repo.commit({
      '.circleci/config.yml': `
version: 2.1
jobs:
  slow:
    machine: true
    steps:
      - run: echo $$ > ${pidFile}; echo ready; sleep ${marker}
  later: {machine: true, steps: [{run: echo never}]}
workflows: {main: {jobs: [slow, {later: {requires: [slow]}}]}}
`,
    });
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/circlet.js'), 'run'], { cwd: repo.dir, env: childEnv({ XDG_CACHE_HOME: tempDir('circlet-run-cache-') }), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the job did not start\n${out}\n${err}`)), 40_000);
      child.stdout.setEncoding('utf8').on('data', (c: string) => {
        out += c;
        if (out.includes('[slow] ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const shellPid = Number(fs.readFileSync(pidFile, 'utf8').trim());
    expect(alive(shellPid)).toBe(true);
    expect(processesWith(marker).length).toBeGreaterThan(0);
    const workDir = /Running on the host executor \(.*\) in (\S+)/.exec(out)![1]!;
    const runTmp = workDir.slice(0, workDir.indexOf('/data/'));
    expect(fs.existsSync(runTmp)).toBe(true);

    const sent = Date.now();
    child.kill('SIGINT');
    const code = await exited;
    expect(code, `${out}\n${err}`).toBe(130);
    expect(Date.now() - sent).toBeLessThan(15_000);
    expect(err).toContain('cancelling running jobs');
    expect(out).toMatch(/\[slow\] canceled/);
    expect(out).not.toContain('[later] started');
    expect(alive(shellPid)).toBe(false);
    expect(processesWith(marker)).toEqual([]);
    expect(fs.existsSync(runTmp)).toBe(false);
  });
});
