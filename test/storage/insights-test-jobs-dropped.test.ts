// Migrations 0028 and 0031 on both databases: insights_test_jobs (the jobs that have test
// results, by workflow) was kept by a trigger on test_results whoever inserted them, the rows of
// jobs that existed before 0028 backfilled, a row going with its job; once test metrics read
// insights_test_runs (migration 0030: test/storage/insights-test-metrics.test.ts), 0031 drops
// the table and its trigger, and test results are inserted as before.
import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migrate, migrateOnly } from '../../src/storage/db.ts';
import type { Db } from '../../src/storage/executor.ts';
import { migrations } from '../../src/storage/migrations/index.ts';
import { insertTestResults } from '../../src/storage/test-results.ts';
import { kinds, opener, result, seed } from '../helpers/insights-history.ts';

/** Every migration before `name`. */
const before = (name: string) => Object.keys(migrations).filter((n) => n < name);

/** The marked jobs, as [workflow id, job id] pairs, sorted. */
async function marked(db: Db): Promise<string[][]> {
  // Not in the schema's types any more (migration 0031 dropped it).
  const rows = await (db as unknown as Kysely<any>).selectFrom('insights_test_jobs').select(['workflow_id', 'job_id']).execute();
  return rows.map((r) => [r.workflow_id, r.job_id]).sort();
}

for (const kind of kinds) {
  describe(`insights test jobs (${kind.name})`, () => {
    const open = opener(kind);

    it('the trigger marked the jobs that have test results, whoever inserts them (before 0031)', async () => {
      const database = await open();
      await migrateOnly(database, before('0031'));
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

    it('migration 0028 marked the jobs that had test results before it; a row went with its job', async () => {
      const database = await open();
      await migrateOnly(database, before('0028'));
      const db = database.db;
      const s = await seed(db, [['compile', 'lint', 'unit']]);
      const jobs = s.jobs[0]!;
      await insertTestResults(db, [result(s.projectId, jobs.unit!, 'adds', 'success'), result(s.projectId, jobs.unit!, 'slow', 'success')]);
      await migrateOnly(database, before('0031'));
      expect(await marked(db)).toEqual([[s.workflows[0]!, jobs.unit!]]);

      await insertTestResults(db, [result(s.projectId, jobs.compile!, 'builds', 'success')]);
      expect(await marked(db)).toEqual([[s.workflows[0]!, jobs.compile!], [s.workflows[0]!, jobs.unit!]].sort());
      await db.deleteFrom('jobs').where('id', '=', jobs.unit!).execute();
      expect(await marked(db)).toEqual([[s.workflows[0]!, jobs.compile!]]);
    });
    it('migration 0031 drops the table and its trigger; test results are inserted as before', async () => {
      const database = await open();
      await migrateOnly(database, before('0031'));
      const db = database.db;
      const s = await seed(db, [['compile', 'lint', 'unit']]);
      const jobs = s.jobs[0]!;
      await insertTestResults(db, [result(s.projectId, jobs.unit!, 'adds', 'success')]);
      expect(await marked(db)).toEqual([[s.workflows[0]!, jobs.unit!]]);
      await migrate(database);
      const tables = (await db.introspection.getTables()).map((t) => t.name);
      expect(tables).toContain('test_results');
      expect(tables).not.toContain('insights_test_jobs');
      // The trigger went with it: an insert that it would have followed into the dropped table.
      await insertTestResults(db, [result(s.projectId, jobs.compile!, 'builds', 'success')]);
      await db.insertInto('test_results').values(result(s.projectId, jobs.lint!, 'lints', 'success')).execute();
      const stored = await db.selectFrom('test_results').select('job_id').execute();
      expect(stored.map((r) => r.job_id).sort()).toEqual([jobs.unit!, jobs.compile!, jobs.lint!].sort());
    });
  });
}
