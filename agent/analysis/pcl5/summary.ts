// Builds an AnalysisResult from per-page facts, shared by the PCL 5, PCL XL and PostScript
// parsers: page count, colour page numbers, the media tally in order of first use, and
// the copies/duplex the document asks for (summarise); and, for the two PCL interpreters,
// the step before it: their printed pages plus the PJL settings met in the stream
// (summarisePrinted). Pure.

import { colourSummary, type AnalysisResult, type DocumentFormat } from '../../../shared/analysis.ts';
import { mediaUses } from '../media.ts';
import { pjlCopies, pjlPaperName, type PjlSettings } from '../pjl.ts';

export interface PageFact {
  colour: boolean;
  /** Paper size name, or null when the document does not say. */
  media: string | null;
}

export interface SummaryInput {
  format: DocumentFormat;
  pages: PageFact[];
  copies: number;
  duplex: boolean;
  method: string;
  warnings: Iterable<string>;
  recovered: boolean;
  /** Colour is not known (pages are): colorPages and colorPageNumbers become null. */
  colourUnknown?: boolean;
}

export function summarise(input: SummaryInput): AnalysisResult {
  const { colorPages, colorPageNumbers } = colourSummary(input.pages.map((p) => p.colour));
  const media = mediaUses(input.pages.map((p) => p.media || null), input.pages.map((p) => p.colour && !input.colourUnknown));
  const allKnown = input.pages.length > 0 && input.pages.every((p) => p.media);
  return {
    format: input.format,
    pages: input.pages.length,
    colorPages: input.colourUnknown ? null : colorPages,
    colorPageNumbers: input.colourUnknown ? null : colorPageNumbers,
    copies: Math.max(1, Math.floor(input.copies)),
    duplex: input.duplex,
    media,
    ...(allKnown ? { pageMedia: input.pages.map((p) => p.media!) } : {}),
    method: input.method,
    warnings: [...new Set(input.warnings)],
    recovered: input.recovered,
  };
}

/** A page as a PCL 5 or PCL XL interpreter printed it. */
export interface PrintedPage extends PageFact {
  /** Copies the page asked for (ESC&l#X, PageCopies). */
  copies: number;
  duplex: boolean;
}

export interface PrintedJob {
  format: DocumentFormat;
  method: string;
  pages: readonly PrintedPage[];
  /** PJL settings read inside the stream (readPjl). */
  pjl: PjlSettings;
  warnings: Iterable<string>;
  recovered: boolean;
  /** The warning when pages ask for different copy counts (said in the language's words). */
  mixedCopiesWarning: string;
}

/**
 * The result of a PCL job: one copy count when every page asks for the same one, otherwise
 * each copy laid out as a page (copies 1, with a warning). PJL fills in what the document
 * does not say: copies, duplex, paper; RENDERMODE=GRAYSCALE counts every page gray.
 */
export function summarisePrinted(job: PrintedJob): AnalysisResult {
  const { pjl } = job;
  const warnings = [...job.warnings];
  let pages = job.pages;
  const copiesSeen = new Set(pages.map((p) => p.copies));
  let copies = 1;
  if (copiesSeen.size === 1) copies = pages[0]!.copies;
  else if (copiesSeen.size > 1) {
    pages = pages.flatMap((p) => new Array<PrintedPage>(p.copies).fill(p));
    warnings.push(job.mixedCopiesWarning);
  }
  const pjlAsked = pjlCopies(pjl);
  if (copies === 1 && pjlAsked) copies = pjlAsked;
  if (pjl.grayscale && pages.some((p) => p.colour)) warnings.push('PJL RENDERMODE=GRAYSCALE: colour pages print gray');
  return summarise({
    format: job.format,
    pages: pages.map((p) => ({ colour: p.colour && !pjl.grayscale, media: p.media ?? pjlPaperName(pjl) ?? null })),
    copies,
    duplex: pages.some((p) => p.duplex) || (pjl.duplex ?? false),
    method: job.method,
    warnings,
    recovered: job.recovered,
  });
}
