// The executor contract: what every executor (host now, docker later) must do. Run it
// from a test file with a factory: `executorContract('host', async () => new HostExecutor(...))`.
import { afterEach, describe, expect, it } from 'vitest';
import { readBuildJob } from '../../src/config/read-compiled.ts';
import type { ExecOptions, Executor, ExitStatus, JobSpec, Workspace } from '../../src/executor/types.ts';

/** The spec of a job given as its compiled document (`{machine: true}`, `{docker: [...]}`). */
export function jobSpec(id: string, config: Record<string, unknown>, tools?: Record<string, string>): JobSpec {
  const job = readBuildJob(config);
  return { id, executor: job.executor, resourceClass: job.resource_class, ...(tools ? { tools } : {}) };
}

export interface ContractSubject {
  executor: Executor;
  /** The compiled job to prepare (`{machine: true}` for host, `{docker: [...]}` for docker). */
  config: Record<string, unknown>;
  dispose?(): Promise<void>;
}

export interface Ran extends ExitStatus {
  out: string;
  err: string;
  ms: number;
}

export async function run(executor: Executor, ws: Workspace, script: string, opts: Partial<ExecOptions> = {}): Promise<Ran> {
  let out = '';
  let err = '';
  const started = Date.now();
  const cmd = executor.exec(ws, {
    script,
    shell: opts.shell ?? ws.defaultShell,
    cwd: opts.cwd ?? ws.home,
    env: opts.env ?? ws.baseEnv,
    onOutput: (s, d) => (s === 'out' ? (out += d.toString()) : (err += d.toString())),
  });
  const st = await cmd.exited;
  return { ...st, out, err, ms: Date.now() - started };
}

let counter = 0;

/** Prints alive/gone for the pid in `file` (a zombie, which an init that does not reap leaves behind, is gone). */
const PID_STATE = (file: string) => `st=$(ps -o stat= -p "$(cat ${file})" 2>/dev/null || true); case "$st" in ""|Z*) echo gone;; *) echo alive;; esac\n`;

export function executorContract(name: string, make: () => Promise<ContractSubject>): void {
  describe(`executor contract: ${name}`, () => {
    const cleanups: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c();
    });

    async function setup(tools?: Record<string, string>): Promise<{ ex: Executor; ws: Workspace }> {
      const subject = await make();
      const ws = await subject.executor.prepare(jobSpec(`contract-${process.pid}-${++counter}`, subject.config, tools));
      cleanups.push(async () => {
        await subject.executor.cleanup(ws);
        await subject.dispose?.();
      });
      return { ex: subject.executor, ws };
    }

    it('runs a script with the shell, separating stdout and stderr, with the exit code', async () => {
      const { ex, ws } = await setup();
      const r = await run(ex, ws, 'echo hello\necho oops >&2\nexit 3\n');
      expect(r).toMatchObject({ code: 3, signal: null, out: 'hello\n', err: 'oops\n' });
      const ok = await run(ex, ws, 'true\n');
      expect(ok.code).toBe(0);
    });

    it('honours the shell flags (-e stops at the first failure)', async () => {
      const { ex, ws } = await setup();
      const r = await run(ex, ws, 'false\necho not reached\n', { shell: ['/bin/sh', '-e'] });
      expect(r.code).toBe(1);
      expect(r.out).toBe('');
      const lenient = await run(ex, ws, 'false\necho reached\n', { shell: ['/bin/sh'] });
      expect(lenient).toMatchObject({ code: 0, out: 'reached\n' });
    });

    it('uses exactly the given environment and working directory (created when missing)', async () => {
      const { ex, ws } = await setup();
      const cwd = ex.resolvePath(ws, '~/some/new/dir');
      const r = await run(ex, ws, 'echo "$FOO|$HOME"; pwd; echo "${AGENT_SECRET:-unset}"\n', { cwd, env: { ...ws.baseEnv, FOO: 'bar baz' } });
      expect(r.code).toBe(0);
      expect(r.out.split('\n')).toEqual([`bar baz|${ws.home}`, cwd, 'unset', '']);
    });

    it('has a fresh, private home and the job tools on PATH', async () => {
      const { ex, ws } = await setup({ 'hello-tool': '#!/bin/sh\necho "tool says $1"\n' });
      const r = await run(ex, ws, 'ls -A "$HOME" | wc -l\nhello-tool hi\n');
      expect(r.code).toBe(0);
      expect(r.out.trim().split('\n')).toEqual(['0', 'tool says hi']);
    });

    it('reports a shell that cannot start as exit code 127 with a message', async () => {
      const { ex, ws } = await setup();
      const r = await run(ex, ws, 'true\n', { shell: ['/no/such/shell'] });
      expect(r.code).toBe(127);
      expect(r.err).toMatch(/could not start/);
    });

    it('kill() ends the command and every child in its process group', async () => {
      const { ex, ws } = await setup();
      let out = '';
      const cmd = ex.exec(ws, {
        script: 'sleep 600 &\necho $! > child.pid\n(sleep 600; echo grandchild) &\necho started\nwait\n',
        shell: ws.defaultShell,
        cwd: ws.home,
        env: ws.baseEnv,
        onOutput: (_s, d) => (out += d.toString()),
      });
      const t0 = Date.now();
      while (!out.includes('started')) {
        if (Date.now() - t0 > 5_000) throw new Error('did not start');
        await new Promise((r) => setTimeout(r, 10));
      }
      const killedAt = Date.now();
      cmd.kill('SIGKILL');
      const st = await cmd.exited;
      expect(Date.now() - killedAt).toBeLessThan(1_000);
      expect(st.code).toBeNull();
      const check = await run(ex, ws, PID_STATE('child.pid'));
      expect(check.out).toBe('gone\n');
    });

    it('killAll() ends processes a finished command left behind', async () => {
      const { ex, ws } = await setup();
      const r = await run(ex, ws, 'nohup sleep 600 >/dev/null 2>&1 &\necho $! > left.pid\n');
      expect(r.code).toBe(0);
      expect(r.ms).toBeLessThan(2_000);
      const alive = await run(ex, ws, PID_STATE('left.pid'));
      expect(alive.out).toBe('alive\n');
      await ex.killAll(ws, 200);
      const gone = await run(ex, ws, PID_STATE('left.pid'));
      expect(gone.out).toBe('gone\n');
    });

    it('finishes a command promptly when a process it left behind holds its output open, without killing that process', async () => {
      const { ex, ws } = await setup();
      const r = await run(ex, ws, 'sleep 600 &\necho $! > held.pid\necho done\n');
      expect(r).toMatchObject({ code: 0, out: 'done\n' });
      expect(r.ms).toBeLessThan(3_000);
      await new Promise((res) => setTimeout(res, 100));
      expect((await run(ex, ws, PID_STATE('held.pid'))).out).toBe('alive\n');
      await ex.killAll(ws, 200);
      expect((await run(ex, ws, PID_STATE('held.pid'))).out).toBe('gone\n');
    });

        it('writes and reads files, expanding ~', async () => {
      const { ex, ws } = await setup();
      await ex.writeFile(ws, '~/.ssh/key', 'secret\n', 0o600);
      expect(await ex.readFile(ws, '~/.ssh/key')).toBe('secret\n');
      expect(await ex.readFile(ws, '~/missing')).toBeUndefined();
      const r = await run(ex, ws, 'stat -c %a ~/.ssh/key 2>/dev/null || stat -f %Lp ~/.ssh/key\n');
      expect(r.out.trim()).toBe('600');
      expect(ex.resolvePath(ws, '~')).toBe(ws.home);
      expect(ex.resolvePath(ws, 'x', '/base')).toBe('/base/x');
      expect(ex.resolvePath(ws, '/abs')).toBe('/abs');
    });
  });
}
