// Held jobs and the server->agent event channel. A held job's fate (released, account
// chosen, cancelled, timed out) is one state change plus one job_events row, in one
// transaction; then the in-process notifier wakes that agent's long-poll. Agents served by
// another server process are woken by the poll's periodic re-check of the table.

import { PrintgateError } from '../../shared/errors.ts';
import { effectiveBillingMode } from '../domain/decide.ts';
import { transition } from '../domain/lifecycle.ts';
import type { Queryable } from '../storage/port.ts';
import { ACCOUNT_COLUMNS, accountFromRow, hasSharedAccess, personalAccount, type AccountRow } from './accounts.ts';
import { reserve, userGroups } from './authorize.ts';
import type { Core } from './core.ts';
import type { Snapshot } from './cache.ts';
import { jobFromRow, jobRow, JOB_COLUMNS, JOB_FROM } from './jobs.ts';
import type { AgentIdentity, EventsResult, Job, JobEvent, JobEventKind } from './types.ts';
import { jobIdNumber } from './util.ts';

export const MAX_WAIT_MS = 30_000;
/** Events an agent asking from seq 0 still gets. */
export const PENDING_WINDOW_MS = 24 * 3600 * 1000;

interface EventPayload {
  queue: string;
  spoolerJobId: string;
  account: string;
  costMinor: number;
  message: string;
  forceGrayscale: boolean;
  forceDuplex: boolean;
}

/** Advisory lock class of "an agent's job_events numbering" (lock key pair: class, agent). */
const EVENT_ORDER_LOCK = 7_236_502;

/**
 * Inside a transaction, as its LAST statement (the lock below is held until COMMIT): `snap`
 * must be read before the transaction (see storedAuthorize).
 *
 * Agents read `seq > afterSeq` and only move afterSeq forward, so an agent's events must
 * become visible in seq order. SQLite has one writer at a time, so they do. On PostgreSQL
 * the seq is drawn at INSERT but transactions commit in any order: an event numbered 7
 * committing after 8 was read would never be delivered (its job never released, its
 * reservation kept). So the INSERT first takes a transaction-scoped advisory lock per
 * agent: the next event for that agent draws its seq only after this transaction has
 * committed (or rolled back) and released the lock, and PostgreSQL makes a commit visible
 * before it releases the transaction's locks. Per agent, seq order is then commit order,
 * also across server processes. The price is that event-emitting transactions of one agent
 * wait for each other's COMMIT (they are rare: releases, cancels, timeouts of held jobs).
 * No deadlock: nothing else is locked after this. (The alternative, storing the writing
 * transaction's id and hiding rows above the reader's snapshot xmin, delays every event
 * behind any long transaction in the database and needs a schema change.)
 */
async function emit(core: Core, snap: Snapshot, tx: Queryable, job: Record<string, unknown>, kind: JobEventKind, extra: Partial<EventPayload>, now: number): Promise<void> {
  const printer = snap.printers.get(Number(job.printer_id));
  const payload: EventPayload = {
    queue: printer?.queue ?? '', spoolerJobId: String(job.spooler_job_id), account: '', costMinor: 0, message: '',
    forceGrayscale: Number(job.force_grayscale) === 1, forceDuplex: Number(job.force_duplex) === 1, ...extra,
  };
  const agentId = Number(job.agent_id);
  if (core.db.dialect.engine === 'postgres') await tx.get('SELECT pg_advisory_xact_lock(?, ?)', [EVENT_ORDER_LOCK, agentId % 2_147_483_647]);
  await tx.run('INSERT INTO job_events (agent_id, job_id, kind, payload, created_at) VALUES (?, ?, ?, ?, ?)',
    [agentId, Number(job.id), kind, JSON.stringify(payload), now]);
}

function wake(core: Core, agentId: number): void {
  core.notifier.emit(`agent:${agentId}`);
}

async function lockedHeldJob(core: Core, tx: Queryable, jobId: string): Promise<Record<string, unknown>> {
  const id = jobIdNumber(jobId);
  const job = id === null ? undefined : await tx.get(`SELECT ${JOB_COLUMNS} FROM ${JOB_FROM} WHERE j.id = ?${core.db.dialect.forUpdate.replace('FOR UPDATE', 'FOR UPDATE OF j')}`, [id]);
  if (!job) throw new PrintgateError('UNKNOWN_JOB', `unknown job "${jobId}"`);
  if (job.status !== 'held') throw new PrintgateError('JOB_NOT_HELD', `job ${jobId} is ${String(job.status)}, not held`);
  return job;
}

/** Release a held job: reserve its cost on the (chosen) account and tell the agent to print. */
export async function releaseJob(core: Core, jobId: string, actor: string, options: { account?: string; user?: string } = {}): Promise<Job> {
  const snap = await core.caches.get();
  let agentId = 0;
  const id = await core.db.transaction(async (tx) => {
    const now = core.clock();
    const job = await lockedHeldJob(core, tx, jobId);
    if (options.user !== undefined && job.user_name !== options.user) throw new PrintgateError('FORBIDDEN', 'the job belongs to another user');
    const userId = Number(job.user_id);
    let account: AccountRow;
    if (options.account !== undefined) {
      const own = await tx.get(`SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE user_id = ? AND kind = 'personal' AND name = ?`, [userId, options.account]);
      if (own) account = accountFromRow(own);
      else {
        const shared = await tx.get(`SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE kind = 'shared' AND name = ? AND deleted_at IS NULL`, [options.account]);
        if (!shared) throw new PrintgateError('UNKNOWN_ACCOUNT', `unknown account "${options.account}"`);
        account = accountFromRow(shared);
        if (account.disabled || !(await hasSharedAccess(tx, account.id, userId))) throw new PrintgateError('ACCOUNT_ACCESS_DENIED');
      }
    } else if (job.account_id !== null) {
      account = accountFromRow((await tx.get(`SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE id = ?`, [Number(job.account_id)]))!);
    } else {
      account = await personalAccount(tx, userId);
    }
    const user = await tx.get<{ billing_mode: string | null }>('SELECT billing_mode FROM users WHERE id = ?', [userId]);
    const groups = await userGroups(tx, snap, userId);
    const mode = effectiveBillingMode((user?.billing_mode ?? null) as never, groups.map((g) => g.billingMode));
    const cost = Number(job.cost);
    if (cost > 0 && !(await reserve(tx, account.id, cost, mode === 'prepaid' && account.restricted))) {
      throw new PrintgateError('INSUFFICIENT_CREDIT', 'not enough credit to release this job');
    }
    const next = transition('held', 'release')!;
    await tx.run('UPDATE jobs SET status = ?, account_id = ?, reserved = ? WHERE id = ?', [next, account.id, cost, Number(job.id)]);
    const kind: JobEventKind = job.hold_kind === 'CHOOSE_ACCOUNT' || options.account !== undefined ? 'ACCOUNT_CHOSEN' : 'RELEASED';
    await emit(core, snap, tx, job, kind, { account: account.name, costMinor: cost, message: `released by ${actor}` }, now);
    agentId = Number(job.agent_id);
    return Number(job.id);
  });
  wake(core, agentId);
  return jobFromRow(core, (await jobRow(core.db, id))!);
}

/** Cancel a held job without charge. */
export async function cancelHeldJob(core: Core, jobId: string, actor: string, message?: string): Promise<Job> {
  const snap = await core.caches.get();
  let agentId = 0;
  const id = await core.db.transaction(async (tx) => {
    const now = core.clock();
    const job = await lockedHeldJob(core, tx, jobId);
    await tx.run('UPDATE jobs SET status = ?, cost = 0, completed_at = ? WHERE id = ?', [transition('held', 'cancel')!, now, Number(job.id)]);
    await emit(core, snap, tx, job, 'CANCELLED', { message: (message ?? `cancelled by ${actor}`).slice(0, 500) }, now);
    agentId = Number(job.agent_id);
    return Number(job.id);
  });
  wake(core, agentId);
  return jobFromRow(core, (await jobRow(core.db, id))!);
}

/** Time out held jobs whose hold expired; returns how many. */
export async function sweepHeldJobs(core: Core, nowMs?: number): Promise<number> {
  const now = nowMs ?? core.clock();
  const snap = await core.caches.get();
  const due = await core.db.all<{ id: number }>("SELECT id FROM jobs WHERE status = 'held' AND hold_expires_at <= ? ORDER BY hold_expires_at LIMIT 500", [now]);
  let count = 0;
  const agents = new Set<number>();
  for (const { id } of due) {
    const done = await core.db.transaction(async (tx) => {
      const job = await tx.get(`SELECT ${JOB_COLUMNS} FROM ${JOB_FROM} WHERE j.id = ?`, [Number(id)]);
      if (!job || job.status !== 'held') return false;
      const g = await tx.run("UPDATE jobs SET status = ?, cost = 0, completed_at = ? WHERE id = ? AND status = 'held'", [transition('held', 'timeout')!, now, Number(id)]);
      if (g.changes !== 1) return false;
      await emit(core, snap, tx, job, 'TIMED_OUT', { message: 'Nobody released the job in time; it was cancelled without charge.' }, now);
      agents.add(Number(job.agent_id));
      return true;
    });
    if (done) count++;
  }
  for (const a of agents) wake(core, a);
  return count;
}

export async function listHeldJobs(core: Core, user?: string): Promise<Job[]> {
  const rows = user === undefined
    ? await core.db.all(`SELECT ${JOB_COLUMNS} FROM ${JOB_FROM} WHERE j.status = 'held' ORDER BY j.id LIMIT 1000`)
    : await core.db.all(`SELECT ${JOB_COLUMNS} FROM ${JOB_FROM} WHERE j.status = 'held' AND j.user_name = ? ORDER BY j.id LIMIT 1000`, [user]);
  const jobs: Job[] = [];
  for (const r of rows) jobs.push(await jobFromRow(core, r));
  return jobs;
}

function eventFromRow(r: Record<string, unknown>): JobEvent {
  const p = JSON.parse(String(r.payload)) as EventPayload;
  return {
    seq: Number(r.seq), jobId: String(r.job_id), kind: r.kind as JobEventKind, queue: p.queue, spoolerJobId: p.spoolerJobId,
    account: p.account, costMinor: p.costMinor, message: p.message, forceGrayscale: p.forceGrayscale, forceDuplex: p.forceDuplex,
  };
}

/** Long-poll for an agent's events after `afterSeq`. */
export async function pollEvents(core: Core, agent: AgentIdentity, afterSeq: number, waitMs: number, signal?: AbortSignal): Promise<EventsResult> {
  if (!Number.isSafeInteger(afterSeq) || afterSeq < 0) throw new PrintgateError('INVALID_ARGUMENT', 'afterSeq must be a non-negative integer');
  const wait = Math.max(0, Math.min(Number.isFinite(waitMs) ? waitMs : 0, MAX_WAIT_MS));
  const deadline = performance.now() + wait;
  for (;;) {
    // A closing service answers at once, without touching the database being closed.
    if (core.closing.aborted) return { events: [], lastSeq: afterSeq };
    // afterSeq 0 means "what is pending": the last day's events, not the whole history.
    const since = afterSeq === 0 ? core.clock() - PENDING_WINDOW_MS : 0;
    const rows = await core.db.all('SELECT seq, job_id, kind, payload FROM job_events WHERE agent_id = ? AND seq > ? AND created_at >= ? ORDER BY seq LIMIT 100', [agent.id, afterSeq, since]);
    const remaining = deadline - performance.now();
    if (rows.length > 0 || remaining <= 0 || signal?.aborted || core.closing.aborted) {
      const events = rows.map(eventFromRow);
      return { events, lastSeq: events.length ? events.at(-1)!.seq : afterSeq };
    }
    await new Promise<void>((resolve) => {
      const name = `agent:${agent.id}`;
      const done = () => {
        clearTimeout(timer);
        core.notifier.off(name, done);
        signal?.removeEventListener('abort', done);
        core.closing.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.min(remaining, core.eventRecheckMs));
      core.notifier.on(name, done);
      signal?.addEventListener('abort', done);
      core.closing.addEventListener('abort', done);
    });
  }
}
