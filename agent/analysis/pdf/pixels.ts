// Pixel scanning for image colour, one row at a time, so a large image can be checked as it
// is inflated and dropped at its first colour pixel. Rows are unpacked for any bit depth,
// /Decode is applied, and each pixel goes through the colour space (memoised per sample
// tuple); 8-bit RGB and CMYK without /Decode take a direct path. `RowAssembler` turns
// inflated chunks into whole rows and undoes PNG/TIFF predictors on the way.

import * as zlib from 'node:zlib';
import { isColour, type ColorSpace } from './colorspace.ts';

export class PixelScanner {
  readonly rowBytes: number;
  private readonly w: number;
  private readonly n: number;
  private readonly bpc: number;
  private readonly cs: ColorSpace;
  private readonly fast: boolean;
  private readonly max: number;
  private readonly dmin: number[] = [];
  private readonly dmax: number[] = [];
  private readonly memo = new Map<number, boolean>();
  private readonly comps: number[];

  constructor(w: number, bpc: number, cs: ColorSpace, decode: number[] | undefined) {
    this.w = w;
    this.n = cs.n;
    this.bpc = bpc;
    this.cs = cs;
    this.rowBytes = Math.ceil((w * cs.n * bpc) / 8);
    this.fast = bpc === 8 && !decode && (cs.kind === 'rgb' || cs.kind === 'cmyk');
    this.max = Math.pow(2, bpc) - 1;
    for (let k = 0; k < this.n; k++) {
      const def = cs.kind === 'indexed' ? [0, this.max] : cs.kind === 'lab' ? [[0, 100], [-100, 100], [-100, 100]][k]! : [0, 1];
      this.dmin.push(decode?.[2 * k] ?? def[0]!);
      this.dmax.push(decode?.[2 * k + 1] ?? def[1]!);
    }
    this.comps = new Array<number>(this.n).fill(0);
  }

  /** Scan one row starting at d[off]; true when it holds a colour pixel. */
  row(d: Uint8Array, off: number): boolean {
    const { w, n } = this;
    if (this.fast) {
      let p = off;
      for (let x = 0; x < w; x++, p += n) {
        let R: number, G: number, B: number;
        if (n === 3) { R = d[p]!; G = d[p + 1]!; B = d[p + 2]!; }
        else {
          const k = d[p + 3]!;
          R = 255 - Math.min(255, d[p]! + k); G = 255 - Math.min(255, d[p + 1]! + k); B = 255 - Math.min(255, d[p + 2]! + k);
        }
        // chromaOf(R, G, B) > LIMIT255 on integers, written out: the loop runs once per
        // pixel of every large image, and so it stays fast without the top-tier compiler
        // (printgate analyze runs without TurboFan, see bin/printgate.js).
        const rg = R - G, gb = G - B, rb = R - B;
        if (rg > 8 || rg < -8 || gb > 8 || gb < -8 || rb > 8 || rb < -8) return true;
      }
      return false;
    }
    const { bpc, max, dmin, dmax, comps, memo } = this;
    let bit = off * 8;
    for (let x = 0; x < w; x++) {
      let key = 0;
      for (let k = 0; k < n; k++) {
        let v: number;
        if (bpc === 8) v = d[bit >> 3]!;
        else if (bpc === 16) v = (d[bit >> 3]! << 8) | d[(bit >> 3) + 1]!;
        else v = (d[bit >> 3]! >> (8 - bpc - (bit & 7))) & max;
        bit += bpc;
        key = key * (max + 1) + v;
        comps[k] = dmin[k]! + (v * (dmax[k]! - dmin[k]!)) / max;
      }
      let c = memo.get(key);
      if (c === undefined) {
        c = isColour(this.cs, comps);
        if (memo.size < 65536) memo.set(key, c);
      }
      if (c) return true;
    }
    return false;
  }
}

export interface Predictor {
  /** 1 none, 2 TIFF, 10-15 PNG. */
  type: number;
  /** Bytes per pixel for the predictor (at least 1). */
  bpp: number;
}

/** Collects inflated bytes into rows (undoing a predictor) and hands each to `onRow`. */
export class RowAssembler {
  private readonly rowBytes: number;
  private readonly pred: Predictor;
  private readonly stride: number;
  private buf: Uint8Array;
  private fill = 0;
  /** The previous row (all zero before the first), and the buffer the next row goes into. */
  private prev: Uint8Array;
  private spare: Uint8Array;
  rows = 0;

  constructor(rowBytes: number, pred: Predictor) {
    this.rowBytes = rowBytes;
    this.pred = pred;
    this.stride = rowBytes + (pred.type >= 10 ? 1 : 0);
    this.buf = new Uint8Array(this.stride);
    this.prev = new Uint8Array(rowBytes);
    this.spare = new Uint8Array(pred.type >= 2 ? rowBytes : 0);
  }

  /**
   * Feed bytes; returns true as soon as onRow does (stop). A row handed to onRow is valid
   * only until onRow returns (its buffer is reused for a later row).
   */
  push(chunk: Uint8Array, onRow: (row: Uint8Array) => boolean): boolean {
    let i = 0;
    while (i < chunk.length) {
      const take = Math.min(this.stride - this.fill, chunk.length - i);
      this.buf.set(chunk.subarray(i, i + take), this.fill);
      this.fill += take;
      i += take;
      if (this.fill === this.stride) {
        this.fill = 0;
        const row = this.unpredict();
        this.rows++;
        if (onRow(row)) return true;
      }
    }
    return false;
  }

  private unpredict(): Uint8Array {
    const { pred, rowBytes } = this;
    if (pred.type < 2) return this.buf;
    const bpp = pred.bpp;
    // Two row buffers in turn (this row and the one above), not a new one per row: a large
    // image has thousands of rows, and each was garbage a moment later.
    const cur = this.spare;
    if (pred.type === 2) {
      cur.set(this.buf.subarray(0, rowBytes));
      for (let i = bpp; i < rowBytes; i++) cur[i] = (cur[i]! + cur[i - bpp]!) & 0xff;
    } else {
      unpredictPng(this.buf[0]!, this.buf, 1, cur, this.prev, rowBytes, bpp);
    }
    this.spare = this.prev;
    this.prev = cur;
    return cur;
  }
}

/**
 * Undo one PNG-predicted row: `src[from..]` filtered with `type` into `cur`, `prev` the row
 * above (all zero for the first). One loop per filter type, so the type is not tested
 * again for every byte; an unknown type leaves the bytes as they are.
 */
export function unpredictPng(type: number, src: Uint8Array, from: number, cur: Uint8Array, prev: Uint8Array, rowBytes: number, bpp: number): void {
  const lead = Math.min(bpp, rowBytes);
  switch (type) {
    case 1:
      for (let i = 0; i < lead; i++) cur[i] = src[from + i]!;
      for (let i = lead; i < rowBytes; i++) cur[i] = (src[from + i]! + cur[i - bpp]!) & 0xff;
      break;
    case 2:
      for (let i = 0; i < rowBytes; i++) cur[i] = (src[from + i]! + prev[i]!) & 0xff;
      break;
    case 3:
      for (let i = 0; i < lead; i++) cur[i] = (src[from + i]! + (prev[i]! >> 1)) & 0xff;
      for (let i = lead; i < rowBytes; i++) cur[i] = (src[from + i]! + ((cur[i - bpp]! + prev[i]!) >> 1)) & 0xff;
      break;
    case 4:
      // Paeth with a = c = 0 in the first pixel picks b.
      for (let i = 0; i < lead; i++) cur[i] = (src[from + i]! + prev[i]!) & 0xff;
      for (let i = lead; i < rowBytes; i++) {
        const a = cur[i - bpp]!, b = prev[i]!, c = prev[i - bpp]!;
        const p = a + b - c;
        const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        cur[i] = (src[from + i]! + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 0xff;
      }
      break;
    default:
      for (let i = 0; i < rowBytes; i++) cur[i] = src[from + i]!;
  }
}

/** Hands out the next piece of compressed input (valid until the next call); undefined at the end. */
export type ChunkReader = () => Promise<Uint8Array | undefined>;

/**
 * Inflate `input` (all of it, or read piece by piece) as a stream, handing the output to
 * `onChunk` until it returns true: then the rest is neither read nor inflated. A piece is
 * written only when the previous one has been inflated, so memory stays at one input
 * piece and one output chunk whatever the stream's size. Damaged data ends the stream
 * quietly: what came out counts.
 */
export function inflateChunks(input: Uint8Array | ChunkReader, onChunk: (chunk: Uint8Array) => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const z = zlib.createInflate({ finishFlush: zlib.constants.Z_SYNC_FLUSH, chunkSize: 64 * 1024 });
    let done = false;
    const finish = (err?: unknown) => {
      if (done) return;
      done = true;
      if (err !== undefined) reject(err); else resolve();
    };
    z.on('data', (c: Buffer) => {
      if (done) return;
      try {
        if (onChunk(c)) { z.destroy(); finish(); }
      } catch (e) {
        // A budget or limit error from the scanner: stop inflating and report it.
        z.destroy();
        finish(e);
      }
    });
    z.on('end', () => finish());
    z.on('error', () => { z.destroy(); finish(); });
    z.on('close', () => finish());
    if (input instanceof Uint8Array) { z.end(input); return; }
    const pump = async (): Promise<void> => {
      while (!done) {
        const piece = await input();
        if (done) return;
        if (piece === undefined || piece.length === 0) { z.end(); return; }
        // The write callback runs once zlib has consumed the piece (its buffer is reused).
        await new Promise<void>((res) => { z.write(piece, () => res()); });
      }
    };
    pump().catch((e: unknown) => { z.destroy(); finish(e); });
  });
}
