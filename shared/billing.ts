// The one pure function that turns a document's analysis plus the job's attributes into
// billable units. Agent and server both use it (the agent to show an estimate, the server
// to price), so a page is never counted two ways.
//
// Rules, in the order they apply:
// 1. page-ranges select document pages (1-based, inclusive; out-of-range parts ignored).
// 2. number-up N places N selected pages on one side; a side is colour when any page on it
//    is colour.
// 3. print-color-mode=monochrome (or a forced grayscale) makes every side gray.
// 4. sides two-sided-* (or the document's own duplex request) puts two sides on a sheet;
//    every copy starts on a fresh sheet, as collated copies do.
// 5. copies = job copies x the copies the document itself asks for (PJL/PCL/PostScript):
//    the printer makes both happen.
// 6. Paper size: the job's requested media when given (CUPS fits pages to it), else each
//    page's own size; with number-up, the size of the first page on the side.
// Pages unknown -> null: the caller applies the printer's "unknown pages" rule.

import type { AnalysisResult } from './analysis.ts';
import { normaliseMediaName } from './analysis.ts';

export type Sides = 'one-sided' | 'two-sided-long-edge' | 'two-sided-short-edge' | '';
export type ColorMode = 'color' | 'monochrome' | 'auto' | '';

export interface BillingAttributes {
  copies?: number;
  numberUp?: number;
  pageRanges?: string;
  sides?: Sides | string;
  colorMode?: ColorMode | string;
  media?: string;
  forceGrayscale?: boolean;
  forceDuplex?: boolean;
}

export interface SizeUnits {
  media: string;
  impressions: number;
  colorImpressions: number;
  sheets: number;
}

export interface BillableUnits {
  copies: number;
  /** Document pages selected by page-ranges, per copy. */
  pagesPerCopy: number;
  /** Sides printed, all copies. */
  impressions: number;
  colorImpressions: number;
  grayImpressions: number;
  /** Sheets of paper, all copies. */
  sheets: number;
  duplex: boolean;
  grayscale: boolean;
  bySize: SizeUnits[];
}

/** Upper bound on copies and number-up we accept from a job; beyond is an input error. */
export const MAX_COPIES = 9999;
const VALID_NUMBER_UP = new Set([1, 2, 4, 6, 9, 16]);

/** Parse IPP page-ranges "1-3,7,10-" into sorted, merged inclusive ranges. */
export function parsePageRanges(text: string | undefined): Array<[number, number]> | null {
  if (!text || text.trim() === '') return null;
  const ranges: Array<[number, number]> = [];
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)?\s*(-)?\s*(\d+)?\s*$/.exec(part);
    if (!m || (!m[1] && !m[3])) throw new RangeError(`bad page range "${part.trim()}"`);
    const lo = m[1] ? Number(m[1]) : 1;
    const hi = m[2] ? (m[3] ? Number(m[3]) : Number.MAX_SAFE_INTEGER) : lo;
    if (lo < 1 || hi < lo) throw new RangeError(`bad page range "${part.trim()}"`);
    ranges.push([lo, hi]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const r of ranges) {
    const last = merged.at(-1);
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return merged;
}

function clampCount(n: number | undefined, what: string, max: number): number {
  if (n === undefined || n === 0) return 1;
  if (!Number.isInteger(n) || n < 1 || n > max) throw new RangeError(`${what} must be between 1 and ${max}`);
  return n;
}

/**
 * Billable units for a job, or null when the analysis could not determine the pages.
 * Throws RangeError for impossible attributes (copies 0 or > MAX_COPIES, bad page ranges).
 */
export function billableUnits(analysis: AnalysisResult, attrs: BillingAttributes = {}): BillableUnits | null {
  if (analysis.pages === null) return null;
  const jobCopies = clampCount(attrs.copies, 'copies', MAX_COPIES);
  const docCopies = clampCount(analysis.copies, 'document copies', MAX_COPIES);
  const copies = jobCopies * docCopies;
  const numberUp = attrs.numberUp === undefined || attrs.numberUp === 0 ? 1 : attrs.numberUp;
  if (!VALID_NUMBER_UP.has(numberUp)) throw new RangeError(`number-up ${numberUp} is not supported`);

  const grayscale = attrs.forceGrayscale === true || attrs.colorMode === 'monochrome';
  const sides = attrs.sides ?? '';
  const duplex = attrs.forceDuplex === true || sides.startsWith('two-sided') || (sides === '' && analysis.duplex);

  // Colour of each document page; unknown colour is billed as colour only when the
  // analysis said so page by page, so with colorPageNumbers null every page counts gray.
  const colourSet = new Set(analysis.colorPageNumbers ?? []);
  const requested = attrs.media ? normaliseMediaName(attrs.media) : '';

  // The selected pages, in order; bounded by the document's page count.
  const ranges = parsePageRanges(attrs.pageRanges) ?? [[1, analysis.pages]];
  const selected: number[] = [];
  for (const [lo, hi] of ranges) {
    for (let p = lo; p <= Math.min(hi, analysis.pages); p++) selected.push(p);
  }

  const sizeOf = (page: number): string =>
    requested || analysis.pageMedia?.[page - 1] || (analysis.media.length === 1 ? analysis.media[0]!.name : '') || 'unknown';

  // Group pages into sides, then per size count sides and colour sides for one copy.
  const perSize = new Map<string, { impressions: number; colorImpressions: number }>();
  for (let i = 0; i < selected.length; i += numberUp) {
    const side = selected.slice(i, i + numberUp);
    const size = sizeOf(side[0]!);
    const colour = !grayscale && side.some((p) => colourSet.has(p));
    const entry = perSize.get(size) ?? { impressions: 0, colorImpressions: 0 };
    entry.impressions += 1;
    if (colour) entry.colorImpressions += 1;
    perSize.set(size, entry);
  }

  const bySize: SizeUnits[] = [];
  let impressions = 0, colorImpressions = 0, sheets = 0;
  for (const [media, e] of perSize) {
    const sheetsPerCopy = duplex ? Math.ceil(e.impressions / 2) : e.impressions;
    const unit: SizeUnits = {
      media,
      impressions: e.impressions * copies,
      colorImpressions: e.colorImpressions * copies,
      sheets: sheetsPerCopy * copies,
    };
    bySize.push(unit);
    impressions += unit.impressions;
    colorImpressions += unit.colorImpressions;
    sheets += unit.sheets;
  }
  return {
    copies,
    pagesPerCopy: selected.length,
    impressions,
    colorImpressions,
    grayImpressions: impressions - colorImpressions,
    sheets,
    duplex,
    grayscale,
    bySize,
  };
}
