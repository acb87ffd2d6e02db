// Analysis in a worker thread, for callers that must survive any input (the agent's job
// pipeline). The in-process engine bounds time only where a parser awaits; a parser caught
// in a synchronous loop, or allocating without end, would take the caller down with it.
// Here the worker is terminated when the time limit (plus a grace period) passes, and its
// heap is capped by V8 resource limits, so both become ANALYSIS_LIMIT with the worker gone.

import { Worker } from 'node:worker_threads';
import type { AnalysisResult } from '../../shared/analysis.ts';
import type { EngineOptions } from './engine.ts';
import { PrintgateError, isErrorCode } from '../../shared/errors.ts';
import { AnalysisError, type AnalysisErrorCode } from './errors.ts';
import { DEFAULT_LIMITS } from './types.ts';

export interface IsolatedOptions extends Omit<EngineOptions, 'table'> {
  /** Heap cap of the worker in MiB (old generation); default 256. */
  heapMb?: number;
  /** Extra time after limits.maxMillis before the worker is killed; default 2000 ms. */
  graceMillis?: number;
  /** For tests: a module whose `TABLE` export replaces the detection table. */
  tableModule?: string;
}

/** What the worker posts back. */
export type WorkerReply =
  | { ok: true; result: AnalysisResult }
  | { ok: false; code: string; message: string; offset: number };

const WORKER = new URL('./isolated-worker.ts', import.meta.url);

/** analyzeFile in a worker thread that is killed on timeout and capped in memory. */
export function analyzeFileIsolated(path: string, opts: IsolatedOptions = {}): Promise<AnalysisResult> {
  const maxMillis = opts.limits?.maxMillis ?? DEFAULT_LIMITS.maxMillis;
  const heapMb = opts.heapMb ?? 256;
  return new Promise<AnalysisResult>((resolve, reject) => {
    const worker = new Worker(WORKER, {
      workerData: { path, limits: opts.limits ?? {}, allowGhostscript: opts.allowGhostscript ?? true, tableModule: opts.tableModule },
      resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: Math.min(64, Math.max(16, heapMb / 8)) },
      stdout: false,
      stderr: false,
    });
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      fn();
      void worker.terminate();
    };
    const timer = setTimeout(() => finish(() => reject(new AnalysisError('ANALYSIS_LIMIT', `analysis did not end within ${maxMillis} ms; worker stopped`, 0))), maxMillis + (opts.graceMillis ?? 2000));
    const onAbort = () => finish(() => reject(new AnalysisError('ANALYSIS_ABORTED', 'analysis cancelled', 0)));
    if (opts.signal?.aborted) onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    worker.once('message', (reply: WorkerReply) => finish(() => {
      if (reply.ok) resolve(reply.result);
      else if (reply.code.startsWith('ANALYSIS_')) reject(new AnalysisError(reply.code as AnalysisErrorCode, reply.message.replace(/ \(at byte \d+\)$/, ''), reply.offset));
      else reject(new PrintgateError(isErrorCode(reply.code) ? reply.code : 'ANALYSIS_FAILED', reply.message));
    }));
    worker.once('error', (err: Error & { code?: string }) => finish(() => {
      if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') reject(new AnalysisError('ANALYSIS_LIMIT', `analysis needed more than ${heapMb} MiB of heap; worker stopped`, 0));
      else reject(new AnalysisError('ANALYSIS_FAILED', `analysis worker failed: ${err.message}`, 0, { cause: err }));
    }));
    worker.once('exit', (code) => finish(() => reject(new AnalysisError('ANALYSIS_FAILED', `analysis worker exited (${code}) without an answer`, 0))));
  });
}
