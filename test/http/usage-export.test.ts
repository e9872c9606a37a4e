// Usage export end to end: real pipelines whose jobs an agent runs over the runner protocol,
// an export job created over HTTP that goes `created`/`processing` → `completed`, and its
// presigned download URLs fetched with a plain HTTP client; the gunzipped CSV has CircleCI's
// columns and one row per job run, matching the runs. An export left `processing` by a dead
// server (its lease lapsed) is built by the next worker.
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USAGE_COLUMNS, csvField } from '../../src/engine/services/usage-csv.ts';
import { createRunnerToken } from '../../src/storage/runner-tokens.ts';
import { insertUsageExport } from '../../src/storage/usage-exports.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { makeRepo } from '../helpers/git.ts';
import { ScriptedAgent } from '../helpers/scripted-agent.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';

const CONFIG =
  'version: 2.1\njobs:\n  build:\n    docker: [{image: cimg/base:current}]\n    resource_class: large\n    steps: [{run: echo build}]\n' +
  '  test:\n    machine: true\n    parallelism: 2\n    steps: [{run: echo test}]\nworkflows:\n  main:\n    jobs: [build, {test: {requires: [build]}}]\n';

/** A CSV without quoted line breaks: rows of fields, RFC 4180 quotes undone. */
function parseCsv(text: string): string[][] {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => {
      const out: string[] = [];
      const re = /("(?:[^"]|"")*"|[^,]*)(,|$)/g;
      for (let m = re.exec(line); m && m.index < line.length; m = re.exec(line)) {
        out.push(m[1]!.startsWith('"') ? m[1]!.slice(1, -1).replace(/""/g, '"') : m[1]!);
        if (m[2] === '') break;
      }
      return out;
    });
}

describe('usage CSV fields', () => {
  it('quotes fields as RFC 4180 does', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(parseCsv('a,"b,c","d""e"\n')).toEqual([['a', 'b,c', 'd"e']]);
  });
});

for (const kind of databaseKinds()) {
  describe(`usage export (${kind.name})`, () => {
    let server: TestServer;
    let token: string;
    let orgId: string;

    beforeAll(async () => {
      server = await startTestServer(kind);
      token = (await server.user('alice', 'acme')).token;
      await server.user('mallory', 'other');
      const repo = makeRepo(CONFIG);
      await server.project('gh/acme/app', repo.dir);
      await server.project('gh/other/secret', repo.dir);
      orgId = (await server.call('GET', '/api/v2/me/collaborations', token)).body.find((o: any) => o.slug === 'gh/acme').id;
    });
    afterAll(async () => server?.close());

    /** The export job once it has finished (completed or failed). */
    const finished = async (id: string, org = orgId) => {
      const job = async () => {
        const res = await server.call('GET', `/api/v2/organizations/${org}/usage_export_job/${id}`, token);
        expect(res.status, res.text).toBe(200);
        expect(['created', 'processing', 'completed', 'failed']).toContain(res.body.state);
        return res.body;
      };
      return waitFor(job, (body) => body.state === 'completed' || body.state === 'failed', { everyMs: 100, what: 'the export to finish' });
    };
    const download = async (urls: string[]) => {
      const rows: string[][] = [];
      for (const url of urls) {
        const res = await fetch(url); // presigned: no token
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe('application/gzip');
        const [header, ...body] = parseCsv(gunzipSync(Buffer.from(await res.arrayBuffer())).toString('utf8'));
        expect(header).toEqual([...USAGE_COLUMNS]);
        rows.push(...body);
      }
      return rows;
    };

    it("exports one row per job run, matching the runs, and none of another organization's", async () => {
      const start = new Date(Date.now() - 60_000).toISOString();
      const agent = new ScriptedAgent({ url: server.url, token: await createRunnerToken(server.database.db, 'usage'), outcomes: { test: 'failed' } });
      const p1 = (await server.call('POST', '/api/v2/project/gh/acme/app/pipeline', token, {})).body;
      await agent.drain();
      const p2 = (await server.call('POST', '/api/v2/project/gh/acme/app/pipeline', token, { branch: 'main' })).body;
      await agent.drain();
      // another organization's run, in the same window
      const otherToken = (await server.user('mallory')).token;
      await server.call('POST', '/api/v2/project/gh/other/secret/pipeline', otherToken, {});
      await agent.drain();

      const created = await server.call('POST', `/api/v2/organizations/${orgId}/usage_export_job`, token, { start, end: new Date(Date.now() + 60_000).toISOString() });
      expect(created.status, created.text).toBe(201);
      expect(created.body).toMatchObject({ state: 'created', download_urls: [] });
      const done = await finished(created.body.usage_export_job_id);
      expect(done.state).toBe('completed');
      expect(done.download_urls.length).toBeGreaterThan(0);
      const rows = await download(done.download_urls);
      const col = (r: string[], name: (typeof USAGE_COLUMNS)[number]) => r[USAGE_COLUMNS.indexOf(name)]!;

      // The runs, as the API reports them.
      const runs: any[] = [];
      for (const p of [p1, p2]) {
        const wfs = (await server.call('GET', `/api/v2/pipeline/${p.id}/workflow`, token)).body.items;
        for (const w of wfs) {
          for (const j of (await server.call('GET', `/api/v2/workflow/${w.id}/job`, token)).body.items) {
            runs.push({ ...(await server.call('GET', `/api/v2/project/gh/acme/app/job/${j.job_number}`, token)).body, workflow: w, pipeline: p });
          }
        }
      }
      expect(runs).toHaveLength(4);
      expect(rows).toHaveLength(4);
      for (const run of runs) {
        const row = rows.find((r) => col(r, 'JOB_RUN_NUMBER') === String(run.number))!;
        expect(row, `job ${run.number}`).toBeDefined();
        expect(col(row, 'ORGANIZATION_ID')).toBe(orgId);
        expect(col(row, 'PROJECT_NAME')).toBe('app');
        expect(col(row, 'PIPELINE_ID')).toBe(run.pipeline.id);
        expect(col(row, 'PIPELINE_NUMBER')).toBe(String(run.pipeline.number));
        expect(col(row, 'WORKFLOW_ID')).toBe(run.workflow.id);
        expect(col(row, 'WORKFLOW_NAME')).toBe('main');
        expect(col(row, 'IS_WORKFLOW_SUCCESSFUL')).toBe('false'); // `test` failed
        expect(col(row, 'JOB_NAME')).toBe(run.name);
        expect(col(row, 'JOB_BUILD_STATUS')).toBe(run.status);
        expect(col(row, 'RESOURCE_CLASS')).toBe(run.name === 'build' ? 'large' : 'medium');
        expect(col(row, 'EXECUTOR')).toBe(run.name === 'build' ? 'docker' : 'machine');
        expect(col(row, 'PARALLELISM')).toBe(run.name === 'build' ? '1' : '2');
        expect(col(row, 'JOB_RUN_STARTED_AT')).toBe(run.started_at.replace('T', ' ').replace('Z', ''));
        expect(col(row, 'JOB_RUN_STOPPED_AT')).toBe(run.stopped_at.replace('T', ' ').replace('Z', ''));
        expect(col(row, 'JOB_RUN_SECONDS')).toBe(String(Math.round((Date.parse(run.stopped_at) - Date.parse(run.started_at)) / 1000)));
        expect(col(row, 'PIPELINE_TRIGGER_SOURCE')).toBe('api');
        expect(col(row, 'TOTAL_CREDITS')).toBe('0');
      }
      expect(rows.map((r) => col(r, 'JOB_BUILD_STATUS')).sort()).toEqual(['failed', 'failed', 'success', 'success']);
    });

    it('a range without runs exports a header-only file', async () => {
      const created = await server.call('POST', `/api/v2/organizations/${orgId}/usage_export_job`, token, { start: '2020-01-01T00:00:00Z', end: '2020-01-10T00:00:00Z' });
      expect(created.status).toBe(201);
      const done = await finished(created.body.usage_export_job_id);
      expect(await download(done.download_urls)).toEqual([]);
    });

    it('an export left processing by a dead server is built once its lease lapses', async () => {
      const id = crypto.randomUUID();
      const at = new Date(Date.now() - 10 * 60_000).toISOString();
      await insertUsageExport(server.database.db, {
        id,
        organization_id: orgId,
        start_at: new Date(Date.now() - 3600_000).toISOString(),
        end_at: new Date(Date.now() + 3600_000).toISOString(),
        organization_ids: JSON.stringify([orgId]),
        state: 'processing',
        file_count: 0,
        row_count: 0,
        error_reason: null,
        lease_until: new Date(Date.now() - 1000).toISOString(),
        attempts: 1,
        created_at: at,
        updated_at: at,
      });
      const done = await finished(id);
      expect(done.state).toBe('completed');
      expect(await download(done.download_urls)).toHaveLength(4);
    });

    it('a tampered or expired download URL is refused', async () => {
      const created = await server.call('POST', `/api/v2/organizations/${orgId}/usage_export_job`, token, { start: '2020-01-01T00:00:00Z', end: '2020-01-02T00:00:00Z' });
      const [url] = (await finished(created.body.usage_export_job_id)).download_urls as string[];
      const tampered = url!.replace(/sig=([0-9a-f])/, (_m, c: string) => `sig=${c === '0' ? '1' : '0'}`);
      expect((await fetch(tampered)).status).toBe(404);
      const expired = url!.replace(/expires=\d+/, 'expires=1');
      expect((await fetch(expired)).status).toBe(404); // the signature covers the expiry
    });
  });
}
