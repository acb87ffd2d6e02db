// TIFF: one page per image file directory (IFD), following the next-IFD chain with a loop
// guard; reduced-resolution images (thumbnails, NewSubfileType bit 0) are not pages.
// Colour per page: gray photometric interpretations (WhiteIsZero, BlackIsZero, masks) are
// gray without decoding; palette images are gray when no palette entry is colour; RGB,
// CMYK, YCbCr and Lab images are decoded strip by strip (or tile by tile; none, PackBits,
// LZW, Deflate; predictor 2) and checked until the first colour pixel. What cannot be
// decoded (JPEG-in-TIFF, exotic inks) gives colour "unknown" (null), never a guess.

import type { AnalysisResult } from '../../../shared/analysis.ts';
import { GRAY_CHROMA, isColourRgb, packedCheck, rgbLikeCheck, type UnitCheck } from '../colour.ts';
import { AnalysisError, checkBudget } from '../errors.ts';
import type { Source } from '../source.ts';
import type { AnalyzeOptions, Parser } from '../types.ts';
import { imagePages, sizeName } from './result.ts';
import { sniffTiff } from './sniff.ts';
import { deflateDecode, lzwDecode, undoPredictor, unpackBits } from './tiff-codecs.ts';

const TYPE_SIZE: Readonly<Record<number, number>> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4 };

interface Entry { type: number; count: number; valueAt: number }

class TiffFile {
  readonly source: Source;
  readonly le: boolean;
  constructor(source: Source, le: boolean) {
    this.source = source;
    this.le = le;
  }
  async bytes(offset: number, length: number, what: string): Promise<Uint8Array> {
    if (offset < 0 || length < 0 || offset + length > this.source.size) throw new AnalysisError('ANALYSIS_TRUNCATED', `${what} lies beyond the end of the file`, Math.min(offset, this.source.size));
    return this.source.read(offset, length);
  }
  num(b: Uint8Array, at: number, size: number): number {
    const dv = new DataView(b.buffer, b.byteOffset + at, size);
    return size === 1 ? dv.getUint8(0) : size === 2 ? dv.getUint16(0, this.le) : dv.getUint32(0, this.le);
  }
  /** Numeric values of a tag (BYTE/SHORT/LONG/RATIONAL as numbers), at most `max` of them. */
  async values(e: Entry, max: number, what: string): Promise<number[]> {
    const size = TYPE_SIZE[e.type];
    if (!size) throw new AnalysisError('ANALYSIS_MALFORMED', `${what}: field type ${e.type}`, e.valueAt);
    if (e.count > max) throw new AnalysisError('ANALYSIS_LIMIT', `${what}: ${e.count} values`, e.valueAt);
    const total = size * e.count;
    let at = e.valueAt;
    if (total > 4) {
      const off = await this.bytes(e.valueAt, 4, what);
      at = this.num(off, 0, 4);
    }
    const data = total <= 4 ? await this.bytes(e.valueAt, 4, what) : await this.bytes(at, total, what);
    const out: number[] = [];
    for (let i = 0; i < e.count; i++) {
      if (e.type === 5) out.push(this.num(data, i * 8, 4) / Math.max(1, this.num(data, i * 8 + 4, 4)));
      else out.push(this.num(data, i * size, Math.min(size, 4)));
    }
    return out;
  }
}

interface Ifd { entries: Map<number, Entry>; next: number; at: number }

async function readIfd(f: TiffFile, at: number): Promise<Ifd> {
  const head = await f.bytes(at, 2, 'an image directory');
  const n = f.num(head, 0, 2);
  if (n === 0 || n > 4096) throw new AnalysisError('ANALYSIS_MALFORMED', `image directory with ${n} entries`, at);
  const body = await f.bytes(at + 2, n * 12 + 4, 'an image directory');
  const entries = new Map<number, Entry>();
  for (let i = 0; i < n; i++) {
    const p = i * 12;
    entries.set(f.num(body, p, 2), { type: f.num(body, p + 2, 2), count: f.num(body, p + 4, 4), valueAt: at + 2 + p + 8 });
  }
  return { entries, next: f.num(body, n * 12, 4), at };
}

async function tag(f: TiffFile, ifd: Ifd, id: number, fallback: number[] | null, max = 16): Promise<number[] | null> {
  const e = ifd.entries.get(id);
  return e ? f.values(e, max, `tag ${id}`) : fallback;
}

/** Colour of one page: true/false, or null when it cannot be decided. */
async function pageColour(f: TiffFile, ifd: Ifd, options: AnalyzeOptions, warnings: string[], page: number): Promise<boolean | null> {
  const one = async (id: number, dflt: number) => (await tag(f, ifd, id, [dflt]))![0]!;
  const width = await one(256, 0), height = await one(257, 0);
  const photometric = await one(262, -1);
  const spp = await one(277, 1);
  const bitsAll = (await tag(f, ifd, 258, [1], 64))!;
  const bits = bitsAll[0]!;
  const compression = await one(259, 1);
  const planar = await one(284, 1);
  const predictor = await one(317, 1);
  if (width < 1 || height < 1 || width > 1_000_000 || height > 1_000_000) throw new AnalysisError('ANALYSIS_MALFORMED', `page ${page}: image size ${width}x${height}`, ifd.at);
  if (photometric === 0 || photometric === 1 || photometric === 4 || (spp === 1 && photometric !== 3)) return false;

  // What kind of check the samples need.
  let model: 'rgb' | 'cmyk' | 'lab-signed' | 'lab' | 'palette' | 'ycbcr';
  let paletteColour: Uint8Array | null = null;
  if (photometric === 2 && spp >= 3) model = 'rgb';
  else if (photometric === 5 && spp >= 4 && (await one(332, 1)) === 1) model = 'cmyk';
  else if ((photometric === 8 || photometric === 9 || photometric === 10) && spp >= 3) model = photometric === 8 ? 'lab-signed' : 'lab';
  else if (photometric === 6 && spp >= 3) model = 'ycbcr';
  else if (photometric === 3) {
    const map = await tag(f, ifd, 320, null, 3 * 65536);
    if (!map || map.length !== 3 * (1 << bits)) throw new AnalysisError('ANALYSIS_MALFORMED', `page ${page}: palette image without a colour map`, ifd.at);
    const n = 1 << bits;
    paletteColour = new Uint8Array(n);
    let any = false;
    for (let i = 0; i < n; i++) {
      if (isColourRgb(map[i]! >> 8, map[n + i]! >> 8, map[2 * n + i]! >> 8)) { paletteColour[i] = 1; any = true; }
    }
    if (!any) return false;
    model = 'palette';
  } else {
    warnings.push(`page ${page}: photometric interpretation ${photometric} with ${spp} samples: colour unknown`);
    return null;
  }
  if (![1, 5, 8, 32946, 32773].includes(compression)) {
    warnings.push(`page ${page}: compression ${compression} is not decoded: colour unknown`);
    return null;
  }
  if (predictor !== 1 && predictor !== 2) {
    warnings.push(`page ${page}: predictor ${predictor} is not supported: colour unknown`);
    return null;
  }
  if (model !== 'palette' && bits !== 8 && bits !== 16 && model !== 'rgb') {
    warnings.push(`page ${page}: ${bits}-bit samples for this colour model: colour unknown`);
    return null;
  }

  // Geometry: tiles or strips, each decoded on its own.
  const tiled = ifd.entries.has(322);
  const unitW = tiled ? await one(322, 0) : width;
  const unitH = tiled ? await one(323, 0) : Math.min(height, await one(278, height));
  if (unitW < 1 || unitH < 1) throw new AnalysisError('ANALYSIS_MALFORMED', `page ${page}: tile or strip size ${unitW}x${unitH}`, ifd.at);
  const maxUnits = Math.min(10_000_000, Math.ceil(f.source.size / 2));
  const offsets = await tag(f, ifd, tiled ? 324 : 273, null, maxUnits);
  if (!offsets) throw new AnalysisError('ANALYSIS_MALFORMED', `page ${page}: no strip or tile offsets`, ifd.at);
  const counts = await tag(f, ifd, tiled ? 325 : 279, null, maxUnits);
  const sppInUnit = planar === 2 ? 1 : spp;
  const rowBytes = Math.ceil((unitW * sppInUnit * bits) / 8);
  const unitBytes = rowBytes * unitH;
  // Uncompressed chunky strips are read a few rows at a time, whatever their size (scanners
  // write whole pages as one strip). Other strips are decoded whole: too big ones leave the
  // page's colour unknown rather than the file unanswered.
  const streamRows = compression === 1 && planar !== 2 && model !== 'ycbcr';
  if (!streamRows && unitBytes * (planar === 2 ? spp : 1) > options.limits.maxBufferBytes) {
    warnings.push(`page ${page}: strips of ${unitBytes} bytes exceed the buffer limit: colour unknown`);
    return null;
  }
  const perPlane = planar === 2 ? Math.floor(offsets.length / spp) : offsets.length;

  const decodeUnit = async (index: number): Promise<Uint8Array> => {
    checkBudget(options.signal, options.deadline, offsets[index] ?? ifd.at);
    const off = offsets[index]!;
    const rowsHere = tiled ? unitH : Math.min(unitH, height - (index % perPlane) * unitH);
    const expected = rowBytes * Math.max(0, rowsHere);
    const count = counts?.[index] ?? expected;
    if (count > options.limits.maxBufferBytes) throw new AnalysisError('ANALYSIS_LIMIT', `strip of ${count} bytes`, off);
    const raw = await f.bytes(off, compression === 1 ? expected : count, 'a strip');
    const data = compression === 1 ? raw.slice() : compression === 5 ? lzwDecode(raw, expected, off) : compression === 32773 ? unpackBits(raw, expected, off) : deflateDecode(raw, expected, off);
    if (predictor === 2) undoPredictor(data, rowBytes, rowsHere, sppInUnit, bits, f.le);
    return data;
  };

  const hi = bits === 16 ? (f.le ? 1 : 0) : 0;
  const w = bits === 16 ? 2 : 1;
  if (planar === 2) {
    if (model !== 'rgb' && model !== 'cmyk') { warnings.push(`page ${page}: planar ${model} data: colour unknown`); return null; }
    const chans = model === 'cmyk' ? 4 : 3;
    for (let u = 0; u < perPlane; u++) {
      const planes: Uint8Array[] = [];
      for (let c = 0; c < chans; c++) planes.push(await decodeUnit(c * perPlane + u));
      const n = Math.floor(planes[0]!.length / w);
      for (let i = 0; i < n; i++) {
        const p = i * w + hi;
        const k = chans === 4 ? planes[3]![p]! : 0;
        if (isColourRgb(Math.min(255, planes[0]![p]! + k), Math.min(255, planes[1]![p]! + k), Math.min(255, planes[2]![p]! + k))) return true;
      }
    }
    return false;
  }

  const stride = spp * w;
  let check: UnitCheck;
  let unitsPerRow = unitW;
  if (model === 'rgb') check = bits === 8 || bits === 16 ? rgbLikeCheck(stride, hi, w + hi, 2 * w + hi) : packedCheck({ kind: 'rgb', ch: [0, 1, 2] }, bits, spp, spp * bits, rowBytes, f.le);
  else if (model === 'cmyk') check = rgbLikeCheck(stride, hi, w + hi, 2 * w + hi, 3 * w + hi);
  else if (model === 'lab' || model === 'lab-signed') {
    const signed = model === 'lab-signed';
    check = (buf, off, n) => {
      for (let i = 0; i < n; i++) {
        const p = off + i * stride;
        let a = buf[p + w + hi]!, b = buf[p + 2 * w + hi]!;
        if (signed) { a = a > 127 ? a - 256 : a; b = b > 127 ? b - 256 : b; } else { a -= 128; b -= 128; }
        if (Math.abs(a) > GRAY_CHROMA || Math.abs(b) > GRAY_CHROMA) return true;
      }
      return false;
    };
  } else if (model === 'palette') {
    const pc = paletteColour!;
    check = (buf, off, n) => {
      for (let x = 0; x < n; x++) {
        const bit = x * bits;
        const idx = bits === 8 ? buf[off + x]! : bits === 16 ? 0 : (buf[off + (bit >> 3)]! >> (8 - bits - (bit & 7))) & ((1 << bits) - 1);
        if (pc[idx]) return true;
      }
      return false;
    };
  } else {
    // YCbCr: data units of hs x vs luma samples then Cb, Cr; only the chroma pair matters.
    const sub = (await tag(f, ifd, 530, [2, 2]))!;
    const hs = sub[0] ?? 2, vs = sub[1] ?? 2;
    if (bits !== 8 || ![1, 2, 4].includes(hs) || ![1, 2, 4].includes(vs)) { warnings.push(`page ${page}: YCbCr layout: colour unknown`); return null; }
    const du = hs * vs + 2;
    const dusPerUnit = Math.ceil(unitW / hs) * Math.ceil(unitH / vs);
    for (let u = 0; u < perPlane; u++) {
      const expected = dusPerUnit * du;
      const off = offsets[u]!;
      const count = counts?.[u] ?? expected;
      const raw = await f.bytes(off, compression === 1 ? expected : count, 'a strip');
      const data = compression === 1 ? raw : compression === 5 ? lzwDecode(raw, expected, off) : compression === 32773 ? unpackBits(raw, expected, off) : deflateDecode(raw, expected, off);
      for (let p = hs * vs; p + 1 < data.length; p += du) {
        const cb = data[p]! - 128, cr = data[p + 1]! - 128;
        // RGB differences depend on Cb and Cr only (JFIF/BT.601 matrix).
        const rg = 0.344 * cb + 2.116 * cr, gb = -2.116 * cb - 0.714 * cr, rb = -1.772 * cb + 1.402 * cr;
        if (Math.max(Math.abs(rg), Math.abs(gb), Math.abs(rb)) > GRAY_CHROMA) return true;
      }
    }
    return false;
  }
  if (model === 'rgb' && bits !== 8 && bits !== 16) unitsPerRow = 1;
  if (streamRows) {
    const batch = Math.max(1, Math.floor((4 << 20) / rowBytes));
    for (let u = 0; u < perPlane; u++) {
      const rowsHere = tiled ? unitH : Math.min(unitH, height - u * unitH);
      for (let r0 = 0; r0 < rowsHere; r0 += batch) {
        checkBudget(options.signal, options.deadline, offsets[u]!);
        const n = Math.min(batch, rowsHere - r0);
        const data = (await f.bytes(offsets[u]! + r0 * rowBytes, n * rowBytes, 'a strip')).slice();
        if (predictor === 2) undoPredictor(data, rowBytes, n, sppInUnit, bits, f.le);
        for (let r = 0; r < n; r++) if (check(data, r * rowBytes, unitsPerRow)) return true;
      }
    }
    return false;
  }
  for (let u = 0; u < perPlane; u++) {
    const data = await decodeUnit(u);
    const rows = Math.floor(data.length / rowBytes);
    for (let r = 0; r < rows; r++) if (check(data, r * rowBytes, unitsPerRow)) return true;
  }
  return false;
}

async function analyze(source: Source, options: AnalyzeOptions): Promise<AnalysisResult> {
  if (source.size < 8) throw new AnalysisError('ANALYSIS_TRUNCATED', 'file ends inside the TIFF header', 0);
  const h = await source.read(0, 8);
  const le = h[0] === 0x49;
  const f = new TiffFile(source, le);
  const magic = f.num(h, 2, 2);
  if (magic === 43) throw new AnalysisError('ANALYSIS_UNSUPPORTED', 'BigTIFF is not supported', 2);
  if (magic !== 42) throw new AnalysisError('ANALYSIS_MALFORMED', `TIFF magic ${magic}`, 2);
  const flags: Array<boolean | null> = [];
  const sizes: Array<string | null> = [];
  const warnings: string[] = [];
  const seen = new Set<number>();
  let recovered = false;
  let next = f.num(h, 4, 4);
  while (next !== 0) {
    checkBudget(options.signal, options.deadline, next);
    if (seen.has(next)) {
      warnings.push(`image directory chain loops back to byte ${next}; stopped there`);
      recovered = true;
      break;
    }
    if (next < 8 || next + 2 > source.size) {
      if (flags.length === 0) throw new AnalysisError('ANALYSIS_MALFORMED', `first image directory at byte ${next} lies outside the file`, 4);
      warnings.push(`next image directory at byte ${next} lies outside the file; stopped there`);
      recovered = true;
      break;
    }
    seen.add(next);
    const ifd = await readIfd(f, next);
    next = ifd.next;
    const subfile = (await tag(f, ifd, 254, [0]))![0]!;
    const oldSubfile = (await tag(f, ifd, 255, [1]))![0]!;
    if ((subfile & 1) === 1 || oldSubfile === 2) continue; // a thumbnail, not a page
    if (flags.length >= options.limits.maxPages) throw new AnalysisError('ANALYSIS_LIMIT', `more than ${options.limits.maxPages} pages`, ifd.at);
    flags.push(await pageColour(f, ifd, options, warnings, flags.length + 1));
    const xres = (await tag(f, ifd, 282, [0]))![0]!, yres = (await tag(f, ifd, 283, [0]))![0]!, unit = (await tag(f, ifd, 296, [2]))![0]!;
    const w = (await tag(f, ifd, 256, [0]))![0]!, hgt = (await tag(f, ifd, 257, [0]))![0]!;
    const perInch = unit === 3 ? 2.54 : unit === 2 ? 1 : 0;
    sizes.push(perInch ? sizeName(w, hgt, [xres * perInch, yres * perInch]) : null);
  }
  if (flags.length === 0) throw new AnalysisError('ANALYSIS_MALFORMED', 'no image directory', 4);
  const r = imagePages('tiff', flags, sizes, 'image-pixels', warnings);
  r.recovered = recovered;
  return r;
}

export const tiffParser: Parser = { format: 'tiff', sniff: sniffTiff, analyze };
