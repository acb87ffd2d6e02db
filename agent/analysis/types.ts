// The contract every print-language parser implements, and the limits it runs under.
// Detection (detect.ts) asks each parser for a cheap sniff score over the first and last
// bytes of the file and picks the highest; it never tries parsers in order.

import type { AnalysisResult, DocumentFormat } from '../../shared/analysis.ts';
import type { Source } from './source.ts';

export type { AnalysisResult, DocumentFormat };

export interface AnalyzeLimits {
  /** Largest spool file analysed, in bytes. */
  maxBytes: number;
  /** Wall-clock budget for one document, in milliseconds. */
  maxMillis: number;
  /** Most pages counted before giving up (a defence against absurd page trees). */
  maxPages: number;
  /** Largest single buffer a parser may allocate (decompressed stream, image row...). */
  maxBufferBytes: number;
  /**
   * Stall guard: the engine fails the analysis with ANALYSIS_STALLED when the parser has
   * read no new bytes of the file for this long (default 15 s, never above maxMillis).
   */
  stallMillis?: number;
}

export const DEFAULT_LIMITS: AnalyzeLimits = {
  maxBytes: 2 * 1024 * 1024 * 1024,
  maxMillis: 60_000,
  maxPages: 100_000,
  maxBufferBytes: 64 * 1024 * 1024,
};

export interface AnalyzeOptions {
  limits: AnalyzeLimits;
  signal?: AbortSignal;
  /** Allow falling back to Ghostscript for what needs a PostScript interpreter. */
  allowGhostscript?: boolean;
  /**
   * Absolute time (Date.now() milliseconds) by which the analysis must end. The engine sets
   * it from limits.maxMillis; parsers pass it to checkBudget(). Absent means no deadline.
   */
  deadline?: number;
}

export interface Parser {
  readonly format: DocumentFormat;
  /**
   * How sure this parser is that the bytes are its language: 0 (no) to 100 (certain).
   * `head` is the first bytes (up to 4 KiB), `tail` the last (up to 4 KiB); both after
   * wrappers such as PJL were peeled. Must be cheap and must not throw.
   */
  sniff(head: Uint8Array, tail: Uint8Array): number;
  /** Analyse the whole document. Throws AnalysisError on bad input. */
  analyze(source: Source, options: AnalyzeOptions): Promise<AnalysisResult>;
}
