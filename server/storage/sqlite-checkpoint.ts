// The SQLite engine's checkpoint worker (see the header of sqlite.ts for why checkpoints
// run in a worker thread and how the WAL is kept bounded), the flag the worker and the
// main thread share to take turns at the write lock, and the pause-doubling retry loop
// both the busy retries and the WAL backstop use.

import { Worker } from 'node:worker_threads';

/** The worker's pause between checkpoints, ms. */
export const CHECKPOINT_MS = 250;
/** WAL size beyond which the worker makes it start over. */
export const WAL_RESTART_BYTES = 64 * 1024 * 1024;
/** How long the worker's RESTART checkpoint waits for a writer to let go of the lock. */
const RESTART_WAIT_MS = 100;
/** Longest a batch waits for the worker's RESTART before it goes ahead (and may get BUSY). */
const YIELD_MAX_MS = 200;
/** The shared flag's states: nothing asked; the worker wants the lock; a batch let it have it. */
const FLAG_IDLE = 0;
const FLAG_WANTED = 1;
const FLAG_YIELDED = 2;
/** Longest pause between two tries of withPauses(). */
const MAX_PAUSE_MS = 8;

/**
 * Call `attempt` until it returns true, pausing 1, 2, 4, then 8 ms between tries; false
 * when `limitMs` has passed after a failed try. The pauses stay short: the usual holder of
 * the lock waited for is our own checkpoint worker's RESTART, for a few milliseconds, and
 * every pause beyond its end is latency added to the requests waiting, while a failed try
 * costs microseconds.
 */
export async function withPauses(attempt: () => boolean, limitMs: number): Promise<boolean> {
  const start = performance.now();
  for (let pause = 1; ; pause = Math.min(pause * 2, MAX_PAUSE_MS)) {
    if (attempt()) return true;
    if (performance.now() - start > limitMs) return false;
    await new Promise((r) => setTimeout(r, pause));
  }
}

/** The worker: a PASSIVE checkpoint every `everyMs` (never blocks writers or readers), and
 *  a RESTART right after it once the WAL holds more than `restartBytes` (see sqlite.ts). */
// It opens its connection lazily and retries: right after a crash the first connection
// runs WAL recovery and others may briefly get SQLITE_BUSY. Its busy timeout only serves
// the RESTART (PASSIVE never waits), which waits that long for the write lock, sleeping in
// this thread, and falls back to PASSIVE when it does not get it. When the WAL is idle
// (everything copied, nothing committed since the previous pass) it uses TRUNCATE
// instead, which also empties the file, so an idle WAL goes back to nothing rather than
// staying at its largest. Not under load: a pass that merely caught up then truncated the
// file each cycle, and growing it again cost throughput (25 TRUNCATEs in 20 s of
// bench:server, 5,982-7,085 pairs/s against 6,966-7,563 with RESTART, alternating runs).
// It tells the main thread whether the WAL was made to start over (busy 0) or not.
const CHECKPOINTER = `
const { DatabaseSync } = require('node:sqlite');
const { workerData, parentPort } = require('node:worker_threads');
let db = null, passive, restart, truncate, frameBytes, lastLog = -1;
const timer = setInterval(() => {
  try {
    if (!db) {
      db = new DatabaseSync(workerData.path, { timeout: workerData.restartWaitMs });
      passive = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
      restart = db.prepare('PRAGMA wal_checkpoint(RESTART)');
      truncate = db.prepare('PRAGMA wal_checkpoint(TRUNCATE)');
      frameBytes = 24 + Number(db.prepare('PRAGMA page_size').get().page_size);
    }
    const r = passive.get();
    const log = Number(r.log);
    // Idle: everything copied and nothing committed since the previous pass.
    const idle = Number(r.checkpointed) >= log && log === lastLog;
    lastLog = log;
    if (log * frameBytes > workerData.restartBytes) {
      // Ask the main thread's next batch to hold back, wait briefly for it to say so (it
      // may be idle, then the lock is free anyway), RESTART, and let it go on.
      const flag = workerData.flag;
      Atomics.store(flag, 0, ${FLAG_WANTED});
      Atomics.wait(flag, 0, ${FLAG_WANTED}, 5);
      let done = false;
      try {
        done = Number((idle ? truncate : restart).get().busy) === 0;
        if (done && idle) lastLog = 0;
      } finally {
        Atomics.store(flag, 0, ${FLAG_IDLE});
        parentPort.postMessage(done);
      }
    }
  } catch {}
}, workerData.everyMs);
parentPort.on('message', () => { clearInterval(timer); try { db?.close(); } catch {} parentPort.close(); });
`;

/** The checkpoint worker of one database file, as the main thread sees it. */
export class Checkpointer {
  readonly #worker: Worker;
  /** Shared with the worker; null once the worker failed (then it is never waited for). */
  #flag: Int32Array | null;
  #yielded: Array<() => void> = [];
  #stopping: Promise<void> | null = null;

  /**
   * Start the worker. `onPass(restarted)` hears of every RESTART/TRUNCATE it tried;
   * `onFailure()` is called once if the worker dies (the database must then checkpoint
   * inside commits again).
   */
  constructor(path: string, restartBytes: number, everyMs: number, onPass: (restarted: boolean) => void, onFailure: () => void) {
    const flag = new Int32Array(new SharedArrayBuffer(4));
    this.#flag = flag;
    this.#worker = new Worker(CHECKPOINTER, { eval: true, workerData: { path, everyMs, restartBytes, restartWaitMs: RESTART_WAIT_MS, flag } });
    this.#worker.on('message', (restarted: boolean) => {
      onPass(restarted);
      this.#wakeYielded();
    });
    this.#worker.on('error', () => {
      this.#flag = null;
      this.#wakeYielded();
      onFailure();
    });
    this.#worker.unref();
  }

  /** When the worker asked for the write lock, wait until it is done (bounded). */
  async yieldIfWanted(): Promise<void> {
    const flag = this.#flag;
    if (flag === null || Atomics.load(flag, 0) === FLAG_IDLE) return;
    Atomics.compareExchange(flag, 0, FLAG_WANTED, FLAG_YIELDED);
    Atomics.notify(flag, 0);
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.#yielded.push(resolve);
      // Done already (its message is still on the way): no need to wait for the message.
      if (Atomics.load(flag, 0) === FLAG_IDLE) resolve();
      else timer = setTimeout(resolve, YIELD_MAX_MS);
    });
    clearTimeout(timer);
  }

  #wakeYielded(): void {
    const waiting = this.#yielded;
    this.#yielded = [];
    for (const resolve of waiting) resolve();
  }

  /** Stop the worker and wait until it has closed its connection. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      const w = this.#worker;
      if (w.threadId === -1) return;
      const exited = new Promise((r) => w.once('exit', r));
      w.ref(); // keep the process alive until the worker has closed its connection
      w.postMessage('stop');
      await exited;
    })();
    return this.#stopping;
  }
}
