// Migration 0028 on both databases: test metrics look up test results only for the jobs that
// have some (insights_test_jobs, kept by a trigger on test_results whoever inserts them), the
// rows of jobs that existed before the migration are backfilled, and a row goes with its job.
import crypto from 'node:crypto';
import path from 'node:path';
import type { KyselyPlugin, RootOperationNode } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { testMetrics } from '../../src/engine/insights/tests.ts';
import { migrate, migrateOnly, openDatabase, type Database } from '../../src/storage/db.ts';
import type { Db } from '../../src/storage/executor.ts';
import { testRunsOfRecentWorkflows } from '../../src/storage/insights.ts';
import { migrations } from '../../src/storage/migrations/index.ts';
import { ensureOrganization } from '../../src/storage/organizations.ts';
import { createProject } from '../../src/storage/projects.ts';
import { insertTestResults } from '../../src/storage/test-results.ts';
import { createPostgresDatabase, tempDir } from '../helpers/databases.ts';

const kinds: { name: string; open(): Promise<{ database: Database; drop(): Promise<void> }> }[] = [
  { name: 'sqlite', open: async () => ({ database: openDatabase(path.join(tempDir(), 'circlet.db')), drop: async () => {} }) },
  ...(process.env.CIRCLET_TEST_DATABASE_URL
    ? [
        {
          name: 'postgres',
          open: async () => {
            const created = await createPostgresDatabase();
            return { database: openDatabase(created.url), drop: created.drop };
          },
        },
      ]
    : []),
];

const NOW = Date.parse('2026-03-10T12:00:00.000Z');
const at = (minutesAgo: number) => new Date(NOW - minutesAgo * 60_000).toISOString();

/** A project with finished `build` workflow runs of the given jobs; returns the ids by run and job name. */
async function seed(db: Db, runs: string[][]): Promise<{ projectId: string; workflows: string[]; jobs: Record<string, string>[] }> {
  const org = await ensureOrganization(db, 'github', 'acme');
  const project = await createProject(db, org, { name: 'app', vcsUrl: '/r' });
  const workflows: string[] = [];
  const jobs: Record<string, string>[] = [];
  for (const [n, names] of runs.entries()) {
    const created = at(100 - n * 10);
    const stopped = at(99 - n * 10);
    const pipelineId = crypto.randomUUID();
    const workflowId = crypto.randomUUID();
    await db
      .insertInto('pipelines')
      .values({
        ...{ id: pipelineId, project_id: project.id, number: n + 1, state: 'created', trigger_type: 'api', trigger_actor_id: null, trigger_received_at: created },
        ...{ branch: 'main', tag: null, revision: `rev-${n}`, vcs: '{}', parameters: '{}', trigger_parameters: '{}', pipeline_values: '{}', errors: '[]' },
        ...{ source_config: '', compiled_config: '', setup_config: '', compiled_setup_config: '', continuation_key_hash: null, continuation_state: null, created_at: created, updated_at: created },
      })
      .execute();
    await db
      .insertInto('workflows')
      .values({ id: workflowId, pipeline_id: pipelineId, project_id: project.id, name: 'build', status: 'success', tag: null, started_by: 'u', canceled_by: null, errored_by: null, rerun_of: null, created_at: created, stopped_at: stopped })
      .execute();
    const ids: Record<string, string> = {};
    for (const [k, name] of names.entries()) {
      ids[name] = crypto.randomUUID();
      await db
        .insertInto('jobs')
        .values({
          ...{ id: ids[name], workflow_id: workflowId, pipeline_id: pipelineId, project_id: project.id, name, type: 'build', status: 'success', number: n * 10 + k + 1 },
          ...{ requires: '[]', config: '{}', contexts: '[]', executor: 'docker', resource_class: 'medium', parallelism: 1 },
          ...{ approval_request_id: null, approved_by: null, canceled_by: null, messages: '[]', created_at: created, queued_at: created, started_at: created, stopped_at: stopped },
        })
        .execute();
    }
    workflows.push(workflowId);
    jobs.push(ids);
  }
  return { projectId: project.id, workflows, jobs };
}

const result = (projectId: string, jobId: string, name: string, outcome: string) => ({
  ...{ id: crypto.randomUUID(), project_id: projectId, job_id: jobId, node_index: 0, name, classname: 'Suite', file: 'suite.test.ts' },
  ...{ result: outcome, message: '', run_time: 1.5, source: 'junit.xml', created_at: at(95) },
});

/** The marked jobs, as [workflow id, job id] pairs, sorted. */
async function marked(db: Db): Promise<string[][]> {
  const rows = await db.selectFrom('insights_test_jobs').select(['workflow_id', 'job_id']).execute();
  return rows.map((r) => [r.workflow_id, r.job_id]).sort();
}

/** Records the statements run through the returned db (compiled: their SQL and parameters). */
function recording(db: Db): { db: Db; statements: { sql: string; parameters: readonly unknown[] }[] } {
  const nodes: RootOperationNode[] = [];
  const plugin: KyselyPlugin = {
    transformQuery: ({ node }) => (nodes.push(node), node),
    transformResult: async ({ result: r }) => r,
  };
  const statements: { sql: string; parameters: readonly unknown[] }[] = [];
  const wrapped = db.withPlugin(plugin);
  return {
    db: wrapped,
    get statements() {
      statements.length = 0;
      for (const node of nodes) statements.push(db.getExecutor().compileQuery(node, { queryId: 'test' }));
      return statements;
    },
  };
}

for (const kind of kinds) {
  describe(`insights test jobs (${kind.name})`, () => {
    let cleanup: (() => Promise<void>) | undefined;
    afterEach(async () => {
      await cleanup?.();
      cleanup = undefined;
    });
    const open = async () => {
      const { database, drop } = await kind.open();
      cleanup = async () => {
        await database.close();
        await drop();
      };
      return database;
    };

    it('test metrics look up the jobs that have test results and skip the others', async () => {
      const database = await open();
      await migrate(database);
      const db = database.db;
      const s = await seed(db, [
        ['compile', 'lint', 'unit'],
        ['compile', 'lint', 'unit'],
      ]);
      const [old, recent] = s.jobs as [Record<string, string>, Record<string, string>];
      // Through the storage code (two rows of one job, in one statement), and inserted directly.
      await insertTestResults(db, [result(s.projectId, old.unit!, 'adds', 'success'), result(s.projectId, old.unit!, 'slow', 'failure')]);
      await db.insertInto('test_results').values(result(s.projectId, recent.unit!, 'adds', 'success')).execute();
      await db.insertInto('test_results').values(result(s.projectId, recent.unit!, 'slow', 'success')).execute();
      await db.insertInto('test_results').values(result(s.projectId, recent.compile!, 'builds', 'success')).execute();
      expect(await marked(db)).toEqual(
        [
          [s.workflows[0]!, old.unit!],
          [s.workflows[1]!, recent.unit!],
          [s.workflows[1]!, recent.compile!],
        ].sort(),
      );

      const rec = recording(db);
      const { runs, tests } = await testRunsOfRecentWorkflows(rec.db, { projectId: s.projectId, name: 'build', branch: 'main', from: at(1000), to: at(0) });
      // The test results were looked up for the three jobs that have some, not for the six jobs.
      const lookups = rec.statements.filter((q) => /\btest_results\b/.test(q.sql));
      expect(lookups).toHaveLength(1);
      const asked = lookups[0]!.parameters.flatMap((p) => (Array.isArray(p) ? p : [p]));
      expect([...asked].sort()).toEqual([old.unit!, recent.unit!, recent.compile!].sort());

      expect(runs.map((r) => r.id)).toEqual([s.workflows[1], s.workflows[0]]);
      expect(tests.map((t) => [t.job_name, t.name, t.result]).sort()).toEqual([
        ['compile', 'builds', 'success'],
        ['unit', 'adds', 'success'],
        ['unit', 'adds', 'success'],
        ['unit', 'slow', 'failure'],
        ['unit', 'slow', 'success'],
      ]);
      const m = testMetrics(runs, tests);
      expect(m.total_test_runs).toBe(5);
      expect(m.test_runs.map((r) => [r.workflow_id, r.test_counts.total, r.test_counts.failure])).toEqual([
        [s.workflows[1], 3, 0],
        [s.workflows[0], 2, 1],
      ]);
    });

    it('migration 0028 marks the jobs that had test results before it; a row goes with its job', async () => {
      const database = await open();
      await migrateOnly(
        database,
        Object.keys(migrations).filter((n) => n < '0028'),
      );
      const db = database.db;
      const s = await seed(db, [['compile', 'lint', 'unit']]);
      const jobs = s.jobs[0]!;
      await insertTestResults(db, [result(s.projectId, jobs.unit!, 'adds', 'success'), result(s.projectId, jobs.unit!, 'slow', 'success')]);
      await migrate(database);
      expect(await marked(db)).toEqual([[s.workflows[0]!, jobs.unit!]]);

      await insertTestResults(db, [result(s.projectId, jobs.compile!, 'builds', 'success')]);
      expect(await marked(db)).toEqual([[s.workflows[0]!, jobs.compile!], [s.workflows[0]!, jobs.unit!]].sort());
      await db.deleteFrom('jobs').where('id', '=', jobs.unit!).execute();
      expect(await marked(db)).toEqual([[s.workflows[0]!, jobs.compile!]]);
    });
  });
}
