// Migration 0028 on both databases: test metrics look up test results only for the jobs that
// have some (insights_test_jobs, kept by a trigger on test_results whoever inserts them), the
// rows of jobs that existed before the migration are backfilled, and a row goes with its job.
import type { KyselyPlugin, RootOperationNode } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { testMetrics } from '../../src/engine/insights/tests.ts';
import { migrate, migrateOnly } from '../../src/storage/db.ts';
import type { Db } from '../../src/storage/executor.ts';
import { testRunsOfRecentWorkflows } from '../../src/storage/insights.ts';
import { migrations } from '../../src/storage/migrations/index.ts';
import { insertTestResults } from '../../src/storage/test-results.ts';
import { at, kinds, result, seed } from '../helpers/insights-history.ts';

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
