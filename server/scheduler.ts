// Scheduled work of a server process: time out held jobs and apply due group quotas.
// Both service operations are safe to run from several processes at once (the service
// applies each quota exactly once per user and period), so every process runs them.
// Runs never overlap; the clock and the timers are injected so tests drive time.

import type { PrintService } from './service/types.ts';

export interface Timers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export interface SchedulerOptions {
  readonly clock?: () => number;
  readonly timers?: Timers;
  /** How often held jobs are checked for their time-out (default 15 s). */
  readonly holdSweepEveryMs?: number;
  /** How often due quotas are applied (default 60 s). */
  readonly quotaEveryMs?: number;
  /** Where failures of a run are reported (a run failing never stops the schedule). */
  readonly onError?: (what: string, err: unknown) => void;
}

const NODE_TIMERS: Timers = {
  setInterval: (fn, ms) => {
    const t = setInterval(fn, ms);
    t.unref();
    return t;
  },
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
};

export class Scheduler {
  readonly #service: PrintService;
  readonly #clock: () => number;
  readonly #timers: Timers;
  readonly #holdEvery: number;
  readonly #quotaEvery: number;
  readonly #onError: (what: string, err: unknown) => void;
  readonly #handles: unknown[] = [];
  readonly #running = new Map<string, Promise<void>>();
  #stopped = false;

  constructor(service: PrintService, options: SchedulerOptions = {}) {
    this.#service = service;
    this.#clock = options.clock ?? Date.now;
    this.#timers = options.timers ?? NODE_TIMERS;
    this.#holdEvery = options.holdSweepEveryMs ?? 15_000;
    this.#quotaEvery = options.quotaEveryMs ?? 60_000;
    this.#onError = options.onError ?? (() => {});
  }

  /** Start the timers and run both tasks once now (quotas missed while stopped apply at start). */
  start(): void {
    if (this.#stopped || this.#handles.length > 0) return;
    this.#handles.push(this.#timers.setInterval(() => void this.sweepHolds(), this.#holdEvery));
    this.#handles.push(this.#timers.setInterval(() => void this.applyQuotas(), this.#quotaEvery));
    void this.sweepHolds();
    void this.applyQuotas();
  }

  /** Time out overdue held jobs now (skipped while a previous sweep still runs). */
  sweepHolds(): Promise<void> {
    return this.#once('hold sweep', async () => {
      await this.#service.sweepHeldJobs(this.#clock());
    });
  }

  /** Apply due quotas now (skipped while a previous run still runs). */
  applyQuotas(): Promise<void> {
    return this.#once('quota run', async () => {
      await this.#service.runDueQuotas(this.#clock());
    });
  }

  /** Stop the timers and wait for runs in progress. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const h of this.#handles.splice(0)) this.#timers.clearInterval(h);
    await Promise.all(this.#running.values());
  }

  #once(what: string, task: () => Promise<void>): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    const running = this.#running.get(what);
    if (running) return running;
    const run = task()
      .catch((err: unknown) => this.#onError(what, err))
      .finally(() => this.#running.delete(what));
    this.#running.set(what, run);
    return run;
  }
}
