// Builds an AnalysisResult from per-page facts, shared by the PCL 5, PCL XL and PostScript
// parsers: page count, colour page numbers, the media tally in order of first use, and
// the copies/duplex the document asks for. Pure.

import { colourSummary, type AnalysisResult, type DocumentFormat, type MediaUse } from '../../../shared/analysis.ts';

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
  const tally = new Map<string, MediaUse>();
  for (const p of input.pages) {
    if (!p.media) continue;
    let use = tally.get(p.media);
    if (!use) {
      use = { name: p.media, pages: 0, colorPages: 0 };
      tally.set(p.media, use);
    }
    use.pages++;
    if (p.colour && !input.colourUnknown) use.colorPages++;
  }
  const allKnown = input.pages.length > 0 && input.pages.every((p) => p.media);
  return {
    format: input.format,
    pages: input.pages.length,
    colorPages: input.colourUnknown ? null : colorPages,
    colorPageNumbers: input.colourUnknown ? null : colorPageNumbers,
    copies: Math.max(1, Math.floor(input.copies)),
    duplex: input.duplex,
    media: [...tally.values()],
    ...(allKnown ? { pageMedia: input.pages.map((p) => p.media!) } : {}),
    method: input.method,
    warnings: [...new Set(input.warnings)],
    recovered: input.recovered,
  };
}
