// A Core bound to one open database transaction, so that any service operation written
// against Core runs unchanged *inside* a caller's transaction (the admin API's
// Idempotency-Key stores its answer in the same transaction as the operation's effects,
// see idempotency.ts). Within the bound core:
// - `db` is the transaction: reads see its own uncommitted writes, and the operation's own
//   `db.transaction(fn)` calls nest in it as SAVEPOINTs, one at a time (a nested failure
//   is undone alone, exactly as a failed transaction would be; nothing commits before the
//   outer COMMIT).
//   Nothing may reach the process's real storage while the transaction is open: on SQLite
//   that call would queue behind the very transaction waiting for it.
// - `caches` start from the process snapshot taken before the transaction opened; once the
//   operation changes something cached (invalidate), they reload through the transaction.
// - `notifier` events (waking long-polling agents) are held until the outer COMMIT and
//   dropped on rollback, so no agent is woken for an event that does not exist yet.
// committed() then makes the process's own caches reload (if the operation changed
// something cached) and delivers the held events.

import { EventEmitter } from 'node:events';
import { PrintgateError } from '../../shared/errors.ts';
import type { Dialect, Params, Queryable, Row, Storage } from '../storage/port.ts';
import { Caches, type Snapshot, type PrinterRow } from './cache.ts';
import type { Core } from './core.ts';

/** The Storage port over an open transaction; nested transactions are savepoints. */
class TransactionStorage implements Storage {
  readonly dialect: Dialect;
  readonly #outer: Storage;
  readonly #tx: Queryable;
  /** Nested transactions run one after another, as the engines run transactions. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(outer: Storage, tx: Queryable) {
    this.dialect = outer.dialect;
    this.#outer = outer;
    this.#tx = tx;
  }

  all<T = Row>(sql: string, params?: Params): Promise<T[]> { return this.#tx.all<T>(sql, params); }
  get<T = Row>(sql: string, params?: Params): Promise<T | undefined> { return this.#tx.get<T>(sql, params); }
  run(sql: string, params?: Params): Promise<{ changes: number }> { return this.#tx.run(sql, params); }

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const run = this.#queue.then(() => this.#savepoint(fn));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #savepoint<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    await this.#tx.run('SAVEPOINT nested');
    try {
      const result = await fn(this.#tx);
      await this.#tx.run('RELEASE SAVEPOINT nested');
      return result;
    } catch (error) {
      // PostgreSQL: this also clears the "transaction is aborted" state a failed statement left.
      await this.#tx.run('ROLLBACK TO SAVEPOINT nested');
      await this.#tx.run('RELEASE SAVEPOINT nested');
      throw error;
    }
  }

  isUniqueViolation(error: unknown): boolean {
    return this.#outer.isUniqueViolation(error);
  }

  migrationTransaction<T>(): Promise<T> {
    return Promise.reject(new PrintgateError('INTERNAL', 'no migration inside an operation\'s transaction'));
  }

  close(): Promise<void> {
    return Promise.reject(new PrintgateError('INTERNAL', 'the database cannot be closed from inside a transaction'));
  }
}

/** Caches seen from inside the transaction: the process snapshot until something changes. */
class TransactionCaches extends Caches {
  #first: Snapshot | null;
  #changed = false;

  constructor(storage: Storage, first: Snapshot) {
    super(storage);
    this.#first = first;
  }

  get changed(): boolean { return this.#changed; }

  override async get(): Promise<Snapshot> {
    return this.#first ?? super.get();
  }

  override invalidate(): void {
    this.#first = null;
    this.#changed = true;
    super.invalidate();
  }

  override addPrinter(p: PrinterRow): void {
    // The first snapshot is the process's: never add an uncommitted printer to it.
    this.invalidate();
    super.addPrinter(p);
  }
}

/** Holds emitted events until the transaction committed. */
class HeldEvents extends EventEmitter {
  readonly #held: Array<{ event: string | symbol; args: unknown[] }> = [];

  override emit(event: string | symbol, ...args: unknown[]): boolean {
    this.#held.push({ event, args });
    return true;
  }

  deliver(to: EventEmitter): void {
    for (const { event, args } of this.#held.splice(0)) to.emit(event, ...args);
  }
}

export interface BoundCore {
  readonly core: Core;
  /** After the outer transaction committed: reload the process's caches, deliver events. */
  committed(): void;
}

/** `snapshot` must be the process's, read before the transaction opened. */
export function bindToTransaction(outer: Core, tx: Queryable, snapshot: Snapshot): BoundCore {
  const db = new TransactionStorage(outer.db, tx);
  const caches = new TransactionCaches(db, snapshot);
  const notifier = new HeldEvents();
  notifier.setMaxListeners(0);
  const core: Core = {
    db, clock: outer.clock, caches, notifier, eventRecheckMs: outer.eventRecheckMs, closing: outer.closing,
  };
  return {
    core,
    committed() {
      if (caches.changed) outer.caches.invalidate();
      notifier.deliver(outer.notifier);
    },
  };
}
