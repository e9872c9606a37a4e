// The host executor against the executor contract, plus what is specific to it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HostExecutor, hostKinds } from '../../src/executor/host.ts';
import { tempDir } from '../helpers/databases.ts';
import { executorContract, jobSpec, run } from './contract.ts';

const root = tempDir('circlet-host-exec-');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

executorContract('host', async () => ({ executor: new HostExecutor({ workDir: root }), config: { machine: true } }));

describe('host executor', () => {
  it('advertises machine, and docker only when mapping images to the host', () => {
    expect(hostKinds(false, 'linux')).toEqual(['machine']);
    expect(hostKinds(true, 'linux')).toEqual(['machine', 'docker']);
    expect(hostKinds(false, 'darwin')).toEqual(['machine', 'macos']);
  });

  it('gives a job a short $TMPDIR where a Unix socket fits, however deep the work dir, and removes it', async () => {
    const deep = path.join(tempDir('circlet-deep-'), 'x'.repeat(60), 'agent-work');
    const executor = new HostExecutor({ workDir: deep });
    const ws = await executor.prepare(jobSpec('7f1c9a52-8a0e-4b8e-9a4e-1d2c3b4a5f60', { machine: true }));
    const tmp = ws.baseEnv.TMPDIR!;
    expect(fs.statSync(tmp).isDirectory()).toBe(true);
    // Chromium puts its singleton socket at <TMPDIR>/org.chromium.Chromium.<random suffix>/SingletonSocket.
    const script = `python3 -c 'import socket,os,tempfile; d=tempfile.mkdtemp(prefix="org.chromium.Chromium."); s=socket.socket(socket.AF_UNIX); s.bind(os.path.join(d,"SingletonSocket")); print("bound")'\n`;
    const r = await run(executor, ws, script);
    expect(r.out.trim()).toBe('bound');
    await executor.cleanup(ws);
    expect(fs.existsSync(tmp)).toBe(false);

    const dead = new HostExecutor({ workDir: deep });
    const left = await dead.prepare(jobSpec('left-behind', { machine: true }));
    fs.writeFileSync(path.join(left.internalDir, 'agent.pid'), '999999999');
    expect(await new HostExecutor({ workDir: deep }).sweep()).toBe(1);
    expect(fs.existsSync(left.baseEnv.TMPDIR!)).toBe(false);
  });

  it('sweeps what a dead agent left behind, leaving live workspaces alone', async () => {
    const dir = tempDir('circlet-sweep-');
    const dead = new HostExecutor({ workDir: dir });
    const ws = await dead.prepare(jobSpec('orphaned', { machine: true }));
    const r = await run(dead, ws, 'nohup sleep 600 >/dev/null 2>&1 &\necho $!\n');
    const pid = Number(r.out.trim());
    // Pretend its agent died: the owner file names a process that does not exist.
    fs.writeFileSync(path.join(ws.internalDir, 'agent.pid'), '999999999');
    const other = new HostExecutor({ workDir: dir });
    const live = await other.prepare(jobSpec('live', { machine: true }));
    expect(await other.sweep()).toBe(1);
    expect(fs.existsSync(ws.root)).toBe(false);
    expect(fs.existsSync(live.root)).toBe(true);
    if (process.platform === 'linux') {
      await new Promise((res) => setTimeout(res, 100));
      let stat = '';
      try {
        stat = execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
      } catch {
        stat = ''; // no such process
      }
      expect(stat === '' || stat.startsWith('Z')).toBe(true);
    }
    await other.cleanup(live);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it.runIf(process.platform === 'linux')('sweeps the recorded process groups of a dead agent, even processes that dropped the workspace marker', async () => {
    const dir = tempDir('circlet-sweep-groups-');
    const dead = new HostExecutor({ workDir: dir });
    const ws = await dead.prepare(jobSpec('orphaned', { machine: true }));
    // `env -i` clears CIRCLET_WORKSPACE: only the recorded process group finds this sleep.
    const cmd = dead.exec(ws, { script: 'echo $$\nexec env -i sleep 30\n', shell: ['/bin/sh'], cwd: ws.home, env: ws.baseEnv, onOutput: () => undefined });
    await new Promise((res) => setTimeout(res, 300));
    const alive = (pid: number) => {
      try {
        const stat = execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
        return stat !== '' && !stat.startsWith('Z');
      } catch {
        return false;
      }
    };
    expect(alive(cmd.pid)).toBe(true);
    expect(fs.readFileSync(path.join(ws.internalDir, 'process-groups'), 'utf8')).toMatch(new RegExp(`^${cmd.pid} \\d+\n`));
    fs.writeFileSync(path.join(ws.internalDir, 'agent.pid'), '999999999');
    const successor = new HostExecutor({ workDir: dir });
    expect(await successor.sweep()).toBe(1);
    await cmd.exited;
    expect(alive(cmd.pid)).toBe(false);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('does not leak the agent environment into jobs, and removes the workspace on cleanup', async () => {
    process.env.CIRCLET_TEST_LEAK = 'leaked';
    const ex = new HostExecutor({ workDir: root, dockerOnHost: true });
    const ws = await ex.prepare(jobSpec('leak-test', { docker: [{ image: 'cimg/node:20.0' }] }));
    delete process.env.CIRCLET_TEST_LEAK;
    expect(ws.notes.join('\n')).toMatch(/cimg\/node:20.0 not used/);
    const r = await run(ex, ws, 'echo "${CIRCLET_TEST_LEAK:-clean}"\n');
    expect(r.out).toBe('clean\n');
    expect(fs.existsSync(ws.root)).toBe(true);
    await ex.cleanup(ws);
    expect(fs.existsSync(ws.root)).toBe(false);
  });
});
