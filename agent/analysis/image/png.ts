// PNG: one page. Gray colour types (0, 4) are gray without decoding. Palette images are
// gray when no palette entry is colour; otherwise, like RGB(A), the IDAT stream is inflated
// as a stream, rows unfiltered (two rows in memory), and pixels checked until the first
// colour one. Transparency composites on white paper: a pixel's chroma counts in proportion
// to its alpha (an invisible red pixel prints nothing). Interlaced (Adam7) images are read
// pass by pass: for a yes/no colour answer where a pixel sits does not matter.

import type { AnalysisResult } from '../../../shared/analysis.ts';
import { GRAY_CHROMA } from '../colour.ts';
import { AnalysisError, checkBudget } from '../errors.ts';
import { ByteReader } from '../reader.ts';
import type { Source } from '../source.ts';
import type { AnalyzeOptions, Parser } from '../types.ts';
import { inflatePieces } from './inflate.ts';
import { singlePage } from './result.ts';
import { PNG_SIGNATURE, sniffPng } from './sniff.ts';

const CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const PASSES = [ // Adam7: x0, y0, dx, dy
  [0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2],
] as const;

interface Ihdr { width: number; height: number; depth: number; type: number; interlace: number }

function chromaOf(r: number, g: number, b: number): number {
  const mx = r > g ? (r > b ? r : b) : g > b ? g : b;
  const mn = r < g ? (r < b ? r : b) : g < b ? g : b;
  return mx - mn;
}

/** Row checker for the decoded (unfiltered) bytes of one row of `w` pixels. */
function rowCheck(h: Ihdr, paletteColour: Uint8Array | null): (row: Uint8Array, w: number) => boolean {
  const s = h.depth === 16 ? 2 : 1; // byte step per sample; judge the high byte
  if (h.type === 3) {
    const pc = paletteColour!;
    const bits = h.depth;
    return (row, w) => {
      for (let x = 0; x < w; x++) {
        const bit = x * bits;
        const idx = (row[bit >> 3]! >> (8 - bits - (bit & 7))) & ((1 << bits) - 1);
        if (pc[idx]) return true;
      }
      return false;
    };
  }
  const ch = CHANNELS[h.type]!;
  const stride = ch * s;
  const hasAlpha = h.type === 6;
  return (row, w) => {
    for (let x = 0, p = 0; x < w; x++, p += stride) {
      const c = chromaOf(row[p]!, row[p + s]!, row[p + 2 * s]!);
      if (c <= GRAY_CHROMA) continue;
      if (!hasAlpha || (c * row[p + 3 * s]!) / 255 > GRAY_CHROMA) return true;
    }
    return false;
  };
}

function unfilter(filter: number, row: Uint8Array, prev: Uint8Array, bpp: number, at: number): void {
  const n = row.length;
  switch (filter) {
    case 0: return;
    case 1: for (let i = bpp; i < n; i++) row[i] = (row[i]! + row[i - bpp]!) & 255; return;
    case 2: for (let i = 0; i < n; i++) row[i] = (row[i]! + prev[i]!) & 255; return;
    case 3:
      for (let i = 0; i < n; i++) row[i] = (row[i]! + (((i >= bpp ? row[i - bpp]! : 0) + prev[i]!) >> 1)) & 255;
      return;
    case 4:
      for (let i = 0; i < n; i++) {
        const a = i >= bpp ? row[i - bpp]! : 0, b = prev[i]!, c = i >= bpp ? prev[i - bpp]! : 0;
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        row[i] = (row[i]! + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 255;
      }
      return;
    default: throw new AnalysisError('ANALYSIS_MALFORMED', `PNG row filter ${filter}`, at);
  }
}

async function analyze(source: Source, options: AnalyzeOptions): Promise<AnalysisResult> {
  const reader = new ByteReader(source, 0, 256 * 1024);
  await reader.need(8, 'the PNG signature');
  const sig = reader.bytes(8);
  if (PNG_SIGNATURE.some((b, i) => sig[i] !== b)) throw new AnalysisError('ANALYSIS_MALFORMED', 'not a PNG signature', 0);
  let ihdr: Ihdr | null = null;
  let palette: Uint8Array | null = null;
  let alpha: Uint8Array | null = null;
  const idat: Array<[number, number]> = [];
  const warnings: string[] = [];
  let ended = false;
  while (!ended) {
    checkBudget(options.signal, options.deadline, reader.pos);
    const at = reader.pos;
    if ((await reader.ensure(8)) < 8) {
      warnings.push('no IEND chunk: the file ends early');
      break;
    }
    const len = reader.u32be();
    const type = String.fromCharCode(...reader.bytes(4));
    if (len > 0x7fffffff) throw new AnalysisError('ANALYSIS_MALFORMED', `PNG chunk ${JSON.stringify(type)} length ${len}`, at);
    if (ihdr === null && type !== 'IHDR') throw new AnalysisError('ANALYSIS_MALFORMED', 'PNG does not start with IHDR', at);
    if (type === 'IHDR' || type === 'PLTE' || type === 'tRNS') {
      if (len > 1024) throw new AnalysisError('ANALYSIS_MALFORMED', `PNG ${type} chunk of ${len} bytes`, at);
      await reader.need(len + 4, `the PNG ${type} chunk`);
      const d = reader.bytes(len).slice();
      reader.skip(4);
      if (type === 'IHDR') {
        if (len < 13) throw new AnalysisError('ANALYSIS_MALFORMED', 'short IHDR', at);
        const dv = new DataView(d.buffer);
        ihdr = { width: dv.getUint32(0), height: dv.getUint32(4), depth: d[8]!, type: d[9]!, interlace: d[12]! };
        const okDepth: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
        if (!okDepth[ihdr.type]?.includes(ihdr.depth)) throw new AnalysisError('ANALYSIS_MALFORMED', `PNG colour type ${ihdr.type} with depth ${ihdr.depth}`, at + 16);
        if (ihdr.width < 1 || ihdr.height < 1 || ihdr.width > 0x7fffffff || ihdr.height > 0x7fffffff || ihdr.interlace > 1) throw new AnalysisError('ANALYSIS_MALFORMED', 'PNG image size or interlace method', at + 8);
      } else if (type === 'PLTE') palette = d;
      else alpha = d;
      continue;
    }
    if (type === 'IDAT') idat.push([reader.pos, len]);
    if (type === 'IEND') ended = true;
    if (reader.pos + len + 4 > source.size) {
      if (type === 'IDAT') throw new AnalysisError('ANALYSIS_TRUNCATED', 'file ends inside image data', source.size);
      warnings.push(`file ends inside the ${type} chunk`);
      break;
    }
    reader.skip(len + 4);
  }
  if (!ihdr) throw new AnalysisError('ANALYSIS_MALFORMED', 'no IHDR chunk', 8);
  if (idat.length === 0) throw new AnalysisError('ANALYSIS_MALFORMED', 'no image data (IDAT)', reader.pos);
  const h = ihdr;
  const done = (colour: boolean, method: string) => singlePage('png', colour, h.width, h.height, null, method, warnings);

  if (h.type === 0 || h.type === 4) return done(false, 'image-colour-type');
  let paletteColour: Uint8Array | null = null;
  if (h.type === 3) {
    if (!palette || palette.length % 3 !== 0) throw new AnalysisError('ANALYSIS_MALFORMED', 'palette image without a valid PLTE', 8);
    paletteColour = new Uint8Array(256);
    let any = false;
    for (let i = 0; i < palette.length / 3; i++) {
      const c = chromaOf(palette[3 * i]!, palette[3 * i + 1]!, palette[3 * i + 2]!);
      const a = alpha && i < alpha.length ? alpha[i]! : 255;
      if ((c * a) / 255 > GRAY_CHROMA) { paletteColour[i] = 1; any = true; }
    }
    if (!any) return done(false, 'image-palette');
  }

  // Decode: rows of every pass, unfiltered against the previous row of the same pass.
  const ch = CHANNELS[h.type]!;
  const bitsPerPixel = ch * h.depth;
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const passes = h.interlace ? PASSES.map(([x0, y0, dx, dy]) => [Math.ceil((h.width - x0) / dx), Math.ceil((h.height - y0) / dy)] as const).filter(([w, r]) => w > 0 && r > 0) : [[h.width, h.height] as const];
  const maxRow = Math.ceil((h.width * bitsPerPixel) / 8);
  if (maxRow + 1 > options.limits.maxBufferBytes) throw new AnalysisError('ANALYSIS_LIMIT', `PNG rows of ${maxRow} bytes`, 16);
  const check = rowCheck(h, paletteColour);
  let pass = 0;
  let rowsLeft = passes[0]![1];
  let rowLen = Math.ceil((passes[0]![0] * bitsPerPixel) / 8) + 1;
  let row = new Uint8Array(maxRow + 1);
  let prev = new Uint8Array(maxRow + 1);
  let fill = 0;
  let colour = false;
  let finished = false;
  let idatIndex = 0;
  let lastOffset = idat[0]![0];
  async function* pieces(): AsyncGenerator<Uint8Array> {
    for (; idatIndex < idat.length; idatIndex++) {
      const [off, len] = idat[idatIndex]!;
      for (let o = 0; o < len; o += 256 * 1024) {
        checkBudget(options.signal, options.deadline, off + o);
        lastOffset = off + o;
        yield await source.read(off + o, Math.min(256 * 1024, len - o));
      }
    }
  }
  const totalBytes = passes.reduce((n, [w, r]) => n + r * (Math.ceil((w * bitsPerPixel) / 8) + 1), 0);
  await inflatePieces(pieces(), (piece) => {
    let i = 0;
    while (i < piece.length && !finished) {
      const take = Math.min(rowLen - fill, piece.length - i);
      row.set(piece.subarray(i, i + take), fill);
      fill += take;
      i += take;
      if (fill < rowLen) break;
      const body = row.subarray(1, rowLen);
      unfilter(row[0]!, body, prev.subarray(1, rowLen), bpp, lastOffset);
      if (check(body, passes[pass]![0])) { colour = true; finished = true; break; }
      [row, prev] = [prev, row];
      fill = 0;
      if (--rowsLeft === 0) {
        pass++;
        if (pass >= passes.length) { finished = true; break; }
        rowsLeft = passes[pass]![1];
        rowLen = Math.ceil((passes[pass]![0] * bitsPerPixel) / 8) + 1;
        prev.fill(0);
      }
    }
    return finished;
  }, totalBytes + 1024, () => lastOffset);
  if (!finished) throw new AnalysisError('ANALYSIS_TRUNCATED', 'image data ends before the last row', lastOffset);
  return done(colour, 'image-pixels');
}

export const pngParser: Parser = {
  format: 'png',
  sniff: sniffPng,
  analyze,
};
