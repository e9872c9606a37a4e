// Pure Insights metrics over finished runs: counts, success rate, throughput, recoveries
// (MTTR), duration statistics and trends. No I/O; table-tested. Definitions follow
// CircleCI's Insights glossary where it gives one; the choices it leaves open are written
// down beside each function and summed up at the top of engine/insights.ts.

/** A finished run (workflow or job) as Insights sees it. Times are ISO-8601 UTC. */
export interface RunSample {
  status: string;
  /** When the run started (workflow: created; job: started, else created). */
  started_at: string;
  stopped_at: string;
  /** Grouping key for recoveries (workflow name + branch); runs of one key recover each other. */
  series?: string;
}

/** Statuses counted as successful / failed; `canceled` counts as a run but in neither. */
export const SUCCESS_STATUSES = new Set(['success']);
export const FAILED_STATUSES = new Set(['failed', 'error', 'unauthorized', 'infrastructure_fail', 'timedout']);

export interface DurationStats {
  min: number | null;
  mean: number | null;
  median: number | null;
  p95: number | null;
  max: number | null;
  standard_deviation: number | null;
  total: number;
}

export interface RunMetrics {
  total_runs: number;
  successful_runs: number;
  failed_runs: number;
  canceled_runs: number;
  success_rate: number;
  throughput: number;
  mttr: number;
  total_recoveries: number;
  duration_metrics: DurationStats;
  total_credits_used: number;
}

/** Whole seconds between two ISO timestamps, never negative. */
export function secondsBetween(from: string, to: string): number {
  const d = (Date.parse(to) - Date.parse(from)) / 1000;
  return Number.isFinite(d) && d > 0 ? Math.round(d) : 0;
}

/**
 * Success rate as a fraction in [0, 1]: successful / (all runs − canceled runs), the
 * glossary's "100 × (Successful Runs / All Runs − Cancelled Runs)" without the 100. 0 when
 * no run counts.
 */
export function successRate(successful: number, total: number, canceled: number): number {
  const denominator = total - canceled;
  return denominator > 0 ? successful / denominator : 0;
}

/** Average runs per day over a window of `windowSeconds` (a window shorter than a day counts as one day). */
export function throughput(totalRuns: number, windowSeconds: number): number {
  const days = Math.max(windowSeconds / 86_400, 1);
  return totalRuns / days;
}

/**
 * The q-quantile (0 < q ≤ 1) of ascending `sorted` by nearest rank: the smallest value with
 * at least q·n values at or below it. null for no values.
 */
export function nearestRank(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(q * sorted.length - 1e-9));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

/** The median of ascending `sorted` (mean of the two middle values for an even count, rounded). */
export function median(sorted: readonly number[]): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  const mid = Math.floor(n / 2);
  return n % 2 === 1 ? sorted[mid]! : Math.round((sorted[mid - 1]! + sorted[mid]!) / 2);
}

/**
 * Duration statistics in seconds: min, mean (rounded), median, p95 (nearest rank), max,
 * population standard deviation (two decimals) and total. Nulls (total 0) for no runs.
 */
export function durationStats(durations: readonly number[]): DurationStats {
  const sorted = [...durations].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return { min: null, mean: null, median: null, p95: null, max: null, standard_deviation: null, total: 0 };
  const total = sorted.reduce((s, d) => s + d, 0);
  const mean = total / n;
  const variance = sorted.reduce((s, d) => s + (d - mean) ** 2, 0) / n;
  return {
    min: sorted[0]!,
    mean: Math.round(mean),
    median: median(sorted),
    p95: nearestRank(sorted, 0.95),
    max: sorted[n - 1]!,
    standard_deviation: Math.round(Math.sqrt(variance) * 100) / 100,
    total,
  };
}

/**
 * Recoveries: within one series (workflow + branch), ordered by stop time, a failed run
 * followed (possibly after more failures and cancels) by a success is one recovery; its time
 * is from the first failure's stop to the success's stop. MTTR is the mean of those times in
 * whole seconds (0 when nothing recovered).
 */
export function recoveries(runs: readonly RunSample[]): { total_recoveries: number; mttr: number } {
  const bySeries = new Map<string, RunSample[]>();
  for (const r of runs) {
    const key = r.series ?? '';
    let list = bySeries.get(key);
    if (!list) bySeries.set(key, (list = []));
    list.push(r);
  }
  let count = 0;
  let sum = 0;
  for (const list of bySeries.values()) {
    list.sort((a, b) => (a.stopped_at < b.stopped_at ? -1 : a.stopped_at > b.stopped_at ? 1 : 0));
    let failedSince: string | undefined;
    for (const r of list) {
      if (FAILED_STATUSES.has(r.status)) failedSince ??= r.stopped_at;
      else if (SUCCESS_STATUSES.has(r.status) && failedSince !== undefined) {
        count += 1;
        sum += secondsBetween(failedSince, r.stopped_at);
        failedSince = undefined;
      }
    }
  }
  return { total_recoveries: count, mttr: count > 0 ? Math.round(sum / count) : 0 };
}

/** All metrics of a set of finished runs over a window of `windowSeconds`. circlet bills nothing: credits are 0. */
export function runMetrics(runs: readonly RunSample[], windowSeconds: number): RunMetrics {
  let successful = 0;
  let failed = 0;
  let canceled = 0;
  const durations: number[] = [];
  for (const r of runs) {
    if (SUCCESS_STATUSES.has(r.status)) successful += 1;
    else if (FAILED_STATUSES.has(r.status)) failed += 1;
    else if (r.status === 'canceled') canceled += 1;
    durations.push(secondsBetween(r.started_at, r.stopped_at));
  }
  const total = runs.length;
  return {
    total_runs: total,
    successful_runs: successful,
    failed_runs: failed,
    canceled_runs: canceled,
    success_rate: successRate(successful, total, canceled),
    throughput: throughput(total, windowSeconds),
    ...recoveries(runs),
    duration_metrics: durationStats(durations),
    total_credits_used: 0,
  };
}

/**
 * A trend: the current value as a ratio of the previous window's (1 = unchanged, 1.5 = half
 * as much again). With nothing to compare against (previous 0 or null): 0.
 */
export function trend(current: number | null, previous: number | null): number {
  if (current === null || previous === null || previous === 0) return 0;
  return current / previous;
}

export type ReportingWindow = 'last-24-hours' | 'last-7-days' | 'last-30-days' | 'last-60-days' | 'last-90-days';
export const REPORTING_WINDOWS: readonly ReportingWindow[] = ['last-24-hours', 'last-7-days', 'last-30-days', 'last-60-days', 'last-90-days'];

const WINDOW_SECONDS: Record<ReportingWindow, number> = {
  'last-24-hours': 86_400,
  'last-7-days': 7 * 86_400,
  'last-30-days': 30 * 86_400,
  'last-60-days': 60 * 86_400,
  'last-90-days': 90 * 86_400,
};

export interface Window {
  from: string;
  to: string;
  seconds: number;
}

/** The reporting window ending at `now` and the window of equal length before it. */
export function reportingWindow(name: ReportingWindow, now: Date): { current: Window; previous: Window } {
  const seconds = WINDOW_SECONDS[name];
  const end = now.getTime();
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    current: { from: iso(end - seconds * 1000), to: iso(end), seconds },
    previous: { from: iso(end - 2 * seconds * 1000), to: iso(end - seconds * 1000), seconds },
  };
}

/** Start of the hour / UTC day holding `iso`, as ISO-8601. */
export function bucketStart(iso: string, granularity: 'hourly' | 'daily'): string {
  const d = new Date(iso);
  if (granularity === 'daily') d.setUTCHours(0, 0, 0, 0);
  else d.setUTCMinutes(0, 0, 0);
  return d.toISOString();
}
