// The SQLite engine (node:sqlite, synchronous). One connection per process, in WAL mode,
// with a busy timeout so several processes can share the file. Because every call is
// synchronous, a statement run while no transaction is open cannot interleave with
// anything and runs at once; while a transaction is open (it awaits between statements),
// other calls queue behind it, so nothing ever reads another caller's uncommitted rows.
// Prepared statements are cached by SQL text.
//
// Durability: a transaction acknowledged to a caller is in the WAL file. With
// synchronous=NORMAL (our default) it survives a crash or kill -9 of the process (the OS
// still writes it) but the last transactions may be lost on power loss or an OS crash;
// with synchronous=FULL (PRINTGATE_SQLITE_SYNC=full) the WAL is fsynced at every commit and
// survives power loss too, at the cost of one fsync per transaction.
//
// Checkpoints (copying the WAL back into the database file, with fsyncs) run in a worker
// thread on its own connection, so no request ever waits for one on the event loop.

import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { Worker } from 'node:worker_threads';
import type { Dialect, Params, Queryable, Row, Storage } from './port.ts';

export interface SqliteOptions {
  path: string;
  synchronous?: 'NORMAL' | 'FULL';
  busyTimeoutMs?: number;
  /** Checkpoint from a worker thread instead of inside commits (default true). */
  checkpointWorker?: boolean;
}

const CHECKPOINT_MS = 250;
/** The worker: a PASSIVE checkpoint every CHECKPOINT_MS (never blocks writers or readers). */
const CHECKPOINTER = `
const { DatabaseSync } = require('node:sqlite');
const { workerData, parentPort } = require('node:worker_threads');
const db = new DatabaseSync(workerData.path, { timeout: 0 });
const timer = setInterval(() => { try { db.exec('PRAGMA wal_checkpoint(PASSIVE)'); } catch {} }, workerData.everyMs);
parentPort.on('message', () => { clearInterval(timer); try { db.close(); } catch {} parentPort.close(); });
`;

/** SQLITE_BUSY (5) and its extended codes: another connection holds the lock. */
function isBusy(e: unknown): boolean {
  const code = (e as { errcode?: number })?.errcode;
  return typeof code === 'number' && (code & 0xff) === 5;
}

export class SqliteStorage implements Storage {
  readonly dialect: Dialect = { engine: 'sqlite', forUpdate: '', listAgg: (e) => `group_concat(${e}, ',')` };
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  #queue: Promise<void> = Promise.resolve();
  #inTransaction = false;
  #closed = false;
  readonly #direct: Queryable;
  readonly #busyTimeoutMs: number;
  #checkpointer: Worker | null = null;

  constructor(options: SqliteOptions) {
    // No blocking busy timeout: a wait for another connection's write lock would freeze the
    // whole event loop (and deadlock with a connection of the same process), so BUSY is
    // retried asynchronously instead, for up to busyTimeoutMs.
    this.#busyTimeoutMs = options.busyTimeoutMs ?? 10_000;
    this.#db = new DatabaseSync(options.path, { timeout: 0 });
    this.#db.exec('PRAGMA journal_mode = WAL');
    this.#db.exec(`PRAGMA synchronous = ${options.synchronous === 'FULL' ? 'FULL' : 'NORMAL'}`);
    this.#db.exec('PRAGMA foreign_keys = ON');
    this.#db.exec('PRAGMA temp_store = MEMORY');
    this.#db.exec('PRAGMA cache_size = -65536');
    if (options.checkpointWorker !== false && options.path !== ':memory:') {
      this.#db.exec('PRAGMA wal_autocheckpoint = 0');
      this.#checkpointer = new Worker(CHECKPOINTER, { eval: true, workerData: { path: options.path, everyMs: CHECKPOINT_MS } });
      this.#checkpointer.unref();
    }
    const self = this;
    this.#direct = {
      async all<T>(sql: string, params: Params = []) { return self.#stmt(sql).all(...params) as T[]; },
      async get<T>(sql: string, params: Params = []) { return self.#stmt(sql).get(...params) as T | undefined; },
      async run(sql: string, params: Params = []) { return { changes: Number(self.#stmt(sql).run(...params).changes) }; },
    };
  }

  #stmt(sql: string): StatementSync {
    let s = this.#statements.get(sql);
    if (!s) {
      s = this.#db.prepare(sql);
      this.#statements.set(sql, s);
    }
    return s;
  }

  /** Run `fn` now when the connection is idle, else after the open transaction(s). */
  async #whenIdle<T>(fn: () => T): Promise<T> {
    if (!this.#inTransaction && this.#queueEmpty) {
      try {
        return fn();
      } catch (e) {
        if (!isBusy(e)) throw e;
      }
    }
    return this.#exclusive(() => this.#retryBusy(fn));
  }

  /** Retry `fn` while another connection holds the write lock, with a growing pause. */
  async #retryBusy<T>(fn: () => T): Promise<T> {
    const start = performance.now();
    for (let pause = 1; ; pause = Math.min(pause * 2, 50)) {
      try {
        return fn();
      } catch (e) {
        if (!isBusy(e) || performance.now() - start > this.#busyTimeoutMs) throw e;
      }
      await new Promise((r) => setTimeout(r, pause));
    }
  }

  #pending = 0;
  get #queueEmpty(): boolean { return this.#pending === 0; }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    this.#pending++;
    const run = this.#queue.then(fn);
    this.#queue = run.then(() => undefined, () => undefined).finally(() => { this.#pending--; });
    return run;
  }

  all<T = Row>(sql: string, params: Params = []): Promise<T[]> {
    return this.#whenIdle(() => this.#stmt(sql).all(...params) as T[]);
  }
  get<T = Row>(sql: string, params: Params = []): Promise<T | undefined> {
    return this.#whenIdle(() => this.#stmt(sql).get(...params) as T | undefined);
  }
  run(sql: string, params: Params = []): Promise<{ changes: number }> {
    return this.#whenIdle(() => ({ changes: Number(this.#stmt(sql).run(...params).changes) }));
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.#exclusive(async () => {
      if (this.#closed) throw new Error('storage is closed');
      await this.#retryBusy(() => this.#db.exec('BEGIN IMMEDIATE'));
      this.#inTransaction = true;
      try {
        const result = await fn(this.#direct);
        this.#db.exec('COMMIT');
        return result;
      } catch (e) {
        if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
        throw e;
      } finally {
        this.#inTransaction = false;
      }
    });
  }

  isUniqueViolation(error: unknown): boolean {
    const e = error as { code?: string; errcode?: number };
    return e?.code === 'ERR_SQLITE_ERROR' && (e.errcode === 2067 || e.errcode === 1555);
  }

  migrationTransaction<T>(fn: (tx: Queryable, exec: (sql: string) => Promise<void>) => Promise<T>): Promise<T> {
    return this.transaction((tx) => fn(tx, async (sql) => { this.#db.exec(sql); }));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue;
    if (this.#checkpointer) {
      const w = this.#checkpointer;
      const exited = new Promise((r) => w.once('exit', r));
      w.ref(); // keep the process alive until the worker has closed its connection
      w.postMessage('stop');
      await exited;
    }
    this.#statements.clear();
    this.#db.close();
  }
}
