// Migration 0029 on both databases: flaky tests read test results with their runs from
// insights_test_runs, kept by a trigger on test_results whoever inserts them; the results that
// existed before the migration are backfilled, and a row goes with its result (and its job).
import { describe, expect, it } from 'vitest';
import { flakyTests } from '../../src/engine/insights/insights.ts';
import { migrate, migrateOnly } from '../../src/storage/db.ts';
import { testRunsOfProject } from '../../src/storage/insights.ts';
import { migrations } from '../../src/storage/migrations/index.ts';
import { insertTestResults } from '../../src/storage/test-results.ts';
import { at, kinds, NOW, opener, result, seed } from '../helpers/insights-history.ts';

for (const kind of kinds) {
  describe(`insights test runs (${kind.name})`, () => {
    const open = opener(kind);

    it('migration 0029 copies the test results before it with their runs; the trigger copies later ones; a row goes with its job', async () => {
      const database = await open();
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
