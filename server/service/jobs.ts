// The job log: mapping rows to Job objects and the filtered, keyset-paged query, newest
// first by (created_at, id) (an offline replay takes its place at the time it printed).
// Indexes (user_id, created_at, id), (printer_id, created_at, id) and (created_at, id)
// keep a user's or a printer's latest jobs one index range scan away at millions of rows.

import { PrintgateError } from '../../shared/errors.ts';
import { JOB_STATUSES, type Decision, type HoldKind, type JobStatus } from '../domain/types.ts';
import { findUserRow } from './accounts.ts';
import type { Core } from './core.ts';
import { resolvePrinter } from './printers.ts';
import type { Queryable } from '../storage/port.ts';
import type { Job, JobFilter, Page } from './types.ts';
import { bool, decodeCursor, encodeCursor, iso, jobIdNumber, pageLimit, parseIso } from './util.ts';

export const JOB_COLUMNS = `j.id, j.user_id, j.user_name, j.account_id, j.printer_id, j.agent_id, j.host, j.title, j.spooler_job_id,
  j.pages, j.color_pages, j.copies, j.duplex, j.grayscale, j.media, j.impressions, j.color_impressions, j.sheets, j.cost,
  j.reserved, j.refunded, j.decision, j.reason_code, j.reason, j.hold_kind, j.hold_expires_at, j.force_grayscale,
  j.force_duplex, j.status, j.method, j.offline, j.created_at, j.completed_at, acc.name AS account_name`;
export const JOB_FROM = 'jobs j LEFT JOIN accounts acc ON acc.id = j.account_id';

export async function jobFromRow(core: Core, r: Record<string, unknown>): Promise<Job> {
  const snap = await core.caches.get();
  const printer = snap.printers.get(Number(r.printer_id));
  return {
    id: String(r.id),
    user: String(r.user_name),
    account: (r.account_name as string | null) ?? null,
    printer: printer ? `${printer.agentName}/${printer.queue}` : String(r.printer_id),
    agent: snap.agents.get(Number(r.agent_id)) ?? String(r.agent_id),
    host: String(r.host), title: String(r.title), spoolerJobId: String(r.spooler_job_id),
    pages: r.pages === null ? null : Number(r.pages),
    colorPages: r.color_pages === null ? null : Number(r.color_pages),
    copies: Number(r.copies), duplex: bool(r.duplex), grayscale: bool(r.grayscale), media: String(r.media),
    impressions: Number(r.impressions), colorImpressions: Number(r.color_impressions), sheets: Number(r.sheets),
    costMinor: Number(r.cost), reservedMinor: Number(r.reserved), refundedMinor: Number(r.refunded),
    decision: r.decision as Decision, reasonCode: String(r.reason_code), reason: String(r.reason),
    holdKind: (r.hold_kind as HoldKind | null) ?? null, status: r.status as JobStatus, method: String(r.method),
    offline: bool(r.offline), createdAt: iso(Number(r.created_at))!, completedAt: iso(r.completed_at as number | null),
  };
}

export async function jobRow(q: Queryable, id: number): Promise<Record<string, unknown> | undefined> {
  return q.get(`SELECT ${JOB_COLUMNS} FROM ${JOB_FROM} WHERE j.id = ?`, [id]);
}

export async function getJob(core: Core, id: string): Promise<Job> {
  const n = jobIdNumber(id);
  const r = n === null ? undefined : await jobRow(core.db, n);
  if (!r) throw new PrintgateError('UNKNOWN_JOB', `unknown job "${id}"`);
  return jobFromRow(core, r);
}

export async function listJobs(core: Core, filter: JobFilter = {}): Promise<Page<Job>> {
  const limit = pageLimit(filter.limit);
  const cursor = decodeCursor<string>(filter.cursor, 'string');
  const before = cursor === null ? null : /^(\d+):(\d+)$/.exec(cursor);
  if (cursor !== null && !before) throw new PrintgateError('INVALID_ARGUMENT', 'cursor is not valid');
  const where: string[] = [];
  const params: Array<string | number | null> = [];
  if (filter.user !== undefined) {
    const u = await findUserRow(core.db, filter.user);
    if (!u) throw new PrintgateError('UNKNOWN_USER', `unknown user "${filter.user}"`);
    where.push('j.user_id = ?');
    params.push(u.id);
  }
  if (filter.printer !== undefined) {
    where.push('j.printer_id = ?');
    params.push((await resolvePrinter(core, filter.printer)).id);
  }
  const from = parseIso(filter.from, 'from');
  const to = parseIso(filter.to, 'to');
  if (from !== null) { where.push('j.created_at >= ?'); params.push(from); }
  if (to !== null) { where.push('j.created_at < ?'); params.push(to); }
  if (filter.decision !== undefined) {
    if (!['ALLOW', 'DENY', 'HOLD'].includes(filter.decision)) throw new PrintgateError('INVALID_ARGUMENT', 'decision must be ALLOW, DENY or HOLD');
    where.push('j.decision = ?');
    params.push(filter.decision);
  }
  if (filter.status !== undefined) {
    if (!JOB_STATUSES.includes(filter.status)) throw new PrintgateError('INVALID_ARGUMENT', `status must be one of ${JOB_STATUSES.join(', ')}`);
    where.push('j.status = ?');
    params.push(filter.status);
  }
  if (before) {
    // Row-value comparison (created_at, id) < (?, ?), spelled out for both engines' planners.
    where.push('(j.created_at < ? OR (j.created_at = ? AND j.id < ?))');
    params.push(Number(before[1]), Number(before[1]), Number(before[2]));
  }
  const rows = await core.db.all(
    `SELECT ${JOB_COLUMNS} FROM ${JOB_FROM} ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY j.created_at DESC, j.id DESC LIMIT ?`,
    [...params, limit + 1]);
  const items: Job[] = [];
  for (const r of rows.slice(0, limit)) items.push(await jobFromRow(core, r));
  const last = rows[limit - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(`${Number(last.created_at)}:${Number(last.id)}`) : null };
}
