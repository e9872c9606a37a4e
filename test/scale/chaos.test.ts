// The multi-host chaos test of issue 16 (docs/scaling.md, "Proof on separate hosts").
//
// Its own network: a bridge in the root namespace (10.231.x.1) and six network namespaces,
// two with a `circlet serve` replica each and four with a `circlet agent` each. In the root
// namespace: a TCP forwarder to the machine's PostgreSQL (a fresh database per run), s3rver
// (the blob store), a webhook receiver, and a round-robin TCP proxy in front of the replicas
// that the agents and this test talk to. A real git repository in a temp dir is the project.
//
// 50 pipelines (artifacts, a cache, a workspace, test results) run while one replica and one
// agent are killed with SIGKILL and restarted. Then: every task ran at most once, and exactly
// once unless it ended infrastructure_fail after its lease (each step execution appends
// start/end lines with timestamps to a file); every pipeline reached a final state; every
// artifact and cache is readable through either replica; every webhook event arrived.
//
// Skips itself without root, iproute2 or CIRCLET_TEST_DATABASE_URL.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAndMigrate, type Database } from '../../src/storage/db.ts';
import { addMember, ensureOrganization } from '../../src/storage/organizations.ts';
import { createProject } from '../../src/storage/projects.ts';
import { createResourceClass } from '../../src/storage/resource-classes.ts';
import { createRunnerToken } from '../../src/storage/runner-tokens.ts';
import { createApiToken, ensureUser } from '../../src/storage/users.ts';
import { TERMINAL_JOB, TERMINAL_WORKFLOW } from '../../src/engine/pipeline/status.ts';
import { createPostgresDatabase, tempDir } from '../helpers/databases.ts';
import { makeRepo, type TestRepo } from '../helpers/git.ts';
import { S3_CREDENTIALS, startS3, type TestS3 } from '../helpers/s3.ts';
import { ScriptedAgent } from '../helpers/scripted-agent.ts';
import { waitFor } from '../helpers/wait.ts';
import { kill9, startInNamespace, WebhookReceiver, type Proc } from './cluster.ts';
import { netnsUnavailable, TestNetwork, type NetHost } from './netns.ts';
import { TcpProxy } from './tcp-proxy.ts';

const PIPELINES = 50;
const LEASE_SECONDS = 5;
const SERVE_PORT = 8080;
const BUCKET = 'circlet-chaos';
const REPLICA_KILLS = Number(process.env.CIRCLET_CHAOS_REPLICA_KILLS ?? 1);

const why = netnsUnavailable() ?? (process.env.CIRCLET_TEST_DATABASE_URL ? undefined : 'needs CIRCLET_TEST_DATABASE_URL (PostgreSQL)');
if (why) process.stderr.write(`test/scale/chaos.test.ts skipped: ${why}\n`);

function config(log: string): string {
  const record = (what: string) => `echo "${what} $CIRCLE_WORKFLOW_JOB_ID $CIRCLE_NODE_INDEX $(date +%s%3N) $$" >> ${log}`;
  return `version: 2.1
parameters:
  audit: {type: boolean, default: false}
jobs:
  build:
    machine: true
    steps:
      - checkout
      - run:
          name: build
          command: |
            ${record('start')}
            mkdir -p out deps ws
            echo "artifact $CIRCLE_PIPELINE_ID" > out/report.txt
            echo "cache $CIRCLE_PIPELINE_ID" > deps/lib.txt
            echo "workspace $CIRCLE_PIPELINE_ID" > ws/data.txt
            sleep 1.5
            ${record('end')}
      - save_cache: {key: 'deps-{{ .Environment.CIRCLE_PIPELINE_ID }}', paths: [deps]}
      - store_artifacts: {path: out/report.txt, destination: report.txt}
      - persist_to_workspace: {root: ws, paths: [data.txt]}
  test:
    machine: true
    steps:
      - attach_workspace: {at: ws}
      - restore_cache: {keys: ['deps-{{ .Environment.CIRCLE_PIPELINE_ID }}']}
      - run:
          name: test
          command: |
            ${record('start')}
            test "$(cat ws/data.txt)" = "workspace $CIRCLE_PIPELINE_ID"
            test "$(cat deps/lib.txt)" = "cache $CIRCLE_PIPELINE_ID"
            mkdir -p results
            printf '<testsuite name="chaos" tests="1"><testcase classname="chaos" name="pipeline %s" time="0.1"/></testsuite>\\n' "$CIRCLE_PIPELINE_ID" > results/junit.xml
            sleep 1
            ${record('end')}
      - store_test_results: {path: results}
  audit:
    machine: true
    resource_class: chaos/audit
    steps: [{run: 'true'}]
workflows:
  main:
    when: {not: << pipeline.parameters.audit >>}
    jobs: [build, {test: {requires: [build]}}]
  audit:
    when: << pipeline.parameters.audit >>
    jobs: [audit]
`;
}

interface Execution {
  task: string;
  start: number;
  end?: number;
  pid: string;
}

/** The step executions the jobs recorded, per task (job id + node index). */
function executions(log: string): Map<string, Execution[]> {
  const byTask = new Map<string, Execution[]>();
  const lines = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
  for (const line of lines) {
    const [what, jobId, node, at, pid] = line.split(' ');
    const task = `${jobId}/${node}`;
    const list = byTask.get(task) ?? [];
    if (what === 'start') list.push({ task, start: Number(at), pid: pid! });
    else {
      const open = list.find((e) => e.pid === pid && e.end === undefined);
      if (open) open.end = Number(at);
    }
    byTask.set(task, list);
  }
  return byTask;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(why !== undefined)('multi-host chaos: two replicas and four agents in their own network namespaces, kill -9 of a replica and an agent', () => {
  let net: TestNetwork;
  let drop: (() => Promise<void>) | undefined;
  let database: Database;
  let s3: TestS3;
  let pgForward: TcpProxy;
  let proxy: TcpProxy;
  const receiver = new WebhookReceiver();
  let repo: TestRepo;
  const dirs: string[] = [];
  let work: string;
  let stepLog: string;
  const replicas: (Proc | undefined)[] = [];
  const agents: (Proc | undefined)[] = [];
  let replicaHosts: NetHost[] = [];
  let agentHosts: NetHost[] = [];
  let token = '';
  let runnerToken = '';
  let auditToken = '';
  let replicaArgs: (i: number) => string[];
  let replicaEnv: Record<string, string>;
  let agentArgs: (i: number) => string[];
  const figures: Record<string, string | number> = {};

  const startReplica = async (i: number) => {
    replicas[i] = await startInNamespace(net, replicaHosts[i]!, `replica-${i + 1}`, replicaArgs(i), replicaEnv, /circlet listening on http:\/\//, work);
  };
  const startAgent = async (i: number) => {
    agents[i] = await startInNamespace(net, agentHosts[i]!, `agent-${i + 1}`, agentArgs(i), {}, /circlet agent \S+ polling/, work);
  };

  beforeAll(async () => {
    const t0 = Date.now();
    work = tempDir('circlet-chaos-');
    dirs.push(work);
    stepLog = path.join(work, 'steps.log');
    net = new TestNetwork();
    replicaHosts = [net.addHost('replica-1'), net.addHost('replica-2')];
    agentHosts = [1, 2, 3, 4].map((n) => net.addHost(`agent-${n}`));

    const pg = await createPostgresDatabase();
    drop = pg.drop;
    const pgUrl = new URL(pg.url);
    pgForward = new TcpProxy([{ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) }], net.gateway);
    await pgForward.listen();
    const nsUrl = new URL(pg.url);
    nsUrl.hostname = net.gateway;
    nsUrl.port = String(pgForward.port);

    s3 = await startS3({ address: net.gateway });
    await s3.bucket(BUCKET);
    await receiver.listen(net.gateway);

    repo = makeRepo(config(stepLog));
    dirs.push(repo.dir);

    // The schema, a user, the project and the runner tokens, before any replica starts.
    database = await openAndMigrate(pg.url);
    const db = database.db;
    const user = await ensureUser(db, 'chaos');
    const org = await ensureOrganization(db, 'github', 'acme');
    await addMember(db, org.id, user.id);
    token = await createApiToken(db, user.id, 'chaos');
    await createProject(db, org, { name: 'chaos', vcsUrl: repo.dir, defaultBranch: 'main' });
    runnerToken = await createRunnerToken(db, 'chaos');
    await createResourceClass(db, 'chaos/audit', org.id);
    auditToken = await createRunnerToken(db, 'audit', 'chaos/audit');

    replicaEnv = {
      CIRCLET_SECRET_KEY: crypto.randomBytes(32).toString('hex'),
      CIRCLET_BLOB_STORE: 's3',
      CIRCLET_S3_BUCKET: BUCKET,
      CIRCLET_S3_PREFIX: 'blobs/',
      CIRCLET_S3_ENDPOINT: s3.endpoint,
      CIRCLET_S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
      AWS_REGION: 'us-east-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    const replicaDirs = [0, 1].map((i) => path.join(work, `replica-${i + 1}`));
    replicaArgs = (i) => ['serve', '--host', replicaHosts[i]!.address, '--port', String(SERVE_PORT), '--agents', '0', '--database-url', nsUrl.toString(), '--data-dir', replicaDirs[i]!, '--lease-timeout', String(LEASE_SECONDS)];
    // One after the other: the schema is in place, the second finds the first's admin user.
    await startReplica(0);
    await startReplica(1);

    proxy = new TcpProxy(replicaHosts.map((h) => ({ host: h.address, port: SERVE_PORT })), net.gateway);
    await proxy.listen();

    agentArgs = (i) => ['agent', '--server', proxy.url, '--token', runnerToken, '--name', `agent-${i + 1}`, '--work-dir', path.join(work, `agent-${i + 1}`), '--drain-timeout', '5'];
    await Promise.all([0, 1, 2, 3].map((i) => startAgent(i)));

    const res = await fetch(`${proxy.url}/api/v2/webhook`, {
      method: 'POST',
      headers: { 'Circle-Token': token, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'chaos', events: ['workflow-completed', 'job-completed'], url: receiver.url, 'verify-tls': false, 'signing-secret': 'chaos-secret', scope: { id: (await db.selectFrom('projects').select('id').executeTakeFirstOrThrow()).id, type: 'project' } }),
    });
    expect(res.status, await res.text()).toBe(201);
    figures.setup_s = ((Date.now() - t0) / 1000).toFixed(1);
  }, 180_000);

  afterAll(async () => {
    await net?.close();
    await proxy?.close();
    await pgForward?.close();
    await receiver.close();
    await database?.close();
    await s3?.close();
    if (process.env.CIRCLET_CHAOS_KEEP) process.stderr.write('chaos test: database kept\n');
    else await drop?.();
    const left = net?.leftovers() ?? [];
    if (left.length > 0) process.stderr.write(`chaos test: left behind ${left.join(', ')}\n`);
    if (process.env.CIRCLET_CHAOS_KEEP) process.stderr.write(`chaos test: logs kept in ${work}\n`);
    else for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  }, 60_000);

  /** POST through the proxy; a connection cut by a killed replica is retried, as a client would. */
  async function trigger(body: object): Promise<string> {
    let last = '';
    for (let attempt = 0; attempt < 10; attempt++) {
      try {
        const res = await fetch(`${proxy.url}/api/v2/project/gh/acme/chaos/pipeline`, { method: 'POST', headers: { 'Circle-Token': token, 'content-type': 'application/json' }, body: JSON.stringify(body) });
        const text = await res.text();
        if (res.status === 201) return (JSON.parse(text) as { id: string }).id;
        last = `${res.status} ${text}`;
      } catch (err) {
        last = String(err);
      }
      await sleep(300);
    }
    throw new Error(`trigger failed: ${last}`);
  }

  it('runs 50 pipelines through replica and agent kill -9 without losing or doubling work', async () => {
    const db = database.db;
    const t0 = Date.now();
    let killedAt = 0;
    let victims: string[] = [];
    const doneJobs = async () => (await db.selectFrom('jobs').select('id').where('status', '=', 'success').execute()).length;

    // The chaos, beside the work: kill replica 2 once a dozen jobs are done, and agent 3 while it runs a job.
    const chaos = (async () => {
      await waitFor(doneJobs, (n) => n >= 12, { timeoutMs: 120_000, everyMs: 200 });
      figures.replica_killed_at_s = ((Date.now() - t0) / 1000).toFixed(1);
      await kill9(replicas[1]!);
      await sleep(3_000); // the replica stays down a while: the proxy sends its share to the other
      await startReplica(1);
      figures.replica_back_at_s = ((Date.now() - t0) / 1000).toFixed(1);
      // More kills on request (CIRCLET_CHAOS_REPLICA_KILLS), alternating replicas, for hunting.
      const more = (async () => {
        for (let k = 1; k < REPLICA_KILLS; k++) {
          await waitFor(doneJobs, (n) => n >= 12 + k * 10, { timeoutMs: 120_000, everyMs: 200 });
          const i = (k + 1) % 2;
          await kill9(replicas[i]!);
          await sleep(2_000);
          await startReplica(i);
        }
      })();
      // A build job (its step sleeps 1.5 s) that agent 3 claimed a moment ago: killed inside it.
      await waitFor(
        () =>
          db.selectFrom('tasks').innerJoin('jobs', 'jobs.id', 'tasks.job_id').select('tasks.id').where('tasks.agent_id', '=', 'agent-3').where('tasks.status', '=', 'running')
            .where('jobs.name', '=', 'build').where('tasks.started_at', '>', new Date(Date.now() - 1_000).toISOString()).executeTakeFirst(),
        (t) => t !== undefined,
        { timeoutMs: 120_000, everyMs: 100 },
      );
      await sleep(300);
      await kill9(agents[2]!);
      killedAt = Date.now();
      figures.agent_killed_at_s = ((killedAt - t0) / 1000).toFixed(1);
      // What it was running when it died: nobody may finish these but the lease reaper.
      victims = (await db.selectFrom('tasks').select('id').where('agent_id', '=', 'agent-3').where('status', '=', 'running').execute()).map((t) => t.id);
      await sleep(2_000);
      await startAgent(2);
      figures.agent_back_at_s = ((Date.now() - t0) / 1000).toFixed(1);
      await more;
    })();

    // Triggered a few at a time, through the proxy, while the chaos goes on.
    const ids: string[] = [];
    for (let i = 0; i < PIPELINES; i += 5) ids.push(...(await Promise.all(Array.from({ length: Math.min(5, PIPELINES - i) }, () => trigger({})))));
    expect(new Set(ids).size).toBe(PIPELINES);
    await chaos;

    // Every pipeline reaches a final state: every workflow and every job terminal.
    const open = await waitFor(
      async () => {
        const workflows = await db.selectFrom('workflows').select(['id', 'status']).execute();
        const openIds = workflows.filter((w) => !TERMINAL_WORKFLOW.has(w.status)).map((w) => w.id);
        // On a timeout, the open workflows' jobs and tasks say where the work stuck.
        const stuck = openIds.length === 0 || openIds.length > 3 ? [] : await db.selectFrom('jobs').leftJoin('tasks', 'tasks.job_id', 'jobs.id').select(['jobs.workflow_id', 'jobs.name', 'jobs.status as job', 'tasks.status as task', 'tasks.agent_id', 'tasks.message']).where('jobs.workflow_id', 'in', openIds).execute();
        return { total: workflows.length, open: openIds.length, stuck };
      },
      (r) => r.total >= PIPELINES && r.open === 0,
      { timeoutMs: 180_000, everyMs: 250 },
    );
    figures.all_final_s = ((Date.now() - t0) / 1000).toFixed(1);
    expect(open.open).toBe(0);
    const pipelines = await db.selectFrom('pipelines').select(['id', 'state']).execute();
    // A trigger whose answer a killed replica cut off may have made a pipeline the client retried.
    expect(pipelines.length).toBeGreaterThanOrEqual(PIPELINES);
    for (const id of ids) expect(pipelines.some((p) => p.id === id)).toBe(true);
    expect(pipelines.filter((p) => p.state !== 'created')).toEqual([]);
    const jobs = await db.selectFrom('jobs').select(['id', 'name', 'status', 'number', 'pipeline_id', 'requires']).execute();
    expect(jobs.filter((j) => !TERMINAL_JOB.has(j.status))).toEqual([]);
    const tasks = await db.selectFrom('tasks').select(['id', 'job_id', 'node_index', 'status', 'agent_id', 'message', 'started_at', 'stopped_at']).execute();
    const taskOf = new Map(tasks.map((t) => [`${t.job_id}/${t.node_index}`, t]));

    // Exactly once, or infrastructure_fail after the lease; never two executions of one task.
    const ran = executions(stepLog);
    const problems: string[] = [];
    for (const t of tasks) {
      const list = ran.get(`${t.job_id}/${t.node_index}`) ?? [];
      if (list.length > 1) problems.push(`task ${t.id} (${t.status}) ran ${list.length} times: ${JSON.stringify(list)}`);
      if (t.status === 'success' && (list.length !== 1 || list[0]!.end === undefined)) problems.push(`task ${t.id} succeeded with executions ${JSON.stringify(list)}`);
      if (t.status !== 'success' && t.status !== 'infrastructure_fail') problems.push(`task ${t.id} ended ${t.status}: ${t.message}`);
      if (t.status === 'infrastructure_fail' && !/lease expired/.test(t.message ?? '')) problems.push(`task ${t.id} infrastructure_fail without a lapsed lease: ${t.message}`);
    }
    for (const key of ran.keys()) if (!taskOf.has(key)) problems.push(`an execution of no task: ${key}`);
    // A task that ended otherwise: its failed steps and their last output say why.
    for (const t of tasks.filter((x) => x.status !== 'success' && x.status !== 'infrastructure_fail')) {
      const steps = await db.selectFrom('steps').select(['step_index', 'name', 'status']).where('task_id', '=', t.id).where('status', '!=', 'success').execute();
      for (const st of steps) {
        const out = await db.selectFrom('step_output').select('data').where('task_id', '=', t.id).where('step_index', '=', st.step_index).orderBy('seq').execute();
        problems.push(`  step ${st.name} ${st.status}: ${out.map((o) => o.data).join('').slice(-600)}`);
      }
    }
    expect(problems).toEqual([]);
    const infra = tasks.filter((t) => t.status === 'infrastructure_fail');
    figures.tasks = tasks.length;
    figures.infrastructure_fail = infra.length;
    figures.not_run_jobs = jobs.filter((j) => j.status === 'not_run').length;
    // The killed agent's jobs are among them, ended by the lease reaper after its lease.
    expect(victims.length).toBeGreaterThan(0);
    for (const id of victims) {
      const t = tasks.find((x) => x.id === id)!;
      expect(t.status).toBe('infrastructure_fail');
      const after = Date.parse(t.stopped_at!) - killedAt;
      expect(after).toBeGreaterThan(0);
      figures.killed_job_reaped_after_s = (after / 1000).toFixed(1);
    }
    // Jobs that did not run are exactly those after an upstream infrastructure failure.
    const infraJobs = new Set(jobs.filter((j) => j.status === 'infrastructure_fail').map((j) => j.id));
    for (const j of jobs.filter((x) => x.status === 'not_run')) {
      const upstream = (JSON.parse(j.requires) as { job_id: string }[]).map((r) => r.job_id);
      expect(upstream.some((u) => infraJobs.has(u)), `${j.name} ${j.id} not_run`).toBe(true);
    }
    // Both replicas served; the restarted one served again after its restart.
    figures.proxy_connections = JSON.stringify(Object.fromEntries(proxy.connections));
    for (const h of replicaHosts) expect(proxy.connections.get(`${h.address}:${SERVE_PORT}`) ?? 0).toBeGreaterThan(0);

    // Every artifact and test result, through either replica (directly, past the proxy).
    const direct = replicaHosts.map((h) => `http://${h.address}:${SERVE_PORT}`);
    const builds = jobs.filter((j) => j.name === 'build' && j.status === 'success');
    const tests = jobs.filter((j) => j.name === 'test' && j.status === 'success');
    expect(builds.length).toBeGreaterThan(PIPELINES / 2);
    expect(tests.length).toBeGreaterThan(PIPELINES / 2);
    for (const base of direct) {
      for (const j of builds) {
        const res = await fetch(`${base}/api/v2/project/gh/acme/chaos/${j.number}/artifacts`, { headers: { 'Circle-Token': token } });
        expect(res.status).toBe(200);
        const items = ((await res.json()) as { items: { path: string; url: string }[] }).items;
        expect(items.map((a) => a.path)).toEqual(['report.txt']);
        const blob = await fetch(items[0]!.url, { headers: { 'Circle-Token': token } });
        expect(blob.status).toBe(200);
        expect(await blob.text()).toBe(`artifact ${j.pipeline_id}\n`);
      }
      for (const j of tests) {
        const res = await fetch(`${base}/api/v2/project/gh/acme/chaos/${j.number}/tests`, { headers: { 'Circle-Token': token } });
        expect(res.status).toBe(200);
        const items = ((await res.json()) as { items: { name: string; result: string }[] }).items;
        expect(items).toEqual([expect.objectContaining({ name: `pipeline ${j.pipeline_id}`, result: 'success' })]);
      }
    }

    // Every cache, through either replica: an audit job that only a scripted agent in this
    // namespace serves, claimed on replica 1, reads each cache on both replicas directly.
    const caches = await db.selectFrom('caches').select(['key', 'size']).execute();
    expect(caches.length).toBe(builds.length);
    const auditPipeline = await trigger({ parameters: { audit: true } });
    const auditor = new ScriptedAgent({ url: direct[0]!, token: auditToken, agentId: 'auditor' });
    const claimed = await waitFor(
      async () => {
        const r = await auditor.call('/claim', { executors: ['machine'], resource_classes: ['chaos/audit'], wait_ms: 1000 });
        if (r.status !== 200) return undefined;
        auditor.credentials.set(r.body.task.id, r.body.task.credential);
        return r.body as { task: { id: string }; pipeline: { id: string } };
      },
      (c) => c !== undefined,
      { timeoutMs: 30_000 },
    );
    expect(claimed!.pipeline.id).toBe(auditPipeline);
    const taskId = claimed!.task.id;
    for (const base of direct) {
      for (const c of caches) {
        const res = await fetch(`${base}/api/runner/v1/tasks/${taskId}/caches/blob?key=${encodeURIComponent(c.key)}`, {
          headers: { authorization: `Bearer ${auditToken}`, 'x-circlet-task-credential': auditor.credentials.get(taskId)!, 'x-circlet-agent': 'auditor' },
        });
        expect(res.status, `${base} cache ${c.key}`).toBe(200);
        const bytes = Buffer.from(await res.arrayBuffer());
        expect(bytes.length).toBe(c.size);
        const pipelineId = c.key.replace(/^deps-/, '');
        expect(gunzipSync(bytes).toString('latin1')).toContain(`cache ${pipelineId}\n`);
      }
    }
    await auditor.finish(claimed as never, 'success');

    // No webhook delivery lost: an event for every finished job and workflow arrived.
    const wanted = await waitFor(
      async () => {
        const finishedJobs = await db.selectFrom('jobs').select(['id', 'status']).execute();
        const finishedWorkflows = await db.selectFrom('workflows').select(['id', 'status']).execute();
        const got = new Set(receiver.deliveries.map((d) => `${d.type}:${d.type === 'job-completed' ? d.jobId : d.workflowId}`));
        const missing = [
          ...finishedJobs.filter((j) => TERMINAL_JOB.has(j.status) && !got.has(`job-completed:${j.id}`)).map((j) => `job ${j.id} ${j.status}`),
          ...finishedWorkflows.filter((w) => TERMINAL_WORKFLOW.has(w.status) && !got.has(`workflow-completed:${w.id}`)).map((w) => `workflow ${w.id} ${w.status}`),
        ];
        return { missing, jobs: finishedJobs.length, workflows: finishedWorkflows.length };
      },
      (r) => r.missing.length === 0,
      { timeoutMs: 90_000, everyMs: 250 },
    );
    expect(wanted.missing).toEqual([]);
    const pending = await db.selectFrom('webhook_deliveries').select(['id', 'status']).where('status', '!=', 'delivered').execute();
    expect(pending).toEqual([]);
    const ids2 = receiver.deliveries.map((d) => d.id);
    figures.webhook_deliveries = ids2.length;
    figures.webhook_duplicates = ids2.length - new Set(ids2).size;
    figures.webhooks_done_s = ((Date.now() - t0) / 1000).toFixed(1);
    process.stdout.write(`chaos figures: ${JSON.stringify(figures)}\n`);
  }, 420_000);
});
