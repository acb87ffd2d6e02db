// The admin API's Idempotency-Key: a request carrying a key runs at most once, and every
// retry with the same key and an equal request gets the first answer; a different request
// under the same key is IDEMPOTENCY_MISMATCH (409). Agents' calls are keyed on their job
// rows instead (see authorize.ts).
//
// Crash- and race-safe: the key is claimed, the operation runs and its answer is stored in
// ONE transaction (the operation runs on a Core bound to it, see within.ts), so the
// effects and the answer commit together or not at all:
// - a crash before the COMMIT leaves nothing (the retry runs the operation); after it,
//   the retry finds the answer (the operation is not run again);
// - concurrent first attempts: the claim is an INSERT ... ON CONFLICT DO NOTHING on the
//   (scope, key) primary key. On PostgreSQL a second attempt's insert waits for the first
//   attempt's transaction: when that commits, the second claims nothing and reads the
//   first answer (READ COMMITTED: the next statement sees the committed row); when it
//   rolls back, the second claims the key and runs. On SQLite write transactions run one
//   at a time, so the second simply finds the first's row.
// - a refused request (validation, INSUFFICIENT_CREDIT, UNKNOWN_USER...) rolls back with
//   its claim: no answer is stored, and a corrected retry under the same key runs. Unlike
//   Stripe, which replays stored 4xx answers, we keep nothing for a refusal: it had no
//   effect that a retry could repeat, and replaying it would refuse a retry that the
//   current state allows (a top-up since, a user created since).
// Answers are kept IDEMPOTENCY_RETENTION_MS (housekeeping.ts purges older ones); a retry
// after that runs as a new request. Rows are sealed with the key (idempotency-seal.ts):
// without it the database tells nothing of the requests or their answers (an agent token).

import { PrintgateError } from '../../shared/errors.ts';
import type { Queryable } from '../storage/port.ts';
import type { Core } from './core.ts';
import { faultPoint } from './fault.ts';
import { keySeal, type KeySeal } from './idempotency-seal.ts';
import { bindToTransaction, type BoundCore } from './within.ts';

/** Answers are kept this long; a retry after that would be treated as a new request. */
export const IDEMPOTENCY_RETENTION_MS = 30 * 24 * 3600 * 1000;

/** The stored answer under a key, null when there is none; a different request is IDEMPOTENCY_MISMATCH. */
async function storedAnswer<T>(q: Queryable, scope: string, key: string, seal: KeySeal, fingerprint: string): Promise<{ answer: T } | null> {
  const row = await q.get<{ request_hash: string; response: string }>('SELECT request_hash, response FROM idempotency WHERE scope = ? AND key = ?', [scope, seal.id]);
  if (!row) return null;
  if (row.request_hash !== fingerprint) throw new PrintgateError('IDEMPOTENCY_MISMATCH', `the idempotency key "${key}" was used for a different request`);
  // The claim's placeholder '' is replaced in the claiming transaction, so a committed row
  // always has its answer; open('') failing loudly would mean that broke.
  return { answer: JSON.parse(seal.open(row.response)) as T };
}

/**
 * Inside the transaction: claim the key (null), or return the answer that an earlier or
 * concurrent attempt committed under it.
 */
async function claim<T>(tx: Queryable, scope: string, key: string, seal: KeySeal, fingerprint: string, now: number): Promise<{ answer: T } | null> {
  // Twice at most: the row we conflicted with could only vanish if housekeeping purged it
  // in between (it would have to be a month old).
  for (let attempt = 0; attempt < 2; attempt++) {
    const won = await tx.get(
      `INSERT INTO idempotency (scope, key, request_hash, response, created_at) VALUES (?, ?, ?, '', ?)
       ON CONFLICT (scope, key) DO NOTHING RETURNING scope`, [scope, seal.id, fingerprint, now]);
    if (won) return null;
    const prior = await storedAnswer<T>(tx, scope, key, seal, fingerprint);
    if (prior) return prior;
  }
  throw new PrintgateError('CONFLICT', `the idempotency key "${key}" is in use by another request; try again`);
}

/**
 * Run `fn` at most once per (scope, key) and request: `fn` gets a Core bound to the
 * transaction that also claims the key and stores the answer, and must do all its work
 * through it.
 */
export async function adminIdempotent<T>(core: Core, scope: string, key: string, request: unknown, fn: (core: Core) => Promise<T>): Promise<T> {
  if (typeof key !== 'string' || key.length === 0 || key.length > 200) {
    throw new PrintgateError('INVALID_ARGUMENT', 'idempotency key must be 1 to 200 characters');
  }
  const s = `admin:${scope}`;
  const seal = keySeal(s, key);
  const fingerprint = seal.fingerprint(request);
  // A retry of a finished request: its answer, without a write transaction.
  const first = await storedAnswer<T>(core.db, s, key, seal, fingerprint);
  if (first) return first.answer;

  // The process's cache snapshot is read before the transaction opens (see within.ts).
  const snapshot = await core.caches.get();
  const ran: { bound?: BoundCore } = {};
  const outcome = await core.db.transaction(async (tx) => {
    const prior = await claim<T>(tx, s, key, seal, fingerprint, core.clock());
    if (prior) return prior;
    const bound = bindToTransaction(core, tx, snapshot);
    const answer = await fn(bound.core);
    await tx.run('UPDATE idempotency SET response = ? WHERE scope = ? AND key = ?', [seal.seal(JSON.stringify(answer ?? null)), s, seal.id]);
    faultPoint('before-admin-commit');
    ran.bound = bound;
    return { answer };
  });
  if (ran.bound) {
    ran.bound.committed();
    faultPoint('after-admin-commit');
  }
  return outcome.answer;
}
