// The live view on a terminal: `circlet run` under a pseudo-terminal (util-linux `script`)
// draws the tree of jobs and, under a failed job, its failing step's last lines (masked).
import { execFile, execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, childEnv } from '../cli/child.ts';
import { runRepo } from './helpers.ts';

const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!hasScript)('circlet run on a terminal', () => {
  it('shows the job tree, the failing lines under the failed job, and the summary', async () => {
    const repo = runRepo(`
version: 2.1
jobs:
  ok: {machine: true, steps: [{run: echo fine}]}
  broken:
    machine: true
    steps:
      - run: {name: compile, command: 'for i in $(seq 1 20); do echo line $i; done; echo "error: token $MY_SECRET" >&2; exit 3'}
  after: {machine: true, steps: [{run: echo never}]}
workflows:
  main:
    jobs: [ok, broken, {after: {requires: [broken]}}]
`);
    const bin = path.join(ROOT, 'bin/circlet.js');
    const command = `stty cols 120 rows 50; ${process.execPath} ${bin} run --keep-going --env MY_SECRET=hunter2hunter2`;
    const raw = await new Promise<string>((resolve) =>
      execFile('script', ['-qec', command, '/dev/null'], { cwd: repo.dir, env: childEnv({ XDG_CACHE_HOME: repo.cache }), timeout: 60_000 }, (_err, stdout) => resolve(stdout)),
    );
    const text = raw.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
    expect(text).toContain('✔ ok');
    expect(text).toContain('✖ broken: failed in step "compile" (exit 3)');
    expect(text).toMatch(/line 20\n\s+error: token \*{8}\n/);
    expect(text).not.toContain('line 1\n');
    expect(text).toContain('↓ after: not_run');
    expect(text).toMatch(/Failed in .*\n {2}ok {6}success/);
    expect(text).not.toContain('hunter2');
  });
});
