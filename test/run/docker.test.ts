// `circlet run` with a Docker engine: docker jobs run in containers (the working tree checked
// out inside), and Ctrl-C removes the container of the job it cancels. Skipped without an
// engine. Images are test-only names (circlet-test/…), untagged afterwards.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { LABEL } from '../../src/executor/docker.ts';
import { ROOT, childEnv } from '../cli/child.ts';
import { tempDir } from '../helpers/databases.ts';
import { dockerUnavailable, tagBaseImage, testImage } from '../executor/docker-helpers.ts';
import { jobLines, runRepo, write } from './helpers.ts';

const reason = await dockerUnavailable();
const IMAGE = testImage('local-run');

/** Containers circlet made under this work dir (any state). */
function containersOf(workDir: string): string[] {
  return execFileSync('docker', ['ps', '-aq', '--filter', `label=${LABEL}=${workDir}`]).toString().split('\n').filter(Boolean);
}

describe.skipIf(reason !== undefined)(`circlet run with docker${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let untag: () => void = () => {};
  beforeAll(() => {
    untag = tagBaseImage([IMAGE]);
  });
  afterAll(() => untag());

  it('runs a docker job in a container on the working tree, and leaves no container behind', async () => {
    const repo = runRepo(`
version: 2.1
jobs:
  inside:
    docker: [{image: ${IMAGE}}]
    steps:
      - checkout
      - run: echo "in $(. /etc/os-release; echo $ID) sees $(cat note.txt)"; test -f /.dockerenv && echo container
  host: {machine: true, steps: [{run: echo on the host}]}
workflows: {main: {jobs: [inside, {host: {requires: [inside]}}]}}
`);
    write(repo.dir, 'note.txt', 'uncommitted note\n');
    const r = await repo.run(['--docker']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(jobLines(r.stdout, 'inside')).toEqual(expect.arrayContaining(['in debian sees uncommitted note', 'container']));
    expect(jobLines(r.stdout, 'host')).toContain('on the host');
    // The host job names the run's agent work dir, the label value of its containers.
    const runWork = /(\/\S*circlet-run-[^/]+\/data\/agent-work)/.exec(r.stdout)![1]!;
    expect(containersOf(runWork)).toEqual([]);
  });

  it('Ctrl-C during a docker job removes its container', async () => {
    const repo = runRepo(`
version: 2.1
jobs:
  slow:
    docker: [{image: ${IMAGE}}]
    steps: [{run: echo ready; sleep 300}]
workflows: {main: {jobs: [slow]}}
`);
    const cache = tempDir('circlet-run-cache-');
    onTestFinished(() => fs.rmSync(cache, { recursive: true, force: true }));
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/circlet.js'), 'run', '--docker'], { cwd: repo.dir, env: childEnv({ XDG_CACHE_HOME: cache }), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.stderr.resume();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the job did not start:\n${out}`)), 60_000);
      child.stdout.setEncoding('utf8').on('data', (c: string) => {
        out += c;
        if (out.includes('[slow] ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const runWork = /(\/\S*circlet-run-[^/]+\/data\/agent-work)/.exec(out)![1]!;
    expect(containersOf(runWork).length).toBeGreaterThan(0);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(containersOf(runWork)).toEqual([]);
  });
});
