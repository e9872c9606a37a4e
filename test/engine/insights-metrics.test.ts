// Table tests for the pure Insights metrics.
import { describe, expect, it } from 'vitest';
import {
  bucketStart,
  durationStats,
  median,
  nearestRank,
  recoveries,
  reportingWindow,
  runMetrics,
  secondsBetween,
  successRate,
  throughput,
  trend,
  type RunSample,
} from '../../src/engine/insights/metrics.ts';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1) + s * 1000).toISOString();
const run = (status: string, start: number, stop: number, series = 'main'): RunSample => ({ status, started_at: at(start), stopped_at: at(stop), series });

describe('successRate', () => {
  const table: [number, number, number, number][] = [
    [0, 0, 0, 0],
    [1, 1, 0, 1],
    [1, 2, 0, 0.5],
    [3, 5, 1, 0.75],
    [0, 2, 2, 0],
    [2, 4, 0, 0.5],
  ];
  it.each(table)('%i successful of %i with %i canceled → %d', (ok, total, canceled, expected) => expect(successRate(ok, total, canceled)).toBe(expected));
});

describe('throughput', () => {
  const table: [number, number, number][] = [
    [0, 86_400, 0],
    [10, 86_400, 10],
    [14, 7 * 86_400, 2],
    [5, 3600, 5],
    [90, 90 * 86_400, 1],
  ];
  it.each(table)('%i runs over %i s → %d a day', (runs, seconds, expected) => expect(throughput(runs, seconds)).toBe(expected));
});

describe('percentiles', () => {
  const table: [number[], number | null, number | null][] = [
    [[], null, null],
    [[7], 7, 7],
    [[1, 2], 2, 2],
    [[1, 2, 3], 2, 3],
    [[1, 2, 3, 4], 3, 4],
    [Array.from({ length: 20 }, (_, i) => i + 1), 11, 19],
    [Array.from({ length: 100 }, (_, i) => i + 1), 51, 95],
  ];
  it.each(table)('%j → median %s, p95 %s', (sorted, med, p95) => {
    expect(median(sorted)).toBe(med);
    expect(nearestRank(sorted, 0.95)).toBe(p95);
  });
});

describe('durationStats', () => {
  it('is null with no runs', () => expect(durationStats([])).toEqual({ min: null, mean: null, median: null, p95: null, max: null, standard_deviation: null, total: 0 }));
  it('computes min, mean, median, p95, max, population standard deviation and total', () =>
    expect(durationStats([10, 20, 30, 40])).toEqual({ min: 10, mean: 25, median: 25, p95: 40, max: 40, standard_deviation: 11.18, total: 100 }));
  it('ignores input order', () => expect(durationStats([30, 10, 20])).toMatchObject({ min: 10, median: 20, max: 30, standard_deviation: 8.16 }));
});

describe('recoveries', () => {
  const table: [string, RunSample[], { total_recoveries: number; mttr: number }][] = [
    ['no runs', [], { total_recoveries: 0, mttr: 0 }],
    ['only successes', [run('success', 0, 10), run('success', 20, 30)], { total_recoveries: 0, mttr: 0 }],
    ['a failure never recovered', [run('success', 0, 10), run('failed', 20, 30)], { total_recoveries: 0, mttr: 0 }],
    ['failed then success', [run('failed', 0, 100), run('success', 200, 400)], { total_recoveries: 1, mttr: 300 }],
    ['a streak counts from its first failure', [run('failed', 0, 100), run('error', 110, 200), run('canceled', 210, 250), run('success', 300, 700)], { total_recoveries: 1, mttr: 600 }],
    ['two recoveries', [run('failed', 0, 100), run('success', 0, 200), run('failed', 0, 300), run('success', 0, 600)], { total_recoveries: 2, mttr: 200 }],
    ['series recover separately', [run('failed', 0, 100, 'a'), run('success', 0, 150, 'b'), run('success', 0, 400, 'a')], { total_recoveries: 1, mttr: 300 }],
    ['ordered by stop time, not input order', [run('success', 0, 400), run('failed', 0, 100)], { total_recoveries: 1, mttr: 300 }],
  ];
  it.each(table)('%s', (_name, runs, expected) => expect(recoveries(runs)).toEqual(expected));
});

describe('trend', () => {
  const table: [number | null, number | null, number][] = [
    [10, 5, 2],
    [5, 10, 0.5],
    [7, 7, 1],
    [0, 4, 0],
    [3, 0, 0],
    [0, 0, 0],
    [null, 3, 0],
    [3, null, 0],
  ];
  it.each(table)('%s vs %s → %d', (cur, prev, expected) => expect(trend(cur, prev)).toBe(expected));
});

describe('runMetrics', () => {
  it('counts, rates, durations and recoveries of a window', () => {
    const m = runMetrics([run('success', 0, 60), run('failed', 100, 220), run('canceled', 300, 310), run('success', 400, 700)], 2 * 86_400);
    expect(m).toEqual({
      total_runs: 4,
      successful_runs: 2,
      failed_runs: 1,
      canceled_runs: 1,
      success_rate: 2 / 3,
      throughput: 2,
      total_recoveries: 1,
      mttr: 480,
      duration_metrics: { min: 10, mean: 123, median: 90, p95: 300, max: 300, standard_deviation: 109.63, total: 490 },
      total_credits_used: 0,
    });
  });
});

describe('time helpers', () => {
  it('secondsBetween rounds and never goes negative', () => {
    expect(secondsBetween(at(0), at(90))).toBe(90);
    expect(secondsBetween('2026-01-01T00:00:00.000Z', '2026-01-01T00:00:01.600Z')).toBe(2);
    expect(secondsBetween(at(10), at(0))).toBe(0);
  });
  it('reportingWindow gives the window and the one before it', () => {
    const now = new Date('2026-03-10T12:00:00.000Z');
    expect(reportingWindow('last-7-days', now)).toEqual({
      current: { from: '2026-03-03T12:00:00.000Z', to: '2026-03-10T12:00:00.000Z', seconds: 604_800 },
      previous: { from: '2026-02-24T12:00:00.000Z', to: '2026-03-03T12:00:00.000Z', seconds: 604_800 },
    });
    expect(reportingWindow('last-24-hours', now).current.from).toBe('2026-03-09T12:00:00.000Z');
  });
  it('bucketStart truncates to the hour or the UTC day', () => {
    expect(bucketStart('2026-03-10T12:34:56.789Z', 'hourly')).toBe('2026-03-10T12:00:00.000Z');
    expect(bucketStart('2026-03-10T12:34:56.789Z', 'daily')).toBe('2026-03-10T00:00:00.000Z');
  });
});
