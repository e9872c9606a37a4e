// Migration 0030 on both databases: test metrics read the results of a workflow's recent runs
// from insights_test_runs, one range of its index by (project, workflow name, branch, workflow
// creation) per branch, not by lookups of the runs' jobs, results, workflows and pipelines by id.
// The branch is copied with each result, backfilled for the results before the migration, and
// follows its pipeline's.
import type { KyselyPlugin, RootOperationNode } from 'kysely';
import { describe, expect, it } from 'vitest';
import { testMetrics } from '../../src/engine/insights/tests.ts';
import { migrate, migrateOnly } from '../../src/storage/db.ts';
import type { Db } from '../../src/storage/executor.ts';
import { testRunsOfRecentWorkflows } from '../../src/storage/insights.ts';
import { migrations } from '../../src/storage/migrations/index.ts';
import { updatePipeline } from '../../src/storage/pipelines.ts';
import { insertTestResults } from '../../src/storage/test-results.ts';
import { at, kinds, opener, result, seed } from '../helpers/insights-history.ts';

/** Records the statements run through the returned db (their SQL). */
function recording(db: Db): { db: Db; statements(): string[] } {
  const nodes: RootOperationNode[] = [];
  const plugin: KyselyPlugin = {
    transformQuery: ({ node }) => (nodes.push(node), node),
    transformResult: async ({ result: r }) => r,
  };
  return { db: db.withPlugin(plugin), statements: () => nodes.splice(0).map((node) => db.getExecutor().compileQuery(node, { queryId: 'test' }).sql) };
}

/** The tables a statement reads. */
const tables = (q: string) => [...q.matchAll(/\b(?:from|join)\s+"?(\w+)"?/gi)].map((m) => m[1]!);

const recent = (db: Db, projectId: string, branch: string | undefined) => testRunsOfRecentWorkflows(db, { projectId, name: 'build', branch, from: at(1000), to: at(0) });

/** A test result's run and name, from test metrics' rows. */
const seen = (tests: { workflow_id: string; job_name: string; name: string; result: string }[]) => tests.map((t) => [t.workflow_id, t.job_name, t.name, t.result]).sort();

for (const kind of kinds) {
  describe(`insights test metrics (${kind.name})`, () => {
    const open = opener(kind);

    it('read the runs of a branch from insights_test_runs in one statement, and each branch of the runs without one', async () => {
      const database = await open();
      await migrate(database);
      const db = database.db;
      const s = await seed(db, [
        ['compile', 'lint', 'unit'],
        ['compile', 'lint', 'unit'],
        ['compile', 'lint', 'unit'],
      ]);
      const [w0, w1, w2] = s.workflows as [string, string, string];
      const [j0, j1, j2] = s.jobs as [Record<string, string>, Record<string, string>, Record<string, string>];
      // The middle run is on another branch: it lies within the range of the other two.
      await db.updateTable('pipelines').set({ branch: 'dev' }).where('id', '=', db.selectFrom('workflows').select('pipeline_id').where('id', '=', w1)).execute();
      await insertTestResults(db, [result(s.projectId, j0.unit!, 'adds', 'success'), result(s.projectId, j0.unit!, 'slow', 'failure')]);
      await insertTestResults(db, [result(s.projectId, j1.unit!, 'adds', 'failure')]);
      await db.insertInto('test_results').values(result(s.projectId, j2.unit!, 'adds', 'success')).execute();
      await db.insertInto('test_results').values(result(s.projectId, j2.compile!, 'builds', 'success')).execute();

      const rec = recording(db);
      const { runs, tests } = await recent(rec.db, s.projectId, 'main');
      const statements = rec.statements();
      expect(statements.map(tables)).toEqual([['insights_workflow_runs'], ['insights_test_runs']]);
      expect(runs.map((r) => r.id)).toEqual([w2, w0]);
      expect(seen(tests)).toEqual([
        [w0, 'unit', 'adds', 'success'],
        [w0, 'unit', 'slow', 'failure'],
        [w2, 'compile', 'builds', 'success'],
        [w2, 'unit', 'adds', 'success'],
      ].sort());
      // Every result has one created_at: their order is the ids', random here.
      expect(tests.find((t) => t.name === 'slow')).toMatchObject({ workflow_name: 'build', workflow_created_at: at(100), pipeline_number: 1, revision: 'rev-0', job_number: 3, run_time: 1.5, classname: 'Suite' });
      const m = testMetrics(runs, tests);
      expect(m.test_runs.map((r) => [r.workflow_id, r.test_counts.total, r.test_counts.failure])).toEqual([
        [w2, 2, 0],
        [w0, 2, 1],
      ]);

      const all = await recent(rec.db, s.projectId, undefined);
      expect(rec.statements().map(tables)).toEqual([['insights_workflow_runs'], ['insights_test_runs'], ['insights_test_runs']]);
      expect(all.runs.map((r) => r.id)).toEqual([w2, w1, w0]);
      expect(seen(all.tests)).toEqual([...seen(tests), [w1, 'unit', 'adds', 'failure']].sort());
    });

    it("a result's branch follows its pipeline's, to another branch, to none and back", async () => {
      const database = await open();
      await migrate(database);
      const db = database.db;
      const s = await seed(db, [['unit'], ['unit']]);
      const [w0, w1] = s.workflows as [string, string];
      await insertTestResults(db, [result(s.projectId, s.jobs[0]!.unit!, 'adds', 'success')]);
      await insertTestResults(db, [result(s.projectId, s.jobs[1]!.unit!, 'adds', 'failure')]);
      const pipelineOf = async (w: string) => (await db.selectFrom('workflows').select('pipeline_id').where('id', '=', w).executeTakeFirstOrThrow()).pipeline_id;
      const ids = async (branch: string | undefined) => (await recent(db, s.projectId, branch)).tests.map((t) => t.workflow_id).sort();

      await updatePipeline(db, await pipelineOf(w1), { branch: 'dev' });
      expect(await ids('main')).toEqual([w0]);
      expect(await ids('dev')).toEqual([w1]);
      await updatePipeline(db, await pipelineOf(w1), { branch: null });
      expect(await ids('dev')).toEqual([]);
      expect(await ids(undefined)).toEqual([w0, w1].sort());
      await updatePipeline(db, await pipelineOf(w1), { branch: 'main' });
      expect(await ids('main')).toEqual([w0, w1].sort());
      const branches = await db.selectFrom('insights_test_runs').select(['workflow_id', 'branch']).execute();
      expect(branches.map((r) => r.branch)).toEqual(['main', 'main']);
    });

    it('migration 0030 copies the branch of the results before it', async () => {
      const database = await open();
      await migrateOnly(
        database,
        Object.keys(migrations).filter((n) => n < '0030'),
      );
      const db = database.db;
      const s = await seed(db, [['unit'], ['unit']]);
      await db.updateTable('pipelines').set({ branch: 'dev' }).where('number', '=', 2).execute();
      await insertTestResults(db, [result(s.projectId, s.jobs[0]!.unit!, 'adds', 'success'), result(s.projectId, s.jobs[1]!.unit!, 'adds', 'failure')]);
      await migrate(database);
      const rows = await db.selectFrom('insights_test_runs').select(['workflow_id', 'branch']).orderBy('pipeline_number').execute();
      expect(rows).toEqual([
        { workflow_id: s.workflows[0], branch: 'main' },
        { workflow_id: s.workflows[1], branch: 'dev' },
      ]);
      expect((await recent(db, s.projectId, 'dev')).tests.map((t) => [t.workflow_id, t.result])).toEqual([[s.workflows[1], 'failure']]);
    });
  });
}
