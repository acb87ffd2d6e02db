// The SQLite engine (node:sqlite, synchronous). One connection per process, in WAL mode;
// several processes can share the file (a busy write lock is waited for asynchronously).
// Because every call is synchronous, a statement run while no transaction is open cannot
// interleave with anything and runs at once; while a transaction is open (it awaits
// between statements), other calls queue behind it, so nothing ever reads another
// caller's uncommitted rows. Transactions waiting at the same time are group-committed
// (see transaction()). Prepared statements are cached by SQL text.
//
// Durability: a transaction acknowledged to a caller is in the WAL file (acknowledged only
// after its group's COMMIT). With
// synchronous=NORMAL (our default) it survives a crash or kill -9 of the process (the OS
// still writes it) but the last transactions may be lost on power loss or an OS crash;
// with synchronous=FULL (PRINTGATE_SQLITE_SYNC=full) the WAL is fsynced at every commit and
// survives power loss too, at the cost of one fsync per transaction.
//
// Checkpoints (copying the WAL back into the database file, with fsyncs) run in a worker
// thread on its own connection (sqlite-checkpoint.ts), so requests do not wait for one on the event loop (but see
// the backstop below). A PASSIVE checkpoint alone never lets the WAL start over under
// sustained writes (SQLite rewinds it only when a write begins with every frame copied, and
// commits keep landing while the worker copies: measured, 1.26 GB of WAL for a 38 MB
// database after 22 s of bench:server), so once the WAL passes `walRestartBytes` the worker
// follows its PASSIVE pass with a RESTART checkpoint: that one holds the write lock while
// it copies what the pass missed and syncs (milliseconds), and the next write rewinds the
// WAL over its own, already allocated, blocks. Under a heavy write load the write lock is
// almost never free, so the two threads take turns through a shared flag: the worker raises
// it, the next batch sees it before its BEGIN and waits (asynchronously, at most
// YIELD_MAX_MS) until the worker is done; a writer that does not look (another process) is
// simply waited for. Once writes stop the worker truncates the file (TRUNCATE, on the
// second pass that finds nothing new); while they go on, it keeps its largest size (overwriting
// is cheaper than growing a file again) up to the hard bound below, to which
// journal_size_limit cuts it. The bound is approximate: between two restarts the WAL grows
// by whatever lands during one checkpoint cycle, so by how much CPU the worker gets. A
// worker starved of it (a loaded machine) let it reach 16-30x the bound in tests, so the
// batches keep a backstop: past WAL_HARD_FACTOR x the bound, the next batch waits for the
// worker's pass to end and checkpoints (RESTART) on its own connection first, synchronously
// (see #walBackstop()). Only this process's writes are held to that.
//
// Failures: a lock held elsewhere (BUSY, LOCKED, PROTOCOL) is retried for busyTimeoutMs;
// when that runs out, and for I/O errors, a full disk or a file that cannot be opened, the
// caller gets STORAGE_UNAVAILABLE (503, which agents retry), never a bare SQLite error (an
// "Internal error" 500). A batch whose transaction SQLite rolled back by itself (I/O error,
// full disk) fails as a whole with that cause, and a transaction a failure left open is
// rolled back before the next one, so one failure never wedges the connection.

import { statSync } from 'node:fs';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { Dialect, Params, Queryable, Row, Storage } from './port.ts';
import { PrintgateError } from '../../shared/errors.ts';
import { CHECKPOINT_MS, Checkpointer, WAL_RESTART_BYTES, withPauses } from './sqlite-checkpoint.ts';

export interface SqliteOptions {
  path: string;
  synchronous?: 'NORMAL' | 'FULL';
  busyTimeoutMs?: number;
  /** Checkpoint from a worker thread instead of inside commits (default true). */
  checkpointWorker?: boolean;
  /** The worker's pause between checkpoints, ms (default 250). */
  checkpointEveryMs?: number;
  /** WAL size beyond which the worker makes it start over (default 64 MiB). */
  walRestartBytes?: number;
}

/** Past this multiple of the bound, batches checkpoint themselves (see #walBackstop()). */
const WAL_HARD_FACTOR = 4;
/** Most transactions committed together (see transaction()). */
const MAX_BATCH = 256;

/** Primary result codes worth waiting out: BUSY (5), LOCKED (6), PROTOCOL (15, WAL-index contention). */
const TRANSIENT = new Set([5, 6, 15]);
/** The file cannot be used right now: IOERR (10), FULL (13), CANTOPEN (14). */
const UNUSABLE = new Set([10, 13, 14]);

/** SQLite's primary result code of an error node:sqlite threw (extended codes carry it in the low byte). */
function sqliteCode(e: unknown): number | undefined {
  const x = e as { code?: string; errcode?: number } | null;
  return x?.code === 'ERR_SQLITE_ERROR' && typeof x.errcode === 'number' ? x.errcode & 0xff : undefined;
}

/** Another connection holds a lock (or is recovering the WAL): worth another try. */
function isBusy(e: unknown): boolean {
  const code = sqliteCode(e);
  return code !== undefined && TRANSIENT.has(code);
}

/** A SQLite failure that is about the database's availability becomes STORAGE_UNAVAILABLE; anything else is unchanged. */
export function storageError(e: unknown): unknown {
  const code = sqliteCode(e);
  if (code === undefined || !(TRANSIENT.has(code) || UNUSABLE.has(code))) return e;
  const message = TRANSIENT.has(code) ? 'the database stayed locked by another connection; try again' : 'the database cannot be read or written right now';
  return new PrintgateError('STORAGE_UNAVAILABLE', message, undefined, { cause: e });
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
  #checkpointer: Checkpointer | null = null;
  /** The WAL file and the size past which batches checkpoint themselves (0: no backstop). */
  readonly #walPath: string;
  #walHardBytes = 0;
  /** Where the backstop looks again after it could not restart the WAL (see #walBackstop()). */
  #walBackstopAt = 0;
  /** Settles close() once nothing is queued or scheduled (see close()). */
  #drainWaiters: Array<() => void> = [];
  #closing: Promise<void> | null = null;

  constructor(options: SqliteOptions) {
    // No blocking busy timeout: a wait for another connection's write lock would freeze the
    // whole event loop (and deadlock with a connection of the same process), so BUSY is
    // retried asynchronously instead, for up to busyTimeoutMs.
    this.#busyTimeoutMs = options.busyTimeoutMs ?? 10_000;
    this.#db = new DatabaseSync(options.path, { timeout: 0 });
    // While opening (nothing else runs yet), wait for a lock synchronously: right after a
    // crash another process may be recovering the WAL, or still exiting with the lock.
    this.#db.exec(`PRAGMA busy_timeout = ${Math.floor(this.#busyTimeoutMs)}`);
    this.#db.exec('PRAGMA journal_mode = WAL');
    this.#db.exec(`PRAGMA synchronous = ${options.synchronous === 'FULL' ? 'FULL' : 'NORMAL'}`);
    this.#db.exec('PRAGMA foreign_keys = ON');
    this.#db.exec('PRAGMA temp_store = MEMORY');
    this.#db.exec('PRAGMA cache_size = -65536');
    this.#db.exec('PRAGMA busy_timeout = 0');
    this.#walPath = `${options.path}-wal`;
    if (options.checkpointWorker !== false && options.path !== ':memory:') {
      const restartBytes = Math.max(1, Math.floor(options.walRestartBytes ?? WAL_RESTART_BYTES));
      this.#db.exec('PRAGMA wal_autocheckpoint = 0');
      this.#walHardBytes = this.#walBackstopAt = WAL_HARD_FACTOR * restartBytes;
      this.#db.exec(`PRAGMA journal_size_limit = ${this.#walHardBytes}`);
      // Should the worker ever fail, checkpoint inside commits again rather than let the WAL
      // grow, and never wait for it again.
      this.#checkpointer = new Checkpointer(options.path, restartBytes, options.checkpointEveryMs ?? CHECKPOINT_MS, (restarted) => {
        if (restarted) this.walRestarts++;
      }, () => {
        this.#walHardBytes = 0;
        this.#checkpointer = null;
        if (!this.#closed) this.#db.exec('PRAGMA wal_autocheckpoint = 1000');
      });
    }
    const self = this;
    const mapped = <T>(fn: () => T): T => {
      try {
        return fn();
      } catch (e) {
        throw storageError(e);
      }
    };
    this.#direct = {
      async all<T>(sql: string, params: Params = []) { return mapped(() => self.#stmt(sql).all(...params) as T[]); },
      async get<T>(sql: string, params: Params = []) { return mapped(() => self.#stmt(sql).get(...params) as T | undefined); },
      async run(sql: string, params: Params = []) { return mapped(() => ({ changes: Number(self.#stmt(sql).run(...params).changes) })); },
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
    if (this.#closed) throw new PrintgateError('STORAGE_UNAVAILABLE', 'the database is closed');
    if (!this.#inTransaction && this.#queueEmpty) {
      try {
        return fn();
      } catch (e) {
        if (!isBusy(e)) throw storageError(e);
      }
    }
    return this.#exclusive(async () => {
      try {
        return await this.#retryBusy(fn);
      } catch (e) {
        throw storageError(e);
      }
    });
  }

  /** Retry `fn` while another connection holds the write lock (withPauses). */
  async #retryBusy<T>(fn: () => T): Promise<T> {
    let result: T | undefined;
    let busy: unknown;
    const done = await withPauses(() => {
      try {
        result = fn();
        return true;
      } catch (e) {
        if (!isBusy(e)) throw e;
        busy = e;
        return false;
      }
    }, this.#busyTimeoutMs);
    if (!done) throw busy;
    return result as T;
  }

  /** The backstop for a checkpoint worker that fell behind (see the header); before a BEGIN. */
  // The worker may be in the middle of its pass, holding the checkpoint lock (RESTART then
  // answers busy at once): the batch waits for it with short pauses, writing nothing, which
  // also leaves the CPU to it. RESTART copies what the worker has not (synchronously, on
  // the event loop: this is the price of the bound) and makes the batch's write rewind the
  // WAL, its commit cutting the file back to the hard bound. When it cannot get there within
  // busyTimeoutMs (a reader or writer in another process), the batch goes ahead and the
  // backstop looks again only once the WAL has grown by another hard bound, so that costs
  // one wait per hard bound of growth, not one per batch.
  async #walBackstop(): Promise<void> {
    if (this.#walHardBytes === 0) return;
    const size = statSync(this.#walPath, { throwIfNoEntry: false })?.size ?? 0;
    if (size <= this.#walHardBytes) this.#walBackstopAt = this.#walHardBytes;
    if (size <= this.#walBackstopAt) return;
    this.walBackstops++;
    const restart = this.#stmt('PRAGMA wal_checkpoint(RESTART)');
    const done = await withPauses(() => {
      try {
        return Number((restart.get() as { busy: number }).busy) === 0;
      } catch (e) {
        if (!isBusy(e)) throw e;
        return false;
      }
    }, this.#busyTimeoutMs);
    if (!done) this.#walBackstopAt = size + this.#walHardBytes;
  }

  #pending = 0;
  get #queueEmpty(): boolean { return this.#pending === 0; }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    this.#pending++;
    const run = this.#queue.then(fn);
    this.#queue = run.then(() => undefined, () => undefined).finally(() => {
      this.#pending--;
      this.#wakeDrained();
    });
    return run;
  }

  /** Nothing queued and no batch scheduled: settle what close() waits on. */
  #wakeDrained(): void {
    if (this.#pending > 0 || this.#batchScheduled) return;
    const waiting = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const resolve of waiting) resolve();
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

  /**
   * Group commit: transactions requested in the same turn of the event loop (and those
   * that queue up while a batch runs) share one SQLite transaction, each inside its own
   * SAVEPOINT (so each still commits or rolls back as a whole), and are acknowledged
   * together after the one COMMIT. The batch starts on setImmediate, after the poll phase:
   * an HTTP server reads each request in its own I/O callback and the microtasks run
   * between them, so starting at once (as a microtask) made every batch a batch of one.
   * Deferred, the requests read in one poll phase (under load, tens of them) share the
   * BEGIN and COMMIT and the writes of the shared pages (the tail of the job log, index
   * pages); alone, a transaction waits only for the rest of the current loop turn.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new PrintgateError('STORAGE_UNAVAILABLE', 'the database is closed'));
    return new Promise<T>((resolve, reject) => {
      this.#batch.push({ fn: fn as (tx: Queryable) => Promise<unknown>, resolve: resolve as (v: unknown) => void, reject });
      if (!this.#batchScheduled) {
        this.#batchScheduled = true;
        setImmediate(this.#startBatch);
      }
    });
  }

  readonly #startBatch = (): void => {
    void this.#exclusive(() => this.#runBatch());
  };

  /** Times the worker made the WAL start over (RESTART or TRUNCATE that got through; for tests). */
  walRestarts = 0;
  /** Times a batch found the WAL past the hard bound and checkpointed itself (for tests). */
  walBackstops = 0;

  /** Batches run and their sizes (for tests and benchmarks). */
  readonly batchStats = { batches: 0, transactions: 0, largest: 0 };

  #batch: Array<{ fn: (tx: Queryable) => Promise<unknown>; resolve: (v: unknown) => void; reject: (e: unknown) => void }> = [];
  #batchScheduled = false;

  async #runBatch(): Promise<void> {
    const items = this.#batch.splice(0, MAX_BATCH);
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    const stats = this.batchStats;
    stats.batches++;
    stats.transactions += items.length;
    if (items.length > stats.largest) stats.largest = items.length;
    // A batch of one needs no savepoint: its failure rolls back the whole transaction.
    const alone = items.length === 1;
    try {
      // No transaction is ever open between batches; one still open is what a failure left
      // behind (a ROLLBACK that failed): undo it, or every BEGIN from now on would fail.
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      await this.#checkpointer?.yieldIfWanted();
      await this.#walBackstop();
      // The transaction-control statements run as cached prepared statements: exec() would
      // parse each again, and a batch runs two of them per operation.
      await this.#retryBusy(() => this.#stmt('BEGIN IMMEDIATE').run());
      this.#inTransaction = true;
      const savepoint = this.#stmt('SAVEPOINT op');
      const release = this.#stmt('RELEASE op');
      let kept = 0;
      for (const item of items) {
        if (!alone) savepoint.run();
        try {
          const value = await item.fn(this.#direct);
          if (!alone) release.run();
          outcomes.push({ ok: true, value });
          kept++;
        } catch (error) {
          // SQLite rolled the whole transaction back by itself (I/O error, full disk): the
          // earlier operations of the batch are gone too; fail the batch with this cause.
          if (!this.#db.isTransaction) throw error;
          if (!alone) {
            this.#db.exec('ROLLBACK TO op');
            this.#db.exec('RELEASE op');
          }
          outcomes.push({ ok: false, error });
        }
      }
      // Nothing to keep (a lone transaction failed, or all of them): roll back.
      this.#stmt(kept === 0 ? 'ROLLBACK' : 'COMMIT').run();
    } catch (error) {
      // BEGIN, a savepoint or COMMIT failed: nothing of this batch is kept.
      try {
        if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      } catch {
        // Left open: the next batch rolls it back before it begins.
      }
      const failure = storageError(error);
      outcomes.length = 0;
      for (let i = 0; i < items.length; i++) outcomes.push({ ok: false, error: failure });
    } finally {
      this.#inTransaction = false;
      // Later arrivals form the next batch, behind whatever else queued meanwhile.
      if (this.#batch.length > 0) void this.#exclusive(() => this.#runBatch());
      else this.#batchScheduled = false;
    }
    items.forEach((item, i) => {
      const o = outcomes[i]!;
      if (o.ok) item.resolve(o.value);
      else item.reject(o.error);
    });
  }

  isUniqueViolation(error: unknown): boolean {
    const e = error as { code?: string; errcode?: number };
    return e?.code === 'ERR_SQLITE_ERROR' && (e.errcode === 2067 || e.errcode === 1555);
  }

  migrationTransaction<T>(fn: (tx: Queryable, exec: (sql: string) => Promise<void>) => Promise<T>): Promise<T> {
    return this.transaction((tx) => fn(tx, async (sql) => { this.#db.exec(sql); }));
  }

  /**
   * New calls fail (STORAGE_UNAVAILABLE) from here on; those made before still run: the
   * batch waiting for its setImmediate, the batches and statements queued behind the one
   * running (awaiting the queue as it stood would close the database under them).
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    await new Promise<void>((resolve) => {
      this.#drainWaiters.push(resolve);
      this.#wakeDrained();
    });
    await this.#checkpointer?.stop();
    this.#statements.clear();
    this.#db.close();
  }
}
