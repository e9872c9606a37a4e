// Schedule timetables (CircleCI's Schedule API): validation and the times a schedule is due.
// Pure functions, UTC throughout. A timetable selects hours (`hours-of-day`) on days
// (`days-of-week` or `days-of-month`, optionally narrowed by `months`); inside each selected
// hour the schedule runs `per-hour` times, evenly spaced, starting at an offset derived from
// the schedule's id: never at the top of the hour, and the same offset every hour.
import crypto from 'node:crypto';

export const DAYS_OF_WEEK = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;
export const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] as const;

export type DayOfWeek = (typeof DAYS_OF_WEEK)[number];
export type Month = (typeof MONTHS)[number];

export interface Timetable {
  'per-hour': number;
  'hours-of-day': number[];
  'days-of-week'?: DayOfWeek[];
  'days-of-month'?: number[];
  months?: Month[];
}

const FIELDS = ['per-hour', 'hours-of-day', 'days-of-week', 'days-of-month', 'months'] as const;

export type TimetableResult = { ok: true; timetable: Timetable } | { ok: false; message: string };

function intList(value: unknown, field: string, min: number, max: number): number[] | string {
  if (!Array.isArray(value)) return `Invalid timetable field '${field}': must be an array of integers`;
  if (value.length === 0) return `Invalid timetable field '${field}': must not be empty`;
  for (const v of value) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      return `Invalid timetable field '${field}': ${JSON.stringify(v)} is not an integer between ${min} and ${max}`;
    }
  }
  return value as number[];
}

function nameList<T extends string>(value: unknown, field: string, names: readonly T[]): T[] | string {
  if (!Array.isArray(value)) return `Invalid timetable field '${field}': must be an array of ${names.join(', ')}`;
  if (value.length === 0) return `Invalid timetable field '${field}': must not be empty`;
  for (const v of value) {
    if (typeof v !== 'string' || !(names as readonly string[]).includes(v)) {
      return `Invalid timetable field '${field}': ${JSON.stringify(v)} is not one of ${names.join(', ')}`;
    }
  }
  return value as T[];
}

/**
 * Checks a timetable as given in a request. `per-hour` and `hours-of-day` are required, and
 * exactly one of `days-of-week` / `days-of-month` (the spec's two variants; it calls them
 * mutually exclusive). Every message names the field.
 */
export function validateTimetable(input: unknown): TimetableResult {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return { ok: false, message: "Invalid field 'timetable': must be an object" };
  const t = input as Record<string, unknown>;
  for (const key of Object.keys(t)) {
    if (!(FIELDS as readonly string[]).includes(key)) return { ok: false, message: `Unexpected timetable field '${key}'` };
  }
  for (const key of ['per-hour', 'hours-of-day'] as const) {
    if (t[key] === undefined) return { ok: false, message: `Missing timetable field '${key}'` };
  }
  const perHour = t['per-hour'];
  if (typeof perHour !== 'number' || !Number.isInteger(perHour) || perHour < 1 || perHour > 60) {
    return { ok: false, message: "Invalid timetable field 'per-hour': must be an integer between 1 and 60" };
  }
  const hours = intList(t['hours-of-day'], 'hours-of-day', 0, 23);
  if (typeof hours === 'string') return { ok: false, message: hours };
  const hasWeek = t['days-of-week'] !== undefined;
  const hasMonth = t['days-of-month'] !== undefined;
  if (hasWeek && hasMonth) return { ok: false, message: "Invalid timetable: 'days-of-week' and 'days-of-month' are mutually exclusive" };
  if (!hasWeek && !hasMonth) return { ok: false, message: "Missing timetable field 'days-of-week' or 'days-of-month'" };
  const timetable: Timetable = { 'per-hour': perHour, 'hours-of-day': hours };
  if (hasWeek) {
    const days = nameList(t['days-of-week'], 'days-of-week', DAYS_OF_WEEK);
    if (typeof days === 'string') return { ok: false, message: days };
    timetable['days-of-week'] = days;
  } else {
    const days = intList(t['days-of-month'], 'days-of-month', 1, 31);
    if (typeof days === 'string') return { ok: false, message: days };
    timetable['days-of-month'] = days;
  }
  if (t.months !== undefined) {
    const months = nameList(t.months, 'months', MONTHS);
    if (typeof months === 'string') return { ok: false, message: months };
    timetable.months = months;
  }
  return { ok: true, timetable };
}

/**
 * Merges a partial timetable (PATCH) over a stored one. Giving `days-of-week` drops a stored
 * `days-of-month` and vice versa, so a schedule can switch variants in one request.
 */
export function mergeTimetable(stored: Timetable, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...stored };
  if (patch['days-of-week'] !== undefined && patch['days-of-month'] === undefined) delete out['days-of-month'];
  if (patch['days-of-month'] !== undefined && patch['days-of-week'] === undefined) delete out['days-of-week'];
  return { ...out, ...patch };
}

/** Seconds between runs inside an hour. */
function spacing(perHour: number): number {
  return 3600 / perHour;
}

/**
 * The offset (seconds after the hour) of a schedule's first run in each hour: derived from
 * its id, so stable across restarts and replicas, in [1, spacing) so never on the hour.
 */
export function hourOffsetSeconds(scheduleId: string, perHour: number): number {
  const span = Math.floor(spacing(perHour)) - 1;
  const h = crypto.createHash('sha256').update(scheduleId).digest().readUInt32BE(0);
  return 1 + (h % span);
}

/** Run times (seconds after the hour) inside each selected hour. */
export function minuteSlots(scheduleId: string, perHour: number): number[] {
  const offset = hourOffsetSeconds(scheduleId, perHour);
  return Array.from({ length: perHour }, (_, k) => offset + Math.floor(k * spacing(perHour)));
}

const DAY_MS = 86_400_000;
/** Long enough to reach any satisfiable combination (29 FEB recurs within 8 years). */
const SEARCH_DAYS = 366 * 9;

function dayMatches(t: Timetable, day: Date): boolean {
  if (t.months && !t.months.includes(MONTHS[day.getUTCMonth()]!)) return false;
  if (t['days-of-week']) return t['days-of-week'].includes(DAYS_OF_WEEK[day.getUTCDay()]!);
  if (t['days-of-month']) return t['days-of-month'].includes(day.getUTCDate());
  return false;
}

/**
 * The next `count` times (strictly after `after`, in order) a schedule with this timetable
 * is due. Fewer when the timetable can never match again (e.g. 31 FEB).
 */
export function nextRuns(t: Timetable, after: Date, scheduleId: string, count = 1): Date[] {
  const out: Date[] = [];
  const hours = [...new Set(t['hours-of-day'])].sort((a, b) => a - b);
  const slots = minuteSlots(scheduleId, t['per-hour']);
  const start = Date.UTC(after.getUTCFullYear(), after.getUTCMonth(), after.getUTCDate());
  for (let d = 0; d < SEARCH_DAYS && out.length < count; d++) {
    const dayStart = start + d * DAY_MS;
    if (!dayMatches(t, new Date(dayStart))) continue;
    for (const hour of hours) {
      for (const s of slots) {
        const at = dayStart + hour * 3_600_000 + s * 1000;
        if (at > after.getTime()) {
          out.push(new Date(at));
          if (out.length >= count) return out;
        }
      }
    }
  }
  return out;
}

/** The first time strictly after `after` the schedule is due, or null if never. */
export function nextRun(t: Timetable, after: Date, scheduleId: string): Date | null {
  return nextRuns(t, after, scheduleId, 1)[0] ?? null;
}
