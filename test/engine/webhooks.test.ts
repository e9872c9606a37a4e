// Outbound webhooks end to end: a real receiver on loopback, real pipelines run by a
// scripted agent, signatures, payload shapes, retries and a restart.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.ts';
import { createEngine, createInstance } from '../../src/server/instance.ts';
import { cancelWorkflow } from '../../src/engine/pipeline/control.ts';
import { listDeliveries, pruneDeliveries } from '../../src/storage/deliveries.ts';
import type { Db } from '../../src/storage/executor.ts';
import { postWebhook, retryDelayMs, stableEventId, webhookSignature } from '../../src/engine/services/webhooks.ts';
import { createSecretBox } from '../../src/domain/secret-box.ts';
import { createRunnerToken } from '../../src/storage/runner-tokens.ts';
import { addMember, ensureOrganization } from '../../src/storage/organizations.ts';
import { createProject } from '../../src/storage/projects.ts';
import { createApiToken, ensureUser } from '../../src/storage/users.ts';
import { databaseKinds, tempDir } from '../helpers/databases.ts';
import { makeRepo } from '../helpers/git.ts';
import { ScriptedAgent } from '../helpers/scripted-agent.ts';
import { startFlow, type Flow } from '../helpers/flow.ts';
import type { TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';

const CONFIG = `
version: 2.1
jobs:
  build:
    machine: true
    steps: [{run: echo build}]
  test:
    machine: true
    steps: [{run: echo test}]
workflows:
  main:
    jobs:
      - build
      - test: {requires: [build]}
`;

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  json: any;
}

/** A webhook receiver on 127.0.0.1 answering with the statuses given, then 200. */
async function receiver(statuses: number[] = []) {
  const got: Received[] = [];
  const queue = [...statuses];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      got.push({ headers: req.headers, body, json: JSON.parse(body) });
      res.statusCode = queue.shift() ?? 200;
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { got, url, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** A webhook's deliveries still to be sent (pending, or being sent): none left means no request can arrive any more. */
async function unfinishedDeliveries(db: Db, webhookId: string): Promise<number> {
  return (await listDeliveries(db, webhookId, 1000)).filter((d) => d.status !== 'delivered' && d.status !== 'failed').length;
}

describe('webhook signatures', () => {
  it("matches CircleCI's documented test vectors", () => {
    expect(webhookSignature('secret', 'hello world')).toBe('v1=734cc62f32841568f45715aeb9f4d7891324e6d948e4c6c60c0621cdac48623a');
    expect(webhookSignature('another-secret', 'lalala')).toBe('v1=daa220016c8f29a8b214fbfc3671aeec2145cfb1e6790184ffb38b6d0425fa00');
    expect(webhookSignature('hunter123', 'an-important-request-payload')).toBe('v1=9be2242094a9a8c00c64306f382a7f9d691de910b4a266f67bd314ef18ac49fa');
    expect(webhookSignature('secret', 'foo')).toBe('v1=773ba44693c7553d6ee20f61ea5d2757a9a4f4a44d2841ae4e95b52e4cd62db4');
  });

  it('derives stable UUIDs and backs off exponentially', () => {
    expect(stableEventId('job-completed:x')).toBe(stableEventId('job-completed:x'));
    expect(stableEventId('job-completed:x')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const o = { retryBaseMs: 100, retryMaxMs: 1000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(n, o))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('gives up an attempt after the timeout', async () => {
    const server = http.createServer(() => {
      /* never answers */
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const started = Date.now();
    const r = await postWebhook(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, '{}', {}, { timeoutMs: 200, verifyTls: true });
    expect(r.statusCode).toBeNull();
    expect(r.error).toMatch(/timed out/);
    expect(Date.now() - started).toBeLessThan(2_000);
    server.closeAllConnections();
    server.close();
  });
});

describe('webhook TLS verification', () => {
  it('refuses a self-signed certificate unless verify-tls is off', async () => {
    const dir = tempDir('circlet-tls-');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '1', '-subj', '/CN=127.0.0.1'], { cwd: dir, stdio: 'pipe' });
    const server = https.createServer({ key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')) }, (req, res) => {
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      const strict = await postWebhook(url, '{}', {}, { timeoutMs: 2_000, verifyTls: true });
      expect(strict.statusCode).toBeNull();
      expect(strict.error).toMatch(/self[- ]signed|certificate/i);
      const lax = await postWebhook(url, '{}', {}, { timeoutMs: 2_000, verifyTls: false });
      expect(lax).toEqual({ statusCode: 200, error: null });
    } finally {
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

for (const kind of databaseKinds()) {
  describe(`outbound webhooks (${kind.name})`, () => {
    let flow: Flow;
    let server: TestServer;
    let token: string;
    const closers: (() => Promise<void>)[] = [];
    beforeAll(async () => {
      flow = await startFlow(kind, { engine: { webhookDelivery: { retryBaseMs: 100, pollMs: 50, timeoutMs: 2_000 } } });
      ({ server, token } = flow);
    });
    afterEach(async () => {
      while (closers.length) await closers.pop()!();
    });
    afterAll(async () => server?.close());

    async function projectWithHook(name: string, url: string, secret = 'hook-secret', events = ['workflow-completed', 'job-completed']) {
      const { project, repo } = await flow.project(`gh/acme/${name}`, CONFIG);
      const res = await server.call('POST', '/api/v2/webhook', token, {
        name: 'receiver',
        events,
        url,
        'verify-tls': true,
        'signing-secret': secret,
        scope: { id: project.id, type: 'project' },
      });
      expect(res.status, res.text).toBe(201);
      return { project, repo, webhookId: res.body.id as string };
    }

    it('delivers signed job-completed and workflow-completed events, retrying after a 500', async () => {
      const rx = await receiver([500]);
      closers.push(rx.close);
      const { project, repo, webhookId } = await projectWithHook('signed', rx.url);
      const trig = await server.call('POST', '/api/v2/project/gh/acme/signed/pipeline', token, { branch: 'main' });
      expect(trig.status, trig.text).toBe(201);
      const ran = await flow.agent({ outcomes: { test: 'failed' } }).drain();
      expect(ran.map((t) => t.job.name)).toEqual(['build', 'test']);

      // 3 events, one of them attempted twice (the 500).
      // Nothing more arrives once no delivery is left to send.
      await waitFor(() => rx.got.length, (n) => n >= 4);
      await waitFor(() => unfinishedDeliveries(server.database.db, webhookId), (n) => n === 0);
      expect(rx.got).toHaveLength(4);
      for (const g of rx.got) {
        expect(g.headers['content-type']).toBe('application/json');
        expect(g.headers['user-agent']).toBe('CircleCI-Webhook/1.0');
        expect(g.headers['circleci-event-type']).toBe(g.json.type);
        const expected = crypto.createHmac('sha256', 'hook-secret').update(g.body).digest('hex');
        expect(g.headers['circleci-signature']).toBe(`v1=${expected}`);
      }
      // The retried request is the same payload, same id.
      const first = rx.got[0]!;
      const repeats = rx.got.filter((g) => g.json.id === first.json.id);
      expect(repeats).toHaveLength(2);
      expect(repeats[1]!.body).toBe(first.body);
      const byType = (t: string) => [...new Map(rx.got.filter((g) => g.json.type === t).map((g) => [g.json.id, g.json])).values()];
      const jobs = byType('job-completed');
      const wfs = byType('workflow-completed');
      expect(jobs.map((j) => [j.job.name, j.job.status]).sort()).toEqual([
        ['build', 'success'],
        ['test', 'failed'],
      ]);
      expect(wfs).toHaveLength(1);
      const wf = wfs[0]!;
      expect(wf).toMatchObject({
        type: 'workflow-completed',
        webhook: { id: webhookId, name: 'receiver' },
        project: { id: project.id, name: 'signed', slug: 'gh/acme/signed' },
        organization: { id: project.organization_id, name: 'acme' },
        workflow: { name: 'main', status: 'failed' },
        pipeline: { id: trig.body.id, number: trig.body.number, trigger: { type: 'api' }, vcs: { revision: repo.git('rev-parse', 'HEAD'), branch: 'main' } },
      });
      expect(wf.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(wf.happened_at).toBe(wf.workflow.stopped_at);
      expect(wf.workflow.url).toContain(`/pipelines/gh/acme/signed/${trig.body.number}/workflows/${wf.workflow.id}`);
      const job = jobs.find((j) => j.job.name === 'test')!;
      expect(job.workflow.status).toBeUndefined();
      expect(job.job).toMatchObject({ id: expect.any(String), number: expect.any(Number), started_at: expect.any(String), stopped_at: expect.any(String) });

      // The delivery log: every delivery delivered, the retried one after 2 attempts.
      const log = await server.call('GET', `/api/v2/webhook/${webhookId}/deliveries`, token);
      expect(log.status, log.text).toBe(200);
      expect(log.body.items).toHaveLength(3);
      expect(log.body.items.every((d: any) => d.status === 'delivered')).toBe(true);
      expect(log.body.items.map((d: any) => d.attempts).sort()).toEqual([1, 1, 2]);
      const retried = log.body.items.find((d: any) => d.attempts === 2);
      expect(retried.last_status_code).toBe(200);
      expect(retried.payload.id).toBe(retried.event_id);
    });

    it('reports only the events a webhook subscribes to, and canceled workflows', async () => {
      const rx = await receiver();
      closers.push(rx.close);
      const { webhookId } = await projectWithHook('cancel', rx.url, '', ['workflow-completed']);
      const trig = await server.call('POST', '/api/v2/project/gh/acme/cancel/pipeline', token, {});
      expect(trig.status, trig.text).toBe(201);
      const wf = (await server.call('GET', `/api/v2/pipeline/${trig.body.id}/workflow`, token)).body.items[0];
      await cancelWorkflow(server.engine.deps, wf.id, null);
      await waitFor(() => rx.got.length, (n) => n >= 1);
      await waitFor(() => unfinishedDeliveries(server.database.db, webhookId), (n) => n === 0);
      expect(rx.got).toHaveLength(1);
      expect(rx.got[0]!.json.workflow.status).toBe('canceled');
      // No secret: no signature header.
      expect(rx.got[0]!.headers['circleci-signature']).toBeUndefined();
    });

    it('gives up after the maximum attempts and logs the failure', async () => {
      const rx = await receiver(Array(20).fill(503));
      closers.push(rx.close);
      const otherFlow = await startFlow(kind, { engine: { webhookDelivery: { retryBaseMs: 20, pollMs: 20, maxAttempts: 3 } }, login: 'bob' });
      closers.push(() => otherFlow.close());
      const { server: other, token: t } = otherFlow;
      const { project } = await otherFlow.project('gh/acme/flaky', CONFIG);
      const hook = await other.call('POST', '/api/v2/webhook', t, { name: 'r', events: ['workflow-completed'], url: rx.url, 'verify-tls': false, 'signing-secret': 's', scope: { id: project.id, type: 'project' } });
      expect(hook.status, hook.text).toBe(201);
      await other.call('POST', '/api/v2/project/gh/acme/flaky/pipeline', t, {});
      await otherFlow.agent().drain();
      const log = await waitFor(
        async () => (await other.call('GET', `/api/v2/webhook/${hook.body.id}/deliveries`, t)).body.items,
        (items: any[]) => items.length === 1 && items[0].status === 'failed',
      );
      expect(log[0]).toMatchObject({ attempts: 3, last_status_code: 503, last_error: 'HTTP 503', next_attempt_at: null });
      expect(rx.got).toHaveLength(3);
      // Finished deliveries age out of the log.
      expect(await pruneDeliveries(other.database.db, '2000-01-01T00:00:00.000Z')).toBe(0);
      expect(await pruneDeliveries(other.database.db, '2999-01-01T00:00:00.000Z')).toBe(1);
      expect((await other.call('GET', `/api/v2/webhook/${hook.body.id}/deliveries`, t)).body.items).toEqual([]);
    });
  });

  describe(`outbound webhooks across a restart (${kind.name})`, () => {
    it('delivers deliveries queued before the restart, each once, with two replicas', async () => {
      const rx = await receiver();
      const { database, dispose } = await kind.create();
      const secrets = createSecretBox(crypto.randomBytes(32));
      const dataDir = tempDir('circlet-data-');
      // The first engine serves the API but never delivers (as if it stopped right after
      // queuing): its deliveries stay pending in the database.
      const firstInstance = await createInstance({ database, secrets, dataDir, start: false });
      const { engine: first, url } = firstInstance;
      let second: Engine | undefined;
      let third: Engine | undefined;
      try {
        const user = await ensureUser(database.db, 'carol');
        const org = await ensureOrganization(database.db, 'github', 'acme');
        await addMember(database.db, org.id, user.id);
        const tok = await createApiToken(database.db, user.id, 't');
        const repo = makeRepo(CONFIG);
        const project = await createProject(database.db, org, { name: 'restart', vcsUrl: repo.dir });
        const call = async (method: string, path: string, body?: unknown) => {
          const res = await fetch(url + path, { method, headers: { 'circle-token': tok, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
          return { status: res.status, body: (await res.json()) as any };
        };
        const hook = await call('POST', '/api/v2/webhook', { name: 'r', events: ['workflow-completed', 'job-completed'], url: rx.url, 'verify-tls': true, 'signing-secret': 's', scope: { id: project.id, type: 'project' } });
        expect(hook.status).toBe(201);
        expect((await call('POST', '/api/v2/project/gh/acme/restart/pipeline', {})).status).toBe(201);
        await new ScriptedAgent({ url, token: await createRunnerToken(database.db, 'x') }).drain();
        const pending = (await call('GET', `/api/v2/webhook/${hook.body.id}/deliveries`)).body.items;
        expect(pending.map((d: any) => d.status)).toEqual(['pending', 'pending', 'pending']);
        first.stop();
        expect(rx.got).toHaveLength(0);

        // Two replicas start on the database together: each delivery is sent by one of them.
        second = createEngine({ database, secrets, dataDir, baseUrl: url, engine: { webhookDelivery: { pollMs: 20 } } });
        third = createEngine({ database, secrets, dataDir, baseUrl: url, engine: { webhookDelivery: { pollMs: 20 } } });
        second.start();
        third.start();
        await waitFor(() => rx.got.length, (n) => n >= 3);
        await waitFor(() => unfinishedDeliveries(database.db, hook.body.id), (n) => n === 0);
        expect(rx.got).toHaveLength(3);
        expect(new Set(rx.got.map((g) => g.json.id)).size).toBe(3);
        const after = (await call('GET', `/api/v2/webhook/${hook.body.id}/deliveries`)).body.items;
        expect(after.map((d: any) => [d.status, d.attempts])).toEqual([
          ['delivered', 1],
          ['delivered', 1],
          ['delivered', 1],
        ]);
      } finally {
        second?.stop();
        third?.stop();
        await firstInstance.close();
        await rx.close();
        await dispose();
      }
    });
  });
}
