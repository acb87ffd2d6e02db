// Results for image formats. An image prints as one page per image (TIFF: per directory);
// its paper size is not in the file (the spooler scales it to the job's media), so media is
// named only when the image states a physical size (resolution), else left empty.

import { colourSummary, mediaName, type AnalysisResult, type DocumentFormat } from '../../../shared/analysis.ts';
import { mediaUses } from '../media.ts';

/** A one-page image result. `dpi` is [x, y] pixels per inch when the file says so. */
export function singlePage(format: DocumentFormat, colour: boolean | null, width: number, height: number, dpi: [number, number] | null, method: string, warnings: string[]): AnalysisResult {
  return imagePages(format, [colour], [dpi ? sizeName(width, height, dpi) : null], method, warnings);
}

export function sizeName(width: number, height: number, dpi: [number, number]): string | null {
  if (!(dpi[0] > 0 && dpi[1] > 0)) return null;
  return mediaName((width * 72) / dpi[0], (height * 72) / dpi[1]);
}

/** A result for images with per-page colour (null: unknown) and optional size names. */
export function imagePages(format: DocumentFormat, flags: ReadonlyArray<boolean | null>, sizes: ReadonlyArray<string | null>, method: string, warnings: string[]): AnalysisResult {
  const known = flags.every((f) => f !== null);
  const summary = known ? colourSummary(flags as boolean[]) : { colorPages: null, colorPageNumbers: null };
  // Media only when every image states its size.
  const media = sizes.every((s) => s !== null) && sizes.length > 0 ? mediaUses(sizes, flags) : [];
  return {
    format,
    pages: flags.length,
    colorPages: summary.colorPages,
    colorPageNumbers: summary.colorPageNumbers,
    copies: 1,
    duplex: false,
    media,
    method,
    warnings,
    recovered: false,
  };
}
