// Migration 0029 on both databases: flaky tests read test results with their runs from
// insights_test_runs, kept by a trigger on test_results whoever inserts them; the results that
// existed before the migration are backfilled, and a row goes with its result (and its job).
import crypto from 'node:crypto';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { flakyTests } from '../../src/engine/insights/insights.ts';
import { migrate, migrateOnly, openDatabase, type Database } from '../../src/storage/db.ts';
import type { Db } from '../../src/storage/executor.ts';
import { testRunsOfProject } from '../../src/storage/insights.ts';
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

for (const kind of kinds) {
  describe(`insights test runs (${kind.name})`, () => {
    let cleanup: (() => Promise<void>) | undefined;
    afterEach(async () => {
      await cleanup?.();
      cleanup = undefined;
    });

    it('migration 0029 copies the test results before it with their runs; the trigger copies later ones; a row goes with its job', async () => {
      const { database, drop } = await kind.open();
      cleanup = async () => {
        await database.close();
        await drop();
      };
      await migrateOnly(
        database,
        Object.keys(migrations).filter((n) => n < '0029'),
      );
      const db = database.db;
      const s = await seed(db, [['unit'], ['unit']]);
      // Both runs on one revision: a test that passed on one and failed on the other flaked.
      await db.updateTable('pipelines').set({ revision: 'rev-same' }).execute();
      await insertTestResults(db, [result(s.projectId, s.jobs[0]!.unit!, 'adds', 'success')]);
      await migrate(database);
      await insertTestResults(db, [result(s.projectId, s.jobs[1]!.unit!, 'adds', 'failure')]);

      const rows = await testRunsOfProject(db, s.projectId, at(1000));
      // Both results have one created_at: their order is the ids', random here.
      const copied = rows.map((r) => [r.workflow_id, r.workflow_name, r.pipeline_number, r.revision, r.job_name, r.job_number, r.name, r.result, r.run_time]);
      expect(copied.sort((a, b) => Number(a[2]) - Number(b[2]))).toEqual([
        [s.workflows[0], 'build', 1, 'rev-same', 'unit', 1, 'adds', 'success', 1.5],
        [s.workflows[1], 'build', 2, 'rev-same', 'unit', 11, 'adds', 'failure', 1.5],
      ]);
      const flaky = await flakyTests(db, s.projectId, new Date(NOW));
      expect(flaky.total_flaky_tests).toBe(1);

      await db.deleteFrom('jobs').where('id', '=', s.jobs[1]!.unit!).execute();
      expect((await testRunsOfProject(db, s.projectId, at(1000))).map((r) => r.workflow_id)).toEqual([s.workflows[0]]);
    });
  });
}
