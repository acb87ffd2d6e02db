// One full garbage collection after a burst of jobs, so that the idle agent does not keep
// the burst's garbage. V8 collects the old generation only when it nears its limit, and
// counts freed ArrayBuffer memory (file reads, IPP and HTTP bodies: glibc's malloc heap)
// toward a collection only past 64 MB; so without this, the dead buffers and objects of
// every job pile up and the malloc heap grows with the number of jobs seen (measured on
// the gate rig: VmRSS 75.9 MB after 25 jobs, 80.3 after 100, 82.0 after 200).
// Neither glibc nor V8 gives the pages back to the kernel after a collection, but the
// freed memory is reused by the next jobs, so collecting often enough bounds the growth.
//
// When: a quiet period (no job activity for quietMs) after activity, and in a long run of
// back-to-back jobs every `everyEvents` events. An agent with no jobs never collects: idle
// CPU stays nil. The collection runs on the main thread (a few ms for the agent's ~15 MB
// heap), scheduled from a timer or setImmediate. Cost measured: the analysis right after
// a full GC is ~5 ms slower (a 10-page PDF: p50 1.4 -> 7 ms; V8's code and feedback
// warm up again), so collections are rare: after a minute of silence (the next job pays
// once) and once per ~10-20 back-to-back jobs; never once per job.

export interface QuietCollectorOptions {
  /** The full-GC function; none (e.g. the flag cannot be set) makes this a no-op. */
  gc: (() => void) | undefined;
  /** Collect once nothing happened for this long (default 60 s). */
  quietMs?: number;
  /** ... or after this many activity events without a quiet period (default 40: a job
   * makes two to four, arrival and state changes). */
  everyEvents?: number;
}

/** V8's gc() without --expose-gc on the command line (the flag applies to new contexts). */
export function exposeGc(): (() => void) | undefined {
  try {
    process.getBuiltinModule('node:v8').setFlagsFromString('--expose-gc');
    const gc: unknown = process.getBuiltinModule('node:vm').runInNewContext('gc');
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}

export class QuietCollector {
  private readonly gc: (() => void) | undefined;
  private readonly quietMs: number;
  private readonly everyEvents: number;
  private events = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Collections done (for tests and logs). */
  collections = 0;

  constructor(o: QuietCollectorOptions) {
    this.gc = o.gc;
    this.quietMs = o.quietMs ?? 60_000;
    this.everyEvents = o.everyEvents ?? 40;
  }

  /** Job activity happened (a job arrived or ended). */
  touch(): void {
    if (!this.gc || this.closed) return;
    this.events++;
    if (this.timer) clearTimeout(this.timer);
    if (this.events >= this.everyEvents) {
      this.timer = undefined;
      setImmediate(() => this.collect());
      return;
    }
    this.timer = setTimeout(() => this.collect(), this.quietMs);
    this.timer.unref();
  }

  private collect(): void {
    this.timer = undefined;
    this.events = 0;
    if (this.closed) return;
    this.gc!();
    this.collections++;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
