// Analysis in a worker thread, for callers that must survive any input (the agent's job
// pipeline). The in-process engine bounds time only where a parser awaits; a parser caught
// in a synchronous loop, or allocating without end, would take the caller down with it.
// Here the worker is terminated when the time limit (plus a grace period) passes, and its
// heap is capped by V8 resource limits, so both become ANALYSIS_LIMIT with the worker gone.
//
// An IsolatedAnalyzer keeps one worker alive between jobs (starting one costs a few hundred
// milliseconds of module loading) and replaces it only after it was killed or died.

import { Worker } from 'node:worker_threads';
import type { AnalysisResult } from '../../shared/analysis.ts';
import { isErrorCode, PrintgateError } from '../../shared/errors.ts';
import type { EngineOptions } from './engine.ts';
import { AnalysisError, type AnalysisErrorCode } from './errors.ts';
import { DEFAULT_LIMITS } from './types.ts';

export interface IsolatedOptions extends Omit<EngineOptions, 'table'> {
  /** Extra time after limits.maxMillis before the worker is killed; default 2000 ms. */
  graceMillis?: number;
}

export interface AnalyzerOptions {
  /** Heap cap of the worker in MiB (old generation); default 256. */
  heapMb?: number;
  /** For tests: a module whose `TABLE` export replaces the detection table. */
  tableModule?: string;
}

/** A job sent to the worker. */
export interface WorkerJob { id: number; path: string; limits: object; allowGhostscript: boolean }
/** What the worker posts back. */
export type WorkerReply =
  | { id: number; ok: true; result: AnalysisResult }
  | { id: number; ok: false; code: string; message: string; offset: number };

const WORKER = new URL('./isolated-worker.ts', import.meta.url);

function replyError(reply: Extract<WorkerReply, { ok: false }>): Error {
  if (reply.code.startsWith('ANALYSIS_')) return new AnalysisError(reply.code as AnalysisErrorCode, reply.message.replace(/ \(at byte \d+\)$/, ''), reply.offset);
  return new PrintgateError(isErrorCode(reply.code) ? reply.code : 'ANALYSIS_FAILED', reply.message);
}

export class IsolatedAnalyzer {
  private readonly heapMb: number;
  private readonly tableModule: string | undefined;
  private worker: Worker | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 1;
  private closed = false;

  constructor(options: AnalyzerOptions = {}) {
    this.heapMb = options.heapMb ?? 256;
    this.tableModule = options.tableModule;
  }

  private spawn(): Worker {
    const worker = new Worker(WORKER, {
      workerData: { tableModule: this.tableModule },
      resourceLimits: { maxOldGenerationSizeMb: this.heapMb, maxYoungGenerationSizeMb: Math.min(64, Math.max(16, this.heapMb / 8)) },
      stdout: false,
      stderr: false,
    });
    worker.unref(); // an idle analyzer does not keep the process alive
    return worker;
  }

  /** Analyse one file in the worker; jobs run one after another. */
  analyze(path: string, opts: IsolatedOptions = {}): Promise<AnalysisResult> {
    const run = this.queue.then(() => this.runOne(path, opts));
    this.queue = run.catch(() => {});
    return run;
  }

  private runOne(path: string, opts: IsolatedOptions): Promise<AnalysisResult> {
    if (this.closed) return Promise.reject(new AnalysisError('ANALYSIS_ABORTED', 'the analyzer was closed', 0));
    const maxMillis = opts.limits?.maxMillis ?? DEFAULT_LIMITS.maxMillis;
    const worker = (this.worker ??= this.spawn());
    worker.ref();
    const id = this.nextId++;
    return new Promise<AnalysisResult>((resolve, reject) => {
      let settled = false;
      const kill = () => {
        if (this.worker === worker) this.worker = null;
        void worker.terminate();
      };
      const finish = (fn: () => void, killWorker: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (killWorker) kill();
        else worker.unref();
        fn();
      };
      const timer = setTimeout(() => finish(() => reject(new AnalysisError('ANALYSIS_LIMIT', `analysis did not end within ${maxMillis} ms; worker stopped`, 0)), true), maxMillis + (opts.graceMillis ?? 2000));
      const onAbort = () => finish(() => reject(new AnalysisError('ANALYSIS_ABORTED', 'analysis cancelled', 0)), true);
      const onMessage = (reply: WorkerReply) => {
        if (reply.id !== id) return;
        finish(() => (reply.ok ? resolve(reply.result) : reject(replyError(reply))), false);
      };
      const onError = (err: Error & { code?: string }) => finish(() => {
        if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') reject(new AnalysisError('ANALYSIS_LIMIT', `analysis needed more than ${this.heapMb} MiB of heap; worker stopped`, 0));
        else reject(new AnalysisError('ANALYSIS_FAILED', `analysis worker failed: ${err.message}`, 0, { cause: err }));
      }, true);
      const onExit = (code: number) => finish(() => reject(new AnalysisError('ANALYSIS_FAILED', `analysis worker exited (${code}) without an answer`, 0)), true);
      if (opts.signal?.aborted) return onAbort();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
      const job: WorkerJob = { id, path, limits: opts.limits ?? {}, allowGhostscript: opts.allowGhostscript ?? true };
      worker.postMessage(job);
    });
  }

  /** Stop the worker; later analyze() calls fail. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}

/** One analysis in a fresh worker (killed on timeout, heap-capped), then the worker is gone. */
export async function analyzeFileIsolated(path: string, opts: IsolatedOptions & AnalyzerOptions = {}): Promise<AnalysisResult> {
  const analyzer = new IsolatedAnalyzer({ heapMb: opts.heapMb, tableModule: opts.tableModule });
  try {
    return await analyzer.analyze(path, opts);
  } finally {
    await analyzer.close();
  }
}
