// The detection table: every parser the engine knows, with its tie-break priority. This is
// data (like CUPS's mime.types), read by detect.ts; adding a language is adding a row here.
// Priorities only matter when two sniffs give the same score: formats with an exact magic
// number rank above loose ones, and plain text ranks last.

import type { DetectionEntry } from './detect.ts';
import { textParser } from './text/index.ts';

export const REGISTRY: readonly DetectionEntry[] = [
  { parser: textParser, priority: 0, note: 'printable bytes only; the fallback when nothing else matches' },
];
