// Settling the journal with the server: an ended job (printed, failed or cancelled) is
// reported with `complete`; a job printed while the server was away first gets a server
// job through authorize(offline_replay). The pipeline calls this on replay, on restart
// recovery and after each job ends; it keeps nothing itself, so it is safe to call again
// for the same entry (both calls carry keys derived from the job's key).

import type { PrintgateError } from '../shared/errors.ts';
import { pb } from '../shared/protocol/index.ts';
import { stepIdempotencyKey, type ServerClient } from './client/index.ts';
import type { Journal, JournalEntry } from './journal.ts';
import type { Outcome } from './lifecycle.ts';
import type { Logger } from './log.ts';
import { toDecision, type AuthorizeRequestObject } from './request.ts';

const OUTCOME_NUMBER: Record<Outcome, number> = { PRINTED: pb.Outcome.PRINTED, FAILED: pb.Outcome.FAILED, CANCELLED: pb.Outcome.CANCELLED };

/** What settling needs from the pipeline. */
export interface SettleDeps {
  server: Pick<ServerClient, 'authorize' | 'complete'>;
  journal: Journal;
  log: Logger;
  /** Whether the server is believed reachable (offline calls are not retried). */
  online(): boolean;
  markOnline(): void;
  /** True (and the agent told) when the error means the server could not be reached. */
  unreachable(err: unknown): boolean;
}

/**
 * Report one ended entry: for an offline job first authorize(offline_replay) to get a
 * server job, then complete. Returns false when the server could not be reached.
 * Safe to repeat: both calls carry keys derived from the job's key.
 */
export async function settleEntry(d: SettleDeps, e: JournalEntry): Promise<boolean> {
  if (!e.end) return true;
  try {
    let jobId = e.jobId;
    if (!jobId) {
      if (!e.request) { await d.journal.append({ t: 'ack', key: e.key }, false); return true; }
      jobId = await replayAuthorize(d.server, e);
      await d.journal.append({ t: 'release', key: e.key, queue: e.queue, spoolerJobId: e.spoolerJobId, mode: e.mode ?? 'offline', jobId, at: e.releasedAt ?? e.end.at }, false);
    }
    const answer = await d.server.complete({
      idempotencyKey: stepIdempotencyKey(e.key, 'complete'),
      jobId,
      outcome: OUTCOME_NUMBER[e.end.outcome],
      impressionsPrinted: e.end.impressions,
      finishedAtMs: e.end.at,
      note: e.end.note,
    }, d.online() ? {} : { retry: { retries: 0 } });
    d.markOnline();
    d.log.info('settled', { queue: e.queue, job: e.spoolerJobId, jobId, outcome: e.end.outcome, cost: answer.cost, offline: e.mode === 'offline' });
    await d.journal.append({ t: 'ack', key: e.key }, false);
    return true;
  } catch (err) {
    if (d.unreachable(err)) {
      d.log.warn('settling postponed: server unreachable', { queue: e.queue, job: e.spoolerJobId });
      return false;
    }
    // A permanent refusal (unknown job, conflict): retrying cannot help; keep the facts in the log.
    d.log.error('the server refused to settle a job; dropped from the journal', { entry: e, code: (err as PrintgateError).code, error: (err as Error).message });
    await d.journal.append({ t: 'ack', key: e.key }, false);
    return true;
  }
}

/** authorize(offline_replay) for a job printed while the server was away; returns the server job id. */
async function replayAuthorize(server: SettleDeps['server'], e: JournalEntry): Promise<string> {
  const original = e.request as AuthorizeRequestObject;
  const replay = { ...original, offlineReplay: true, offlineAtMs: e.releasedAt ?? e.end!.at };
  try {
    return toDecision(await server.authorize(replay)).jobId;
  } catch (err) {
    if ((err as PrintgateError).code !== 'IDEMPOTENCY_MISMATCH') throw err;
  }
  // The first (online) attempt did reach the server. Its answer says what happened: an
  // ALLOW has a reservation to settle; otherwise record the print under its own key.
  const first = toDecision(await server.authorize(original));
  if (first.decision === 'ALLOW' && first.jobId) return first.jobId;
  return toDecision(await server.authorize({ ...replay, idempotencyKey: stepIdempotencyKey(e.key, 'offline') })).jobId;
}
