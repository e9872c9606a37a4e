// Workflow runs grouped by day for the insights charts: duration p50/p95, success rate and
// throughput (runs) per day. Pure.

export interface Run {
  created_at: string;
  duration: number;
  status: string;
}

export interface DayPoint {
  /** Start of the day, seconds since the epoch (UTC). */
  t: number;
  p50: number;
  p95: number;
  successRate: number;
  runs: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function byDay(runs: Run[]): DayPoint[] {
  const days = new Map<number, Run[]>();
  for (const r of runs) {
    const t = Math.floor(Date.parse(r.created_at) / 86_400_000) * 86_400;
    (days.get(t) ?? days.set(t, []).get(t)!).push(r);
  }
  return [...days.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([t, rs]) => {
      const d = rs.map((r) => r.duration).sort((a, b) => a - b);
      const counted = rs.filter((r) => r.status !== 'canceled');
      return {
        t,
        p50: percentile(d, 50),
        p95: percentile(d, 95),
        successRate: counted.length ? counted.filter((r) => r.status === 'success').length / counted.length : 0,
        runs: rs.length,
      };
    });
}

const WINDOW_MS: Record<string, number> = {
  'last-24-hours': 24 * 3600_000,
  'last-7-days': 7 * 86400_000,
  'last-30-days': 30 * 86400_000,
  'last-60-days': 60 * 86400_000,
  'last-90-days': 90 * 86400_000,
};

/**
 * The `start-date`/`end-date` of a reporting window ending at `now` (ISO, whole seconds): the
 * span is the window exactly, which is what the API accepts at most (90 days).
 */
export function windowRange(windowName: string, now: number): { start: string; end: string } {
  const end = Math.floor(now / 1000) * 1000;
  const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
  return { start: iso(end - (WINDOW_MS[windowName] ?? WINDOW_MS['last-90-days']!)), end: iso(end) };
}
