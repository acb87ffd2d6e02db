// The analysis engine's result (shared/analysis.ts) as the protocol's Analysis message,
// and the message for a document the engine could not analyse: the server then applies
// the printer's "unknown pages" rule (deny with a message, or charge a set amount), which
// is why an analysis failure is reported rather than treated as an error.

import type { AnalysisResult } from '../../shared/analysis.ts';
import type { printgate } from '../../shared/protocol/index.ts';

export type AnalysisMessage = printgate.v1.Analysis.$Properties;

/** MIME types of the formats the engine names, for JobAttributes.document_format. */
const MIME: Record<string, string> = {
  pdf: 'application/pdf',
  postscript: 'application/postscript',
  pcl5: 'application/vnd.hp-pcl',
  pclxl: 'application/vnd.hp-pclxl',
  'pwg-raster': 'image/pwg-raster',
  urf: 'image/urf',
  'cups-raster': 'application/vnd.cups-raster',
  jpeg: 'image/jpeg',
  png: 'image/png',
  tiff: 'image/tiff',
  text: 'text/plain',
};

export function mimeTypeOf(format: string): string {
  return MIME[format] ?? 'application/octet-stream';
}

export function toProtocolAnalysis(result: AnalysisResult): AnalysisMessage {
  return {
    format: result.format,
    pagesKnown: result.pages !== null,
    pages: result.pages ?? 0,
    colorKnown: result.colorPages !== null,
    colorPages: result.colorPages ?? 0,
    colorPageNumbers: result.colorPageNumbers ?? [],
    copies: result.copies > 1 ? result.copies : 0,
    duplex: result.duplex,
    media: result.media.map((m) => m.name),
    mediaPages: result.media.map((m) => ({ media: m.name, pages: m.pages, colorPages: m.colorPages })),
    method: result.method,
    warnings: result.warnings,
    recovered: result.recovered,
  };
}

/** What to report when the engine failed: pages unknown, the failure as a warning. */
export function failedAnalysis(error: { code?: string; message: string }, format = 'unknown'): AnalysisMessage {
  return {
    format,
    pagesKnown: false,
    colorKnown: false,
    method: 'failed',
    warnings: [`${error.code ?? 'ANALYSIS_FAILED'}: ${error.message}`],
  };
}
