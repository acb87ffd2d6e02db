// The storage port: the one interface the service uses to reach a database, whichever
// engine is behind it. SQL is shared between engines and written with `?` placeholders and
// the common subset of SQLite and PostgreSQL (RETURNING, ON CONFLICT, partial indexes);
// the engines translate placeholders and supply the few dialect differences below.
// Integers come back as JavaScript numbers on both engines (all our values are safe
// integers: money in minor units, ids, epoch milliseconds).

export type Row = Record<string, unknown>;
export type Params = ReadonlyArray<string | number | null>;

/** Executes statements: the database itself, or an open transaction. */
export interface Queryable {
  all<T = Row>(sql: string, params?: Params): Promise<T[]>;
  get<T = Row>(sql: string, params?: Params): Promise<T | undefined>;
  /** For statements without RETURNING; `changes` = rows affected. */
  run(sql: string, params?: Params): Promise<{ changes: number }>;
}

export interface Dialect {
  readonly engine: 'sqlite' | 'postgres';
  /** ` FOR UPDATE` on PostgreSQL, '' on SQLite (whose write transactions are exclusive). */
  readonly forUpdate: string;
  /** Aggregate of integers into a comma-separated text: group_concat / string_agg. */
  readonly listAgg: (expr: string) => string;
}

export interface Storage extends Queryable {
  readonly dialect: Dialect;
  /**
   * Run `fn` in one write transaction: committed when it resolves, rolled back when it
   * throws. SQLite: BEGIN IMMEDIATE (one writer at a time, also across processes);
   * PostgreSQL: READ COMMITTED on one pooled connection.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Whether an error is a unique-constraint violation (a lost race on an insert). */
  isUniqueViolation(error: unknown): boolean;
  /** One transaction in which multi-statement SQL (a migration) may also run. */
  migrationTransaction<T>(fn: (tx: Queryable, exec: (sql: string) => Promise<void>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Rewrite `?` placeholders as `$1, $2, ...` (our SQL never has `?` inside string literals). */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
