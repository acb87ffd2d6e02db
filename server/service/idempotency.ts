// Stored answers of idempotent calls. An agent's authorize/complete and an admin request
// with an Idempotency-Key are recorded as (scope, key) -> (request hash, response) in the
// same transaction as their effects: a retry with an equal request gets the first answer,
// a different request under the same key is IDEMPOTENCY_MISMATCH. Two concurrent first
// attempts race on the primary key; the loser rolls back and returns the winner's answer.

import { PrintgateError } from '../../shared/errors.ts';
import type { Queryable, Storage } from '../storage/port.ts';
import { requestHash } from './util.ts';

/** Answers are kept this long; a retry after that would be treated as a new request. */
export const IDEMPOTENCY_RETENTION_MS = 30 * 24 * 3600 * 1000;

export async function storedAnswer<T>(q: Queryable, scope: string, key: string, hash: string): Promise<T | undefined> {
  const row = await q.get<{ request_hash: string; response: string }>('SELECT request_hash, response FROM idempotency WHERE scope = ? AND key = ?', [scope, key]);
  if (!row) return undefined;
  if (row.request_hash !== hash) throw new PrintgateError('IDEMPOTENCY_MISMATCH', `the idempotency key "${key}" was used for a different request`);
  return JSON.parse(row.response) as T;
}

export async function storeAnswer(tx: Queryable, scope: string, key: string, hash: string, response: unknown, now: number): Promise<void> {
  await tx.run('INSERT INTO idempotency (scope, key, request_hash, response, created_at) VALUES (?, ?, ?, ?, ?)', [scope, key, hash, JSON.stringify(response), now]);
}

/**
 * Run `fn` (one transaction, which must call storeAnswer last) once per (scope, key).
 * Checks for a stored answer first, and again after losing an insert race.
 */
export async function onceByKey<T>(db: Storage, scope: string, key: string, request: unknown, fn: (tx: Queryable, hash: string) => Promise<T>): Promise<T> {
  if (typeof key !== 'string' || key.length === 0 || key.length > 200) {
    throw new PrintgateError('INVALID_ARGUMENT', 'idempotency key must be 1 to 200 characters');
  }
  const hash = requestHash(request);
  const first = await storedAnswer<T>(db, scope, key, hash);
  if (first !== undefined) return first;
  try {
    return await db.transaction(async (tx) => {
      const again = await storedAnswer<T>(tx, scope, key, hash);
      if (again !== undefined) return again;
      return fn(tx, hash);
    });
  } catch (e) {
    if (!db.isUniqueViolation(e)) throw e;
    const winner = await storedAnswer<T>(db, scope, key, hash);
    if (winner === undefined) throw e;
    return winner;
  }
}

/** The admin API's Idempotency-Key: the whole operation runs, then its answer is stored. */
export async function adminIdempotent<T>(db: Storage, now: () => number, scope: string, key: string, request: unknown, fn: () => Promise<T>): Promise<T> {
  if (typeof key !== 'string' || key.length === 0 || key.length > 200) {
    throw new PrintgateError('INVALID_ARGUMENT', 'idempotency key must be 1 to 200 characters');
  }
  const s = `admin:${scope}`;
  const hash = requestHash(request);
  const first = await storedAnswer<T>(db, s, key, hash);
  if (first !== undefined) return first;
  const result = await fn();
  try {
    await db.transaction((tx) => storeAnswer(tx, s, key, hash, result ?? null, now()));
  } catch (e) {
    if (!db.isUniqueViolation(e)) throw e;
    const winner = await storedAnswer<T>(db, s, key, hash);
    if (winner !== undefined) return winner;
  }
  return result;
}
