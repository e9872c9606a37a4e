// Test results parsed from a job's JUnit files.
import type { Db } from './executor.ts';
import type { TestResultsTable } from './schema.ts';

export type TestResult = TestResultsTable;

export async function insertTestResults(db: Db, rows: TestResult[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) await db.insertInto('test_results').values(rows.slice(i, i + 500)).execute();
}

/** A page of a job's tests in a stable order, starting at `offset`; fetches `limit + 1`. */
export async function testResultsOfJob(db: Db, jobId: string, limit: number, offset = 0): Promise<TestResult[]> {
  return db
    .selectFrom('test_results')
    .selectAll()
    .where('job_id', '=', jobId)
    .orderBy('node_index')
    .orderBy('created_at')
    .orderBy('id')
    .limit(limit + 1)
    .offset(offset)
    .execute();
}

/**
 * Recent timings of a project's tests for `circleci tests split --split-by=timings`:
 * the latest run time of each file and of each classname, from the newest `window` results.
 */
export async function recentTimings(db: Db, projectId: string, jobName: string | undefined, window = 20_000, exceptJobId?: string): Promise<{ file: string; classname: string; name: string; run_time: number }[]> {
  let q = db
    .selectFrom('test_results')
    .innerJoin('jobs', 'jobs.id', 'test_results.job_id')
    .select(['test_results.file', 'test_results.classname', 'test_results.name', 'test_results.run_time'])
    .where('test_results.project_id', '=', projectId);
  if (jobName) q = q.where('jobs.name', '=', jobName);
  if (exceptJobId) q = q.where('test_results.job_id', '!=', exceptJobId);
  return q.orderBy('test_results.created_at', 'desc').limit(window).execute();
}
