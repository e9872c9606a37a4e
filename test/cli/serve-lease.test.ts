// `circlet serve --lease-timeout` (and CIRCLET_LEASE_TIMEOUT): the lease a claim hands out, and
// the reaper ending a task whose agent went silent after that long, not after the 30 s default.
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveLeaseMs } from '../../src/cli/serve.ts';
import { tempDir } from '../helpers/databases.ts';
import { makeRepo } from '../helpers/git.ts';
import { ScriptedAgent } from '../helpers/scripted-agent.ts';
import { waitFor } from '../helpers/wait.ts';
import { getJson, killAll, runCli, startServe } from './child.ts';

const dirs: string[] = [];
afterAll(() => {
  killAll();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('circlet serve --lease-timeout', () => {
  it('reads the flag, then the environment, in seconds', () => {
    expect(resolveLeaseMs(2.5, { CIRCLET_LEASE_TIMEOUT: '9' })).toBe(2500);
    expect(resolveLeaseMs(undefined, { CIRCLET_LEASE_TIMEOUT: '9' })).toBe(9000);
    expect(resolveLeaseMs(undefined, {})).toBeUndefined();
    expect(() => resolveLeaseMs(undefined, { CIRCLET_LEASE_TIMEOUT: '0' })).toThrow(/CIRCLET_LEASE_TIMEOUT '0'/);
  });

  it('refuses a lease that is not a number of seconds', async () => {
    const res = await runCli(['serve', '--lease-timeout', 'soon']);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/--lease-timeout.*must be a number of seconds/);
  });

  it('hands out leases of that length and reaps a silent agent\'s task after it', async () => {
    const dir = tempDir('circlet-lease-');
    dirs.push(dir);
    const repo = makeRepo('version: 2.1\njobs:\n  build: {machine: true, steps: [{run: echo hi}]}\nworkflows:\n  w: {jobs: [build]}\n');
    dirs.push(repo.dir);
    const server = await startServe(['--port', '0', '--data-dir', dir, '--agents', '0', '--lease-timeout', '2']);
    try {
      const token = (await runCli(['token', 'create', '--login', 'alice', '--data-dir', dir])).stdout.trim();
      expect((await runCli(['project', 'add', 'gh/acme/lease', '--repo', repo.dir, '--owner', 'alice', '--data-dir', dir])).code).toBe(0);
      const runnerToken = (await runCli(['runner', 'token', 'create', '--data-dir', dir])).stdout.trim();
      const res = await fetch(`${server.url}/api/v2/project/gh/acme/lease/pipeline`, { method: 'POST', headers: { 'Circle-Token': token, 'content-type': 'application/json' }, body: '{}' });
      expect(res.status).toBe(201);
      const agent = new ScriptedAgent({ url: server.url, token: runnerToken });
      const claimed = await waitFor(() => agent.claim(1000), (t) => t !== undefined, { timeoutMs: 20_000 });
      expect(claimed!.task.lease_ms).toBe(2000);
      const t0 = Date.now();
      // The agent says nothing more: the job ends infrastructure_fail once its 2 s lease lapsed.
      const job = await waitFor(
        async () => (await getJson(`${server.url}/api/v2/project/gh/acme/lease/job/${claimed!.job.number}`, token)).body,
        (b: { status?: string }) => b.status === 'infrastructure_fail',
        { timeoutMs: 15_000, everyMs: 100 },
      );
      expect(job.status).toBe('infrastructure_fail');
      expect(Date.now() - t0).toBeLessThan(10_000);
    } finally {
      await server.stop();
    }
  }, 60_000);
});
