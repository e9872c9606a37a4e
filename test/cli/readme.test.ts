// The README's "Your first pipeline", run as written (with `circlet serve` on a free port
// instead of 8080, a throw-away $HOME, and a test-only name for `cimg/base:stable`): a green
// two-job pipeline — one machine job, one docker job on a local-path repository — that the
// printed admin token reads.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/databases.ts';
import { dockerUnavailable, tagBaseImage, testImage } from '../executor/docker-helpers.ts';
import { getJson, killAll, ROOT, startServe } from './child.ts';

const why = await dockerUnavailable();
if (why) console.log(`README walk-through test skipped: ${why}`);

function walkThrough(): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Your first pipeline'));
  const start = section.indexOf('```sh\n') + 6;
  return section.slice(start, section.indexOf('```', start));
}

describe.skipIf(why)('README walk-through', () => {
  const cwd = tempDir('circlet-readme-');
  const home = tempDir('circlet-readme-home-');
  const image = testImage('cimg-base');
  // The body of a skipped describe still runs: no tagging without an engine.
  const untag = why ? () => {} : tagBaseImage([image]);
  afterAll(() => {
    killAll();
    untag();
    for (const d of [cwd, home]) fs.rmSync(d, { recursive: true, force: true });
  });

  it('gives a green two-job pipeline (machine, then docker on a local-path repo) readable with the admin token', async () => {
    // As in the README: the server runs where its data dir (./.circlet) is, and so do the commands.
    fs.symlinkSync(path.join(ROOT, 'bin'), path.join(cwd, 'bin'));
    const server = await startServe(['--port', '0'], { cwd, env: { HOME: home } });
    const script = walkThrough().replaceAll('127.0.0.1:8080', `127.0.0.1:${server.port}`).replaceAll('cimg/base:stable', image).replace(/^sleep .*$/m, '');
    expect(script).toContain('project add gh/acme/app --repo ~/src/app');
    const run = await new Promise<{ code: number | null; out: string }>((resolve) =>
      execFile('bash', ['-euo', 'pipefail', '-c', script], { cwd, env: { ...process.env, HOME: home }, timeout: 60_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, out: String(stdout) + String(stderr) }),
      ),
    );
    expect(run.code, run.out).toBe(0);
    const token = fs.readFileSync(path.join(cwd, '.circlet', 'admin-token'), 'utf8').trim();
    const pipelines = await getJson(`${server.url}/api/v2/project/gh/acme/app/pipeline`, token);
    expect(pipelines.status).toBe(200);
    const id = pipelines.body.items[0].id as string;
    let workflow: { status: string; id: string } | undefined;
    for (const end = Date.now() + 60_000; Date.now() < end; await new Promise((r) => setTimeout(r, 250))) {
      workflow = (await getJson(`${server.url}/api/v2/pipeline/${id}/workflow`, token)).body.items[0];
      if (workflow && !['running', 'not_run', 'on_hold'].includes(workflow.status) && workflow.status !== 'queued') break;
    }
    const jobs = (await getJson(`${server.url}/api/v2/workflow/${workflow!.id}/job`, token)).body.items as { name: string; status: string }[];
    expect(workflow?.status, JSON.stringify(jobs)).toBe('success');
    expect(jobs.map((j) => [j.name, j.status]).sort()).toEqual([
      ['build', 'success'],
      ['test', 'success'],
    ]);
    const build = await getJson(`${server.url}/api/v1.1/project/github/acme/app/2`, token);
    expect(build.body.steps.map((s: { name: string }) => s.name)).toEqual(['Spin up environment', 'Checkout code', 'echo "building in a container" && cat README.md']);
    expect((await server.stop()).code).toBe(0);
  }, 120_000);
});
