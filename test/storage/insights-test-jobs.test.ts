// Migration 0028 on both databases: insights_test_jobs (the jobs that have test results, by
// workflow) is kept by a trigger on test_results whoever inserts them, the rows of jobs that
// existed before the migration are backfilled, and a row goes with its job. (Test metrics read
// insights_test_runs since migration 0030: test/storage/insights-test-metrics.test.ts.)
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, migrateOnly } from '../../src/storage/db.ts';
import type { Db } from '../../src/storage/executor.ts';
import { migrations } from '../../src/storage/migrations/index.ts';
import { insertTestResults } from '../../src/storage/test-results.ts';
import { kinds, result, seed } from '../helpers/insights-history.ts';

/** The marked jobs, as [workflow id, job id] pairs, sorted. */
async function marked(db: Db): Promise<string[][]> {
  const rows = await db.selectFrom('insights_test_jobs').select(['workflow_id', 'job_id']).execute();
  return rows.map((r) => [r.workflow_id, r.job_id]).sort();
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

    it('the trigger marks the jobs that have test results, whoever inserts them', async () => {
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
