// End-to-end plumbing for agent tests: a real server on loopback (SQLite or PostgreSQL),
// real git repositories, pipelines triggered over the API, results read back from the
// database (step output is stored in `step_output`).
import { createContext, putContextEnvVar } from '../../src/storage/contexts.ts';
import { putEnvVar } from '../../src/storage/env-vars.ts';
import { createRunnerToken } from '../../src/storage/runner-tokens.ts';
import type { TestDatabaseKind } from '../helpers/databases.ts';
import { makeRepo, type TestRepo } from '../helpers/git.ts';
import { startTestServer, type TestInstanceOptions, type TestServer } from '../helpers/server.ts';

export interface StepRecord {
  index: number;
  name: string;
  type: string;
  status: string;
  exit_code: number | null;
  output: string;
}

export interface TaskRecord {
  node_index: number;
  agent_id: string | null;
  status: string;
  message: string | null;
  steps: StepRecord[];
}

export interface JobRecord {
  id: string;
  name: string;
  status: string;
  messages: { type: string; message: string }[];
  tasks: TaskRecord[];
}

export class Harness {
  server!: TestServer;
  token!: string;
  runnerToken!: string;
  private n = 0;

  static async start(kind: TestDatabaseKind, opts: { leaseMs?: number; instance?: TestInstanceOptions } = {}): Promise<Harness> {
    const h = new Harness();
    h.server = await startTestServer(kind, { leaseMs: opts.leaseMs ?? 30_000 }, opts.instance);
    h.token = (await h.server.user('alice', 'acme')).token;
    h.runnerToken = await createRunnerToken(h.server.database.db, 'test agent');
    return h;
  }

  async close(): Promise<void> {
    // Keep-alive connections of this process's fetch would hold the close up until they time out.
    this.server?.app.server.closeAllConnections();
    await this.server?.close();
  }

  /** A project with this config in a fresh repo; returns its slug and repo. */
  async project(config: string, opts: { env?: Record<string, string>; context?: { name: string; env: Record<string, string> } } = {}): Promise<{ slug: string; repo: TestRepo }> {
    const repo = makeRepo(config);
    const slug = `gh/acme/p${++this.n}-${Date.now().toString(36)}`;
    const project = await this.server.project(slug, repo.dir);
    for (const [k, v] of Object.entries(opts.env ?? {})) await putEnvVar(this.server.database.db, this.server.secrets, project.id, k, v);
    if (opts.context) {
      const created = await createContext(this.server.database.db, project.organization_id, opts.context.name);
      if (!created.ok) throw new Error(`context: ${created.reason}`);
      for (const [k, v] of Object.entries(opts.context.env)) await putContextEnvVar(this.server.database.db, this.server.secrets, created.context.id, k, v);
    }
    return { slug, repo };
  }

  async trigger(slug: string): Promise<string> {
    const r = await this.server.call('POST', `/api/v2/project/${slug}/pipeline`, this.token, {});
    if (r.status !== 201) throw new Error(`trigger: ${r.status} ${r.text}`);
    return r.body.id;
  }

  async workflows(pipelineId: string): Promise<{ id: string; name: string; status: string }[]> {
    return (await this.server.call('GET', `/api/v2/pipeline/${pipelineId}/workflow`, this.token)).body?.items ?? [];
  }

  /** Waits until every workflow of the pipeline finished (or is on hold). */
  async waitDone(pipelineId: string, ms = 30_000): Promise<void> {
    const end = Date.now() + ms;
    for (;;) {
      const wfs = await this.workflows(pipelineId);
      if (wfs.length > 0 && wfs.every((w) => ['success', 'failed', 'canceled', 'error', 'not_run', 'unauthorized', 'on_hold'].includes(w.status))) return;
      if (Date.now() > end) throw new Error(`pipeline not done after ${ms} ms: ${JSON.stringify(await this.jobs(pipelineId).catch(() => wfs))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async waitFor<T>(fn: () => Promise<T | undefined | false | null>, ms = 15_000, what = 'condition'): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const v = await fn();
      if (v) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Every job of the pipeline with its tasks, steps and step output. */
  async jobs(pipelineId: string): Promise<Record<string, JobRecord>> {
    const db = this.server.database.db;
    const jobs = await db.selectFrom('jobs').selectAll().where('pipeline_id', '=', pipelineId).execute();
    const out: Record<string, JobRecord> = {};
    for (const j of jobs) {
      const tasks = await db.selectFrom('tasks').selectAll().where('job_id', '=', j.id).orderBy('node_index').execute();
      const recs: TaskRecord[] = [];
      for (const t of tasks) {
        const steps = await db.selectFrom('steps').selectAll().where('task_id', '=', t.id).orderBy('step_index').execute();
        const chunks = await db.selectFrom('step_output').selectAll().where('task_id', '=', t.id).orderBy('step_index').orderBy('seq').execute();
        recs.push({
          node_index: Number(t.node_index),
          agent_id: t.agent_id,
          status: t.status,
          message: t.message,
          steps: steps.map((s) => ({
            index: Number(s.step_index),
            name: s.name,
            type: s.type,
            status: s.status,
            exit_code: s.exit_code === null ? null : Number(s.exit_code),
            output: chunks
              .filter((c) => Number(c.step_index) === Number(s.step_index))
              .map((c) => c.data)
              .join(''),
          })),
        });
      }
      out[j.name] = { id: j.id, name: j.name, status: j.status, messages: JSON.parse(j.messages), tasks: recs };
    }
    return out;
  }

  /** The output of the step named `name` in the job's first (or given) task. */
  static step(job: JobRecord, name: string, node = 0): StepRecord {
    const s = job.tasks[node]?.steps.find((x) => x.name === name);
    if (!s) throw new Error(`no step '${name}' in ${job.name}: ${JSON.stringify(job.tasks[node]?.steps.map((x) => x.name))}`);
    return s;
  }
}
