// Pixel checks for PCL XL images and raster patterns: streaming decoders for the
// compression methods (none, RLE, delta row, JPEG header) that cut the embedded data into
// rows, and a row checker that applies the chroma rule through the palette or to direct
// RGB pixels. Pure code: bytes in, "colour seen" out; the caller stops feeding once a
// page is known to be colour.

/** Chroma threshold: a colour is gray when max(|R-G|,|G-B|,|R-B|) <= 8 (of 255). */
export const GRAY_TOLERANCE = 8;

export function isColourRgb(r: number, g: number, b: number): boolean {
  return Math.abs(r - g) > GRAY_TOLERANCE || Math.abs(g - b) > GRAY_TOLERANCE || Math.abs(r - b) > GRAY_TOLERANCE;
}

export interface ImageFormat {
  width: number;
  /** Bits per component (direct) or per index (indexed): 1, 4 or 8. */
  bits: number;
  /** 3 for RGB, 1 for gray. */
  components: number;
  /** For indexed images: per index, whether the palette entry is colour. */
  indexColour: boolean[] | null;
}

/** Bytes of one unpadded row. */
export function rowBytes(f: ImageFormat): number {
  const bitsPerPixel = f.indexColour ? f.bits : f.bits * f.components;
  return Math.ceil((f.width * bitsPerPixel) / 8);
}

/** Whether any pixel of a decoded row is colour. */
export function rowHasColour(f: ImageFormat, row: Uint8Array): boolean {
  if (f.indexColour) {
    const table = f.indexColour;
    if (f.bits === 8) {
      for (let i = 0; i < f.width && i < row.length; i++) if (table[row[i]!]) return true;
      return false;
    }
    const perByte = 8 / f.bits;
    const mask = (1 << f.bits) - 1;
    for (let i = 0; i < f.width; i++) {
      const byte = row[Math.floor(i / perByte)];
      if (byte === undefined) return false;
      const shift = 8 - f.bits * ((i % perByte) + 1);
      if (table[(byte >> shift) & mask]) return true;
    }
    return false;
  }
  if (f.components !== 3) return false;
  if (f.bits === 8) {
    const n = Math.min(row.length - 2, f.width * 3);
    for (let i = 0; i < n; i += 3) if (isColourRgb(row[i]!, row[i + 1]!, row[i + 2]!)) return true;
    return false;
  }
  // 1- or 4-bit components packed MSB first: read them as a bit stream.
  const mask = (1 << f.bits) - 1;
  const scale = 255 / mask;
  let bit = 0;
  const comp = (): number => {
    const byte = row[bit >> 3] ?? 0;
    const v = (byte >> (8 - f.bits - (bit & 7))) & mask;
    bit += f.bits;
    return v * scale;
  };
  for (let i = 0; i < f.width; i++) {
    const r = comp();
    const g = comp();
    const b = comp();
    if (isColourRgb(r, g, b)) return true;
  }
  return false;
}

/** A streaming decoder: push compressed chunks, get whole rows through onRow. */
export interface RowDecoder {
  /** Returns true when the consumer asked to stop (colour found). */
  push(chunk: Uint8Array): boolean;
}

/** Uncompressed rows, each padded to a multiple of `pad` bytes. */
export class PlainRows implements RowDecoder {
  private readonly row: Uint8Array;
  private fill = 0;
  private readonly padded: number;
  private readonly onRow: (row: Uint8Array) => boolean;
  constructor(dataPerRow: number, pad: number, onRow: (row: Uint8Array) => boolean) {
    this.row = new Uint8Array(dataPerRow);
    // PadBytesMultiple comes from the file: anything outside 1..255 is taken as 1 (no padding).
    const p = Number.isInteger(pad) && pad >= 1 && pad <= 255 ? pad : 1;
    this.padded = Math.ceil(dataPerRow / p) * p;
    this.onRow = onRow;
  }
  push(chunk: Uint8Array): boolean {
    if (this.padded === 0) return false; // zero-width rows carry no pixels
    for (let i = 0; i < chunk.length;) {
      const take = Math.min(chunk.length - i, this.padded - this.fill);
      if (this.fill < this.row.length) {
        const copy = Math.min(take, this.row.length - this.fill);
        this.row.set(chunk.subarray(i, i + copy), this.fill);
      }
      this.fill += take;
      i += take;
      if (this.fill === this.padded) {
        this.fill = 0;
        if (this.onRow(this.row)) return true;
      }
    }
    return false;
  }
}

/** PackBits (RLE) over the whole block, cut into padded rows after decompression. */
export class RleRows implements RowDecoder {
  private readonly out: PlainRows;
  private count = 0; // literal bytes still to copy
  private repeat = -1; // pending repeat count waiting for its byte
  private readonly buf = new Uint8Array(128);
  constructor(dataPerRow: number, pad: number, onRow: (row: Uint8Array) => boolean) {
    this.out = new PlainRows(dataPerRow, pad, onRow);
  }
  push(chunk: Uint8Array): boolean {
    let i = 0;
    while (i < chunk.length) {
      if (this.count > 0) {
        const n = Math.min(this.count, chunk.length - i);
        if (this.out.push(chunk.subarray(i, i + n))) return true;
        this.count -= n;
        i += n;
        continue;
      }
      if (this.repeat > 0) {
        this.buf.fill(chunk[i++]!, 0, this.repeat);
        const n = this.repeat;
        this.repeat = -1;
        if (this.out.push(this.buf.subarray(0, n))) return true;
        continue;
      }
      const c = chunk[i++]!;
      if (c < 128) this.count = c + 1;
      else if (c > 128) this.repeat = 257 - c;
      // 128 is a no-op
    }
    return false;
  }
}

/** PCL XL delta row compression: per row a little-endian byte count, then commands. */
export class DeltaRows implements RowDecoder {
  private readonly seed: Uint8Array;
  private readonly onRow: (row: Uint8Array) => boolean;
  private state: 'count0' | 'count1' | 'cmd' | 'offset' | 'bytes' = 'count0';
  private remaining = 0;
  private lo = 0;
  private pos = 0;
  private copy = 0;
  /** `seed` carries the last row from one ReadImage block to the next of the same image. */
  constructor(dataPerRow: number, onRow: (row: Uint8Array) => boolean, seed?: Uint8Array) {
    this.seed = seed && seed.length === dataPerRow ? seed : new Uint8Array(dataPerRow);
    this.onRow = onRow;
  }
  push(chunk: Uint8Array): boolean {
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      switch (this.state) {
        case 'count0':
          this.lo = b;
          this.state = 'count1';
          break;
        case 'count1':
          this.remaining = this.lo | (b << 8);
          this.pos = 0;
          if (this.remaining === 0) {
            this.state = 'count0';
            if (this.onRow(this.seed)) return true;
          } else this.state = 'cmd';
          break;
        case 'cmd':
          this.remaining--;
          this.copy = (b >> 5) + 1;
          if ((b & 0x1f) === 0x1f) {
            this.pos += 0x1f;
            this.state = 'offset';
          } else {
            this.pos += b & 0x1f;
            this.state = 'bytes';
          }
          if (this.remaining === 0 && this.endRow()) return true;
          break;
        case 'offset':
          this.remaining--;
          this.pos += b;
          if (b !== 0xff) this.state = 'bytes';
          if (this.remaining === 0 && this.endRow()) return true;
          break;
        case 'bytes':
          this.remaining--;
          if (this.pos < this.seed.length) this.seed[this.pos] = b;
          this.pos++;
          this.copy--;
          if (this.remaining === 0) {
            if (this.endRow()) return true;
          } else if (this.copy === 0) this.state = 'cmd';
          break;
      }
    }
    return false;
  }
  private endRow(): boolean {
    this.state = 'count0';
    return this.onRow(this.seed);
  }
}

/**
 * Components of a JPEG image from its frame header (SOF0-SOF15 except DHT/JPG/DAC), or
 * null when the bytes seen so far do not reach it. The caller gives the first bytes.
 */
export function jpegComponents(head: Uint8Array): number | null {
  if (head[0] !== 0xff || head[1] !== 0xd8) return null;
  let i = 2;
  while (i + 4 <= head.length) {
    if (head[i] !== 0xff) return null;
    const marker = head[i + 1]!;
    if (marker === 0xff) { i++; continue; }
    const len = (head[i + 2]! << 8) | head[i + 3]!;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return i + 9 < head.length ? head[i + 9]! : null;
    }
    if (len < 2) return null;
    i += 2 + len;
  }
  return null;
}
