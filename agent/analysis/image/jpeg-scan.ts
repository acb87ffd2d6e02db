// Entropy-coded JPEG scans, decoded only as far as the DC coefficients: Huffman tables, a
// bit reader that honours byte stuffing (FF 00), markers and restart intervals, and a scan
// walker that records every block's DC value (the block's mean, once dequantised) and skips
// the AC coefficients of sequential scans without computing them. Progressive AC scans are
// not decoded at all: the caller skips their bytes.

import { AnalysisError } from '../errors.ts';
import type { ByteReader } from '../reader.ts';

export interface Huffman {
  /** 9-bit lookahead: (length << 8 | symbol), 0 when the code is longer. */
  fast: Uint16Array;
  maxcode: Int32Array; // per length 1..16, -1 when none
  valptr: Int32Array;
  mincode: Int32Array;
  symbols: Uint8Array;
}

export function buildHuffman(counts: Uint8Array, symbols: Uint8Array, at: number): Huffman {
  const maxcode = new Int32Array(18).fill(-1);
  const valptr = new Int32Array(17);
  const mincode = new Int32Array(17);
  const fast = new Uint16Array(512);
  let code = 0, k = 0;
  for (let len = 1; len <= 16; len++) {
    const n = counts[len - 1]!;
    valptr[len] = k;
    mincode[len] = code;
    for (let i = 0; i < n; i++) {
      if (k >= symbols.length) throw new AnalysisError('ANALYSIS_MALFORMED', 'Huffman table counts more codes than symbols', at);
      if (len <= 9) {
        const shift = 9 - len;
        for (let j = 0; j < 1 << shift; j++) fast[(code << shift) | j] = (len << 8) | symbols[k]!;
      }
      code++;
      k++;
    }
    if (n > 0) maxcode[len] = code - 1;
    if (code > 1 << len) throw new AnalysisError('ANALYSIS_MALFORMED', 'Huffman table overflows its code space', at);
    code <<= 1;
  }
  return { fast, maxcode, valptr, mincode, symbols };
}

/** Reads entropy-coded bits from a ByteReader; a marker ends the data (zeros follow). */
export class BitReader {
  private readonly r: ByteReader;
  private buf = 0;
  private count = 0;
  /** The marker byte that ended the data (D0-D7 for restarts), or -1. */
  marker = -1;
  constructor(r: ByteReader) {
    this.r = r;
  }
  private fill(): void {
    while (this.count <= 24) {
      let b = 0;
      if (this.marker < 0 && this.r.available > 0) {
        b = this.r.u8();
        if (b === 0xff) {
          const n = this.r.peek(0);
          if (n === 0x00) this.r.u8();
          else if (n >= 0) {
            // Put the FF back in front of the marker: leave the reader on FF xx.
            this.r.seek(this.r.pos - 1);
            this.marker = n;
            b = 0;
          } else b = 0;
        }
      }
      this.buf = ((this.buf << 8) | b) >>> 0;
      this.count += 8;
    }
  }
  bits(n: number): number {
    if (n === 0) return 0;
    if (this.count < n) this.fill();
    const v = (this.buf >>> (this.count - n)) & ((1 << n) - 1);
    this.count -= n;
    return v;
  }
  decode(h: Huffman, at: () => number): number {
    if (this.count < 16) this.fill();
    const look = (this.buf >>> (this.count - 9)) & 511;
    const f = h.fast[look]!;
    if (f !== 0) {
      this.count -= f >> 8;
      return f & 255;
    }
    let code = 0;
    for (let len = 1; len <= 16; len++) {
      code = (code << 1) | ((this.buf >>> (this.count - len)) & 1);
      if (code <= h.maxcode[len]! && h.maxcode[len]! >= 0) {
        this.count -= len;
        return h.symbols[h.valptr[len]! + code - h.mincode[len]!]!;
      }
    }
    throw new AnalysisError('ANALYSIS_MALFORMED', 'bad Huffman code in the image data', at());
  }
  /** Sign-extend a JPEG magnitude category value. */
  receiveExtend(s: number): number {
    if (s === 0) return 0;
    const v = this.bits(s);
    return v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
  }
  /** Drop the bits left in the current byte and any marker state (after a restart). */
  reset(): void {
    this.buf = 0;
    this.count = 0;
    this.marker = -1;
  }
}

export interface ScanComponent {
  /** Index into the frame's components. */
  index: number;
  h: number;
  v: number;
  dc: Huffman;
  ac: Huffman | null; // null: DC-only scan (progressive)
  /** DC per block, row-major over the component's padded block grid. */
  blocks: Int16Array;
  /** Blocks per row of the grid. */
  stride: number;
  /** Blocks of real image in the component (non-interleaved scans walk only these). */
  bw: number;
  bh: number;
}

/**
 * Decode the DC coefficients of one scan into each component's `blocks` (value << al).
 * `mcusX/Y` give the interleaved MCU grid. `onMcuRow` is called after each MCU row with its
 * index and may return true to stop early. Leaves the reader on the marker after the scan.
 */
export async function decodeScanDc(
  reader: ByteReader,
  comps: ScanComponent[],
  mcusX: number,
  mcusY: number,
  restartInterval: number,
  al: number,
  onMcuRow: (row: number) => boolean,
  budget: () => void,
): Promise<void> {
  const bits = new BitReader(reader);
  const pred = new Int32Array(comps.length);
  const interleaved = comps.length > 1;
  const c0 = comps[0]!;
  const cols = interleaved ? mcusX : c0.bw;
  const rows = interleaved ? mcusY : c0.bh;
  let sinceRestart = 0;
  const at = () => reader.pos;
  for (let my = 0; my < rows; my++) {
    budget();
    for (let mx = 0; mx < cols; mx++) {
      if (reader.available < 16384) await reader.ensure(1 << 20);
      if (restartInterval > 0 && sinceRestart === restartInterval) {
        // Expect RSTn: skip to it (tolerating garbage), reset predictors.
        bits.reset();
        while (reader.available > 0 && !(reader.peek(0) === 0xff && reader.peek(1) >= 0xd0 && reader.peek(1) <= 0xd7)) {
          if (reader.peek(0) === 0xff && reader.peek(1) > 0 && reader.peek(1) !== 0xff) break; // another marker: data ends
          reader.u8();
          if (reader.available < 2) await reader.ensure(1 << 20);
        }
        if (reader.peek(0) === 0xff && reader.peek(1) >= 0xd0 && reader.peek(1) <= 0xd7) reader.skip(2);
        pred.fill(0);
        sinceRestart = 0;
      }
      for (let ci = 0; ci < comps.length; ci++) {
        const c = comps[ci]!;
        const nv = interleaved ? c.v : 1, nh = interleaved ? c.h : 1;
        for (let by = 0; by < nv; by++) {
          for (let bx = 0; bx < nh; bx++) {
            const s = bits.decode(c.dc, at);
            if (s > 16) throw new AnalysisError('ANALYSIS_MALFORMED', `DC magnitude category ${s}`, reader.pos);
            pred[ci] = pred[ci]! + bits.receiveExtend(s);
            const gx = interleaved ? mx * c.h + bx : mx, gy = interleaved ? my * c.v + by : my;
            c.blocks[gy * c.stride + gx] = Math.max(-32768, Math.min(32767, pred[ci]! * (1 << al)));
            if (c.ac) {
              for (let k = 1; k < 64;) {
                const rs = bits.decode(c.ac, at);
                const r = rs >> 4, sz = rs & 15;
                if (sz === 0) {
                  if (r !== 15) break;
                  k += 16;
                } else {
                  k += r;
                  bits.bits(sz);
                  k++;
                }
              }
            }
          }
        }
      }
      sinceRestart++;
    }
    if (onMcuRow(my)) return;
  }
}

/** Skip entropy-coded bytes up to the next marker that is not a restart. */
export async function skipScanData(reader: ByteReader): Promise<void> {
  for (;;) {
    if ((await reader.ensure(2)) < 2) {
      reader.skip(reader.available);
      return;
    }
    const v = reader.view();
    const n = reader.available;
    let i = 0;
    while (i + 1 < n) {
      if (v[i] === 0xff) {
        const m = v[i + 1]!;
        if (m !== 0x00 && m !== 0xff && !(m >= 0xd0 && m <= 0xd7)) {
          reader.skip(i);
          return;
        }
      }
      i++;
    }
    reader.skip(i);
  }
}
