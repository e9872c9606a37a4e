// Test metrics of a workflow's recent runs (CircleCI computes them over the 10 newest):
// most failed tests, slowest tests (by p95 run time) and per-run test counts. Pure.
import type { TestRunRow, WorkflowRunRow } from '../../storage/insights.ts';
import { nearestRank } from './metrics.ts';

const TOP = 10;
const FAILED = new Set(['failure', 'error']);

interface TestAggregate {
  failed_runs: number;
  job_name: string;
  p95_duration: number | null;
  test_name: string;
  file: string | null;
  source: string | null;
  classname: string | null;
  total_runs: number;
  flaky: boolean;
}

/** Up to TOP rows by `score` (descending, ties by name); `extra` counts the left-out rows that tie the last one kept. */
function top(rows: TestAggregate[], score: (t: TestAggregate) => number): { list: TestAggregate[]; extra: number } {
  const sorted = [...rows].sort((a, b) => score(b) - score(a) || (a.test_name < b.test_name ? -1 : a.test_name > b.test_name ? 1 : 0));
  const list = sorted.slice(0, TOP);
  const last = list[list.length - 1];
  const extra = last === undefined ? 0 : sorted.slice(TOP).filter((t) => score(t) === score(last)).length;
  return { list, extra };
}

export function testMetrics(runs: readonly Pick<WorkflowRunRow, 'id'>[], tests: readonly TestRunRow[]) {
  const groups = new Map<string, TestRunRow[]>();
  for (const t of tests) {
    const key = `${t.job_name}\u0000${t.classname}\u0000${t.name}\u0000${t.file}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(t);
  }
  const aggregates: TestAggregate[] = [...groups.values()].map((g) => {
    const revisions = new Map<string, { ok: boolean; failed: boolean }>();
    for (const t of g) {
      const r = revisions.get(t.revision ?? '') ?? { ok: false, failed: false };
      if (t.result === 'success') r.ok = true;
      if (FAILED.has(t.result)) r.failed = true;
      revisions.set(t.revision ?? '', r);
    }
    const first = g[0]!;
    return {
      failed_runs: g.filter((t) => FAILED.has(t.result)).length,
      job_name: first.job_name,
      p95_duration: nearestRank(
        g.map((t) => t.run_time).sort((a, b) => a - b),
        0.95,
      ),
      test_name: first.name,
      file: first.file || null,
      source: first.source || null,
      classname: first.classname || null,
      total_runs: g.length,
      flaky: [...revisions.entries()].some(([rev, r]) => rev !== '' && r.ok && r.failed),
    };
  });
  const failed = top(
    aggregates.filter((a) => a.failed_runs > 0),
    (a) => a.failed_runs,
  );
  const slowest = top(aggregates, (a) => a.p95_duration ?? 0);

  const byWorkflow = new Map<string, TestRunRow[]>();
  for (const t of tests) {
    let list = byWorkflow.get(t.workflow_id);
    if (!list) byWorkflow.set(t.workflow_id, (list = []));
    list.push(t);
  }
  const test_runs = runs
    .filter((r) => byWorkflow.has(r.id))
    .map((r) => {
      const list = byWorkflow.get(r.id)!;
      const counts = { error: 0, failure: 0, skipped: 0, success: 0, total: list.length };
      for (const t of list) if (t.result in counts && t.result !== 'total') counts[t.result as 'error' | 'failure' | 'skipped' | 'success'] += 1;
      const ran = counts.total - counts.skipped;
      return { pipeline_number: list[0]!.pipeline_number, workflow_id: r.id, success_rate: ran > 0 ? counts.success / ran : 0, test_counts: counts };
    });

  return {
    average_test_count: runs.length > 0 ? Math.round(tests.length / runs.length) : 0,
    most_failed_tests: failed.list,
    most_failed_tests_extra: failed.extra,
    slowest_tests: slowest.list,
    slowest_tests_extra: slowest.extra,
    total_test_runs: tests.length,
    test_runs,
  };
}
