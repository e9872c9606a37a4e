import { describe, expect, it } from 'vitest';
import { hourOffsetSeconds, mergeTimetable, minuteSlots, nextRun, nextRuns, validateTimetable, type Timetable } from '../../src/domain/timetable.ts';

const ID = '6f1c1f0e-2b7a-4c3e-9a51-0d2f4b8e7c11';
const base = { 'per-hour': 1, 'hours-of-day': [3], 'days-of-week': ['MON'] };

describe('validateTimetable', () => {
  const bad: [string, unknown, RegExp][] = [
    ['not an object', 'daily', /'timetable'/],
    ['missing per-hour', { 'hours-of-day': [1], 'days-of-week': ['MON'] }, /Missing timetable field 'per-hour'/],
    ['missing hours-of-day', { 'per-hour': 1, 'days-of-week': ['MON'] }, /Missing timetable field 'hours-of-day'/],
    ['per-hour 0', { ...base, 'per-hour': 0 }, /'per-hour'.*between 1 and 60/],
    ['per-hour 61', { ...base, 'per-hour': 61 }, /'per-hour'/],
    ['per-hour fractional', { ...base, 'per-hour': 1.5 }, /'per-hour'/],
    ['per-hour string', { ...base, 'per-hour': '2' }, /'per-hour'/],
    ['hour 24', { ...base, 'hours-of-day': [24] }, /'hours-of-day'.*24.*between 0 and 23/],
    ['hour -1', { ...base, 'hours-of-day': [-1] }, /'hours-of-day'/],
    ['hours empty', { ...base, 'hours-of-day': [] }, /'hours-of-day'.*empty/],
    ['hours not array', { ...base, 'hours-of-day': 3 }, /'hours-of-day'/],
    ['bad weekday', { ...base, 'days-of-week': ['MON', 'Monday'] }, /'days-of-week'.*"Monday"/],
    ['lower-case weekday', { ...base, 'days-of-week': ['mon'] }, /'days-of-week'/],
    ['day of month 0', { 'per-hour': 1, 'hours-of-day': [1], 'days-of-month': [0] }, /'days-of-month'.*between 1 and 31/],
    ['day of month 32', { 'per-hour': 1, 'hours-of-day': [1], 'days-of-month': [32] }, /'days-of-month'/],
    ['no days', { 'per-hour': 1, 'hours-of-day': [1] }, /'days-of-week' or 'days-of-month'/],
    ['both day kinds', { ...base, 'days-of-month': [1] }, /mutually exclusive/],
    ['bad month', { ...base, months: ['JANUARY'] }, /'months'/],
    ['empty months', { ...base, months: [] }, /'months'.*empty/],
    ['unknown field', { ...base, per_hour: 1 }, /Unexpected timetable field 'per_hour'/],
  ];
  for (const [name, input, message] of bad) {
    it(`rejects ${name}`, () => {
      const r = validateTimetable(input);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.message).toMatch(message);
    });
  }

  const good: [string, unknown][] = [
    ['days-of-week variant', { 'per-hour': 3, 'hours-of-day': [1, 15], 'days-of-week': ['MON', 'WED'] }],
    ['days-of-month variant', { 'per-hour': 60, 'hours-of-day': [0, 23], 'days-of-month': [1, 31] }],
    ['with months', { 'per-hour': 1, 'hours-of-day': [12], 'days-of-week': ['SUN'], months: ['JAN', 'DEC'] }],
  ];
  for (const [name, input] of good) {
    it(`accepts the ${name}`, () => {
      expect(validateTimetable(input)).toEqual({ ok: true, timetable: input });
    });
  }
});

describe('mergeTimetable', () => {
  it('switching the day variant drops the other one', () => {
    const stored: Timetable = { 'per-hour': 1, 'hours-of-day': [1], 'days-of-week': ['MON'] };
    expect(mergeTimetable(stored, { 'days-of-month': [5] })).toEqual({ 'per-hour': 1, 'hours-of-day': [1], 'days-of-month': [5] });
    expect(mergeTimetable(stored, { 'per-hour': 4 })).toEqual({ ...stored, 'per-hour': 4 });
  });
});

describe('run slots', () => {
  it('the offset is stable, never on the hour, and inside the first slot', () => {
    for (const n of [1, 2, 3, 7, 12, 30, 60]) {
      const offset = hourOffsetSeconds(ID, n);
      expect(offset).toBe(hourOffsetSeconds(ID, n));
      expect(offset).toBeGreaterThan(0);
      expect(offset).toBeLessThan(3600 / n);
      const slots = minuteSlots(ID, n);
      expect(slots).toHaveLength(n);
      expect(slots[0]).toBe(offset);
      expect(slots.every((s, i) => i === 0 || s > slots[i - 1]!)).toBe(true);
      expect(slots[n - 1]!).toBeLessThan(3600);
    }
  });
  it('different schedules get different offsets (spread load)', () => {
    const offsets = new Set(Array.from({ length: 20 }, (_, i) => hourOffsetSeconds(`schedule-${i}`, 1)));
    expect(offsets.size).toBeGreaterThan(10);
  });
});

describe('nextRuns', () => {
  const offset = hourOffsetSeconds(ID, 1);
  const at = (iso: string, seconds = offset) => new Date(Date.parse(iso) + seconds * 1000).toISOString();

  it('per-hour 1 on selected weekdays and hours (UTC)', () => {
    // 2026-11-02 is a Monday.
    const t: Timetable = { 'per-hour': 1, 'hours-of-day': [15, 1], 'days-of-week': ['MON', 'WED'] };
    const runs = nextRuns(t, new Date('2026-11-01T00:00:00Z'), ID, 5).map((d) => d.toISOString());
    expect(runs).toEqual([
      at('2026-11-02T01:00:00Z'),
      at('2026-11-02T15:00:00Z'),
      at('2026-11-04T01:00:00Z'),
      at('2026-11-04T15:00:00Z'),
      at('2026-11-09T01:00:00Z'),
    ]);
  });

  it('per-hour N spreads N runs evenly inside the hour, same offset every hour', () => {
    const t: Timetable = { 'per-hour': 4, 'hours-of-day': [10, 11], 'days-of-month': [5] };
    const o = hourOffsetSeconds(ID, 4);
    const runs = nextRuns(t, new Date('2026-11-05T00:00:00Z'), ID, 8).map((d) => d.toISOString());
    const expected = [10, 11].flatMap((h) => [0, 900, 1800, 2700].map((s) => at(`2026-11-05T${h}:00:00Z`, o + s)));
    expect(runs).toEqual(expected);
  });

  it('is strictly after the given time', () => {
    const t: Timetable = { 'per-hour': 1, 'hours-of-day': [3], 'days-of-week': ['MON'] };
    const first = nextRun(t, new Date('2026-11-02T00:00:00Z'), ID)!;
    expect(first.toISOString()).toBe(at('2026-11-02T03:00:00Z'));
    expect(nextRun(t, first, ID)!.toISOString()).toBe(at('2026-11-09T03:00:00Z'));
    expect(nextRun(t, new Date(first.getTime() - 1), ID)!.toISOString()).toBe(first.toISOString());
  });

  it('months narrow the days; days-of-month skips months without that day', () => {
    const t: Timetable = { 'per-hour': 1, 'hours-of-day': [0], 'days-of-month': [31], months: ['FEB', 'MAR'] };
    expect(nextRun(t, new Date('2026-01-15T00:00:00Z'), ID)!.toISOString()).toBe(at('2026-03-31T00:00:00Z'));
    const leap: Timetable = { 'per-hour': 1, 'hours-of-day': [0], 'days-of-month': [29], months: ['FEB'] };
    expect(nextRun(leap, new Date('2026-03-01T00:00:00Z'), ID)!.toISOString()).toBe(at('2028-02-29T00:00:00Z'));
  });

  it('a timetable that can never match has no next run', () => {
    const t: Timetable = { 'per-hour': 1, 'hours-of-day': [0], 'days-of-month': [30], months: ['FEB'] };
    expect(nextRun(t, new Date('2026-01-01T00:00:00Z'), ID)).toBeNull();
  });

  it('crosses year boundaries', () => {
    const t: Timetable = { 'per-hour': 1, 'hours-of-day': [23], 'days-of-month': [1], months: ['JAN'] };
    expect(nextRun(t, new Date('2026-01-02T00:00:00Z'), ID)!.toISOString()).toBe(at('2027-01-01T23:00:00Z'));
  });
});
