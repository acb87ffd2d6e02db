// Diagnosis of the PostgreSQL engine's latency, off unless PRINTGATE_PG_TRACE is set (to a
// threshold in milliseconds, e.g. `PRINTGATE_PG_TRACE=5`). Then every statement and
// transaction slower than the threshold is written to stderr as one tab-separated line:
//
//   pg-trace <wall ms> stmt|tx <total ms> wait=<pool wait ms> exec=<ms> pool=<total>/<idle>/<waiting> <sql head>
//
// and so is every gap of the event loop longer than the threshold (`loop <wall ms> <gap ms>`,
// from a 1 ms timer). A slow statement whose exec time overlaps a loop gap was slow in our
// process (GC, CPU starvation), not in PostgreSQL; a long `wait` is the pool's queue; the
// rest is the database (compare with its log_min_duration_statement). On exit a summary
// of counts and percentiles goes to stderr too.

import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface PoolCounts {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

export class PgTrace {
  readonly #thresholdMs: number;
  readonly #pool: PoolCounts;
  readonly #waits: number[] = [];
  readonly #execs: number[] = [];
  readonly #timer: NodeJS.Timeout;
  readonly #delay = monitorEventLoopDelay({ resolution: 1 });
  #lastTick = performance.now();

  /** A tracer when PRINTGATE_PG_TRACE names a threshold, else null (no cost at all). */
  static fromEnv(pool: PoolCounts): PgTrace | null {
    const v = process.env.PRINTGATE_PG_TRACE;
    if (v === undefined || v === '' || !Number.isFinite(Number(v))) return null;
    return new PgTrace(Number(v), pool);
  }

  constructor(thresholdMs: number, pool: PoolCounts) {
    this.#thresholdMs = thresholdMs;
    this.#pool = pool;
    this.#delay.enable();
    this.#timer = setInterval(() => {
      const now = performance.now();
      const gap = now - this.#lastTick;
      if (gap > this.#thresholdMs) process.stderr.write(`pg-trace\t${Date.now()}\tloop\t${gap.toFixed(1)}\n`);
      this.#lastTick = now;
    }, 1);
    this.#timer.unref();
  }

  /** Record one statement or transaction: started at `t0`, had a connection at `t1`, done at `t2`. */
  record(kind: 'stmt' | 'tx', sql: string, t0: number, t1: number, t2: number): void {
    const wait = t1 - t0, exec = t2 - t1;
    if (kind === 'stmt') {
      this.#waits.push(wait);
      this.#execs.push(exec);
    }
    if (t2 - t0 > this.#thresholdMs) {
      const p = this.#pool;
      process.stderr.write(`pg-trace\t${Date.now()}\t${kind}\t${(t2 - t0).toFixed(1)}\twait=${wait.toFixed(1)}\texec=${exec.toFixed(1)}\tpool=${p.totalCount}/${p.idleCount}/${p.waitingCount}\t${sql.replace(/\s+/g, ' ').slice(0, 50)}\n`);
    }
  }

  /** The summary line, and stop the timer. */
  close(): void {
    clearInterval(this.#timer);
    this.#delay.disable();
    const pct = (xs: number[], p: number): string => {
      const s = [...xs].sort((a, b) => a - b);
      return (s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN).toFixed(2);
    };
    const d = this.#delay;
    process.stderr.write(`pg-trace\tsummary\tstatements=${this.#execs.length}\twait p50/p99/max=${pct(this.#waits, 0.5)}/${pct(this.#waits, 0.99)}/${pct(this.#waits, 1)}`
      + `\texec p50/p99/max=${pct(this.#execs, 0.5)}/${pct(this.#execs, 0.99)}/${pct(this.#execs, 1)}`
      + `\tloop delay p50/p99/max=${(d.percentile(50) / 1e6).toFixed(2)}/${(d.percentile(99) / 1e6).toFixed(2)}/${(d.max / 1e6).toFixed(2)}\n`);
  }
}
