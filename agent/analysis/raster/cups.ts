// CUPS raster v1/v2/v3 and PWG raster: a sync word, then per page a 1796-byte header and the
// page's pixels (v1/v3 raw, v2/PWG compressed line by line). Pages are counted by walking
// every page; colour by scanning pixels until the first colour one (then the rest of the
// page is skipped: seeked over when raw, only walked when compressed).
//
// Colour orders: chunked is checked on the packed units directly; banded lines and planar
// pages are checked one line at a time with every colour's band side by side. For planar
// pages the planes are read in parallel from their start offsets (found by walking the
// page once when compressed), so no plane is ever held in memory.

import type { AnalysisResult } from '../../../shared/analysis.ts';
import { unitCheckFor, type UnitCheck } from '../colour.ts';
import { AnalysisError, checkBudget } from '../errors.ts';
import { ByteReader } from '../reader.ts';
import type { Source } from '../source.ts';
import type { AnalyzeOptions, Parser } from '../types.ts';
import { bandCheck, type LineCheck } from './bands.ts';
import { colourSpaceInfo, HEADER_BYTES, headerMedia, parseHeader, type RasterHeader } from './header.ts';
import { decodeCompressedLine, scanCompressed, scanUncompressed, type LineLayout } from './lines.ts';
import { RasterPages } from './pages.ts';
import { ascii, isPwg, sniffCupsRaster, sniffPwg, SYNCS } from './sniff.ts';

/** One plane of a planar page, read line by line from its own offset. */
class PlaneCursor {
  private readonly reader: ByteReader;
  private readonly line: Uint8Array;
  private left = 0;
  private readonly layout: LineLayout | null;
  constructor(source: Source, start: number, bytesPerLine: number, layout: LineLayout | null) {
    this.reader = new ByteReader(source, start, 256 * 1024);
    this.line = new Uint8Array(bytesPerLine);
    this.layout = layout;
  }
  async next(): Promise<Uint8Array> {
    if (this.layout) {
      if (this.left === 0) this.left = await decodeCompressedLine(this.reader, this.layout, this.line, 0xff);
      this.left--;
      return this.line;
    }
    await this.reader.need(this.line.length, 'a planar raster line');
    this.line.set(this.reader.bytes(this.line.length));
    return this.line;
  }
}

interface PageContext {
  source: Source;
  reader: ByteReader;
  hdr: RasterHeader;
  compressed: boolean;
  le: boolean;
  options: AnalyzeOptions;
}

async function scanChunked(ctx: PageContext): Promise<boolean> {
  const { hdr, reader, options } = ctx;
  const info = colourSpaceInfo(hdr.colorSpace, hdr.bitsPerColor)!;
  const unitBytes = Math.ceil(hdr.bitsPerPixel / 8);
  const check = unitCheckFor(info.model, hdr.bitsPerColor, hdr.numColors, hdr.bitsPerPixel, unitBytes, ctx.le);
  if (ctx.compressed) {
    if (hdr.bytesPerLine % unitBytes !== 0) throw new AnalysisError('ANALYSIS_MALFORMED', `${hdr.bytesPerLine} bytes per line is not a whole number of ${unitBytes}-byte pixels`, reader.pos);
    return scanCompressed(reader, hdr.height, { lineUnits: hdr.bytesPerLine / unitBytes, unitBytes, code128: 'literal-129' }, check, options);
  }
  const used = Math.ceil(Math.ceil((hdr.width * hdr.bitsPerPixel) / 8) / unitBytes);
  return scanUncompressed(reader, hdr.height, hdr.bytesPerLine, used, check, options);
}

async function scanBanded(ctx: PageContext): Promise<boolean> {
  const { hdr, reader, options } = ctx;
  const info = colourSpaceInfo(hdr.colorSpace, hdr.bitsPerColor)!;
  const bandBytes = Math.floor(hdr.bytesPerLine / hdr.numColors);
  const lcheck = bandCheck(info.model, hdr.bitsPerColor, hdr.numColors, hdr.width, bandBytes, ctx.le);
  if (!ctx.compressed) {
    const asUnit: UnitCheck | null = lcheck && ((buf, off) => lcheck(buf.subarray(off, off + hdr.bytesPerLine)));
    return scanUncompressed(reader, hdr.height, hdr.bytesPerLine, 1, asUnit, options);
  }
  const unitBytes = Math.ceil(hdr.bitsPerColor / 8);
  const layout: LineLayout = { lineUnits: Math.floor(hdr.bytesPerLine / unitBytes), unitBytes, code128: 'literal-129' };
  const line = new Uint8Array(hdr.bytesPerLine);
  let done = 0;
  while (done < hdr.height) {
    if (!lcheck) {
      await scanCompressed(reader, hdr.height - done, layout, null, options);
      return false;
    }
    if ((done & 255) === 0) checkBudget(options.signal, options.deadline, reader.pos);
    const at = reader.pos;
    done += await decodeCompressedLine(reader, layout, line, 0xff);
    if (done > hdr.height) throw new AnalysisError('ANALYSIS_MALFORMED', 'line repeat runs past the end of the page', at);
    if (lcheck(line)) {
      if (done < hdr.height) await scanCompressed(reader, hdr.height - done, layout, null, options);
      return true;
    }
  }
  return false;
}

async function scanPlanar(ctx: PageContext): Promise<boolean> {
  const { hdr, reader, options, source } = ctx;
  const info = colourSpaceInfo(hdr.colorSpace, hdr.bitsPerColor)!;
  const planes = hdr.numColors;
  const bpl = hdr.bytesPerLine;
  const unitBytes = Math.ceil(hdr.bitsPerColor / 8);
  const layout: LineLayout | null = ctx.compressed ? { lineUnits: Math.floor(bpl / unitBytes), unitBytes, code128: 'literal-129' } : null;
  // First find where each plane starts (and where the page ends).
  const starts: number[] = [];
  for (let p = 0; p < planes; p++) {
    starts.push(reader.pos);
    if (layout) await scanCompressed(reader, hdr.height, layout, null, options);
    else await scanUncompressed(reader, hdr.height, bpl, 0, null, options);
  }
  const lcheck: LineCheck | null = bandCheck(info.model, hdr.bitsPerColor, planes, hdr.width, bpl, ctx.le);
  if (!lcheck) return false;
  const cursors = starts.map((s) => new PlaneCursor(source, s, bpl, layout));
  const line = new Uint8Array(bpl * planes);
  for (let y = 0; y < hdr.height; y++) {
    if ((y & 255) === 0) checkBudget(options.signal, options.deadline, starts[0]!);
    for (let p = 0; p < planes; p++) line.set(await cursors[p]!.next(), p * bpl);
    if (lcheck(line)) return true;
  }
  return false;
}

async function analyze(source: Source, options: AnalyzeOptions): Promise<AnalysisResult> {
  const reader = new ByteReader(source, 0, 4 << 20, { streaming: true });
  await reader.need(4, 'the raster sync word');
  const syncBytes = reader.bytes(4);
  const syncName = ascii(syncBytes, 0, 4);
  const sync = SYNCS[syncName];
  if (!sync) throw new AnalysisError('ANALYSIS_MALFORMED', `not a CUPS/PWG raster sync word: ${JSON.stringify(syncName)}`, 0);
  const maxLine = Math.min(16 * 1024 * 1024, options.limits.maxBufferBytes);
  const pages = new RasterPages(reader, HEADER_BYTES, options);
  const warnings: string[] = [];
  let pwg = false;
  let copies = 1;
  let duplex = false;
  let declaredTotal = 0;
  for (;;) {
    const at = await pages.nextHeader();
    if (at === null) break;
    const hdr = parseHeader(reader.bytes(HEADER_BYTES), sync.le, sync.version, at, maxLine);
    if (pages.flags.length === 0) {
      pwg = syncName === 'RaS2' && hdr.mediaClass === 'PwgRaster';
      copies = Math.max(1, Math.min(hdr.numCopies, 9999));
      duplex = hdr.duplex;
      declaredTotal = hdr.totalPageCount;
    }
    pages.checkLimit(at);
    const ctx: PageContext = { source, reader, hdr, compressed: sync.version === 2, le: sync.le, options };
    const colour = hdr.height === 0 ? false : hdr.colorOrder === 0 ? await scanChunked(ctx) : hdr.colorOrder === 1 ? await scanBanded(ctx) : await scanPlanar(ctx);
    pages.add(colour, headerMedia(hdr));
  }
  const count = pages.flags.length;
  if (count === 0) warnings.push('the raster stream holds no pages');
  if (pwg && declaredTotal > 0 && declaredTotal !== count) warnings.push(`header says ${declaredTotal} pages, the stream holds ${count}`);
  return pages.result(pwg ? 'pwg-raster' : 'cups-raster', copies, duplex, warnings);
}

export const pwgRasterParser: Parser = {
  format: 'pwg-raster',
  sniff: sniffPwg,
  analyze,
};

export const cupsRasterParser: Parser = {
  format: 'cups-raster',
  sniff: sniffCupsRaster,
  analyze,
};
