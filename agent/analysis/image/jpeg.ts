// JPEG: one page. One component is gray. Otherwise colour is judged on the DC coefficients
// of baseline, extended and progressive Huffman JPEGs: every 8x8 block's mean (DC x
// quantiser / 8 + 128) per component, compared block by block (chroma blocks cover 16x16
// pixels when subsampled). YCbCr: R-G, G-B and R-B follow from Cb and Cr alone; Adobe RGB
// JPEGs (transform 0, or component ids R G B) compare the channel means; Adobe CMYK (stored
// inverted) uses the naive CMYK rule; YCCK uses its Cb and Cr.
//
// Known limit: colour smaller than a block (thin coloured text, a few coloured pixels) is
// averaged with its neighbours and can fall under the limit. Lossless, hierarchical and
// arithmetic-coded JPEGs with more than one component give colour "unknown".

import type { AnalysisResult } from '../../../shared/analysis.ts';
import { GRAY_CHROMA, isColourRgb } from '../colour.ts';
import { AnalysisError, checkBudget } from '../errors.ts';
import { ByteReader } from '../reader.ts';
import type { Source } from '../source.ts';
import type { AnalyzeOptions, Parser } from '../types.ts';
import { buildHuffman, decodeScanDc, skipScanData, type Huffman, type ScanComponent } from './jpeg-scan.ts';
import { singlePage } from './result.ts';
import { sniffJpeg } from './sniff.ts';

interface FrameComponent { id: number; h: number; v: number; tq: number; blocks: Int16Array | null; done: boolean; stride: number; bw: number; bh: number }

function ycc(cb: number, cr: number): boolean {
  const rg = 0.344136 * cb + 2.116136 * cr, gb = -2.116136 * cb - 0.714136 * cr, rb = -1.772 * cb + 1.402 * cr;
  return Math.max(Math.abs(rg), Math.abs(gb), Math.abs(rb)) > GRAY_CHROMA;
}

async function analyze(source: Source, options: AnalyzeOptions): Promise<AnalysisResult> {
  const reader = new ByteReader(source, 0, 1 << 20);
  await reader.need(2, 'the JPEG start marker');
  if (reader.u8() !== 0xff || reader.u8() !== 0xd8) throw new AnalysisError('ANALYSIS_MALFORMED', 'no JPEG start-of-image marker', 0);
  const warnings: string[] = [];
  const dcTables: Array<Huffman | undefined> = [];
  const acTables: Array<Huffman | undefined> = [];
  const quant: number[] = [1, 1, 1, 1];
  let frame: { type: number; width: number; height: number; comps: FrameComponent[]; hmax: number; vmax: number } | null = null;
  let restart = 0;
  let adobe = -1; // APP14 transform, -1 when absent
  let dpi: [number, number] | null = null;
  const finish = (colour: boolean | null, method: string) => singlePage('jpeg', colour, frame?.width ?? 0, frame?.height ?? 0, dpi, method, warnings);

  for (;;) {
    checkBudget(options.signal, options.deadline, reader.pos);
    // Find the next marker, skipping fill bytes.
    if ((await reader.ensure(2)) < 2) throw new AnalysisError('ANALYSIS_TRUNCATED', 'file ends before the image data', reader.pos);
    const at = reader.pos;
    if (reader.u8() !== 0xff) throw new AnalysisError('ANALYSIS_MALFORMED', 'expected a JPEG marker', at);
    let m = reader.u8();
    while (m === 0xff) {
      await reader.need(1, 'a JPEG marker');
      m = reader.u8();
    }
    if (m === 0xd9) throw new AnalysisError('ANALYSIS_MALFORMED', 'end of image before any image data', at);
    if ((m >= 0xd0 && m <= 0xd7) || m === 0x01 || m === 0xd8) continue;
    await reader.need(2, 'a JPEG segment length');
    const len = reader.u16be();
    if (len < 2) throw new AnalysisError('ANALYSIS_MALFORMED', `JPEG segment length ${len}`, at + 2);
    await reader.need(len - 2, `the JPEG segment FF${m.toString(16).toUpperCase()}`);
    const seg = reader.bytes(len - 2).slice();
    const bad = (what: string) => new AnalysisError('ANALYSIS_MALFORMED', what, at);
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      if (seg.length < 6) throw bad('short frame header');
      const n = seg[5]!;
      if (n < 1 || n > 4 || seg.length < 6 + 3 * n) throw bad(`frame with ${n} components`);
      const comps: FrameComponent[] = [];
      for (let i = 0; i < n; i++) {
        const hv = seg[7 + 3 * i]!;
        const h = hv >> 4, v = hv & 15;
        if (h < 1 || h > 4 || v < 1 || v > 4) throw bad('component sampling factors');
        comps.push({ id: seg[6 + 3 * i]!, h, v, tq: seg[8 + 3 * i]! & 3, blocks: null, done: false, stride: 0, bw: 0, bh: 0 });
      }
      const height = (seg[1]! << 8) | seg[2]!, width = (seg[3]! << 8) | seg[4]!;
      if (width === 0) throw bad('image width 0');
      frame = { type: m, width, height, comps, hmax: Math.max(...comps.map((c) => c.h)), vmax: Math.max(...comps.map((c) => c.v)) };
      if (n === 1) return finish(false, 'image-components');
      if (![0xc0, 0xc1, 0xc2].includes(m)) {
        warnings.push(`JPEG process FF${m.toString(16).toUpperCase()} (lossless, hierarchical or arithmetic) is not decoded: colour unknown`);
        return finish(null, 'image-components');
      }
      if (height === 0) {
        warnings.push('image height given by a DNL marker is not supported: colour unknown');
        return finish(null, 'image-components');
      }
      const mcusX = Math.ceil(width / (8 * frame.hmax)), mcusY = Math.ceil(height / (8 * frame.vmax));
      for (const c of comps) {
        c.stride = mcusX * c.h;
        c.bw = Math.ceil(Math.ceil((width * c.h) / frame.hmax) / 8);
        c.bh = Math.ceil(Math.ceil((height * c.v) / frame.vmax) / 8);
        const size = c.stride * mcusY * c.v;
        if (size * 2 > options.limits.maxBufferBytes) throw new AnalysisError('ANALYSIS_LIMIT', `JPEG of ${width}x${height} pixels`, at);
      }
    } else if (m === 0xc4) {
      let p = 0;
      while (p < seg.length) {
        if (p + 17 > seg.length) throw bad('short Huffman table');
        const tc = seg[p]! >> 4, th = seg[p]! & 3;
        const counts = seg.subarray(p + 1, p + 17);
        const total = counts.reduce((a, b) => a + b, 0);
        if (p + 17 + total > seg.length) throw bad('Huffman table longer than its segment');
        const table = buildHuffman(counts, seg.subarray(p + 17, p + 17 + total), at);
        if (tc === 0) dcTables[th] = table; else acTables[th] = table;
        p += 17 + total;
      }
    } else if (m === 0xdb) {
      let p = 0;
      while (p < seg.length) {
        const pq = seg[p]! >> 4, tq = seg[p]! & 3;
        if (p + 1 + (pq ? 128 : 64) > seg.length) throw bad('short quantisation table');
        quant[tq] = pq ? (seg[p + 1]! << 8) | seg[p + 2]! : seg[p + 1]!;
        p += 1 + (pq ? 128 : 64);
      }
    } else if (m === 0xdd) {
      if (seg.length >= 2) restart = (seg[0]! << 8) | seg[1]!;
    } else if (m === 0xee) {
      if (seg.length >= 12 && String.fromCharCode(...seg.subarray(0, 5)) === 'Adobe') adobe = seg[11]!;
    } else if (m === 0xe0) {
      if (seg.length >= 12 && String.fromCharCode(...seg.subarray(0, 4)) === 'JFIF' && seg[7]! > 0) {
        const x = (seg[8]! << 8) | seg[9]!, y = (seg[10]! << 8) | seg[11]!;
        if (x > 1 && y > 1) dpi = seg[7] === 1 ? [x, y] : [x * 2.54, y * 2.54];
      }
    } else if (m === 0xda) {
      if (!frame) throw bad('scan before the frame header');
      const f = frame;
      const ns = seg[0]!;
      if (ns < 1 || ns > 4 || seg.length < 1 + 2 * ns + 3) throw bad(`scan with ${ns} components`);
      const ss = seg[1 + 2 * ns]!, ah = seg[3 + 2 * ns]! >> 4, al = seg[3 + 2 * ns]! & 15;
      const progressive = f.type === 0xc2;
      const dcFirst = !progressive || (ss === 0 && ah === 0);
      if (!dcFirst) {
        await skipScanData(reader);
        continue;
      }
      const scomps: ScanComponent[] = [];
      for (let i = 0; i < ns; i++) {
        const id = seg[1 + 2 * i]!, t = seg[2 + 2 * i]!;
        const index = f.comps.findIndex((c) => c.id === id);
        if (index < 0) throw bad(`scan names component ${id}`);
        const c = f.comps[index]!;
        const dc = dcTables[t >> 4];
        const ac = progressive ? null : acTables[t & 15] ?? null;
        if (!dc || (!progressive && !ac)) throw bad('scan uses an undefined Huffman table');
        c.blocks ??= new Int16Array(c.stride * Math.ceil(f.height / (8 * f.vmax)) * c.v);
        scomps.push({ index, h: c.h, v: c.v, dc, ac, blocks: c.blocks, stride: c.stride, bw: c.bw, bh: c.bh });
      }
      const mcusX = Math.ceil(f.width / (8 * f.hmax)), mcusY = Math.ceil(f.height / (8 * f.vmax));
      let colour = false;
      const judge = decideFor(f, quant, adobe);
      const chromaInScan = judge.needs.every((i) => scomps.some((s) => s.index === i) || f.comps[i]!.done);
      await decodeScanDc(reader, scomps, mcusX, mcusY, restart, progressive ? al : 0, (row) => {
        // With every needed component in this scan, judge MCU row by MCU row and stop early.
        if (chromaInScan && scomps.length > 1 && judge.row(row)) colour = true;
        return colour;
      }, () => checkBudget(options.signal, options.deadline, reader.pos));
      if (colour) return finish(true, 'image-jpeg-dc');
      for (const s of scomps) f.comps[s.index]!.done = true;
      if (judge.needs.every((i) => f.comps[i]!.done)) return finish(judge.all(), 'image-jpeg-dc');
      await skipScanData(reader); // the scan's last bits may end a few bytes before its marker
    } else if (m >= 0xe0 || m === 0xfe || m === 0xdc || m === 0xdf) {
      // application data, comments, DNL, EXP: nothing we need
    } else {
      throw bad(`unexpected JPEG marker FF${m.toString(16).toUpperCase()}`);
    }
  }
}

/** How to judge colour from block means for this frame. */
function decideFor(f: { comps: FrameComponent[]; hmax: number; vmax: number }, quant: number[], adobe: number) {
  const comps = f.comps;
  const mean = (c: FrameComponent, gx: number, gy: number) => (c.blocks![gy * c.stride + gx]! * quant[c.tq]!) / 8 + 128;
  const rgbIds = comps.length === 3 && comps[0]!.id === 0x52 && comps[1]!.id === 0x47 && comps[2]!.id === 0x42;
  const kind = comps.length === 3 ? (adobe === 0 || rgbIds ? 'rgb' : 'ycc') : adobe === 2 ? 'ycck' : 'cmyk';
  const needs = kind === 'ycc' || kind === 'ycck' ? [1, 2] : kind === 'rgb' ? [0, 1, 2] : [0, 1, 2, 3];
  // Block (gx, gy) of component `ref` and the block covering the same pixels in `c`.
  const at = (ref: FrameComponent, c: FrameComponent, gx: number, gy: number): [number, number] => [Math.floor((gx * c.h) / ref.h), Math.floor((gy * c.v) / ref.v)];
  const ref = comps[needs[0]!]!;
  const judgeBlock = (gx: number, gy: number): boolean => {
    const m = needs.map((i) => { const [x, y] = at(ref, comps[i]!, gx, gy); return mean(comps[i]!, x, y); });
    if (kind === 'ycc' || kind === 'ycck') return ycc(m[0]! - 128, m[1]! - 128);
    if (kind === 'rgb') return isColourRgb(m[0]!, m[1]!, m[2]!);
    // Adobe CMYK is stored inverted: ink = 255 - value.
    const k = 255 - m[3]!;
    return isColourRgb(Math.min(255, 255 - m[0]! + k), Math.min(255, 255 - m[1]! + k), Math.min(255, 255 - m[2]! + k));
  };
  const rowsPerMcu = ref.v;
  return {
    needs,
    row: (mcuRow: number): boolean => {
      for (let gy = mcuRow * rowsPerMcu; gy < Math.min(ref.bh, (mcuRow + 1) * rowsPerMcu); gy++) {
        for (let gx = 0; gx < ref.bw; gx++) if (judgeBlock(gx, gy)) return true;
      }
      return false;
    },
    all: (): boolean => {
      for (let gy = 0; gy < ref.bh; gy++) for (let gx = 0; gx < ref.bw; gx++) if (judgeBlock(gx, gy)) return true;
      return false;
    },
  };
}

export const jpegParser: Parser = {
  format: 'jpeg',
  sniff: sniffJpeg,
  analyze,
};
