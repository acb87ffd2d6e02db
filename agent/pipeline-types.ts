// The print provider pipeline's options and what it keeps per job (see pipeline.ts), plus
// the small counting semaphore that bounds how many jobs are analysed at once.

import type { AnalysisResult } from '../shared/analysis.ts';
import type { JobArrived, JobFinished, JobRef, Spooler } from '../platform/spooler.ts';
import type { ServerClient, JobEvent as ServerJobEvent } from './client/index.ts';
import type { JobState } from './lifecycle.ts';
import type { Journal } from './journal.ts';
import type { Logger } from './log.ts';
import type { PolicyStore } from './policy.ts';
import type { AuthorizeRequestObject, Decision } from './request.ts';

export type AnalyzeFn = (path: string, options: { signal: AbortSignal }) => Promise<AnalysisResult>;

export interface PipelineOptions {
  spooler: Spooler;
  server: Pick<ServerClient, 'authorize' | 'complete'>;
  analyze: AnalyzeFn;
  journal: Journal;
  policies: PolicyStore;
  log: Logger;
  /** The agent's name for idempotency keys (stable across restarts). */
  agentName: () => string;
  /** Jobs analysed/authorized at once. */
  concurrency?: number;
  /** Wall-clock budget of one job's analysis. */
  analysisTimeoutMs?: number;
  /** HMAC key for watermark signatures. */
  watermarkKey?: Uint8Array;
  watermarkMaxBytes?: number;
  /** Told when a call found the server unreachable (the agent then starts reconnecting). */
  onServerUnreachable?: () => void;
  clock?: () => number;
  /** Delay between spooler retries (tests shorten it). */
  retryDelayMs?: number;
}

/** What the pipeline knows about one job. */
export interface JobRecord {
  readonly ref: JobRef;
  readonly key: string;
  state: JobState;
  job: JobArrived | undefined;
  analysis?: AnalysisResult;
  analysisError?: { code?: string; message: string };
  request?: AuthorizeRequestObject;
  decision?: Decision;
  /** The server event that released a held job (its forced changes apply). */
  releaseEvent?: ServerJobEvent;
  cancelMessage?: string;
  finished?: JobFinished;
  /** Per-job chain: events of one job are handled one at a time. */
  chain: Promise<void>;
  /** When it reached a terminal state (records are pruned some time after). */
  endedAt?: number;
}

/** A tiny counting semaphore. */
export class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly max: number;
  constructor(max: number) { this.max = Math.max(1, max); }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try { return await fn(); } finally { this.active--; this.waiting.shift()?.(); }
  }
}

