// Turns the protocol's Analysis message (as the agent reports it) into the AnalysisResult
// that shared/billing.ts prices. When the agent gives per-size counts but not which page
// has which size or colour, pages are laid out size after size in report order, the first
// `colorPages` of each size counted as colour: exact for whole-document jobs, an estimate
// when page ranges or number-up cut across sizes. Validates every number (INVALID_ARGUMENT).

import type { AnalysisResult, DocumentFormat, MediaUse } from '../../shared/analysis.ts';
import { DOCUMENT_FORMATS, normaliseMediaName } from '../../shared/analysis.ts';
import { PrintgateError } from '../../shared/errors.ts';
import type { AnalysisInput } from './types.ts';

/** Largest page count we accept in one document. */
export const MAX_DOCUMENT_PAGES = 1_000_000;

function count(v: unknown, what: string, max = MAX_DOCUMENT_PAGES): number {
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max) {
    throw new PrintgateError('INVALID_ARGUMENT', `analysis.${what} must be an integer from 0 to ${max}`);
  }
  return v;
}

export function toAnalysisResult(a: AnalysisInput): AnalysisResult {
  if (typeof a !== 'object' || a === null) throw new PrintgateError('INVALID_ARGUMENT', 'analysis is missing');
  const format = (DOCUMENT_FORMATS as readonly string[]).includes(a.format ?? '') ? (a.format as DocumentFormat) : 'unknown';
  const pages = a.pagesKnown ? count(a.pages, 'pages') : null;
  const copies = count(a.copies, 'copies', 9999);
  const mediaPages = (a.mediaPages ?? []).slice(0, 1000).map((m, i) => ({
    name: normaliseMediaName(String(m.media ?? '')) || 'unknown',
    pages: count(m.pages, `mediaPages[${i}].pages`),
    colorPages: count(m.colorPages, `mediaPages[${i}].colorPages`),
  }));

  let colorPageNumbers: number[] | null = null;
  if (pages !== null && a.colorKnown) {
    const given = a.colorPageNumbers ?? [];
    if (given.length > 0) {
      const seen = new Set<number>();
      for (const n of given) {
        if (!Number.isSafeInteger(n) || n < 1 || n > pages) throw new PrintgateError('INVALID_ARGUMENT', 'analysis.colorPageNumbers out of range');
        seen.add(n);
      }
      colorPageNumbers = [...seen].sort((x, y) => x - y);
    } else {
      colorPageNumbers = synthesiseColour(pages, count(a.colorPages, 'colorPages'), mediaPages);
    }
  }

  // Per-page sizes: only meaningful when several sizes are reported and add up.
  let pageMedia: string[] | undefined;
  const sum = mediaPages.reduce((s, m) => s + m.pages, 0);
  if (pages !== null && mediaPages.length > 1 && sum === pages) {
    pageMedia = mediaPages.flatMap((m) => Array<string>(m.pages).fill(m.name));
  }
  let media: MediaUse[] = mediaPages;
  if (media.length === 0) {
    const names = (a.media ?? []).slice(0, 100).map((m) => normaliseMediaName(String(m))).filter((m) => m !== '');
    if (names.length === 1 && pages !== null) media = [{ name: names[0]!, pages, colorPages: colorPageNumbers?.length ?? 0 }];
  }
  return {
    format,
    pages,
    colorPages: colorPageNumbers ? colorPageNumbers.length : null,
    colorPageNumbers,
    copies: copies === 0 ? 1 : copies,
    duplex: a.duplex === true,
    media,
    ...(pageMedia ? { pageMedia } : {}),
    method: String(a.method ?? '').slice(0, 64),
    warnings: (a.warnings ?? []).slice(0, 20).map((w) => String(w).slice(0, 200)),
    recovered: a.recovered === true,
  };
}

/** Colour page numbers from counts alone (see the header). */
function synthesiseColour(pages: number, colorPages: number, media: Array<{ pages: number; colorPages: number }>): number[] {
  const out: number[] = [];
  const sum = media.reduce((s, m) => s + m.pages, 0);
  if (media.length > 1 && sum === pages) {
    let first = 1;
    for (const m of media) {
      for (let i = 0; i < Math.min(m.colorPages, m.pages); i++) out.push(first + i);
      first += m.pages;
    }
    return out;
  }
  for (let p = 1; p <= Math.min(colorPages, pages); p++) out.push(p);
  return out;
}
