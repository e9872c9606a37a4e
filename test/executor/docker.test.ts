// The docker executor against the executor contract, plus what is specific to it. Needs a
// Docker engine and the local base image (.ci/docker-setup.sh); skipped with one line without.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseExecutor } from '../../src/executor/choose.ts';
import { DockerExecutor, LABEL, resourceLimits } from '../../src/executor/docker.ts';
import { BASE_IMAGE, dockerUnavailable, imageExists, testImage } from './docker-helpers.ts';
import { tempDir } from '../helpers/databases.ts';
import { executorContract, jobSpec, run } from './contract.ts';

const why = await dockerUnavailable();
if (why) console.log(`docker executor tests skipped: ${why}`);

describe('resource classes', () => {
  it('maps resource_class to limits, CPUs capped at the engine', () => {
    expect(resourceLimits('large', 16)).toEqual({ cpus: 4, memoryMiB: 8192 });
    expect(resourceLimits(undefined, 16)).toEqual({ cpus: 2, memoryMiB: 4096 });
    expect(resourceLimits('xlarge', 2)).toEqual({ cpus: 2, memoryMiB: 16384 });
  });
});

describe('choosing the executor at agent start-up', () => {
  it('does not advertise docker without an engine, and says why; --docker-on-host maps docker jobs to the host', async () => {
    const workDir = tempDir('circlet-choose-');
    const none = await chooseExecutor({ workDir, socketPath: `${workDir}/no-such.sock` });
    expect(none.executor.kinds).toEqual(['machine']);
    expect(none.reason).toMatch(/docker jobs are not claimed: no Docker engine socket at .*no-such\.sock/);
    const onHost = await chooseExecutor({ workDir, socketPath: `${workDir}/no-such.sock`, dockerOnHost: true });
    expect(onHost.executor.kinds).toContain('docker');
    expect(onHost.executor).not.toBeInstanceOf(DockerExecutor);
    if (!why) expect((await chooseExecutor({ workDir })).executor).toBeInstanceOf(DockerExecutor);
    fs.rmSync(workDir, { recursive: true, force: true });
  });
});

describe.skipIf(why)('docker executor', () => {
  let root = '';
  beforeAll(() => void (root = tempDir('circlet-docker-exec-')));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  const config = { docker: [{ image: BASE_IMAGE }], resource_class: 'small' };

  executorContract('docker', async () => ({ executor: new DockerExecutor({ workDir: root }), config }));

  it('runs in a container with limits and labels, files outside the workspace inside it, and removes it on cleanup', async () => {
    const ex = new DockerExecutor({ workDir: root });
    const ws = await ex.prepare(jobSpec('docker-specific', config));
    const r = await run(ex, ws, "grep -c '^VERSION_CODENAME=bookworm' /etc/os-release; cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max\n");
    expect(r.code).toBe(0);
    expect(r.out.split('\n').slice(0, 2)).toEqual(['1', String(2048 * 1024 * 1024)]);
    await ex.writeFile(ws, '/app/sub/x.txt', 'in the container\n');
    expect(await ex.readFile(ws, '/app/sub/x.txt')).toBe('in the container\n');
    expect(fs.existsSync('/app/sub/x.txt')).toBe(false);
    expect((await ex.listFiles(ws, '/app')).map((e) => [e.path, e.type])).toEqual([['/app', 'dir'], ['/app/sub', 'dir'], ['/app/sub/x.txt', 'file']]);
    const tar = await ex.exportTar(ws, '/app', ['sub', 'nope']);
    expect(tar).toMatchObject({ included: ['sub'], missing: ['nope'] });
    await ex.importTar(ws, tar.stream, '/copy');
    expect(await ex.readFile(ws, '/copy/sub/x.txt')).toBe('in the container\n');
    const labelled = () => execFileSync('docker', ['ps', '-aq', '--filter', `label=${LABEL}=${root}`]).toString().trim();
    expect(labelled()).not.toBe('');
    await ex.cleanup(ws);
    expect(labelled()).toBe('');
  });

  it('setup_remote_docker: docker build and run inside the job reach the engine, and what the job started is removed with it', async () => {
    const ex = new DockerExecutor({ workDir: root });
    const ws = await ex.prepare(jobSpec('remote-docker', config));
    const built = testImage('built');
    try {
      const notes = await ex.setupRemoteDocker(ws);
      expect(notes?.join('\n')).toMatch(/Remote Docker engine/);
      const script = [
        `printf 'FROM ${BASE_IMAGE}\\nRUN echo built-in-job > /built\\n' > Dockerfile`,
        `docker build -q -t ${built} . >/dev/null`,
        `docker run --rm ${built} cat /built`,
        `docker run -d ${built} sleep 600 >/dev/null`,
        'docker ps -q | wc -l',
      ].join('\n');
      const r = await run(ex, ws, script + '\n', { cwd: ex.resolvePath(ws, '~/project') });
      expect(r.err).not.toMatch(/error/i);
      expect(r.code).toBe(0);
      expect(r.out.split('\n')[0]).toBe('built-in-job');
      const started = () => execFileSync('docker', ['ps', '-aq', '--filter', 'label=io.circlet.job=remote-docker']).toString().trim().split('\n').filter(Boolean).length;
      expect(started()).toBe(2); // the primary and the detached one
      await ex.cleanup(ws);
      expect(started()).toBe(0);
    } finally {
      await ex.cleanup(ws).catch(() => undefined);
      // The image the job built is removed too, whatever happened above.
      if (imageExists(built)) execFileSync('docker', ['rmi', '-f', built], { stdio: 'ignore' });
    }
    expect(imageExists(built)).toBe(false);
  }, 60_000);

  it('runs machine jobs in a container of the machine image when configured, else on the host', async () => {
    const ex = new DockerExecutor({ workDir: root, machineImage: BASE_IMAGE });
    const ws = await ex.prepare(jobSpec('machine-in-container', { machine: true }));
    expect(ws.notes[0]).toMatch(/machine image/);
    const r = await run(ex, ws, "grep -c '^VERSION_CODENAME=bookworm' /etc/os-release; cat /proc/1/cgroup | grep -c docker\n");
    expect(r.out.split('\n')[0]).toBe('1');
    expect(Number(r.out.split('\n')[1])).toBeGreaterThan(0);
    await ex.cleanup(ws);
    const host = new DockerExecutor({ workDir: root });
    const hws = await host.prepare(jobSpec('machine-on-host', { machine: true }));
    expect(hws.notes[0]).toMatch(/host executor/);
    await host.cleanup(hws);
  });

  it('fails to set up with a message naming an image that cannot be pulled, leaving nothing behind', async () => {
    const ex = new DockerExecutor({ workDir: root, pullTimeoutMs: 30_000 });
    await expect(ex.prepare(jobSpec('bad-image', { docker: [{ image: 'circlet-test/no-such-image:1' }] }))).rejects.toThrow(/circlet-test\/no-such-image:1/);
  });

  it('sweeps containers an agent that died left behind', async () => {
    const dir = tempDir('circlet-docker-sweep-');
    const dead = new DockerExecutor({ workDir: dir });
    const ws = await dead.prepare(jobSpec('orphan', config));
    fs.writeFileSync(`${ws.internalDir}/agent.pid`, '999999999');
    const other = new DockerExecutor({ workDir: dir });
    // Its workspace names a dead agent; its container names this process but is not the sweeper's.
    expect(await other.sweep()).toBeGreaterThanOrEqual(1);
    expect(fs.existsSync(ws.root)).toBe(false);
    expect(execFileSync('docker', ['ps', '-aq', '--filter', `label=${LABEL}=${dir}`]).toString().trim()).toBe('');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
