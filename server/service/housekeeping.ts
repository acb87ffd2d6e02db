// Periodic clean-up: old idempotency answers, delivered job events, and (when
// joblog.retention-days is set) finished jobs past retention. Deletes in bounded batches
// so one run never holds a long write lock.

import type { Core } from './core.ts';
import { IDEMPOTENCY_RETENTION_MS } from './idempotency.ts';

const EVENT_RETENTION_MS = 7 * 24 * 3600 * 1000;
const BATCH = 5000;

export async function housekeeping(core: Core, nowMs?: number): Promise<{ idempotency: number; events: number; jobs: number }> {
  const now = nowMs ?? core.clock();
  const { settings } = await core.caches.get();
  const idem = await core.db.run('DELETE FROM idempotency WHERE created_at < ?', [now - IDEMPOTENCY_RETENTION_MS]);
  const events = await core.db.run(
    'DELETE FROM job_events WHERE seq IN (SELECT seq FROM job_events WHERE created_at < ? ORDER BY seq LIMIT ?)',
    [now - EVENT_RETENTION_MS, BATCH]);
  let jobs = { changes: 0 };
  if (settings.retentionDays > 0) {
    jobs = await core.db.run(
      `DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE created_at < ? AND status NOT IN ('held', 'authorized') ORDER BY created_at LIMIT ?)`,
      [now - settings.retentionDays * 86_400_000, BATCH]);
  }
  return { idempotency: idem.changes, events: events.changes, jobs: jobs.changes };
}
