// The admin dashboard's figures, aggregated in SQL over printed jobs, and the chart of
// pages per day drawn as inline SVG. Days and weeks are those of the `timezone` setting
// (IANA zone; the week starts on Monday): their boundaries are computed here in JS
// (local-days.ts) and the SQL only compares `created_at` with UTC instants, so it is the
// same on SQLite and PostgreSQL, with no engine time-zone functions.
// Environmental impact uses PaperCut's published constants: 8,333 sheets per tree and
// 12.7 g CO2 per sheet.

import type { Storage } from '../storage/port.ts';
import { html, type Html } from './html.ts';
import { lastLocalDays, startOfLocalDay, startOfLocalWeek } from './local-days.ts';

export const SHEETS_PER_TREE = 8333;
export const CO2_GRAMS_PER_SHEET = 12.7;

export interface Totals {
  jobs: number;
  pages: number;
  colorPages: number;
  sheets: number;
  costMinor: number;
}
export interface Ranked {
  name: string;
  pages: number;
  costMinor: number;
}
export interface Dashboard {
  /** The zone the days and weeks are in. */
  timeZone: string;
  today: Totals;
  week: Totals;
  last30: Totals;
  topUsers: Ranked[];
  topPrinters: Ranked[];
  /** The last `days` local days, oldest first. */
  perDay: Array<{ day: string; pages: number; colorPages: number }>;
  heldNow: number;
}

export function environment(sheets: number): { trees: number; co2Kg: number } {
  return { trees: sheets / SHEETS_PER_TREE, co2Kg: (sheets * CO2_GRAMS_PER_SHEET) / 1000 };
}

const PRINTED = "j.status = 'printed'";

async function totals(db: Storage, from: number): Promise<Totals> {
  const r = await db.get(`SELECT COUNT(*) AS jobs, COALESCE(SUM(j.impressions), 0) AS pages, COALESCE(SUM(j.color_impressions), 0) AS color,
      COALESCE(SUM(j.sheets), 0) AS sheets, COALESCE(SUM(j.cost - j.refunded), 0) AS cost FROM jobs j WHERE ${PRINTED} AND j.created_at >= ?`, [from]);
  return { jobs: Number(r?.jobs ?? 0), pages: Number(r?.pages ?? 0), colorPages: Number(r?.color ?? 0), sheets: Number(r?.sheets ?? 0), costMinor: Number(r?.cost ?? 0) };
}

export async function dashboard(db: Storage, now: number, timeZone = 'UTC', days = 14): Promise<Dashboard> {
  const week = startOfLocalWeek(now, timeZone);
  const today = startOfLocalDay(now, timeZone);
  const last30 = startOfLocalDay(now, timeZone, -29);
  const chartDays = lastLocalDays(now, days, timeZone);
  const rank = (sql: string) => db.all(sql, [week]).then((rows) => rows.map((r) => ({ name: String(r.name), pages: Number(r.pages), costMinor: Number(r.cost) })));
  // Each job falls in the chart day whose range holds it: a CASE over the days' starts.
  const bucket = `CASE ${chartDays.slice(1).map((_, i) => `WHEN j.created_at < ? THEN ${i}`).join(' ')} ELSE ${days - 1} END`;
  const [todayTotals, thisWeek, last30Totals, topUsers, topPrinters, perDayRows, held] = await Promise.all([
    totals(db, today), totals(db, week), totals(db, last30),
    rank(`SELECT j.user_name AS name, SUM(j.impressions) AS pages, SUM(j.cost - j.refunded) AS cost FROM jobs j
          WHERE ${PRINTED} AND j.created_at >= ? GROUP BY j.user_name ORDER BY pages DESC, name LIMIT 5`),
    rank(`SELECT a.name || '/' || p.queue AS name, SUM(j.impressions) AS pages, SUM(j.cost - j.refunded) AS cost
          FROM jobs j JOIN printers p ON p.id = j.printer_id JOIN agents a ON a.id = p.agent_id
          WHERE ${PRINTED} AND j.created_at >= ? GROUP BY a.name, p.queue ORDER BY pages DESC, name LIMIT 5`),
    db.all(`SELECT d, SUM(pages) AS pages, SUM(color) AS color FROM (
              SELECT ${bucket} AS d, j.impressions AS pages, j.color_impressions AS color FROM jobs j
              WHERE ${PRINTED} AND j.created_at >= ? AND j.created_at < ?) x GROUP BY d`,
      [...chartDays.slice(1).map((d) => d.start), chartDays[0]!.start, chartDays.at(-1)!.end]),
    db.get("SELECT COUNT(*) AS n FROM jobs WHERE status = 'held'"),
  ]);
  const byDay = new Map(perDayRows.map((r) => [Number(r.d), r]));
  const perDay = chartDays.map((d, i) => {
    const r = byDay.get(i);
    return { day: d.day, pages: Number(r?.pages ?? 0), colorPages: Number(r?.color ?? 0) };
  });
  return { timeZone, today: todayTotals, week: thisWeek, last30: last30Totals, topUsers, topPrinters, perDay, heldNow: Number(held?.n ?? 0) };
}

/** Bars of pages per day (colour part darker), with a text alternative. */
export function pagesChart(perDay: Dashboard['perDay']): Html {
  const W = 640;
  const H = 220;
  const top = 16;
  const bottom = 40;
  const left = 40;
  const max = Math.max(1, ...perDay.map((d) => d.pages));
  const step = (W - left - 8) / perDay.length;
  const scale = (H - top - bottom) / max;
  const summary = perDay.map((d) => `${d.day}: ${d.pages}`).join(', ');
  const bars = perDay.map((d, i) => {
    const x = left + i * step + 2;
    const h = d.pages * scale;
    const ch = d.colorPages * scale;
    return html`<g><title>${d.day}: ${d.pages} pages (${d.colorPages} colour)</title>
      <rect class="bar" x="${x.toFixed(1)}" y="${(H - bottom - h).toFixed(1)}" width="${(step - 4).toFixed(1)}" height="${h.toFixed(1)}"></rect>
      <rect fill="#c2410c" x="${x.toFixed(1)}" y="${(H - bottom - ch).toFixed(1)}" width="${(step - 4).toFixed(1)}" height="${ch.toFixed(1)}"></rect>
      ${i % 2 === 0 ? html`<text x="${(x + (step - 4) / 2).toFixed(1)}" y="${H - bottom + 14}" text-anchor="middle">${d.day.slice(5)}</text>` : ''}</g>`;
  });
  return html`<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="Pages per day: ${summary}">
    <line x1="${left}" y1="${H - bottom}" x2="${W - 8}" y2="${H - bottom}" stroke="#555"></line>
    <text x="${left - 6}" y="${top + 4}" text-anchor="end">${max}</text><text x="${left - 6}" y="${H - bottom}" text-anchor="end">0</text>
    ${bars}
    <rect class="bar" x="${left}" y="${H - 14}" width="10" height="10"></rect><text x="${left + 14}" y="${H - 5}">pages</text>
    <rect fill="#c2410c" x="${left + 70}" y="${H - 14}" width="10" height="10"></rect><text x="${left + 84}" y="${H - 5}">colour pages</text></svg>`;
}
