// PCL 5 raster graphics: decompression of transferred rows (methods 0 none, 1 run-length,
// 2 TIFF PackBits, 3 delta row, 5 adaptive, 9 replacement delta row, 10 near-lossless
// RGB) with a seed row per plane, and the colour check of each assembled row through the palette (index by plane
// or by pixel) or on direct pixels (by plane or 24-bit by pixel). Pure code; the
// interpreter hands it each plane's bytes as the commands deliver them.

import { isColourRgb } from '../pclxl/raster.ts';
import type { Palette } from './palette.ts';

/** How pixels are encoded (ESC*r#U simple colour or the ESC*v#W pixel encoding mode). */
export type PixelEncoding =
  | { kind: 'index-plane'; planes: number }
  | { kind: 'direct-plane' }
  | { kind: 'index-pixel'; bits: number }
  | { kind: 'direct-pixel'; bits: number };

/** Largest row, in bytes, when the source width is not given (a defence, not a PCL limit). */
const MAX_ROW = 1 << 16;

export class RasterDecoder {
  compression = 0;
  /** Source raster width in pixels (ESC*r#S), or null for "as long as the data". */
  width: number | null = null;
  encoding: PixelEncoding = { kind: 'index-plane', planes: 1 };
  palette: () => Palette;
  /** Set when a method this decoder cannot undo was met (the caller warns). */
  unsupported: number | null = null;
  private seeds: Uint8Array[] = [];
  /** Per plane, the buffer of the row before the seed: reused for the next row (no garbage per row). */
  private spares: Array<Uint8Array | undefined> = [];
  private rows: Uint8Array[] = [];

  constructor(palette: () => Palette) {
    this.palette = palette;
  }

  get planes(): number {
    const e = this.encoding;
    return e.kind === 'index-plane' ? e.planes : e.kind === 'direct-plane' ? 3 : 1;
  }

  /** Start of a raster graphic or a Y offset: seed rows are zero again. */
  resetSeeds(): void {
    this.seeds = [];
    this.spares = [];
    this.rows = [];
  }

  /** Bytes of one plane row. */
  rowBytes(): number {
    const e = this.encoding;
    if (this.width === null) return MAX_ROW;
    const w = Math.min(this.width, MAX_ROW * 8);
    const bits = e.kind === 'index-pixel' ? e.bits : e.kind === 'direct-pixel' ? e.bits * 3 : 1;
    return Math.min(MAX_ROW, Math.ceil((w * bits) / 8));
  }

  /**
   * One plane of data (ESC*b#V when `last` is false, ESC*b#W when true). Returns whether
   * the row completed by this plane has a colour pixel.
   */
  plane(data: Uint8Array, last: boolean): boolean {
    if (this.compression === 5) return this.adaptive(data);
    const index = this.rows.length;
    this.rows.push(this.decode(this.compression, data, index));
    if (!last && this.rows.length < this.planes) return false;
    const colour = this.rowColour();
    this.rows = [];
    return colour;
  }

  private seed(index: number): Uint8Array {
    let s = this.seeds[index];
    if (!s) {
      s = new Uint8Array(this.width === null ? 0 : this.rowBytes());
      this.seeds[index] = s;
    }
    return s;
  }

  /** A row buffer of `len` bytes for plane `index`: the spare one when big enough, zeroed if asked. */
  private buffer(index: number, len: number, zero: boolean): Uint8Array {
    const spare = this.spares[index];
    if (spare && spare.length >= len) {
      const b = spare.subarray(0, len);
      if (zero) b.fill(0);
      return b;
    }
    return new Uint8Array(len);
  }

  /** Decode one row of plane `index`; the result becomes that plane's seed row. */
  private decode(method: number, src: Uint8Array, index: number): Uint8Array {
    const seed = this.seed(index);
    const len = this.width === null ? Math.min(MAX_ROW, Math.max(seed.length, decodedLength(method, src))) : this.rowBytes();
    let out: Uint8Array;
    let n: number;
    switch (method) {
      case 0:
        out = this.buffer(index, len, true);
        n = Math.min(len, src.length);
        out.set(src.subarray(0, n));
        break;
      case 1: {
        out = this.buffer(index, len, true);
        n = 0;
        for (let i = 0; i + 1 < src.length && n < len; i += 2) {
          const count = Math.min(src[i]! + 1, len - n);
          out.fill(src[i + 1]!, n, n + count);
          n += count;
        }
        break;
      }
      case 2: {
        out = this.buffer(index, len, true);
        n = 0;
        for (let i = 0; i < src.length && n < len;) {
          const c = src[i++]!;
          if (c < 128) {
            const count = Math.min(c + 1, src.length - i, len - n);
            out.set(src.subarray(i, i + count), n);
            n += count;
            i += c + 1;
          } else if (c > 128) {
            if (i >= src.length) break;
            const count = Math.min(257 - c, len - n);
            out.fill(src[i++]!, n, n + count);
            n += count;
          }
        }
        break;
      }
      case 3:
      case 9: {
        out = this.buffer(index, len, len > seed.length);
        out.set(seed.subarray(0, Math.min(len, seed.length)));
        n = Math.max(method === 3 ? deltaRow(src, out) : replacementDelta(src, out), Math.min(len, seed.length));
        break;
      }
      case 10: {
        // Whole pixels: the row width must be known (ESC*r#S) and the data 24-bit RGB.
        if (this.width === null || this.encoding.kind !== 'direct-pixel' || this.encoding.bits !== 8) {
          this.unsupported = method;
          out = new Uint8Array(0);
          n = 0;
          break;
        }
        out = this.buffer(index, len, len > seed.length);
        out.set(seed.subarray(0, Math.min(len, seed.length)));
        n = nearLossless(src, out);
        break;
      }
      default:
        this.unsupported = method;
        out = new Uint8Array(0);
        n = 0;
    }
    const row = this.width === null ? out.subarray(0, n) : out;
    // The old seed's buffer becomes the spare (its whole backing store, not the view).
    if (seed.buffer !== out.buffer) this.spares[index] = new Uint8Array(seed.buffer, 0, seed.buffer.byteLength);
    this.seeds[index] = row;
    return row;
  }

  /** Method 5: rows of (method byte, big-endian length, data), for one-plane rasters. */
  private adaptive(block: Uint8Array): boolean {
    let colour = false;
    let last: Uint8Array | null = null;
    for (let i = 0; i + 3 <= block.length && !colour;) {
      const cmd = block[i]!;
      const n = (block[i + 1]! << 8) | block[i + 2]!;
      i += 3;
      if (cmd <= 3) {
        const data = block.subarray(i, Math.min(block.length, i + n));
        i += n;
        last = this.decode(cmd, data, 0);
        this.rows = [last];
        colour = this.rowColour();
        this.rows = [];
      } else if (cmd === 4) {
        this.seeds[0] = new Uint8Array(this.seed(0).length); // n empty rows
      } else if (cmd === 5) {
        // n duplicates of the last row: same colour answer, nothing to do.
      } else break;
    }
    return colour;
  }

  /** Whether the assembled row (this.rows) has a colour pixel. */
  private rowColour(): boolean {
    const e = this.encoding;
    const rows = this.rows;
    if (e.kind === 'direct-plane') {
      const [r, g, b] = rows;
      if (!r || !g || !b) return false;
      const n = Math.min(r.length, g.length, b.length);
      for (let i = 0; i < n; i++) if ((r[i]! ^ g[i]!) | (g[i]! ^ b[i]!)) return true;
      return false;
    }
    if (e.kind === 'direct-pixel') {
      const row = rows[0]!;
      if (e.bits !== 8) return false;
      for (let i = 0; i + 2 < row.length; i += 3) if (isColourRgb(row[i]!, row[i + 1]!, row[i + 2]!)) return true;
      return false;
    }
    const pal = this.palette();
    if (!pal.anyColour) return false;
    if (e.kind === 'index-pixel') {
      const row = rows[0]!;
      const bits = e.bits;
      if (bits === 8) {
        for (let i = 0; i < row.length; i++) if (pal.isColour(row[i]!)) return true;
        return false;
      }
      const mask = (1 << bits) - 1;
      for (let i = 0; i < row.length; i++) {
        const byte = row[i]!;
        for (let s = 8 - bits; s >= 0; s -= bits) if (pal.isColour((byte >> s) & mask)) return true;
      }
      return false;
    }
    // Index by plane: bit k of a pixel's index comes from plane k.
    const n = Math.max(...rows.map((r) => r.length));
    for (let i = 0; i < n; i++) {
      let any = 0;
      for (const r of rows) any |= r[i] ?? 0;
      if (any === 0) {
        if (pal.isColour(0)) return true;
        continue;
      }
      for (let bit = 7; bit >= 0; bit--) {
        let idx = 0;
        for (let k = 0; k < rows.length; k++) idx |= (((rows[k]![i] ?? 0) >> bit) & 1) << k;
        if (pal.isColour(idx)) return true;
      }
    }
    return false;
  }
}

/**
 * Method 10 (near-lossless replacement delta row, 24-bit RGB) on `row`, a copy of the seed.
 * Command byte: bit 7 run (else literal), bits 6-5 pixel source (0 a new pixel from the
 * data, 1 the pixel to the west, 2 the seed's north-east pixel, 3 the cached colour), bits
 * 4-3 pixel offset (3: extension bytes follow while 255), bits 2-0 count (7: extension).
 * A new pixel is either a 2-byte delta on the seed pixel (first bit set: 5/5/6-bit signed
 * steps for R, G, B) or 3 bytes holding 7-bit-shifted RGB. Runs repeat count+2 pixels;
 * literals take count+1 pixels, each a new pixel. Returns the furthest byte written.
 */
function nearLossless(src: Uint8Array, row: Uint8Array): number {
  let i = 0;
  let pos = 0; // byte position in row (3 per pixel)
  let cached = 0xffffff;
  let end = 0;
  const at = (p: number): number => (p >= 0 && p + 2 < row.length ? (row[p]! << 16) | (row[p + 1]! << 8) | row[p + 2]! : 0xffffff);
  const put = (px: number): void => {
    if (pos + 2 < row.length) {
      row[pos] = (px >> 16) & 0xff;
      row[pos + 1] = (px >> 8) & 0xff;
      row[pos + 2] = px & 0xff;
    }
    pos += 3;
    end = Math.max(end, Math.min(pos, row.length));
  };
  const ext = (start: number): number => {
    let v: number;
    [v, i] = extended(src, i, start);
    return v;
  };
  const newPixel = (seedPx: number): number => {
    const b0 = src[i] ?? 0;
    if (b0 & 0x80) {
      const d = (b0 << 8) | (src[i + 1] ?? 0);
      i += 2;
      const sx = (v: number, bits: number) => (v & (1 << (bits - 1)) ? v - (1 << bits) : v);
      const dr = sx((d >> 10) & 0x1f, 5);
      const dg = sx((d >> 5) & 0x1f, 5);
      const db = sx((d & 0x1f) << 1, 6);
      return ((((seedPx >> 16) + dr) & 0xff) << 16) | ((((seedPx >> 8) + dg) & 0xff) << 8) | (((seedPx & 0xff) + db) & 0xff);
    }
    let px = (((b0 << 16) | ((src[i + 1] ?? 0) << 8) | (src[i + 2] ?? 0)) << 1) & 0xffffff;
    if (px & 0x80) px |= 1;
    i += 3;
    return px;
  };
  while (i < src.length && pos < row.length) {
    const cmd = src[i++]!;
    const source = (cmd >> 5) & 0x03;
    let offset = (cmd >> 3) & 0x03;
    if (offset === 3) offset = ext(offset);
    let count = cmd & 0x07;
    const more = count === 7;
    pos += offset * 3;
    let px = source === 1 ? at(pos - 3) : source === 2 ? at(pos + 3) : cached;
    if (cmd & 0x80) {
      if (source === 0) cached = px = newPixel(at(pos));
      count += 2;
      if (more) count = ext(count);
      for (let k = 0; k < count && pos < row.length; k++) put(px);
    } else {
      if (source === 0) cached = px = newPixel(at(pos));
      put(px);
      let group = count;
      let continues = more;
      for (;;) {
        for (let k = 0; k < group && i < src.length; k++) put(newPixel(at(pos)));
        if (!continues || i >= src.length) break;
        group = src[i++]!;
        continues = group === 255;
      }
    }
  }
  return end;
}

/**
 * A count or offset that continues in the bytes at `i` (methods 3, 9 and near-lossless):
 * each byte is added to `start`, and a byte of 255 means another follows. A missing byte
 * counts 0. Returns the value and the index after the last byte read.
 */
function extended(src: Uint8Array, i: number, start: number): [number, number] {
  let v = start;
  let b: number;
  do {
    b = src[i++] ?? 0;
    v += b;
  } while (b === 255 && i < src.length);
  return [v, i];
}

/** Bytes a row decodes to (before clipping to the raster width). */
function decodedLength(method: number, src: Uint8Array): number {
  switch (method) {
    case 0:
      return src.length;
    case 1: {
      let n = 0;
      for (let i = 0; i + 1 < src.length; i += 2) n += src[i]! + 1;
      return n;
    }
    case 2: {
      let n = 0;
      for (let i = 0; i < src.length;) {
        const c = src[i++]!;
        if (c < 128) { n += c + 1; i += c + 1; } else if (c > 128) { n += 257 - c; i++; }
      }
      return n;
    }
    case 3:
      return deltaRow(src, null);
    case 9:
      return replacementDelta(src, null);
    default:
      return 0;
  }
}

/** Method 3 on `row` (already a copy of the seed; null: only measure). Returns the furthest byte written. */
function deltaRow(src: Uint8Array, row: Uint8Array | null): number {
  let pos = 0;
  let end = 0;
  for (let i = 0; i < src.length;) {
    const cmd = src[i++]!;
    let count = (cmd >> 5) + 1;
    let offset = cmd & 0x1f;
    if (offset === 31) [offset, i] = extended(src, i, offset);
    pos += offset;
    while (count-- > 0 && i < src.length) {
      if (row && pos < row.length) row[pos] = src[i]!;
      pos++;
      i++;
    }
    end = Math.max(end, row ? Math.min(pos, row.length) : pos);
  }
  return end;
}

/** Method 9 (replacement delta row) on `row` (null: only measure). Returns the furthest byte written. */
function replacementDelta(src: Uint8Array, row: Uint8Array | null): number {
  let pos = 0;
  let end = 0;
  for (let i = 0; i < src.length;) {
    const cmd = src[i++]!;
    if ((cmd & 0x80) === 0) {
      let offset = (cmd >> 3) & 0x0f;
      let count = (cmd & 0x07) + 1;
      if (offset === 15) [offset, i] = extended(src, i, offset);
      if (count === 8) [count, i] = extended(src, i, count);
      pos += offset;
      while (count-- > 0 && i < src.length) {
        if (row && pos < row.length) row[pos] = src[i]!;
        pos++;
        i++;
      }
    } else {
      let offset = (cmd >> 5) & 0x03;
      let count = (cmd & 0x1f) + 2;
      if (offset === 3) [offset, i] = extended(src, i, offset);
      if (count === 33) [count, i] = extended(src, i, count);
      pos += offset;
      const b = src[i++] ?? 0;
      if (row) for (let k = 0; k < count; k++) if (pos + k < row.length) row[pos + k] = b;
      pos += count;
    }
    end = Math.max(end, row ? Math.min(pos, row.length) : pos);
  }
  return end;
}
