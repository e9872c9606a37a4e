// `circlet backup` while a pipeline runs on a real `circlet serve`, `circlet restore` into a
// new data dir, and a second `circlet serve` on it: the same pipelines, step output,
// artifacts, and secrets a new job can use (project env var and context), on SQLite.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getJson, killAll, runCli, startServe, type ServeProcess } from '../cli/child.ts';
import { tempDir } from '../helpers/databases.ts';
import { makeRepo } from '../helpers/git.ts';
import { waitFor } from '../helpers/wait.ts';

const CONFIG = `
version: 2.1
jobs:
  build:
    machine: true
    steps:
      - run: {name: make, command: 'mkdir -p out && echo artifact-body-42 > out/a.txt && test "$MY_SECRET" = project-secret-value && test "$CTX_SECRET" = context-secret-value && echo secrets-ok'}
      - store_artifacts: {path: out}
  slow:
    machine: true
    steps: [{run: {name: wait, command: 'echo slow-started; sleep 8; echo slow-done'}}]
workflows: {main: {jobs: [{build: {context: [deploy]}}, {slow: {requires: [build]}}]}}
`;
const SLUG = 'gh/admin/app';

async function call(server: ServeProcess, token: string, method: string, p: string, body?: unknown) {
  const res = await fetch(server.url + p, { method, headers: { 'Circle-Token': token, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  expect(res.status, `${method} ${p}: ${text}`).toBeLessThan(300);
  return text ? JSON.parse(text) : undefined;
}

const slowly = (what: string) => ({ timeoutMs: 40_000, everyMs: 150, what });

const jobsOf = async (server: ServeProcess, token: string, pipelineId: string) => {
  const wf = (await getJson(`${server.url}/api/v2/pipeline/${pipelineId}/workflow`, token)).body.items[0];
  if (!wf) return {};
  const items = (await getJson(`${server.url}/api/v2/workflow/${wf.id}/job`, token)).body.items as { name: string; status: string; job_number?: number }[];
  return Object.fromEntries(items.map((j) => [j.name, j]));
};

/** The output of job `num`'s steps, through v1.1's presigned output URLs. */
async function stepOutput(server: ServeProcess, token: string, num: number): Promise<string> {
  const build = (await getJson(`${server.url}/api/v1.1/project/${SLUG}/${num}`, token)).body;
  let out = '';
  for (const step of build.steps) for (const a of step.actions) if (a.output_url) out += JSON.stringify(await (await fetch(a.output_url)).json());
  return out;
}

describe('circlet backup and restore', () => {
  const dirs: string[] = [];
  const dir = (p: string) => {
    const d = tempDir(p);
    dirs.push(d);
    return d;
  };
  afterAll(() => {
    killAll();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('backs up mid-run; the restored data dir serves the same pipelines, output, artifacts and secrets', async () => {
    const data = dir('circlet-backup-src-');
    const server = await startServe(['--port', '0', '--data-dir', data]);
    const token = fs.readFileSync(path.join(data, 'admin-token'), 'utf8').trim();
    const repo = makeRepo(CONFIG);
    dirs.push(repo.dir);
    repo.commit({ '.circleci/config.yml': CONFIG }, 'config');
    expect((await runCli(['project', 'add', SLUG, '--repo', repo.dir, '--data-dir', data])).code).toBe(0);
    await call(server, token, 'POST', `/api/v2/project/${SLUG}/envvar`, { name: 'MY_SECRET', value: 'project-secret-value' });
    const ctx = await call(server, token, 'POST', '/api/v2/context', { name: 'deploy', owner: { slug: 'gh/admin', type: 'organization' } });
    await call(server, token, 'PUT', `/api/v2/context/${ctx.id}/environment-variable/CTX_SECRET`, { value: 'context-secret-value' });
    const pipeline = await call(server, token, 'POST', `/api/v2/project/${SLUG}/pipeline`, {});
    // Mid-run: build has finished, slow is running.
    const running = await waitFor(
      () => jobsOf(server, token, pipeline.id),
      (jobs) => jobs.build?.status === 'success' && jobs.slow?.status === 'running',
      slowly('the slow job to run'),
    );

    const backupDir = path.join(dir('circlet-backup-out-'), 'b1');
    const passFile = path.join(dir('circlet-pass-'), 'pass');
    fs.writeFileSync(passFile, 'correct horse battery\n');
    const b = await runCli(['backup', backupDir, '--data-dir', data, '--passphrase-file', passFile]);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toMatch(/backup written to .*: 1 pipelines, 1 blobs/);
    expect(fs.existsSync(path.join(backupDir, 'secret.key'))).toBe(false);
    const manifest = JSON.parse(fs.readFileSync(path.join(backupDir, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ format: 'circlet-backup', secret_key: 'passphrase', database: { kind: 'sqlite' }, counts: { pipelines: 1 } });
    // The server kept running through it.
    await waitFor(() => jobsOf(server, token, pipeline.id), (jobs) => jobs.slow?.status === 'success', slowly('the pipeline to finish'));
    const before = {
      pipeline: await call(server, token, 'GET', `/api/v2/pipeline/${pipeline.id}`),
      output: await stepOutput(server, token, running.build!.job_number!),
    };
    expect(before.output).toContain('secrets-ok');
    expect((await server.stop()).code).toBe(0);

    // Restore: a non-empty target and a missing or wrong passphrase are refused.
    const busy = dir('circlet-busy-');
    fs.writeFileSync(path.join(busy, 'x'), '');
    const refused = await runCli(['restore', backupDir, '--data-dir', busy, '--passphrase-file', passFile]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/data dir .* is not empty/);
    const target = path.join(dir('circlet-restored-'), 'data');
    expect((await runCli(['restore', backupDir, '--data-dir', target])).stderr).toMatch(/sealed with a passphrase/);
    const wrongFile = path.join(path.dirname(passFile), 'wrong');
    fs.writeFileSync(wrongFile, 'not the passphrase\n');
    expect((await runCli(['restore', backupDir, '--data-dir', target, '--passphrase-file', wrongFile])).stderr).toMatch(/wrong passphrase/);
    expect(fs.existsSync(target)).toBe(false);
    const r = await runCli(['restore', backupDir, '--data-dir', target, '--passphrase-file', passFile]);
    expect(r.code, r.stderr).toBe(0);
    expect((fs.statSync(path.join(target, 'secret.key')).mode & 0o777).toString(8)).toBe('600');

    const restored = await startServe(['--port', '0', '--data-dir', target]);
    try {
      expect(restored.stdout()).not.toMatch(/admin token/); // not a first start: the same admin token works
      const p = await call(restored, token, 'GET', `/api/v2/pipeline/${pipeline.id}`);
      expect({ id: p.id, number: p.number, state: p.state, vcs: p.vcs }).toEqual({ id: before.pipeline.id, number: before.pipeline.number, state: before.pipeline.state, vcs: before.pipeline.vcs });
      const jobs = await jobsOf(restored, token, pipeline.id);
      expect(jobs.build!.status).toBe('success');
      expect(await stepOutput(restored, token, jobs.build!.job_number!)).toBe(before.output);
      const artifacts = await call(restored, token, 'GET', `/api/v2/project/${SLUG}/${jobs.build!.job_number}/artifacts`);
      expect(artifacts.items.map((a: { path: string }) => a.path)).toEqual(['out/a.txt']);
      expect((await (await fetch(artifacts.items[0].url, { headers: { 'Circle-Token': token } })).text()).trim()).toBe('artifact-body-42');
      // The secrets open: a new pipeline's job sees both values (its `test` commands pass).
      const again = await call(restored, token, 'POST', `/api/v2/project/${SLUG}/pipeline`, {});
      const { build } = await waitFor(() => jobsOf(restored, token, again.id), (jobs) => ['success', 'failed'].includes(jobs.build?.status ?? ''), slowly('the new build job'));
      expect(build.status).toBe('success');
      expect(await stepOutput(restored, token, build.job_number!)).toContain('secrets-ok');
      const envvar = await call(restored, token, 'GET', `/api/v2/project/${SLUG}/envvar/MY_SECRET`);
      expect(envvar.value).toBe('xxxxalue');
    } finally {
      await restored.stop();
    }
  });

  it('refuses a directory that is not a backup, and a backup into the data dir', async () => {
    const data = dir('circlet-backup-empty-');
    fs.writeFileSync(path.join(data, 'secret.key'), 'a'.repeat(64) + '\n');
    const inside = await runCli(['backup', path.join(data, 'b'), '--data-dir', data]);
    expect(inside.stderr).toMatch(/must be outside the data dir/);
    const notBackup = await runCli(['restore', data, '--data-dir', path.join(dir('circlet-x-'), 'd')]);
    expect(notBackup.code).toBe(1);
    expect(notBackup.stderr).toMatch(/not a complete circlet backup: it has no manifest.json/);
    const noKey = await runCli(['backup', path.join(dir('circlet-y-'), 'b'), '--data-dir', dir('circlet-nokey-')]);
    expect(noKey.stderr).toMatch(/no secret key/);
  });
});
