// Apple URF ("UNIRAST") raster, as AirPrint clients send it: "UNIRAST\0", a big-endian page
// count (0 when streamed), then per page a 32-byte header (bits per pixel, colour space,
// duplex, quality, width, height, resolution) and compressed lines in the same PackBits
// family as PWG raster, where run code 128 fills the rest of the line with white.
// Colour spaces: 0 sGray, 1 sRGB, 2 CIE Lab, 3 Adobe RGB, 4 gray, 5 device RGB, 6 CMYK.

import { mediaName, type AnalysisResult } from '../../../shared/analysis.ts';
import { unitCheckFor, type ColourModel } from '../colour.ts';
import { AnalysisError } from '../errors.ts';
import { ByteReader } from '../reader.ts';
import type { Source } from '../source.ts';
import type { AnalyzeOptions, Parser } from '../types.ts';
import { scanCompressed } from './lines.ts';
import { RasterPages } from './pages.ts';
import { sniffUrf } from './sniff.ts';

const PAGE_HEADER = 32;

function modelFor(space: number): { model: ColourModel; channels: number } | null {
  switch (space) {
    case 0: case 4: return { model: { kind: 'gray' }, channels: 1 };
    case 1: case 3: case 5: return { model: { kind: 'rgb', ch: [0, 1, 2] }, channels: 3 };
    case 2: return { model: { kind: 'lab', a: 1, b: 2 }, channels: 3 };
    case 6: return { model: { kind: 'cmyk', ch: [0, 1, 2], k: 3 }, channels: 4 };
    default: return null;
  }
}

async function analyze(source: Source, options: AnalyzeOptions): Promise<AnalysisResult> {
  const reader = new ByteReader(source, 0, 4 << 20, { streaming: true });
  await reader.need(12, 'the URF file header');
  const magic = reader.bytes(8);
  if (sniffUrf(magic) === 0) throw new AnalysisError('ANALYSIS_MALFORMED', 'not a URF file (no UNIRAST magic)', 0);
  const declared = reader.u32be();
  const pages = new RasterPages(reader, PAGE_HEADER, options);
  const warnings: string[] = [];
  let duplex = false;
  for (;;) {
    const at = await pages.nextHeader();
    if (at === null) break;
    const bpp = reader.u8();
    const space = reader.u8();
    const dup = reader.u8();
    reader.u8(); // quality
    reader.skip(8);
    const width = reader.u32be();
    const height = reader.u32be();
    const dpi = reader.u32be();
    reader.skip(8);
    const bad = (what: string, off: number) => new AnalysisError('ANALYSIS_MALFORMED', `URF page header: ${what}`, at + off);
    if (![1, 8, 16, 24, 32, 48, 64].includes(bpp)) throw bad(`${bpp} bits per pixel`, 0);
    const info = modelFor(space);
    if (!info) throw bad(`unknown colour space ${space}`, 1);
    if (width < 1 || width > 1_000_000) throw bad(`width ${width}`, 12);
    if (height > 10_000_000) throw bad(`height ${height}`, 16);
    const unitBytes = Math.ceil(bpp / 8);
    const lineBytes = Math.ceil((width * bpp) / 8);
    if (lineBytes > Math.min(16 * 1024 * 1024, options.limits.maxBufferBytes)) throw bad(`${lineBytes} bytes per line`, 12);
    pages.checkLimit(at);
    const bits = bpp >= 8 ? bpp / info.channels : 1;
    // 1-bit URF is black and white: nothing to check.
    const check = bpp >= 8 && (bits === 8 || bits === 16) ? unitCheckFor(info.model, bits, info.channels, bpp, unitBytes, false) : null;
    if (bpp >= 8 && check === null && info.model.kind !== 'gray') throw bad(`${bpp} bits per pixel for ${info.channels} colours`, 0);
    const colour = height === 0 ? false : await scanCompressed(reader, height, { lineUnits: Math.ceil(lineBytes / unitBytes), unitBytes, code128: 'fill-white' }, check, options);
    if (pages.flags.length === 0) duplex = dup === 2 || dup === 3;
    pages.add(colour, dpi > 0 ? mediaName((width * 72) / dpi, (height * 72) / dpi) : 'unknown');
  }
  const count = pages.flags.length;
  if (declared !== 0 && declared !== count) warnings.push(`file header says ${declared} pages, the stream holds ${count}`);
  return pages.result('urf', 1, duplex, warnings);
}

export const urfParser: Parser = { format: 'urf', sniff: sniffUrf, analyze };
