// The host executor against the executor contract, plus what is specific to it.
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { HostExecutor, hostKinds } from '../../src/executor/host.ts';
import { tempDir } from '../helpers/databases.ts';
import { executorContract, run } from './contract.ts';

const root = tempDir('circlet-host-exec-');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

executorContract('host', async () => ({ executor: new HostExecutor({ workDir: root }), kind: 'machine' }));

describe('host executor', () => {
  it('advertises machine, and docker only when mapping images to the host', () => {
    expect(hostKinds(false, 'linux')).toEqual(['machine']);
    expect(hostKinds(true, 'linux')).toEqual(['machine', 'docker']);
    expect(hostKinds(false, 'darwin')).toEqual(['machine', 'macos']);
  });

  it('does not leak the agent environment into jobs, and removes the workspace on cleanup', async () => {
    process.env.CIRCLET_TEST_LEAK = 'leaked';
    const ex = new HostExecutor({ workDir: root, dockerOnHost: true });
    const ws = await ex.prepare({ id: 'leak-test', kind: 'docker', config: { docker: [{ image: 'cimg/node:20.0' }] } });
    delete process.env.CIRCLET_TEST_LEAK;
    expect(ws.notes.join('\n')).toMatch(/cimg\/node:20.0 not used/);
    const r = await run(ex, ws, 'echo "${CIRCLET_TEST_LEAK:-clean}"\n');
    expect(r.out).toBe('clean\n');
    expect(fs.existsSync(ws.root)).toBe(true);
    await ex.cleanup(ws);
    expect(fs.existsSync(ws.root)).toBe(false);
  });
});
