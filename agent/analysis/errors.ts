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

/**
 * Throw ANALYSIS_ABORTED / ANALYSIS_LIMIT when the signal fired or the deadline passed.
 * When the engine aborts the signal itself (time limit, stall guard) the signal's reason is
 * an AnalysisError; its code is kept so a parser that notices reports the right cause.
 */
export function checkBudget(signal: AbortSignal | undefined, deadline: number | undefined, offset: number): void {
  if (signal?.aborted) {
    const reason: unknown = signal.reason;
    if (reason instanceof AnalysisError) throw new AnalysisError(reason.code as AnalysisErrorCode, reason.message.replace(/ \(at byte \d+\)$/, ''), offset);
    throw new AnalysisError('ANALYSIS_ABORTED', 'analysis cancelled', offset);
  }
  if (deadline !== undefined && Date.now() > deadline) throw new AnalysisError('ANALYSIS_LIMIT', 'analysis took longer than its time limit', offset);
}
