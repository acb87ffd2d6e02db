// Format detection as data, in the manner of CUPS's mime.types: every registered parser
// scores the file's first and last bytes (its cheap `sniff`), the highest score wins, and
// ties are broken by the table's priority. Parsers are never tried one after another.
//
// A PJL `ENTER LANGUAGE=` line is a hint, not a verdict: it adds HINT_BONUS to the named
// language's score, so it settles close calls (PCL 5 versus text) but cannot turn bytes
// that do not look like the language into it.

import type { DocumentFormat } from '../../shared/analysis.ts';
import type { Parser } from './types.ts';

export interface DetectionEntry {
  readonly parser: Parser;
  /** Tie-breaker between equal scores: higher wins (like mime.types priority()). */
  readonly priority: number;
  /** Why this entry ranks where it does; shown by docs and `--explain` style tooling. */
  readonly note: string;
}

export interface Detection {
  readonly parser: Parser;
  readonly score: number;
  /**
   * The scores computed, highest first (for diagnostics and tests). An entry that could no
   * longer win (a perfect score is already in hand and the entry would lose the tie) is
   * not sniffed and not listed.
   */
  readonly scores: ReadonlyArray<{ format: DocumentFormat; score: number }>;
}

/** Below this score the bytes are not considered to be the language at all. */
export const MIN_SCORE = 10;
/** Added to the score of the language a PJL ENTER LANGUAGE line names. */
export const HINT_BONUS = 10;

/** PJL language names to our formats. */
const PJL_LANGUAGES: Readonly<Record<string, DocumentFormat>> = {
  PCL: 'pcl5',
  PCL5: 'pcl5',
  PCL5C: 'pcl5',
  PCL5E: 'pcl5',
  PCLXL: 'pclxl',
  PCL6: 'pclxl',
  POSTSCRIPT: 'postscript',
  PS: 'postscript',
  PDF: 'pdf',
};

export function formatForPjlLanguage(language: string | undefined): DocumentFormat | undefined {
  return language === undefined ? undefined : PJL_LANGUAGES[language.toUpperCase()];
}

/** A sniff that throws or answers nonsense counts as 0: one bad parser must not stop detection. */
function safeSniff(parser: Parser, head: Uint8Array, tail: Uint8Array): number {
  try {
    const s = parser.sniff(head, tail);
    return Number.isFinite(s) ? Math.max(0, Math.min(100, s)) : 0;
  } catch {
    return 0;
  }
}

/** Highest possible score (sniffs are clamped to 0..100, the hint bonus too). */
const MAX_SCORE = 100;

/**
 * Pick the parser for these bytes, or null when none scores at least MIN_SCORE.
 * `hint` is the format named by a PJL wrapper, if any.
 *
 * The entries are scored from the highest priority down, and once one has the perfect
 * score the entries it would beat on a tie are not sniffed at all: a PDF (100, priority
 * 85) is not also scanned by the PCL 5, PostScript and text sniffs, the last of which reads
 * every byte of the head. The winner is the same as scoring every entry.
 */
export function detect(table: readonly DetectionEntry[], head: Uint8Array, tail: Uint8Array, hint?: DocumentFormat): Detection | null {
  const order = table.map((entry, index) => ({ entry, index, score: 0 }));
  order.sort((a, b) => b.entry.priority - a.entry.priority || a.index - b.index);
  const scored: typeof order = [];
  let best: (typeof order)[number] | undefined;
  for (const s of order) {
    // Ordered by priority, then position: every later entry loses a tie with `best`.
    if (best !== undefined && best.score >= MAX_SCORE) break;
    let score = safeSniff(s.entry.parser, head, tail);
    if (hint !== undefined && s.entry.parser.format === hint && score > 0) score = Math.min(MAX_SCORE, score + HINT_BONUS);
    s.score = score;
    scored.push(s);
    if (best === undefined || score > best.score) best = s;
  }
  scored.sort((a, b) => b.score - a.score || b.entry.priority - a.entry.priority || a.index - b.index);
  const scores = scored.map((s) => ({ format: s.entry.parser.format, score: s.score }));
  if (!best || best.score < MIN_SCORE) return null;
  return { parser: best.entry.parser, score: best.score, scores };
}
