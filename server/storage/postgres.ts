// The PostgreSQL engine (`pg` Pool). Shared SQL with `?` placeholders is rewritten to
// `$n` once per statement text and sent as a named prepared statement, so each pooled
// connection parses it only once. BIGINT and NUMERIC come back as JavaScript numbers (all
// our values are safe integers). Transactions run at READ COMMITTED on one connection;
// races are settled by conditional updates and unique constraints, and a transaction that
// hits a serialization failure or deadlock is retried.
//
// Durability: a commit acknowledged by PostgreSQL is in its WAL, fsynced (the default
// synchronous_commit=on, fsync=on), so it survives kill -9 of our process, of PostgreSQL,
// and a power loss.
//
// Diagnosis: PRINTGATE_PG_TRACE=<ms> logs slow statements, pool waits and event-loop gaps
// to stderr (pg-trace.ts).
//
// Failures: a lost or refused connection, a server shutting down or out of resources
// reach callers as STORAGE_UNAVAILABLE (503, which agents retry), never as a bare driver
// error (an "Internal error" 500); see storageError().
//
// Time limits: a connection dropped silently (a NAT or firewall forgetting an idle flow, a
// failover) would otherwise hang a request until the OS gives up on the socket, and kept
// connections (see `min`) make that likely. So TCP keepalive probes idle connections after
// 10 s; every statement has a client-side limit (`queryTimeoutMs`, default 10 s,
// PRINTGATE_PG_QUERY_TIMEOUT_MS), past which it fails as STORAGE_UNAVAILABLE and its
// connection is discarded, never reused; getting a connection (waiting for a pooled one,
// or making a new one) has its own limit (`connectTimeoutMs`, 30 s: generous, because a
// busy pool's queue is no fault). On the server, statement_timeout (1 s after the client's
// limit, so it ends work the client gave up on) and idle_in_transaction_session_timeout
// end what a lost client left behind. Migrations run without these limits.

import pg, { type Pool, type PoolClient, type QueryResult } from 'pg';
import { PrintgateError } from '../../shared/errors.ts';
import { numberPlaceholders, type Dialect, type Params, type Queryable, type Row, type Storage } from './port.ts';
import { PgTrace } from './pg-trace.ts';

const INT8 = 20, NUMERIC = 1700;

/** Socket errors of a connection that failed or broke. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
/** SQLSTATEs of a server that is unreachable or refuses work for now: connection exceptions
 * (class 08), insufficient resources (53: too many connections, disk full), and shutdown
 * (57P01 admin, 57P02 crash, 57P03 cannot connect now). */
const UNAVAILABLE_STATE = /^(08...|53...|57P0[123])$/;
/** What `pg` throws without a code when a connection dies or the pool cannot get one. */
const DRIVER_MESSAGE = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Query read timeout)/;
/** A statement's limit for migrations (which may legitimately run long): a day. */
const UNLIMITED_MS = 86_400_000;

/** A failure about reaching the database becomes STORAGE_UNAVAILABLE; anything else is unchanged. */
export function storageError(e: unknown): unknown {
  if (e instanceof PrintgateError || e === null || typeof e !== 'object') return e;
  const { code, message } = e as { code?: unknown; message?: unknown };
  const down = typeof code === 'string' ? NETWORK_CODES.has(code) || UNAVAILABLE_STATE.test(code) : typeof message === 'string' && DRIVER_MESSAGE.test(message);
  return down ? new PrintgateError('STORAGE_UNAVAILABLE', 'the database is not reachable right now', undefined, { cause: e }) : e;
}
const mapped = (e: unknown): never => { throw storageError(e); };

export interface PostgresOptions {
  url: string;
  poolSize?: number;
  /** How long an idle connection above the minimum lives (all are kept: see `min`). */
  idleTimeoutMs?: number;
  /** Client-side limit per statement (see the header). */
  queryTimeoutMs?: number;
  /** Limit on getting a connection: a pooled one's wait, or a new one's making. */
  connectTimeoutMs?: number;
}

export class PostgresStorage implements Storage {
  readonly dialect: Dialect = { engine: 'postgres', forUpdate: ' FOR UPDATE', listAgg: (e) => `string_agg(CAST(${e} AS TEXT), ',')` };
  readonly #pool: Pool;
  readonly #names = new Map<string, { text: string; name: string }>();
  readonly #trace: PgTrace | null;
  /** Statements outside a transaction, each on a connection of its own. */
  readonly #direct: Queryable = this.#on(null);
  #closed = false;

  constructor(options: PostgresOptions) {
    const max = options.poolSize ?? Number(process.env.PRINTGATE_PG_POOL ?? 16);
    const limit = options.queryTimeoutMs ?? Number(process.env.PRINTGATE_PG_QUERY_TIMEOUT_MS ?? 10_000);
    this.#pool = new pg.Pool({
      connectionString: options.url,
      max,
      // Connections, once opened, are kept (the idle time-out closes none of them): a burst
      // after a quiet spell would otherwise pay for new backends (fork, authentication, cold
      // catalog caches, every statement prepared and planned again) just when it is late.
      min: max,
      idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 30_000,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      query_timeout: limit,
      statement_timeout: limit + 1000,
      idle_in_transaction_session_timeout: Math.max(10_000, 2 * limit),
      application_name: 'printgate',
      types: {
        getTypeParser: (oid: number, format?: string) =>
          oid === INT8 || oid === NUMERIC ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format),
      },
    });
    // An idle connection that dies must not crash the process; the next query reconnects.
    this.#pool.on('error', () => {});
    this.#trace = PgTrace.fromEnv(this.#pool);
    if (this.#trace) this.#pool.on('connect', () => process.stderr.write(`pg-trace\t${Date.now()}\tconnect\n`));
  }

  #config(sql: string, params: Params): { text: string; name: string; values: unknown[] } {
    let c = this.#names.get(sql);
    if (!c) {
      c = { text: numberPlaceholders(sql), name: `pg${this.#names.size}` };
      this.#names.set(sql, c);
    }
    return { ...c, values: params as unknown[] };
  }

  #on(client: PoolClient | null, timeoutMs?: number): Queryable {
    const query = (sql: string, params: Params) => client ? this.#inTransaction(client, sql, params, timeoutMs) : this.#statement(sql, params);
    return {
      all: async <T>(sql: string, params: Params = []) => (await query(sql, params)).rows as T[],
      get: async <T>(sql: string, params: Params = []) => (await query(sql, params)).rows[0] as T | undefined,
      run: async (sql: string, params: Params = []) => ({ changes: (await query(sql, params)).rowCount ?? 0 }),
    };
  }

  /**
   * One statement outside a transaction, on a connection checked out for it alone. Not
   * `pool.query`: that discards the connection on ANY error, so every lost race on a unique
   * key or guard (which the service expects and handles) would close a backend and make a
   * later call pay for a new one. Here only a failure of the connection itself discards it.
   * Callbacks, not promises: the connection goes back to the pool the moment the answer
   * arrives, before any continuation runs, so a statement issued in between finds it idle
   * instead of waiting or opening another connection.
   */
  #statement(sql: string, params: Params): Promise<QueryResult> {
    const t0 = this.#trace ? performance.now() : 0;
    return new Promise((resolve, reject) => {
      this.#pool.connect((connectError, client) => {
        if (connectError || !client) {
          reject(storageError(connectError ?? new Error('Connection terminated: the pool gave no connection')));
          return;
        }
        const t1 = this.#trace ? performance.now() : 0;
        let broken: Error | undefined;
        const onError = (err: Error) => { broken = err; };
        client.on('error', onError);
        const done = (error: Error | null | undefined, result?: QueryResult) => {
          client.removeListener('error', onError);
          const failure = error ? storageError(error) : undefined;
          if (error && failure !== error) broken ??= error;
          client.release(broken);
          if (error) {
            reject(failure);
            return;
          }
          this.#trace?.record('stmt', sql, t0, t1, performance.now());
          resolve(result!);
        };
        try {
          client.query(this.#config(sql, params), done);
        } catch (e) {
          done(e as Error);
        }
      });
    });
  }

  async #inTransaction(client: PoolClient, sql: string, params: Params, timeoutMs?: number): Promise<QueryResult> {
    const t0 = this.#trace ? performance.now() : 0;
    const config = this.#config(sql, params);
    const r = await client.query(timeoutMs === undefined ? config : { ...config, query_timeout: timeoutMs }).catch(mapped);
    this.#trace?.record('stmt', sql, t0, t0, performance.now());
    return r;
  }

  #open(): void {
    if (this.#closed) throw new PrintgateError('STORAGE_UNAVAILABLE', 'the database is closed');
  }

  async all<T = Row>(sql: string, params: Params = []): Promise<T[]> { this.#open(); return this.#direct.all<T>(sql, params); }
  async get<T = Row>(sql: string, params: Params = []): Promise<T | undefined> { this.#open(); return this.#direct.get<T>(sql, params); }
  async run(sql: string, params: Params = []): Promise<{ changes: number }> { this.#open(); return this.#direct.run(sql, params); }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    this.#open();
    for (let attempt = 1; ; attempt++) {
      const t0 = performance.now();
      const client = await this.#pool.connect().catch(mapped);
      const t1 = performance.now();
      let broken: Error | undefined;
      // The pool listens for errors only on idle connections: one that dies while we hold
      // it (server restart, backend killed) would emit an unhandled 'error' and crash the
      // process. Record it; the next query fails, and the connection is discarded.
      const onError = (err: Error) => { broken = err; };
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const result = await fn(this.#on(client));
        await client.query('COMMIT');
        this.#trace?.record('tx', 'transaction', t0, t1, performance.now());
        return result;
      } catch (e) {
        // A lost or silent connection (statements inside arrive mapped already) can fail the
        // query before its 'error' event arrives, or never send one: discard the client, so
        // the pool never hands out a dead one, and skip a ROLLBACK that would only wait out
        // the time limit again (the server rolls back when the connection goes).
        const failure = storageError(e);
        if (failure !== e || (e instanceof PrintgateError && e.code === 'STORAGE_UNAVAILABLE')) broken ??= e as Error;
        if (!broken) {
          try {
            await client.query('ROLLBACK');
          } catch (rollbackError) {
            broken = rollbackError as Error;
          }
        }
        const code = (e as { code?: string }).code;
        if ((code === '40001' || code === '40P01') && attempt < 5) continue;
        throw failure;
      } finally {
        client.removeListener('error', onError);
        client.release(broken);
      }
    }
  }

  isUniqueViolation(error: unknown): boolean {
    return (error as { code?: string })?.code === '23505';
  }

  /** A transaction that may also run multi-statement SQL (migrations). */
  async migrationTransaction<T>(fn: (tx: Queryable, exec: (sql: string) => Promise<void>) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect().catch(mapped);
    let broken: Error | undefined;
    const onError = (err: Error) => { broken = err; };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      // A migration may take long (an index on a big table), or wait for another process's.
      await client.query({ text: 'SET LOCAL statement_timeout = 0', query_timeout: UNLIMITED_MS });
      const result = await fn(this.#on(client, UNLIMITED_MS), async (sql) => { await client.query({ text: sql, query_timeout: UNLIMITED_MS }); });
      await client.query('COMMIT');
      return result;
    } catch (e) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => { broken ??= rollbackError; });
      throw storageError(e);
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#trace?.close();
    await this.#pool.end();
  }
}
