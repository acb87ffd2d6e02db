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

import pg, { type Pool } from 'pg';
import { PrintgateError } from '../../shared/errors.ts';
import { numberPlaceholders, type Dialect, type Params, type Queryable, type Row, type Storage } from './port.ts';

const INT8 = 20, NUMERIC = 1700;

export interface PostgresOptions {
  url: string;
  poolSize?: number;
}

export class PostgresStorage implements Storage {
  readonly dialect: Dialect = { engine: 'postgres', forUpdate: ' FOR UPDATE', listAgg: (e) => `string_agg(CAST(${e} AS TEXT), ',')` };
  readonly #pool: Pool;
  readonly #names = new Map<string, { text: string; name: string }>();
  #closed = false;

  constructor(options: PostgresOptions) {
    this.#pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? Number(process.env.PRINTGATE_PG_POOL ?? 16),
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 30_000,
      application_name: 'printgate',
      types: {
        getTypeParser: (oid: number, format?: string) =>
          oid === INT8 || oid === NUMERIC ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format),
      },
    });
    // An idle connection that dies must not crash the process; the next query reconnects.
    this.#pool.on('error', () => {});
  }

  #config(sql: string, params: Params): { text: string; name: string; values: unknown[] } {
    let c = this.#names.get(sql);
    if (!c) {
      c = { text: numberPlaceholders(sql), name: `pg${this.#names.size}` };
      this.#names.set(sql, c);
    }
    return { ...c, values: params as unknown[] };
  }

  #on(client: { query: Pool['query'] }): Queryable {
    return {
      all: async <T>(sql: string, params: Params = []) => (await client.query(this.#config(sql, params))).rows as T[],
      get: async <T>(sql: string, params: Params = []) => (await client.query(this.#config(sql, params))).rows[0] as T | undefined,
      run: async (sql: string, params: Params = []) => ({ changes: (await client.query(this.#config(sql, params))).rowCount ?? 0 }),
    };
  }

  #open(): void {
    if (this.#closed) throw new PrintgateError('STORAGE_UNAVAILABLE', 'the database is closed');
  }

  async all<T = Row>(sql: string, params: Params = []): Promise<T[]> { this.#open(); return this.#on(this.#pool).all<T>(sql, params); }
  async get<T = Row>(sql: string, params: Params = []): Promise<T | undefined> { this.#open(); return this.#on(this.#pool).get<T>(sql, params); }
  async run(sql: string, params: Params = []): Promise<{ changes: number }> { this.#open(); return this.#on(this.#pool).run(sql, params); }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    this.#open();
    for (let attempt = 1; ; attempt++) {
      const client = await this.#pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await fn(this.#on(client));
        await client.query('COMMIT');
        return result;
      } catch (e) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          broken = rollbackError as Error;
        }
        const code = (e as { code?: string }).code;
        if ((code === '40001' || code === '40P01') && attempt < 5) continue;
        throw e;
      } finally {
        client.release(broken);
      }
    }
  }

  isUniqueViolation(error: unknown): boolean {
    return (error as { code?: string })?.code === '23505';
  }

  /** A transaction that may also run multi-statement SQL (migrations). */
  async migrationTransaction<T>(fn: (tx: Queryable, exec: (sql: string) => Promise<void>) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(this.#on(client), async (sql) => { await client.query(sql); });
      await client.query('COMMIT');
      return result;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }
}
