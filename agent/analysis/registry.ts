// The detection table: every parser the engine knows, with its tie-break priority. This is
// data (like CUPS's mime.types), read by detect.ts; adding a language is adding a row here.
// Priorities only matter when two sniffs give the same score: formats with an exact magic
// number rank above loose ones, and plain text ranks last.
//
// The table imports only the sniffers (each language's small sniff.ts); a parser's module
// graph is imported the first time a file is detected as its language (`lazy` below). A
// one-shot `printgate analyze` of PDFs then loads the PDF parser alone, not the PostScript,
// PCL, raster, image and text ones (about a third of the analysis sources).

import type { DetectionEntry } from './detect.ts';
import type { DocumentFormat, Parser } from './types.ts';
import { sniffJpeg, sniffPng, sniffTiff } from './image/sniff.ts';
import { sniffPcl5 } from './pcl5/sniff.ts';
import { sniffPclxl } from './pclxl/sniff.ts';
import { sniffPdf } from './pdf/sniff.ts';
import { sniffPostscript } from './postscript/sniff.ts';
import { sniffCupsRaster, sniffPwg, sniffUrf } from './raster/sniff.ts';
import { sniffText } from './text/sniff.ts';

/** A parser whose analyze imports the real one on first use (once; later calls reuse it). */
function lazy(format: DocumentFormat, sniff: Parser['sniff'], load: () => Promise<Parser>): Parser {
  let loaded: Promise<Parser> | undefined;
  return {
    format,
    sniff,
    async analyze(source, options) {
      loaded ??= load();
      return (await loaded).analyze(source, options);
    },
  };
}

export const REGISTRY: readonly DetectionEntry[] = [
  { parser: lazy('pdf', sniffPdf, async () => (await import('./pdf/index.ts')).pdfParser), priority: 85, note: '%PDF- header (anywhere in the first KiB, as readers accept)' },
  { parser: lazy('pclxl', sniffPclxl, async () => (await import('./pclxl/index.ts')).pclxlParser), priority: 85, note: 'PCL XL stream header ") HP-PCL XL;"' },
  { parser: lazy('postscript', sniffPostscript, async () => (await import('./postscript/index.ts')).postscriptParser), priority: 80, note: '%! header (or the DOS EPS binary header)' },
  { parser: lazy('pcl5', sniffPcl5, async () => (await import('./pcl5/index.ts')).pcl5Parser), priority: 70, note: 'PCL 5 escape sequences (ESC E, ESC &, ESC *); looser than the exact magics' },
  { parser: lazy('pwg-raster', sniffPwg, async () => (await import('./raster/cups.ts')).pwgRasterParser), priority: 90, note: '"RaS2" + "PwgRaster" header: exact' },
  { parser: lazy('cups-raster', sniffCupsRaster, async () => (await import('./raster/cups.ts')).cupsRasterParser), priority: 80, note: 'CUPS raster sync words RaSt/RaS2/RaS3 either byte order: exact' },
  { parser: lazy('urf', sniffUrf, async () => (await import('./raster/urf.ts')).urfParser), priority: 90, note: '"UNIRAST\\0" magic: exact' },
  { parser: lazy('png', sniffPng, async () => (await import('./image/png.ts')).pngParser), priority: 90, note: 'PNG signature: exact' },
  { parser: lazy('tiff', sniffTiff, async () => (await import('./image/tiff.ts')).tiffParser), priority: 90, note: 'II*\\0 / MM\\0*: exact' },
  { parser: lazy('jpeg', sniffJpeg, async () => (await import('./image/jpeg.ts')).jpegParser), priority: 90, note: 'FF D8 FF: exact' },
  { parser: lazy('text', sniffText, async () => (await import('./text/index.ts')).textParser), priority: 0, note: 'printable bytes only; the fallback when nothing else matches' },
];
