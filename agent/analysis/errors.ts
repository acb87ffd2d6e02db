// Typed analysis errors: every failure names a catalogue code and the byte offset where
// the parser was when it gave up, so a broken spool file can be looked at in a hex dump.

import { PrintgateError, type ErrorCode } from '../../shared/errors.ts';

export type AnalysisErrorCode = Extract<ErrorCode, `ANALYSIS_${string}`>;

export class AnalysisError extends PrintgateError {
  readonly offset: number;

  constructor(code: AnalysisErrorCode, message: string, offset: number, options?: { cause?: unknown }) {
    super(code, `${message} (at byte ${offset})`, { offset }, options);
    this.name = 'AnalysisError';
    this.offset = offset;
  }
}

/** Throw ANALYSIS_ABORTED / ANALYSIS_LIMIT when the signal fired or the deadline passed. */
export function checkBudget(signal: AbortSignal | undefined, deadline: number, offset: number): void {
  if (signal?.aborted) throw new AnalysisError('ANALYSIS_ABORTED', 'analysis cancelled', offset);
  if (Date.now() > deadline) throw new AnalysisError('ANALYSIS_LIMIT', 'analysis took longer than its time limit', offset);
}
