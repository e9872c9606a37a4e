// The dashboard's page logic: URLs to pages, the workflow graph layout, the log model and
// its on-screen window, test ordering, parameters, insights points, times.
import { describe, expect, it } from 'vitest';
import { duration, relativeTime } from '../../web/src/lib/format.ts';
import { layoutGraph } from '../../web/src/lib/graph.ts';
import { byDay, percentile, windowRange } from '../../web/src/lib/insights.ts';
import { LogLines, visibleRange } from '../../web/src/lib/log-lines.ts';
import { parseParameters } from '../../web/src/lib/parameters.ts';
import { links, matchRoute, safeNext } from '../../web/src/lib/router.ts';
import { describeTimetable, parseHours } from '../../web/src/lib/schedule.ts';
import { orderTests } from '../../web/src/lib/tests.ts';

describe('routes', () => {
  it('opens the paths the API puts in web_url', () => {
    expect(matchRoute('/pipelines/gh/acme/app')).toEqual({ name: 'pipelines', slug: 'gh/acme/app' });
    expect(matchRoute('/pipelines/gh/acme/app', '?branch=dev')).toEqual({ name: 'pipelines', slug: 'gh/acme/app', branch: 'dev' });
    expect(matchRoute('/pipelines/gh/acme/app/7/')).toEqual({ name: 'pipeline', slug: 'gh/acme/app', number: 7 });
    expect(matchRoute('/pipelines/gh/acme/app/7/workflows/w-1')).toEqual({ name: 'workflow', slug: 'gh/acme/app', number: 7, workflowId: 'w-1' });
    expect(matchRoute('/pipelines/gh/acme/app/7/workflows/w-1/jobs/12')).toEqual({ name: 'job', slug: 'gh/acme/app', number: 7, workflowId: 'w-1', jobNumber: 12 });
    expect(matchRoute('/')).toEqual({ name: 'projects' });
    expect(matchRoute('/settings/project/gh/acme/app')).toEqual({ name: 'settings', slug: 'gh/acme/app' });
    expect(matchRoute('/settings/user/tokens')).toEqual({ name: 'tokens' });
    expect(matchRoute('/organization/gh/acme/contexts')).toEqual({ name: 'contexts', org: 'gh/acme' });
    expect(matchRoute('/insights/gh/acme/app')).toEqual({ name: 'insights', slug: 'gh/acme/app' });
    expect(matchRoute('/pipelines/gh/acme')).toEqual({ name: 'not-found', path: '/pipelines/gh/acme' });
  });

  it('round-trips every link', () => {
    expect(matchRoute(links.job('gh/a/b', 3, 'w', 4)).name).toBe('job');
    expect(matchRoute(links.settings('gh/a/b')).name).toBe('settings');
    expect(matchRoute(links.insights('gh/a/b')).name).toBe('insights');
    expect(matchRoute(links.contexts('gh/a'))).toEqual({ name: 'contexts', org: 'gh/a' });
  });

  it('returns after sign-in only to a path on this site', () => {
    expect(matchRoute('/sign-in', '?next=%2Fpipelines%2Fgh%2Fa%2Fb')).toEqual({ name: 'sign-in', next: '/pipelines/gh/a/b' });
    expect(safeNext('//evil.example/x')).toBe('/');
    expect(safeNext('https://evil.example')).toBe('/');
    expect(safeNext('/sign-in?next=/x')).toBe('/');
    expect(safeNext(null)).toBe('/');
  });
});

describe('workflow graph layout', () => {
  it('puts each job one column after its longest requirement, rows by parent', () => {
    const jobs = [
      { id: 'build', dependencies: [] },
      { id: 'lint', dependencies: [] },
      { id: 'test', dependencies: ['build'] },
      { id: 'hold', dependencies: ['test', 'lint'] },
      { id: 'deploy', dependencies: ['hold', 'build'] },
      { id: 'docs', dependencies: ['lint'] },
    ];
    const l = layoutGraph(jobs);
    const at = Object.fromEntries(l.nodes.map((n) => [n.job.id, [n.col, n.row]]));
    expect(at).toEqual({ build: [0, 0], lint: [0, 1], test: [1, 0], docs: [1, 1], hold: [2, 0], deploy: [3, 0] });
    expect(l.cols).toBe(4);
    expect(l.rows).toBe(2);
    expect(l.edges).toContainEqual({ from: 'hold', to: 'deploy' });
    expect(l.edges).toHaveLength(6);
  });

  it('ignores requirements outside the workflow and survives a cycle', () => {
    const l = layoutGraph([
      { id: 'a', dependencies: ['gone'] },
      { id: 'b', dependencies: ['c'] },
      { id: 'c', dependencies: ['b'] },
    ]);
    expect(l.nodes.find((n) => n.job.id === 'a')!.col).toBe(0);
    expect(l.nodes).toHaveLength(3);
  });
});

describe('log lines', () => {
  it('joins chunks into lines, keeps the open line, applies carriage returns', () => {
    const log = new LogLines();
    log.append('one\ntw');
    expect(log.all()).toEqual(['one', 'tw']);
    log.append('o\r\n10%\r50%\r100%\nlast');
    expect(log.lines).toEqual(['one', 'two', '100%']);
    expect(log.all()).toEqual(['one', 'two', '100%', 'last']);
    expect(log.count).toBe(4);
  });

  it('renders only the lines on screen, for a log of any size', () => {
    expect(visibleRange(0, 480, 18, 100_000, 10)).toEqual([0, 37]);
    expect(visibleRange(18 * 50_000, 480, 18, 100_000, 10)).toEqual([49_990, 50_037]);
    expect(visibleRange(10_000_000, 480, 18, 100, 10)).toEqual([100, 100]);
    const big = new LogLines();
    for (let i = 0; i < 200_000; i++) big.append(`line ${i}\n`);
    expect(big.count).toBe(200_000);
  });
});

describe('tests, parameters, insights, times', () => {
  it('lists failures first', () => {
    const t = [
      { name: 'b', classname: 'A', result: 'success' },
      { name: 'z', classname: 'A', result: 'skipped' },
      { name: 'a', classname: 'B', result: 'failure' },
      { name: 'c', classname: 'A', result: 'error' },
    ];
    expect(orderTests(t).map((x) => x.name)).toEqual(['c', 'a', 'b', 'z']);
  });

  it('reads name=value parameters with their types', () => {
    expect(parseParameters('deploy=true\ncount = 3\nenv=prod=eu\n\n# note')).toEqual({ ok: true, value: { deploy: true, count: 3, env: 'prod=eu' } });
    expect(parseParameters('novalue')).toEqual({ ok: false, error: 'Line 1: write name=value' });
  });

  it('groups runs by day into p50, p95, success rate and runs', () => {
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10);
    const days = byDay([
      { created_at: '2026-01-01T10:00:00Z', duration: 10, status: 'success' },
      { created_at: '2026-01-01T11:00:00Z', duration: 30, status: 'failed' },
      { created_at: '2026-01-01T12:00:00Z', duration: 20, status: 'canceled' },
      { created_at: '2026-01-03T00:00:00Z', duration: 5, status: 'success' },
    ]);
    expect(days).toEqual([
      { t: Date.parse('2026-01-01T00:00:00Z') / 1000, p50: 20, p95: 30, successRate: 0.5, runs: 3 },
      { t: Date.parse('2026-01-03T00:00:00Z') / 1000, p50: 5, p95: 5, successRate: 1, runs: 1 },
    ]);
  });

  it('says durations and ages as people do', () => {
    expect(duration(450)).toBe('450ms');
    expect(duration(65_000)).toBe('1m 5s');
    expect(duration(3_700_000)).toBe('1h 1m');
    expect(duration(null)).toBe('');
    const now = Date.parse('2026-01-01T12:00:00Z');
    expect(relativeTime('2026-01-01T11:59:58Z', now)).toBe('just now');
    expect(relativeTime('2026-01-01T11:00:00Z', now)).toBe('1h ago');
    expect(relativeTime('2025-12-29T12:00:00Z', now)).toBe('3d ago');
  });
});

describe('schedule form', () => {
  it('reads hours as lists and ranges, empty as every hour, and refuses what is not an hour', () => {
    expect(parseHours('')).toHaveLength(24);
    expect(parseHours('17, 9')).toEqual([9, 17]);
    expect(parseHours('9-11, 10, 23')).toEqual([9, 10, 11, 23]);
    expect(() => parseHours('24')).toThrow("Hours: '24' is not an hour (0-23) or a range of hours");
    expect(() => parseHours('5-3')).toThrow(/'5-3'/);
    expect(() => parseHours('noon')).toThrow(/'noon'/);
  });
  it('describes a timetable', () => {
    expect(describeTimetable({ 'per-hour': 2, 'hours-of-day': [9, 17], 'days-of-week': ['MON', 'FRI'] })).toBe('2×/hour at 9, 17 UTC on MON, FRI');
    expect(describeTimetable({ 'per-hour': 1, 'hours-of-day': parseHours(''), 'days-of-week': ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'] })).toBe('1×/hour every hour every day');
  });
});

describe('insights window', () => {
  it('spans exactly the reporting window, in whole seconds, ending now', () => {
    const now = Date.parse('2026-12-02T06:45:30.250Z');
    expect(windowRange('last-24-hours', now)).toEqual({ start: '2026-12-01T06:45:30Z', end: '2026-12-02T06:45:30Z' });
    expect(windowRange('last-7-days', now).start).toBe('2026-11-25T06:45:30Z');
    const r = windowRange('last-90-days', now);
    expect(Date.parse(r.end) - Date.parse(r.start)).toBe(90 * 86400_000);
    expect(windowRange('no-such-window', now)).toEqual(r);
  });
});
