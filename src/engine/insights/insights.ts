// Insights: stored history → the metrics CircleCI's Insights operations report. Queries
// are in storage/insights.ts, the arithmetic in insights-metrics.ts; this module joins them.
//
// What circlet reports:
// - Runs are finished runs only: workflows in success / failed / error / canceled /
//   unauthorized (not running, on hold or not_run; never the setup workflow of a setup
//   config), build jobs in a terminal status (approval jobs are not job runs). A run belongs
//   to the window its workflow was created in; the branch is its pipeline's; without
//   `branch` or `all-branches` the project's default branch is meant.
// - failed_runs counts failed, error, unauthorized, infrastructure_fail and timedout;
//   success_rate = successful / (total − canceled), a fraction in [0, 1].
// - throughput = runs per day of the window (the 24-hour window is one day); in a
//   time-series bucket, runs per day at the bucket's rate.
// - mttr / total_recoveries: per workflow name and branch, in stop order, a failure streak
//   ended by a success is one recovery, timed from the first failure's stop to the success's
//   stop; mttr is their mean in whole seconds, 0 without recoveries.
// - Durations in whole seconds (workflow: created → stopped; job: started → stopped): min,
//   mean (rounded), median (mean of the middle two, rounded), p95 (nearest rank), max,
//   population standard deviation (2 decimals).
// - Trends: current ÷ previous window of equal length (1 = unchanged); 0 when the previous
//   window has nothing to compare against.
// - Credits: circlet bills nothing, so every credit figure (total_credits_used,
//   credits_used, median_credits_used) is 0 and its trend 0.
// - Flaky: a test (job, classname, name, file) that passed and failed on one revision in the
//   last 14 days; times_flaked counts those failures. Answered with snake_case keys as
//   CircleCI does (its spec documents kebab-case).
import type { Db } from '../../storage/executor.ts';
import { finishedJobRuns, finishedWorkflowRuns, insightsWorkflowNames, testRunsOfProject, type JobRunRow, type TestRunRow, type WorkflowRunRow } from '../../storage/insights.ts';
import { bucketStart, durationStats, reportingWindow, runMetrics, successRate, trend, type ReportingWindow, type RunSample, type Window } from './metrics.ts';

export const workflowSample = (r: WorkflowRunRow): RunSample => ({ status: r.status, started_at: r.created_at, stopped_at: r.stopped_at, series: `${r.name}\u0000${r.branch ?? ''}` });
export const jobSample = (r: JobRunRow): RunSample => ({
  status: r.status,
  started_at: r.started_at ?? r.created_at,
  stopped_at: r.stopped_at,
  series: `${r.name}\u0000${r.branch ?? ''}`,
});

function groupBy<T>(rows: readonly T[], key: (r: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    let list = out.get(k);
    if (!list) out.set(k, (list = []));
    list.push(r);
  }
  return out;
}

const sortedKeys = <T>(m: Map<string, T>) => [...m.keys()].sort();

/** Metrics of each workflow of a project over the window (workflows with at least one finished run). */
export async function workflowMetrics(db: Db, projectId: string, branch: string | undefined, window: ReportingWindow, now = new Date()) {
  const { current } = reportingWindow(window, now);
  const rows = await finishedWorkflowRuns(db, { projectIds: [projectId], branch, from: current.from, to: current.to });
  const byName = groupBy(rows, (r) => r.name);
  return sortedKeys(byName).map((name) => {
    const runs = byName.get(name)!;
    const m = runMetrics(runs.map(workflowSample), current.seconds);
    return {
      name,
      project_id: projectId,
      window_start: runs[0]!.created_at,
      window_end: runs[runs.length - 1]!.created_at,
      metrics: {
        ...workflowCounts(m),
        duration_metrics: withoutTotal(m.duration_metrics),
        total_recoveries: m.total_recoveries,
        throughput: m.throughput,
      },
    };
  });
}

/** The run counts of a workflow's metrics, in CircleCI's order. */
function workflowCounts(m: ReturnType<typeof runMetrics>) {
  return { total_runs: m.total_runs, successful_runs: m.successful_runs, mttr: m.mttr, total_credits_used: m.total_credits_used, failed_runs: m.failed_runs, success_rate: m.success_rate };
}

function withoutTotal(d: ReturnType<typeof durationStats>) {
  return { min: d.min, mean: d.mean, median: d.median, p95: d.p95, max: d.max, standard_deviation: d.standard_deviation };
}

/** Metrics of each job of a workflow over the window. */
export async function jobMetrics(db: Db, projectId: string, workflowName: string, branch: string | undefined, jobName: string | undefined, window: ReportingWindow, now = new Date()) {
  const { current } = reportingWindow(window, now);
  const rows = await finishedJobRuns(db, { projectIds: [projectId], name: workflowName, branch, jobName, from: current.from, to: current.to });
  const byName = groupBy(rows, (r) => r.name);
  return sortedKeys(byName).map((name) => {
    const runs = byName.get(name)!;
    const m = runMetrics(runs.map(jobSample), current.seconds);
    const starts = runs.map((r) => r.started_at ?? r.created_at).sort();
    return {
      name,
      window_start: starts[0]!,
      window_end: starts[starts.length - 1]!,
      metrics: {
        total_runs: m.total_runs,
        failed_runs: m.failed_runs,
        successful_runs: m.successful_runs,
        duration_metrics: withoutTotal(m.duration_metrics),
        success_rate: m.success_rate,
        total_credits_used: m.total_credits_used,
        throughput: m.throughput,
      },
    };
  });
}

/** One workflow's metrics over the window and their trends against the window before it. */
export async function workflowSummary(db: Db, projectId: string, workflowName: string, branch: string | undefined, window: ReportingWindow, now = new Date()) {
  const { current, previous } = reportingWindow(window, now);
  const rows = await finishedWorkflowRuns(db, { projectIds: [projectId], name: workflowName, branch, from: previous.from, to: current.to });
  const cur = rows.filter((r) => r.created_at >= current.from);
  const prev = rows.filter((r) => r.created_at < current.from);
  const m = runMetrics(cur.map(workflowSample), current.seconds);
  const p = runMetrics(prev.map(workflowSample), previous.seconds);
  const names = await insightsWorkflowNames(db, [projectId], current.from);
  return {
    metrics: {
      ...workflowCounts(m),
      completed_runs: m.total_runs,
      window_start: cur[0]?.created_at ?? current.from,
      duration_metrics: withoutTotal(m.duration_metrics),
      window_end: cur[cur.length - 1]?.created_at ?? current.to,
      throughput: m.throughput,
    },
    trends: {
      total_runs: trend(m.total_runs, p.total_runs),
      failed_runs: trend(m.failed_runs, p.failed_runs),
      success_rate: trend(m.success_rate, p.success_rate),
      p95_duration_secs: trend(m.duration_metrics.p95, p.duration_metrics.p95),
      median_duration_secs: trend(m.duration_metrics.median, p.duration_metrics.median),
      total_credits_used: trend(m.total_credits_used, p.total_credits_used),
      mttr: trend(m.mttr, p.mttr),
      throughput: trend(m.throughput, p.throughput),
    },
    workflow_names: names,
  };
}

/** Totals of a set of runs for the summary pages. */
function totals(rows: readonly WorkflowRunRow[], w: Window) {
  const m = runMetrics(rows.map(workflowSample), w.seconds);
  return {
    total_runs: m.total_runs,
    total_duration_secs: m.duration_metrics.total,
    total_credits_used: 0,
    success_rate: successRate(m.successful_runs, m.total_runs, m.canceled_runs),
    throughput: m.throughput,
    p95_duration_secs: m.duration_metrics.p95 ?? 0,
  };
}

type Totals = ReturnType<typeof totals>;
const trendsOf = (c: Totals, p: Totals) => ({
  total_runs: trend(c.total_runs, p.total_runs),
  total_duration_secs: trend(c.total_duration_secs, p.total_duration_secs),
  total_credits_used: trend(c.total_credits_used, p.total_credits_used),
  success_rate: trend(c.success_rate, p.success_rate),
  throughput: trend(c.throughput, p.throughput),
  p95_duration_secs: trend(c.p95_duration_secs, p.p95_duration_secs),
});

async function currentAndPrevious(db: Db, projectIds: string[], window: ReportingWindow, now: Date) {
  const { current, previous } = reportingWindow(window, now);
  const rows = await finishedWorkflowRuns(db, { projectIds, from: previous.from, to: current.to });
  return { current, previous, cur: rows.filter((r) => r.created_at >= current.from), prev: rows.filter((r) => r.created_at < current.from) };
}

const wfShape = (t: Totals) => ({ total_credits_used: t.total_credits_used, p95_duration_secs: t.p95_duration_secs, total_runs: t.total_runs, success_rate: t.success_rate });
const wfTrendShape = (t: ReturnType<typeof trendsOf>) => ({
  total_credits_used: t.total_credits_used,
  p95_duration_secs: t.p95_duration_secs,
  total_runs: t.total_runs,
  success_rate: t.success_rate,
});
const pageShape = (t: Totals) => ({ total_runs: t.total_runs, total_duration_secs: t.total_duration_secs, total_credits_used: t.total_credits_used, success_rate: t.success_rate, throughput: t.throughput });
const pageTrendShape = (t: ReturnType<typeof trendsOf>) => ({
  total_runs: t.total_runs,
  total_duration_secs: t.total_duration_secs,
  total_credits_used: t.total_credits_used,
  success_rate: t.success_rate,
  throughput: t.throughput,
});

/** The project summary page: totals and trends for the project, each workflow, and each workflow × branch. */
export async function projectPageData(
  db: Db,
  project: { id: string; organization_id: string },
  filter: { branches?: string[]; workflowNames?: string[] },
  window: ReportingWindow,
  now = new Date(),
) {
  const { current, previous, cur, prev } = await currentAndPrevious(db, [project.id], window, now);
  const keep = (r: WorkflowRunRow) =>
    (filter.branches === undefined || filter.branches.includes(r.branch ?? '')) && (filter.workflowNames === undefined || filter.workflowNames.includes(r.name));
  const c = cur.filter(keep);
  const p = prev.filter(keep);
  const pair = (key: (r: WorkflowRunRow) => string) => {
    const cg = groupBy(c, key);
    const pg = groupBy(p, key);
    return sortedKeys(cg).map((k) => {
      const ct = totals(cg.get(k)!, current);
      const pt = totals(pg.get(k) ?? [], previous);
      return { key: k, rows: cg.get(k)!, metrics: wfShape(ct), trends: wfTrendShape(trendsOf(ct, pt)) };
    });
  };
  const ct = totals(c, current);
  const pt = totals(p, previous);
  return {
    org_id: project.organization_id,
    project_id: project.id,
    project_data: { metrics: pageShape(ct), trends: pageTrendShape(trendsOf(ct, pt)) },
    project_workflow_data: pair((r) => r.name).map((x) => ({ workflow_name: x.key, metrics: x.metrics, trends: x.trends })),
    project_workflow_branch_data: pair((r) => `${r.name}\u0000${r.branch ?? ''}`).map((x) => ({
      workflow_name: x.rows[0]!.name,
      branch: x.rows[0]!.branch ?? '',
      metrics: x.metrics,
      trends: x.trends,
    })),
    all_branches: [...new Set(cur.map((r) => r.branch).filter((b): b is string => b !== null))].sort(),
    all_workflows: [...new Set(cur.map((r) => r.name))].sort(),
  };
}

/** The organization summary: totals and trends for the org and each of its projects (by name). */
export async function orgSummary(db: Db, projects: { id: string; name: string }[], window: ReportingWindow, now = new Date()) {
  const { current, previous, cur, prev } = await currentAndPrevious(
    db,
    projects.map((p) => p.id),
    window,
    now,
  );
  const ct = totals(cur, current);
  const pt = totals(prev, previous);
  const cg = groupBy(cur, (r) => r.project_id);
  const pg = groupBy(prev, (r) => r.project_id);
  const projectShape = (t: Pick<Totals, 'total_credits_used' | 'total_duration_secs' | 'total_runs' | 'success_rate'>) => ({ total_credits_used: t.total_credits_used, total_duration_secs: t.total_duration_secs, total_runs: t.total_runs, success_rate: t.success_rate });
  return {
    org_data: { metrics: pageShape(ct), trends: pageTrendShape(trendsOf(ct, pt)) },
    org_project_data: [...projects]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .filter((p) => cg.has(p.id))
      .map((p) => {
        const c = totals(cg.get(p.id)!, current);
        const q = totals(pg.get(p.id) ?? [], previous);
        return { project_name: p.name, metrics: projectShape(c), trends: projectShape(trendsOf(c, q)) };
      }),
    all_projects: projects.map((p) => p.name).sort(),
  };
}

/** Job runs of a workflow bucketed by hour or UTC day of their start, per job name. */
export async function jobTimeseries(db: Db, projectId: string, workflowName: string, branch: string | undefined, granularity: 'hourly' | 'daily', from: string, to: string) {
  const rows = await finishedJobRuns(db, { projectIds: [projectId], name: workflowName, branch, from, to });
  const bucketDays = granularity === 'hourly' ? 1 / 24 : 1;
  const groups = groupBy(rows, (r) => `${r.name}\u0000${bucketStart(r.started_at ?? r.created_at, granularity)}`);
  return sortedKeys(groups).map((k) => {
    const runs = groups.get(k)!;
    const [name, timestamp] = k.split('\u0000') as [string, string];
    const samples = runs.map(jobSample);
    const m = runMetrics(samples, 0);
    const d = m.duration_metrics;
    return {
      name,
      timestamp,
      min_started_at: samples.map((s) => s.started_at).sort()[0]!,
      max_ended_at: samples.map((s) => s.stopped_at).sort()[samples.length - 1]!,
      metrics: {
        total_runs: m.total_runs,
        failed_runs: m.failed_runs,
        successful_runs: m.successful_runs,
        throughput: m.total_runs / bucketDays,
        median_credits_used: 0,
        total_credits_used: 0,
        duration_metrics: { min: d.min, median: d.median, max: d.max, p95: d.p95, total: d.total },
      },
    };
  });
}

const FAILED_TEST = new Set(['failure', 'error']);
const testKey = (t: TestRunRow) => `${t.job_name}\u0000${t.classname}\u0000${t.name}\u0000${t.file}`;

/**
 * Flaky tests: a test (job, classname, name, file) that both passed and failed on the same
 * revision within the last 14 days. times_flaked counts its failures on such revisions; the
 * reported run is the newest flaky failure.
 */
export async function flakyTests(db: Db, projectId: string, now = new Date()) {
  const from = new Date(now.getTime() - 14 * 86_400_000).toISOString();
  const rows = await testRunsOfProject(db, projectId, from);
  const byRevision = groupBy(
    rows.filter((r) => r.revision !== null),
    (r) => `${r.revision}\u0001${testKey(r)}`,
  );
  const flakes = new Map<string, { failures: TestRunRow[] }>();
  for (const group of byRevision.values()) {
    const failures = group.filter((r) => FAILED_TEST.has(r.result));
    if (failures.length === 0 || !group.some((r) => r.result === 'success')) continue;
    const key = testKey(group[0]!);
    let f = flakes.get(key);
    if (!f) flakes.set(key, (f = { failures: [] }));
    f.failures.push(...failures);
  }
  const items = sortedKeys(flakes).map((k) => {
    const failures = flakes.get(k)!.failures.sort((a, b) => (a.created_at < b.created_at ? -1 : 1));
    const last = failures[failures.length - 1]!;
    return {
      time_wasted: Math.round(failures.reduce((s, f) => s + f.run_time, 0)),
      workflow_created_at: last.workflow_created_at,
      workflow_id: last.workflow_id,
      classname: last.classname,
      pipeline_number: last.pipeline_number,
      workflow_name: last.workflow_name,
      test_name: last.name,
      job_name: last.job_name,
      job_number: last.job_number ?? 0,
      times_flaked: failures.length,
      source: last.source,
      file: last.file,
    };
  });
  return { flaky_tests: items, total_flaky_tests: items.length };
}
