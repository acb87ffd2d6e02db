// Calendar days and weeks in the site's time zone (the `timezone` setting, an IANA name),
// as UTC instants, so the dashboard can query by plain `created_at` ranges on any engine.
// A local day starts at the first instant whose local date is that day: usually local
// midnight, 01:00 where a daylight-saving change skips midnight; days may last 23 or 25
// hours. Found by binary search over Intl's calendar date (monotone in time), exact to the
// millisecond and free of any offset arithmetic. Pure, no I/O.

import { localDate } from '../domain/quota.ts';

const DAY = 86_400_000;

/** A calendar date as a number, e.g. 20261118. */
function dateNumber(d: { year: number; month: number; day: number }): number {
  return d.year * 10_000 + d.month * 100 + d.day;
}

/** The calendar date `offset` days after (year, month, day), proleptic Gregorian. */
export function addDays(date: { year: number; month: number; day: number }, offset: number): { year: number; month: number; day: number } {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + offset));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** The first instant (epoch ms) whose calendar date in `timeZone` is the given date. */
export function dayStart(date: { year: number; month: number; day: number }, timeZone: string): number {
  const target = dateNumber(date);
  // Every zone's offset is within ±26 hours, so the start lies in this window.
  let lo = Date.UTC(date.year, date.month - 1, date.day) - 2 * DAY; // before the day
  let hi = lo + 4 * DAY; // in the day or after it
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (dateNumber(localDate(mid, timeZone)) >= target) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** Start of the local day `offset` days after the one containing `ms` (default that day). */
export function startOfLocalDay(ms: number, timeZone: string, offset = 0): number {
  return dayStart(addDays(localDate(ms, timeZone), offset), timeZone);
}

/** Start of the local week (Monday) containing `ms`. */
export function startOfLocalWeek(ms: number, timeZone: string): number {
  const today = localDate(ms, timeZone);
  const dow = new Date(Date.UTC(today.year, today.month - 1, today.day)).getUTCDay(); // Sunday 0
  return dayStart(addDays(today, -((dow + 6) % 7)), timeZone);
}

/**
 * The last `count` local days up to the one containing `ms`, oldest first: each with its
 * date (YYYY-MM-DD) and its UTC range [start, end).
 */
export function lastLocalDays(ms: number, count: number, timeZone: string): Array<{ day: string; start: number; end: number }> {
  const today = localDate(ms, timeZone);
  const dates = Array.from({ length: count + 1 }, (_, i) => addDays(today, i - count + 1));
  const starts = dates.map((d) => dayStart(d, timeZone));
  return dates.slice(0, count).map((d, i) => ({
    day: `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`,
    start: starts[i]!,
    end: starts[i + 1]!,
  }));
}
