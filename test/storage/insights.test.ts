// Insights over a small known history, inserted directly: exact figures, identical on
// SQLite and PostgreSQL.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flakyTests, jobMetrics, jobTimeseries, orgSummary, projectPageData, workflowMetrics, workflowSummary } from '../../src/engine/insights/insights.ts';
import { testMetrics } from '../../src/engine/insights/tests.ts';
import type { JobStatus, WorkflowStatus } from '../../src/domain/statuses.ts';
import type { Database } from '../../src/storage/db.ts';
import { insightsBranches, insightsWorkflowNames, testRunsOfRecentWorkflows, workflowRunPage } from '../../src/storage/insights.ts';
import { ensureOrganization } from '../../src/storage/organizations.ts';
import { createProject, type ProjectWithOrg } from '../../src/storage/projects.ts';
import { databaseKinds } from '../helpers/databases.ts';

const NOW = new Date('2026-03-10T12:00:00.000Z');
const HOUR = 3600_000;
const DAY = 24 * HOUR;
const ago = (ms: number, plusSeconds = 0) => new Date(NOW.getTime() - ms + plusSeconds * 1000).toISOString();

interface Seeded {
  project: ProjectWithOrg;
  wf: Record<string, string>;
  jobs: Record<string, string>;
}

async function seed(d: Database): Promise<Seeded> {
  const org = await ensureOrganization(d.db, 'github', 'insights');
  const project = await createProject(d.db, org, { name: 'app', vcsUrl: '/r' });
  const db = d.db;
  let number = 0;
  const wf: Record<string, string> = {};
  const jobs: Record<string, string> = {};
  const workflow = async (key: string, name: string, branch: string, status: WorkflowStatus, createdAt: string, durationS: number | null, opts: { tag?: string; revision?: string } = {}) => {
    const pipelineId = crypto.randomUUID();
    number += 1;
    await db
      .insertInto('pipelines')
      .values({
        id: pipelineId,
        project_id: project.id,
        number,
        state: 'created',
        trigger_type: 'api',
        trigger_actor_id: null,
        trigger_received_at: createdAt,
        branch,
        tag: null,
        revision: opts.revision ?? `rev-${number}`,
        vcs: '{}',
        parameters: '{}',
        trigger_parameters: '{}',
        pipeline_values: '{}',
        errors: '[]',
        source_config: '',
        compiled_config: '',
        setup_config: '',
        compiled_setup_config: '',
        continuation_key_hash: null,
        continuation_state: null,
        created_at: createdAt,
        updated_at: createdAt,
      })
      .execute();
    const id = crypto.randomUUID();
    await db
      .insertInto('workflows')
      .values({
        id,
        pipeline_id: pipelineId,
        project_id: project.id,
        name,
        status,
        tag: opts.tag ?? null,
        started_by: 'u',
        canceled_by: null,
        errored_by: null,
        rerun_of: null,
        created_at: createdAt,
        stopped_at: durationS === null ? null : new Date(Date.parse(createdAt) + durationS * 1000).toISOString(),
      })
      .execute();
    wf[key] = id;
    return { id, pipelineId };
  };
  const job = async (key: string, w: { id: string; pipelineId: string }, name: string, type: string, status: JobStatus, startedAt: string, durationS: number) => {
    const id = crypto.randomUUID();
    await db
      .insertInto('jobs')
      .values({
        id,
        workflow_id: w.id,
        pipeline_id: w.pipelineId,
        project_id: project.id,
        name,
        type,
        status,
        number: type === 'build' ? Object.keys(jobs).length + 1 : null,
        requires: '[]',
        config: '{}',
        contexts: '[]',
        executor: 'docker',
        resource_class: 'medium',
        parallelism: 1,
        approval_request_id: null,
        approved_by: null,
        canceled_by: null,
        messages: '[]',
        created_at: startedAt,
        queued_at: startedAt,
        started_at: startedAt,
        stopped_at: new Date(Date.parse(startedAt) + durationS * 1000).toISOString(),
      })
      .execute();
    jobs[key] = id;
  };
  const test = async (jobKey: string, name: string, result: string, runTime: number, createdAt: string) => {
    await db
      .insertInto('test_results')
      .values({
        id: crypto.randomUUID(),
        project_id: project.id,
        job_id: jobs[jobKey]!,
        node_index: 0,
        name,
        classname: 'Suite',
        file: 'suite.test.ts',
        result,
        message: '',
        run_time: runTime,
        source: 'junit.xml',
        created_at: createdAt,
      })
      .execute();
  };

  // build on main: success, failed, success within the last 7 days; one success 10 days ago.
  const b1 = await workflow('b1', 'build', 'main', 'success', ago(3 * DAY), 100, { revision: 'abc' });
  const b2 = await workflow('b2', 'build', 'main', 'failed', ago(2 * DAY), 200, { revision: 'abc' });
  await workflow('b3', 'build', 'main', 'success', ago(1 * DAY), 300);
  await workflow('b0', 'build', 'main', 'success', ago(10 * DAY), 50);
  // Not counted: still running; a setup workflow; a run on another branch (all-branches only).
  await workflow('running', 'build', 'main', 'running', ago(HOUR), null);
  await workflow('setup', 'setup', 'main', 'success', ago(2 * DAY), 10, { tag: 'setup' });
  await workflow('dev', 'build', 'dev', 'canceled', ago(2 * DAY), 400);
  await workflow('deploy', 'deploy', 'main', 'success', ago(5 * DAY), 60);

  await job('c1', b1, 'compile', 'build', 'success', ago(3 * DAY, 5), 45);
  await job('a1', b1, 'approve', 'approval', 'success', ago(3 * DAY, 1), 1);
  await job('c2', b2, 'compile', 'build', 'failed', ago(2 * DAY, 5), 100);
  await test('c1', 'adds', 'success', 0.5, ago(3 * DAY, 50));
  await test('c1', 'slow', 'success', 9, ago(3 * DAY, 50));
  await test('c2', 'adds', 'failure', 0.7, ago(2 * DAY, 100));
  await test('c2', 'slow', 'skipped', 0, ago(2 * DAY, 100));
  return { project, wf, jobs };
}

const snapshots = new Map<string, unknown>();

for (const kind of databaseKinds()) {
  describe(`insights storage (${kind.name})`, () => {
    let d: Database;
    let dispose: () => Promise<void>;
    let s: Seeded;
    const snap: Record<string, unknown> = {};
    beforeAll(async () => {
      ({ database: d, dispose } = await kind.create());
      s = await seed(d);
    });
    afterAll(async () => {
      snapshots.set(kind.name, snap);
      await dispose?.();
    });

    it('workflow metrics of the default branch over the last 7 days', async () => {
      const items = await workflowMetrics(d.db, s.project.id, 'main', 'last-7-days', NOW);
      snap.workflows = items;
      expect(items.map((i) => i.name)).toEqual(['build', 'deploy']);
      expect(items[0]).toEqual({
        name: 'build',
        project_id: s.project.id,
        window_start: ago(3 * DAY),
        window_end: ago(1 * DAY),
        metrics: {
          total_runs: 3,
          successful_runs: 2,
          mttr: 86_500,
          total_credits_used: 0,
          failed_runs: 1,
          success_rate: 2 / 3,
          duration_metrics: { min: 100, mean: 200, median: 200, p95: 300, max: 300, standard_deviation: 81.65 },
          total_recoveries: 1,
          throughput: 3 / 7,
        },
      });
    });

    it('all branches adds the canceled run on dev (not in the success rate)', async () => {
      const [build] = await workflowMetrics(d.db, s.project.id, undefined, 'last-7-days', NOW);
      snap.allBranches = build;
      expect(build!.metrics).toMatchObject({ total_runs: 4, successful_runs: 2, failed_runs: 1, success_rate: 2 / 3, throughput: 4 / 7 });
      expect(build!.metrics.duration_metrics.max).toBe(400);
    });

    it('the window bounds the runs: last 24 hours holds only the newest success', async () => {
      const [build] = await workflowMetrics(d.db, s.project.id, 'main', 'last-24-hours', NOW);
      expect(build!.metrics).toMatchObject({ total_runs: 1, successful_runs: 1, throughput: 1, mttr: 0, total_recoveries: 0 });
    });

    it('workflow summary with trends against the previous window', async () => {
      const sum = await workflowSummary(d.db, s.project.id, 'build', 'main', 'last-7-days', NOW);
      snap.summary = sum;
      expect(sum.metrics).toMatchObject({ total_runs: 3, completed_runs: 3, failed_runs: 1, success_rate: 2 / 3 });
      expect(sum.trends).toEqual({
        total_runs: 3,
        failed_runs: 0,
        success_rate: 2 / 3,
        p95_duration_secs: 6,
        median_duration_secs: 4,
        total_credits_used: 0,
        mttr: 0,
        throughput: expect.closeTo(3, 9),
      });
      expect(sum.workflow_names).toEqual(['build', 'deploy']);
    });

    it('recent runs newest first, with approval flag and keyset pages', async () => {
      const f = { projectIds: [s.project.id], name: 'build', branch: 'main', from: ago(90 * DAY), to: NOW.toISOString() };
      const page1 = await workflowRunPage(d.db, f, 2);
      expect(page1.map((r) => r.id)).toEqual([s.wf.b3, s.wf.b2, s.wf.b1]);
      expect(page1.map((r) => r.approvals)).toEqual([0, 0, 1]);
      const page2 = await workflowRunPage(d.db, f, 2, [page1[1]!.created_at, page1[1]!.id]);
      expect(page2.map((r) => r.id)).toEqual([s.wf.b1, s.wf.b0]);
    });

    it('job metrics: build jobs only, durations from their start', async () => {
      const items = await jobMetrics(d.db, s.project.id, 'build', 'main', undefined, 'last-7-days', NOW);
      snap.jobs = items;
      expect(items).toEqual([
        {
          name: 'compile',
          window_start: ago(3 * DAY, 5),
          window_end: ago(2 * DAY, 5),
          metrics: {
            total_runs: 2,
            failed_runs: 1,
            successful_runs: 1,
            duration_metrics: { min: 45, mean: 73, median: 73, p95: 100, max: 100, standard_deviation: 27.5 },
            success_rate: 0.5,
            total_credits_used: 0,
            throughput: 2 / 7,
          },
        },
      ]);
    });

    it('branches and workflow names', async () => {
      expect(await insightsBranches(d.db, s.project.id, ago(90 * DAY), undefined)).toEqual(['dev', 'main']);
      expect(await insightsBranches(d.db, s.project.id, ago(90 * DAY), 'deploy')).toEqual(['main']);
      expect(await insightsWorkflowNames(d.db, [s.project.id], ago(4 * DAY))).toEqual(['build']);
    });

    it('flaky tests: passed and failed on one revision', async () => {
      const flaky = await flakyTests(d.db, s.project.id, NOW);
      snap.flaky = flaky;
      expect(flaky.total_flaky_tests).toBe(1);
      expect(flaky.flaky_tests[0]).toMatchObject({ test_name: 'adds', classname: 'Suite', job_name: 'compile', workflow_id: s.wf.b2, workflow_name: 'build', times_flaked: 1, time_wasted: 1 });
    });

    it('test metrics of the recent runs', async () => {
      const { runs, tests } = await testRunsOfRecentWorkflows(d.db, { projectId: s.project.id, name: 'build', branch: 'main', from: ago(90 * DAY), to: NOW.toISOString() });
      const m = testMetrics(runs, tests);
      snap.tests = m;
      expect(m.total_test_runs).toBe(4);
      expect(m.average_test_count).toBe(1);
      expect(m.most_failed_tests).toEqual([
        { failed_runs: 1, job_name: 'compile', p95_duration: 0.7, test_name: 'adds', file: 'suite.test.ts', source: 'junit.xml', classname: 'Suite', total_runs: 2, flaky: true },
      ]);
      expect(m.slowest_tests.map((t) => [t.test_name, t.p95_duration])).toEqual([
        ['slow', 9],
        ['adds', 0.7],
      ]);
      expect(m.test_runs.map((r) => [r.workflow_id, r.success_rate, r.test_counts])).toEqual([
        [s.wf.b2, 0, { error: 0, failure: 1, skipped: 1, success: 0, total: 2 }],
        [s.wf.b1, 1, { error: 0, failure: 0, skipped: 0, success: 2, total: 2 }],
      ]);
    });

    it('project page and org summary', async () => {
      const page = await projectPageData(d.db, s.project, {}, 'last-7-days', NOW);
      snap.page = page;
      expect(page.project_data.metrics).toEqual({ total_runs: 5, total_duration_secs: 1060, total_credits_used: 0, success_rate: 3 / 4, throughput: 5 / 7 });
      expect(page.project_workflow_data.map((w) => [w.workflow_name, w.metrics.total_runs])).toEqual([
        ['build', 4],
        ['deploy', 1],
      ]);
      expect(page.project_workflow_branch_data.map((w) => [w.workflow_name, w.branch, w.metrics.total_runs])).toEqual([
        ['build', 'dev', 1],
        ['build', 'main', 3],
        ['deploy', 'main', 1],
      ]);
      expect(page.all_branches).toEqual(['dev', 'main']);
      const filtered = await projectPageData(d.db, s.project, { branches: ['dev'] }, 'last-7-days', NOW);
      expect(filtered.project_data.metrics.total_runs).toBe(1);
      const org = await orgSummary(d.db, [{ id: s.project.id, name: 'app' }], 'last-7-days', NOW);
      snap.org = org;
      expect(org.org_data.metrics.total_runs).toBe(5);
      expect(org.org_data.trends.total_runs).toBe(5);
      expect(org.org_project_data).toEqual([{ project_name: 'app', metrics: { total_credits_used: 0, total_duration_secs: 1060, total_runs: 5, success_rate: 0.75 }, trends: expect.any(Object) }]);
    });

    it('job time-series by day', async () => {
      const items = await jobTimeseries(d.db, s.project.id, 'build', 'main', 'daily', ago(7 * DAY), NOW.toISOString());
      snap.timeseries = items;
      expect(items.map((i) => [i.name, i.timestamp, i.metrics.total_runs, i.metrics.failed_runs, i.metrics.duration_metrics.total])).toEqual([
        ['compile', '2026-03-07T00:00:00.000Z', 1, 0, 45],
        ['compile', '2026-03-08T00:00:00.000Z', 1, 1, 100],
      ]);
    });

    // Last: it adds a job to the history.
    it("a job's Insights copy is rewritten once the job stops, not while it waits or runs (migration 0025)", async () => {
      const runs = async () => (await jobMetrics(d.db, s.project.id, 'build', 'main', undefined, 'last-7-days', NOW))[0]!.metrics.total_runs;
      const copy = async (id: string) => d.db.selectFrom('insights_job_runs').select(['status', 'started_at', 'stopped_at']).where('job_id', '=', id).executeTakeFirstOrThrow();
      const w = await d.db.selectFrom('workflows').select(['id', 'pipeline_id']).where('id', '=', s.wf.b3!).executeTakeFirstOrThrow();
      const id = crypto.randomUUID();
      const at = ago(1 * DAY, 10);
      await d.db
        .insertInto('jobs')
        .values({
          ...{ id, workflow_id: w.id, pipeline_id: w.pipeline_id, project_id: s.project.id, name: 'compile', type: 'build', status: 'queued', number: 99 },
          ...{ requires: '[]', config: '{}', contexts: '[]', executor: 'docker', resource_class: 'medium', parallelism: 1 },
          ...{ approval_request_id: null, approved_by: null, canceled_by: null, messages: '[]', created_at: at, queued_at: at, started_at: null, stopped_at: null },
        })
        .execute();
      expect(await copy(id)).toEqual({ status: 'queued', started_at: null, stopped_at: null });
      // A claim: the copy, invisible to every Insights query (no stopped_at), is left as it is.
      await d.db.updateTable('jobs').set({ status: 'running', started_at: at }).where('id', '=', id).execute();
      expect(await copy(id)).toEqual({ status: 'queued', started_at: null, stopped_at: null });
      expect(await runs()).toBe(2);
      // Stopped: the copy is the job's again, and counted.
      const end = ago(1 * DAY, 70);
      await d.db.updateTable('jobs').set({ status: 'success', stopped_at: end }).where('id', '=', id).execute();
      expect(await copy(id)).toEqual({ status: 'success', started_at: at, stopped_at: end });
      expect(await runs()).toBe(3);
      // Any later change of a stopped job is copied too (a stopped job put back to running).
      await d.db.updateTable('jobs').set({ status: 'running', stopped_at: null }).where('id', '=', id).execute();
      expect(await copy(id)).toEqual({ status: 'running', started_at: at, stopped_at: null });
      expect(await runs()).toBe(2);
    });
  });
}

describe('insights storage: SQLite and PostgreSQL agree', () => {
  it('gives identical results on both databases', () => {
    const [a, b] = [snapshots.get('sqlite'), snapshots.get('postgres')];
    if (!a || !b) return;
    const normalize = (x: unknown) => JSON.parse(JSON.stringify(x).replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'ID'));
    expect(normalize(b)).toEqual(normalize(a));
  });
});
