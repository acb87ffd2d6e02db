// Local days and weeks for the dashboard: a day starts at the first instant of its date in
// the zone (midnight, or 01:00 when a daylight-saving change skips midnight), days last 23
// or 25 hours across the changes, weeks start on Monday, and zones far from UTC put an
// instant near midnight on another date than UTC does.

import t from 'tap';
import { addDays, dayStart, lastLocalDays, startOfLocalDay, startOfLocalWeek } from '../../../server/web/local-days.ts';

const iso = (ms: number) => new Date(ms).toISOString();

t.test('day starts', async (t) => {
  t.equal(iso(dayStart({ year: 2026, month: 11, day: 18 }, 'UTC')), '2026-11-18T00:00:00.000Z');
  t.equal(iso(dayStart({ year: 2026, month: 11, day: 18 }, 'Europe/Berlin')), '2026-11-17T23:00:00.000Z', 'CET');
  t.equal(iso(dayStart({ year: 2026, month: 7, day: 1 }, 'Europe/Berlin')), '2026-06-30T22:00:00.000Z', 'CEST');
  t.equal(iso(dayStart({ year: 2026, month: 11, day: 19 }, 'Pacific/Kiritimati')), '2026-11-18T10:00:00.000Z', 'UTC+14');
  t.equal(iso(dayStart({ year: 2026, month: 11, day: 17 }, 'Pacific/Pago_Pago')), '2026-11-17T11:00:00.000Z', 'UTC-11');
  t.equal(iso(dayStart({ year: 2026, month: 11, day: 18 }, 'Asia/Kolkata')), '2026-11-17T18:30:00.000Z', 'half-hour offset');
  // 2026-03-29 in Berlin has 23 hours, 2026-10-25 has 25.
  const b = (m: number, d: number) => dayStart({ year: 2026, month: m, day: d }, 'Europe/Berlin');
  t.equal(b(3, 30) - b(3, 29), 23 * 3600_000);
  t.equal(b(10, 26) - b(10, 25), 25 * 3600_000);
  // Chile moves its clocks at midnight: 2026-09-06 starts at 01:00 -03.
  t.equal(iso(dayStart({ year: 2026, month: 9, day: 6 }, 'America/Santiago')), '2026-09-06T04:00:00.000Z');
  // Samoa skipped 2011-12-30: its "start" is the start of the 31st.
  t.equal(dayStart({ year: 2011, month: 12, day: 30 }, 'Pacific/Apia'), dayStart({ year: 2011, month: 12, day: 31 }, 'Pacific/Apia'));
  t.same(addDays({ year: 2026, month: 3, day: 1 }, -1), { year: 2026, month: 2, day: 28 });
});

t.test('around midnight far from UTC', async (t) => {
  const justBefore = Date.parse('2026-11-18T09:59:59.999Z'); // 23:59:59.999 on the 18th in Kiritimati
  const midnight = Date.parse('2026-11-18T10:00:00.000Z'); // 00:00 on the 19th there
  t.equal(iso(startOfLocalDay(justBefore, 'Pacific/Kiritimati')), '2026-11-17T10:00:00.000Z');
  t.equal(iso(startOfLocalDay(midnight, 'Pacific/Kiritimati')), '2026-11-18T10:00:00.000Z');
  t.equal(iso(startOfLocalDay(midnight, 'UTC')), '2026-11-18T00:00:00.000Z');
  t.equal(iso(startOfLocalDay(midnight, 'Pacific/Kiritimati', -29)), '2026-10-20T10:00:00.000Z');
  // Sunday 2026-11-15 10:30 UTC is Monday 00:30 in Kiritimati: a new week there, not in UTC.
  const sunday = Date.parse('2026-11-15T10:30:00Z');
  t.equal(iso(startOfLocalWeek(sunday, 'UTC')), '2026-11-09T00:00:00.000Z');
  t.equal(iso(startOfLocalWeek(sunday, 'Pacific/Kiritimati')), '2026-11-15T10:00:00.000Z');
  t.equal(iso(startOfLocalWeek(Date.parse('2026-11-18T10:00:00Z'), 'UTC')), '2026-11-16T00:00:00.000Z', 'weeks start on Monday');
  t.equal(iso(startOfLocalWeek(Date.parse('2026-11-22T23:59:59Z'), 'UTC')), '2026-11-16T00:00:00.000Z', 'Sunday is the end');
  const days = lastLocalDays(midnight, 3, 'Pacific/Pago_Pago');
  t.same(days.map((d) => d.day), ['2026-11-15', '2026-11-16', '2026-11-17'], 'still the 17th in Pago Pago');
  t.same(days.map((d) => iso(d.start)), ['2026-11-15T11:00:00.000Z', '2026-11-16T11:00:00.000Z', '2026-11-17T11:00:00.000Z']);
  t.equal(iso(days.at(-1)!.end), '2026-11-18T11:00:00.000Z');
});
