// Shared pieces of the admin API routes: JSON schema fragments (names, money, paging),
// exact money parsing with the currency's exponent (bad amounts are INVALID_AMOUNT), the
// Idempotency-Key wrapper for mutations, and the actor written into the ledger.

import type { FastifyRequest } from 'fastify';
import { PrintgateError } from '../../../shared/errors.ts';
import { formatMoney, parseMoney, type Minor } from '../../../shared/money.ts';
import type { PrintService, TransactionalService } from '../../service/types.ts';

// ---- schema fragments ---------------------------------------------------------------------

export const NAME = { type: 'string', minLength: 1, maxLength: 200 } as const;
/** A decimal amount as a string ("4.70"); parsed exactly by shared/money.ts. */
export const MONEY_IN = { type: 'string', minLength: 1, maxLength: 40, description: 'decimal amount, e.g. "4.70"' } as const;
export const MONEY_OUT = { type: 'string', description: 'decimal amount' } as const;
export const MINOR_OUT = { type: 'integer', description: 'the same amount in minor units' } as const;
export const COMMENT = { type: 'string', maxLength: 1000 } as const;
export const NULLABLE_STRING = { type: ['string', 'null'] } as const;
export const BILLING_MODE = { type: 'string', enum: ['prepaid', 'postpaid', 'free'] } as const;

export function nameParams(...names: string[]): Record<string, unknown> {
  return {
    type: 'object',
    properties: Object.fromEntries(names.map((n) => [n, NAME])),
    required: names,
  };
}

export const PAGING_QUERY = {
  type: 'object',
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 1000, description: 'default 100' },
    cursor: { type: 'string', maxLength: 500, description: 'from a previous nextCursor' },
  },
  additionalProperties: false,
} as const;

export function pageOf(items: Record<string, unknown>): Record<string, unknown> {
  return {
    type: 'object',
    properties: { items: { type: 'array', items }, nextCursor: NULLABLE_STRING },
    required: ['items', 'nextCursor'],
  };
}

export const NO_CONTENT = { 204: { type: 'null', description: 'done' } } as const;

/** Request body object schema: only the listed properties are allowed. */
export function body(properties: Record<string, unknown>, required: string[] = []): Record<string, unknown> {
  return { type: 'object', properties, required, additionalProperties: false };
}

// ---- money ---------------------------------------------------------------------------------

export interface Money {
  readonly currency: string;
  readonly exponent: number;
  parse(text: string, what: string): Minor;
  parseOptional(text: string | null | undefined, what: string): Minor | undefined;
  format(minor: Minor): string;
}

/** The currency's money helpers (the exponent is a database setting). */
export async function moneyFor(service: PrintService): Promise<Money> {
  const { currency, exponent } = await service.moneyFormat();
  const parse = (text: string, what: string): Minor => {
    try {
      return parseMoney(text, exponent);
    } catch (err) {
      if (err instanceof PrintgateError) throw new PrintgateError('INVALID_AMOUNT', `${what}: ${err.message}`);
      throw err;
    }
  };
  return {
    currency,
    exponent,
    parse,
    parseOptional: (text, what) => (text === undefined || text === null ? undefined : parse(text, what)),
    format: (minor) => formatMoney(minor, exponent),
  };
}

/** A non-negative amount (prices, limits, quotas). */
export function nonNegative(minor: Minor, what: string): Minor {
  if (minor < 0) throw new PrintgateError('INVALID_AMOUNT', `${what} must not be negative`);
  return minor;
}

/** A copy of `o` without its undefined properties (service inputs: absent = unchanged). */
export function defined<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as { [K in keyof T]: Exclude<T[K], undefined> };
}

// ---- callers and idempotency ------------------------------------------------------------

/** Who the ledger records as the actor of an admin operation. */
export function actorOf(request: FastifyRequest): string {
  const c = request.caller;
  if (c?.kind === 'admin') return c.via === 'token' ? 'admin' : `admin:${c.name}`;
  if (c?.kind === 'user') return c.user;
  return 'unknown';
}

const KEY = /^[\x21-\x7e]{1,200}$/;

/**
 * Spread into the schema of every route that runs its mutation through once(): declares
 * the Idempotency-Key header (validated, and described in the OpenAPI document).
 */
export const KEYED = {
  headers: {
    type: 'object',
    properties: {
      'idempotency-key': {
        type: 'string', minLength: 1, maxLength: 200, pattern: '^[\\x21-\\x7e]+$',
        description: 'applies the request at most once: a retry with the same key and request gets the first answer (docs/api.md)',
      },
    },
  },
} as const;

/**
 * Run a mutation at most once per Idempotency-Key: a retry with the same key and the
 * same request returns the first answer; another request under the key is
 * IDEMPOTENCY_MISMATCH. With a key, `fn` runs inside the transaction that claims the key
 * and stores the answer, and gets the service bound to it: every call in `fn` must go
 * through that argument (on SQLite, a call to the outer service would wait for the very
 * transaction it runs in). A refused mutation stores nothing. Without the header the
 * mutation just runs, on `service`.
 */
export async function once<T>(service: PrintService, request: FastifyRequest, fn: (service: TransactionalService) => Promise<T>): Promise<T> {
  const key = request.headers['idempotency-key'];
  if (key === undefined) return fn(service);
  if (typeof key !== 'string' || !KEY.test(key)) throw new PrintgateError('VALIDATION_FAILED', 'Idempotency-Key must be 1-200 visible ASCII characters');
  return service.idempotent('admin', key, { method: request.method, url: request.url, body: request.body ?? null }, fn);
}
