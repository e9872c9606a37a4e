// The schedule form's pure parts: reading the hours field and describing a timetable.

export interface Timetable {
  'per-hour': number;
  'hours-of-day': number[];
  'days-of-week'?: string[];
}

export const DAYS = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'] as const;

/** "2×/hour at 9, 17 UTC on MON, FRI" */
export function describeTimetable(t: Timetable): string {
  const hours = t['hours-of-day'].length === 24 ? 'every hour' : `at ${t['hours-of-day'].join(', ')} UTC`;
  const days = !t['days-of-week'] || t['days-of-week'].length === 7 ? 'every day' : `on ${t['days-of-week'].join(', ')}`;
  return `${t['per-hour']}×/hour ${hours} ${days}`;
}

/** "9, 17" or "9-17" → [9, 17] / [9 … 17]; empty → every hour. Throws on anything else. */
export function parseHours(text: string): number[] {
  const s = text.trim();
  if (!s) return Array.from({ length: 24 }, (_, i) => i);
  const out = new Set<number>();
  for (const part of s.split(/\s*,\s*/)) {
    const m = /^(\d{1,2})(?:\s*-\s*(\d{1,2}))?$/.exec(part);
    const from = m ? Number(m[1]) : NaN;
    const to = m?.[2] !== undefined ? Number(m[2]) : from;
    if (!m || from > 23 || to > 23 || to < from) throw new Error(`Hours: '${part}' is not an hour (0-23) or a range of hours`);
    for (let h = from; h <= to; h++) out.add(h);
  }
  return [...out].sort((a, b) => a - b);
}
