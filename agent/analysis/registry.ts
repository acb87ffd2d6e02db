// The detection table: every parser the engine knows, with its tie-break priority. This is
// data (like CUPS's mime.types), read by detect.ts; adding a language is adding a row here.
// Priorities only matter when two sniffs give the same score: formats with an exact magic
// number rank above loose ones, and plain text ranks last.

import type { DetectionEntry } from './detect.ts';
import { tiffParser } from './image/tiff.ts';
import { jpegParser } from './image/jpeg.ts';
import { pngParser } from './image/png.ts';
import { pcl5Parser } from './pcl5/index.ts';
import { pclxlParser } from './pclxl/index.ts';
import { pdfParser } from './pdf/index.ts';
import { postscriptParser } from './postscript/index.ts';
import { cupsRasterParser, pwgRasterParser } from './raster/cups.ts';
import { urfParser } from './raster/urf.ts';
import { textParser } from './text/index.ts';

export const REGISTRY: readonly DetectionEntry[] = [
  { parser: pdfParser, priority: 85, note: '%PDF- header (anywhere in the first KiB, as readers accept)' },
  { parser: pclxlParser, priority: 85, note: 'PCL XL stream header ") HP-PCL XL;"' },
  { parser: postscriptParser, priority: 80, note: '%! header (or the DOS EPS binary header)' },
  { parser: pcl5Parser, priority: 70, note: 'PCL 5 escape sequences (ESC E, ESC &, ESC *); looser than the exact magics' },
  { parser: pwgRasterParser, priority: 90, note: '"RaS2" + "PwgRaster" header: exact' },
  { parser: cupsRasterParser, priority: 80, note: 'CUPS raster sync words RaSt/RaS2/RaS3 either byte order: exact' },
  { parser: urfParser, priority: 90, note: '"UNIRAST\\0" magic: exact' },
  { parser: pngParser, priority: 90, note: 'PNG signature: exact' },
  { parser: tiffParser, priority: 90, note: 'II*\\0 / MM\\0*: exact' },
  { parser: jpegParser, priority: 90, note: 'FF D8 FF: exact' },
  { parser: textParser, priority: 0, note: 'printable bytes only; the fallback when nothing else matches' },
];
