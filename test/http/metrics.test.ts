// GET /metrics after a real pipeline ran (embedded agent, host executor, real git), on
// SQLite and PostgreSQL; the scrape is checked by `promtool check metrics` (Debian's
// prometheus package) when it is installed.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/agent/logger.ts';
import { startEmbeddedAgent, type EmbeddedAgent } from '../../src/server/embedded-agent.ts';
import { databaseKinds } from '../helpers/databases.ts';
import { Harness } from '../agent/harness.ts';

const CONFIG = `
version: 2.1
jobs:
  build:
    machine: true
    steps:
      - run: echo building
  test:
    machine: true
    steps:
      - run: exit 3
workflows:
  main:
    jobs:
      - build
      - test: {requires: [build]}
`;

const TOKEN = 'metrics-scrape-token-0123456789';
const PROMTOOL = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;
if (!PROMTOOL) console.warn('metrics.test: promtool not found (apt-get install prometheus): the exposition format check is skipped');

/** The value of one sample line `name{labels} value`, or undefined. */
function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

for (const kind of databaseKinds()) {
  describe(`metrics (${kind.name})`, () => {
    let h: Harness;
    let embedded: EmbeddedAgent;
    let scrape = '';
    beforeAll(async () => {
      h = await Harness.start(kind, { instance: { metrics: { token: TOKEN, listen: { host: '127.0.0.1', port: 0 } } } });
      embedded = await startEmbeddedAgent({ database: h.server.database, url: h.server.url, dataDir: h.server.dataDir, concurrency: 1, logger: silentLogger });
      const { slug } = await h.project(CONFIG);
      await h.waitDone(await h.trigger(slug));
      // A route no request matches, a matched route refused at its token check, its HEAD
      // twin, and the health check: each timed once (each route's own hook, or the
      // not-found handler's).
      expect((await fetch(`${h.server.url}/api/v2/no-such-route`)).status).toBe(404);
      expect((await fetch(`${h.server.url}/api/v2/me`)).status).toBe(401);
      expect((await fetch(`${h.server.url}/api/v2/me`, { method: 'HEAD' })).status).toBe(401);
      expect((await fetch(`${h.server.url}/healthz`)).status).toBe(200);
      const r = await fetch(`${h.server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toContain('text/plain');
      scrape = await r.text();
    }, 90_000);
    afterAll(async () => {
      await embedded?.stop(0);
      await h?.close();
    });

    it('asks for the token on the main port', async () => {
      const none = await fetch(`${h.server.url}/metrics`);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
      expect(await none.json()).toEqual({ message: 'A metrics token is required (Authorization: Bearer <token>)' });
      const wrong = await fetch(`${h.server.url}/metrics`, { headers: { authorization: 'Bearer nope' } });
      expect(wrong.status).toBe(401);
    });

    it('counts the finished jobs and workflow by status, the claims and the requests', () => {
      expect(sample(scrape, 'circlet_job_duration_seconds_count', 'status="success"')).toBe(1);
      expect(sample(scrape, 'circlet_job_duration_seconds_count', 'status="failed"')).toBe(1);
      expect(sample(scrape, 'circlet_workflow_duration_seconds_count', 'status="failed"')).toBe(1);
      expect(sample(scrape, 'circlet_task_queue_wait_seconds_count', 'resource_class="medium"')).toBe(2);
      expect(sample(scrape, 'circlet_pipeline_first_claim_seconds_count')).toBe(1);
      expect(sample(scrape, 'circlet_http_request_duration_seconds_count', 'method="POST",route="/api/v2/project/:provider/:organization/:project/pipeline",status_code="201"')).toBe(1);
      expect(sample(scrape, 'circlet_http_request_duration_seconds_count', 'method="GET",route="unmatched",status_code="404"')).toBe(1);
      expect(sample(scrape, 'circlet_http_request_duration_seconds_count', 'method="GET",route="/api/v2/me",status_code="401"')).toBe(1);
      expect(sample(scrape, 'circlet_http_request_duration_seconds_count', 'method="HEAD",route="/api/v2/me",status_code="401"')).toBe(1);
      expect(sample(scrape, 'circlet_http_request_duration_seconds_count', 'method="GET",route="/healthz",status_code="200"')).toBe(1);
      expect(sample(scrape, 'circlet_agents_connected', 'resource_class="cloud"')).toBe(1);
      expect(scrape).toMatch(/^circlet_blob_store_bytes\{kind="artifacts"\} 0$/m);
      expect(scrape).toMatch(/^circlet_webhook_deliveries\{state="pending"\} 0$/m);
      expect(scrape).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
      if (kind.name === 'postgres') expect(sample(scrape, 'circlet_db_pool_connections', 'state="max"')).toBe(10);
    });

    it('shows tasks waiting and running by resource class as they come and go', async () => {
      await embedded.stop(0);
      const { slug } = await h.project(CONFIG);
      const id = await h.trigger(slug);
      const read = async () => (await (await fetch(`${h.server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text());
      await h.waitFor(async () => sample(await read(), 'circlet_tasks_queued', 'resource_class="medium"') === 1, 15_000, 'a queued task');
      embedded = await startEmbeddedAgent({ database: h.server.database, url: h.server.url, dataDir: h.server.dataDir, concurrency: 1, logger: silentLogger });
      await h.waitDone(id);
      const after = await read();
      expect(sample(after, 'circlet_tasks_queued', 'resource_class="medium"')).toBeUndefined();
      expect(sample(after, 'circlet_job_duration_seconds_count', 'status="success"')).toBe(2);
    }, 60_000);

    it('serves the same registry on its own listener, token and all', async () => {
      expect(h.server.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      expect((await fetch(h.server.metricsUrl!)).status).toBe(401);
      const r = await fetch(h.server.metricsUrl!, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(r.status).toBe(200);
      expect(await r.text()).toContain('circlet_job_duration_seconds_bucket');
      expect((await fetch(h.server.metricsUrl!.replace('/metrics', '/other'))).status).toBe(404);
    });

    it.skipIf(!PROMTOOL)('passes promtool check metrics', () => {
      const r = spawnSync('promtool', ['check', 'metrics'], { input: scrape, encoding: 'utf8' });
      expect(r.stdout + r.stderr).toBe('');
      expect(r.status).toBe(0);
    });
  });
}
