// What the agent's analysis engine reports about a spool file, and the paper-size names
// both sides use. This is the shape of the `Analysis` protocol message in plain TypeScript;
// agent/analysis produces it, shared/billing.ts turns it into billable units.

export const DOCUMENT_FORMATS = [
  'pdf', 'postscript', 'pcl5', 'pclxl', 'pwg-raster', 'urf', 'cups-raster',
  'jpeg', 'png', 'tiff', 'text', 'unknown',
] as const;
export type DocumentFormat = (typeof DOCUMENT_FORMATS)[number];

/** Pages of one paper size in a document (one copy). */
export interface MediaUse {
  /** Normalised name: "A4", "Letter", ... or "custom_210x99mm". */
  name: string;
  pages: number;
  colorPages: number;
}

export interface AnalysisResult {
  format: DocumentFormat;
  /** The document's pages for ONE copy; null when they could not be determined. */
  pages: number | null;
  /** Pages that would put non-neutral colour on paper; null when unknown. */
  colorPages: number | null;
  /** 1-based numbers of the colour pages, ascending; null when unknown. */
  colorPageNumbers: number[] | null;
  /** Copies the document itself asks for (PJL, PCL, PostScript); 1 when it says nothing. */
  copies: number;
  /** The document itself asks for two-sided printing. */
  duplex: boolean;
  /** Paper sizes used, in order of first appearance. Empty when unknown. */
  media: MediaUse[];
  /** Paper size of each page (1-based index = page number - 1), when known. */
  pageMedia?: string[];
  /** How the figures were obtained, e.g. "pdf-content", "dsc", "raster-scan", "ghostscript". */
  method: string;
  warnings: string[];
  /** A damaged file was repaired (or partly skipped) to produce this result. */
  recovered: boolean;
}

/** Well-known paper sizes in PostScript points (1/72 inch), portrait. */
const SIZES: ReadonlyArray<readonly [string, number, number]> = [
  ['A3', 841.89, 1190.55],
  ['A4', 595.28, 841.89],
  ['A5', 419.53, 595.28],
  ['A6', 297.64, 419.53],
  ['B4', 708.66, 1000.63],
  ['B5', 498.9, 708.66],
  ['Letter', 612, 792],
  ['Legal', 612, 1008],
  ['Tabloid', 792, 1224],
  ['Executive', 521.86, 756],
  ['Statement', 396, 612],
  ['Env10', 296.98, 684],
  ['EnvDL', 311.81, 623.62],
  ['EnvC5', 459.21, 649.13],
];

/** Tolerance in points when matching a page to a named size (about 2 mm). */
const TOLERANCE_PT = 6;

/**
 * Name a page size given in points. Orientation does not matter. Sizes within ~2 mm of a
 * known size get its name; others become "custom_<w>x<h>mm" (portrait, rounded).
 */
export function mediaName(widthPt: number, heightPt: number): string {
  if (!(widthPt > 0) || !(heightPt > 0) || !Number.isFinite(widthPt) || !Number.isFinite(heightPt)) {
    return 'unknown';
  }
  const w = Math.min(widthPt, heightPt);
  const h = Math.max(widthPt, heightPt);
  for (const [name, sw, sh] of SIZES) {
    if (Math.abs(w - sw) <= TOLERANCE_PT && Math.abs(h - sh) <= TOLERANCE_PT) return name;
  }
  const mm = (pt: number) => Math.round((pt * 25.4) / 72);
  return `custom_${mm(w)}x${mm(h)}mm`;
}

/**
 * Normalise a media name as a client or spooler gives it (IPP "iso_a4_210x297mm",
 * "na_letter_8.5x11in", PPD "A4", "Letter") to our names. Unknown names pass through
 * unchanged so nothing is lost.
 */
export function normaliseMediaName(raw: string): string {
  const s = raw.trim();
  if (s === '') return '';
  const lower = s.toLowerCase();
  for (const [name] of SIZES) if (lower === name.toLowerCase()) return name;
  const pwg = /^[a-z0-9]+_[a-z0-9.-]+_([0-9.]+)x([0-9.]+)(mm|in)$/.exec(lower);
  if (pwg) {
    const unit = pwg[3] === 'mm' ? 72 / 25.4 : 72;
    return mediaName(Number(pwg[1]) * unit, Number(pwg[2]) * unit);
  }
  return s;
}

/** Count colour pages from per-page flags; the helper parsers use to fill a result. */
export function colourSummary(flags: readonly boolean[]): { colorPages: number; colorPageNumbers: number[] } {
  const colorPageNumbers: number[] = [];
  flags.forEach((c, i) => { if (c) colorPageNumbers.push(i + 1); });
  return { colorPages: colorPageNumbers.length, colorPageNumbers };
}
