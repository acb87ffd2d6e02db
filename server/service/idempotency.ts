// Stored answers of idempotent admin requests (the Idempotency-Key header), as
// (scope, key) -> (request hash, response): a retry with an equal request gets the first
// answer, a different request under the same key is IDEMPOTENCY_MISMATCH. The answer is
// stored after the operation, so two *concurrent* first attempts may both run; sequential
// retries (the case clients have) run once. Agents' calls are keyed on their job rows
// instead (see authorize.ts), atomically with their effects.

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
