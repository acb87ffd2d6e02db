// Small helpers the service modules share: input checks that throw catalogue errors,
// opaque keyset cursors, ISO timestamps, request hashing for idempotency, and padded
// IN-lists (so the prepared-statement caches see a bounded number of SQL texts).

import { hash as digest } from 'node:crypto';
import { PrintgateError } from '../../shared/errors.ts';
import { assertMinor, type Minor } from '../../shared/money.ts';
import type { Params } from '../storage/port.ts';

export const NAME_MAX = 200;

/** A user, group, account or agent name: 1..200 printable characters, no slash for agents. */
export function checkName(value: unknown, what: string, options: { noSlash?: boolean } = {}): string {
  if (typeof value !== 'string') throw new PrintgateError('INVALID_ARGUMENT', `${what} must be a string`);
  const v = value.trim();
  if (v.length === 0 || v.length > NAME_MAX) throw new PrintgateError('INVALID_ARGUMENT', `${what} must be 1 to ${NAME_MAX} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(v)) throw new PrintgateError('INVALID_ARGUMENT', `${what} must not contain control characters`);
  if (options.noSlash && v.includes('/')) throw new PrintgateError('INVALID_ARGUMENT', `${what} must not contain "/"`);
  return v;
}

export function checkText(value: unknown, what: string, max = 1000): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new PrintgateError('INVALID_ARGUMENT', `${what} must be a string`);
  if (value.length > max) throw new PrintgateError('INVALID_ARGUMENT', `${what} must be at most ${max} characters`);
  return value;
}

export function checkBool(value: unknown, what: string): boolean {
  if (typeof value !== 'boolean') throw new PrintgateError('INVALID_ARGUMENT', `${what} must be true or false`);
  return value;
}

export function checkAmount(value: unknown, what: string, options: { nonNegative?: boolean; nonZero?: boolean } = {}): Minor {
  assertMinor(value, what);
  if (options.nonNegative && value < 0) throw new PrintgateError('INVALID_AMOUNT', `${what} must not be negative`);
  if (options.nonZero && value === 0) throw new PrintgateError('INVALID_AMOUNT', `${what} must not be zero`);
  return value;
}

export function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString();
}

export function parseIso(value: string | undefined, what: string): number | null {
  if (value === undefined || value === '') return null;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw new PrintgateError('INVALID_ARGUMENT', `${what} must be an ISO-8601 timestamp`);
  return ms;
}

export function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new PrintgateError('INVALID_ARGUMENT', 'limit must be from 1 to 1000');
  return limit;
}

export function encodeCursor(value: string | number): string {
  return Buffer.from(JSON.stringify([value])).toString('base64url');
}

export function decodeCursor<T extends string | number>(cursor: string | null | undefined, type: 'string' | 'number'): T | null {
  if (!cursor) return null;
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 1 && typeof v[0] === type) return v[0] as T;
  } catch { /* fall through */ }
  throw new PrintgateError('INVALID_ARGUMENT', 'cursor is not valid');
}

/** SHA-256 (hex) of a value's canonical JSON (object keys sorted). */
export function requestHash(value: unknown): string {
  // crypto.hash: the one-shot digest, without a Hash object per call (same bytes).
  return digest('sha256', canonicalJson(value), 'hex');
}

// Built by concatenation, without the intermediate arrays of entries/map/join: it runs on
// every authorize and complete. Keys sort by UTF-16 code units (Array#sort's default order,
// the same as comparing with <), and undefined members are left out. Scalars skip
// JSON.stringify where its answer is known (a finite number prints as String() does), and
// each key's quoted form is remembered (the agent API's inputs have a few dozen names).
// The output must never change: stored request hashes are compared with it on retries.
const quotedKeys = new Map<string, string>();

function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'string': return JSON.stringify(value);
    case 'number': return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean': return value ? 'true' : 'false';
    case 'undefined': return 'null';
    case 'object': break;
    default: return JSON.stringify(value) ?? 'null';
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i > 0 ? ',' : '') + canonicalJson(value[i]);
    return out + ']';
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let out = '{';
  let first = true;
  for (const k of keys) {
    const v = record[k];
    if (v === undefined) continue;
    let q = quotedKeys.get(k);
    if (q === undefined) {
      q = `${JSON.stringify(k)}:`;
      if (quotedKeys.size < 1000) quotedKeys.set(k, q);
    }
    out += (first ? q : `,${q}`) + canonicalJson(v);
    first = false;
  }
  return out + '}';
}

/** `(?,?,...)` padded with NULLs to 1, 10, 100 or 1000 entries, and the params. */
export function inList(values: readonly number[]): { sql: string; params: Params } {
  const size = [1, 10, 100, 1000].find((n) => n >= values.length);
  if (size === undefined) throw new Error('inList: too many values');
  const params: Array<number | null> = [...values];
  while (params.length < size) params.push(null);
  return { sql: `(${params.map(() => '?').join(',')})`, params };
}

/** Numeric job id from its string form, or null when it cannot be one. */
export function jobIdNumber(id: unknown): number | null {
  if (typeof id !== 'string' || !/^[1-9]\d{0,14}$/.test(id)) return null;
  return Number(id);
}

export const bool = (v: unknown): boolean => Number(v) === 1;
export const flag = (v: boolean): number => (v ? 1 : 0);
