// Group quotas: which period an instant falls in (in the site's time zone), and how much a
// quota adds. A period is identified by a key ("2026-11-20" daily, "2026-W47" weekly with
// ISO weeks starting Monday, "2026-11" monthly); storage records (group, user, key) once so
// a period is credited exactly once. The credit is the quota amount, capped so that the
// balance does not rise above the maximum accumulation (never negative). Pure, no I/O.

import type { Minor } from '../../shared/money.ts';
import type { QuotaPeriod } from './types.ts';

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Calendar date (year, month 1-12, day) of an instant in a time zone. */
export function localDate(ms: number, timeZone: string): { year: number; month: number; day: number } {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, f);
  }
  const parts = f.formatToParts(new Date(ms));
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return { year: get('year'), month: get('month'), day: get('day') };
}

/** Time zone names already found valid (a valid name stays valid; the check is costly). */
const validZones = new Set<string>();

/** Whether a time zone name is valid for Intl. */
export function isValidTimeZone(tz: string): boolean {
  if (validZones.has(tz)) return true;
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    if (validZones.size < 1_000) validZones.add(tz);
    return true;
  } catch {
    return false;
  }
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** ISO-8601 week (year, week) of a calendar date. */
export function isoWeek(year: number, month: number, day: number): { year: number; week: number } {
  const date = new Date(Date.UTC(year, month - 1, day));
  const dow = date.getUTCDay() || 7;             // Monday 1 .. Sunday 7
  date.setUTCDate(date.getUTCDate() + 4 - dow);  // the Thursday of this week decides the year
  const yearStart = Date.UTC(date.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((date.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return { year: date.getUTCFullYear(), week };
}

export function periodKey(period: QuotaPeriod, ms: number, timeZone: string): string {
  const { year, month, day } = localDate(ms, timeZone);
  switch (period) {
    case 'daily': return `${year}-${pad(month)}-${pad(day)}`;
    case 'monthly': return `${year}-${pad(month)}`;
    case 'weekly': {
      const w = isoWeek(year, month, day);
      return `${w.year}-W${pad(w.week)}`;
    }
  }
}

/** Amount a quota adds to a balance: capped at max accumulation, never negative. */
export function quotaCredit(amountMinor: Minor, maxAccumulationMinor: Minor, balanceMinor: Minor): Minor {
  if (amountMinor <= 0) return 0;
  const room = maxAccumulationMinor - balanceMinor;
  return Math.max(0, Math.min(amountMinor, room));
}
