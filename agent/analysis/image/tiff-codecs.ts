// Decoders for TIFF strips and tiles: PackBits, LZW (TIFF 6 flavour: MSB-first codes of 9-12
// bits, Clear 256, EndOfInformation 257, code width grows one code early) and Deflate, plus
// the horizontal-differencing predictor. Every decoder writes into a buffer of the size
// the image geometry promises and stops there, so a lying stream cannot grow memory.

import { inflateSync } from 'node:zlib';
import { AnalysisError } from '../errors.ts';

export function unpackBits(src: Uint8Array, expected: number, at: number): Uint8Array {
  const out = new Uint8Array(expected);
  let i = 0, o = 0;
  while (i < src.length && o < expected) {
    const n = src[i++]!;
    if (n < 128) {
      const len = Math.min(n + 1, expected - o, src.length - i);
      out.set(src.subarray(i, i + len), o);
      i += n + 1;
      o += len;
    } else if (n > 128) {
      if (i >= src.length) break;
      const len = Math.min(257 - n, expected - o);
      out.fill(src[i++]!, o, o + len);
      o += len;
    }
  }
  if (o < expected) throw new AnalysisError('ANALYSIS_TRUNCATED', `PackBits strip gives ${o} of ${expected} bytes`, at);
  return out;
}

export function lzwDecode(src: Uint8Array, expected: number, at: number): Uint8Array {
  const out = new Uint8Array(expected);
  const prefix = new Int16Array(4096);
  const suffix = new Uint8Array(4096);
  const length = new Uint16Array(4096);
  const first = new Uint8Array(4096);
  for (let i = 0; i < 256; i++) { prefix[i] = -1; suffix[i] = i; length[i] = 1; first[i] = i; }
  let width = 9, next = 258, prev = -1, o = 0;
  let bitBuf = 0, bitCount = 0, i = 0;
  const emit = (code: number): void => {
    const len = length[code]!;
    const end = o + len;
    let c = code;
    // Write the string backwards from its last byte; bytes past the buffer are dropped.
    for (let p = end - 1; p >= o; p--) {
      if (p < expected) out[p] = suffix[c]!;
      c = prefix[c]!;
    }
    o = Math.min(end, expected);
  };
  while (o < expected) {
    while (bitCount < width) {
      if (i >= src.length) {
        throw new AnalysisError('ANALYSIS_TRUNCATED', `LZW strip gives ${o} of ${expected} bytes`, at);
      }
      bitBuf = ((bitBuf << 8) | src[i++]!) >>> 0;
      bitCount += 8;
    }
    const code = (bitBuf >>> (bitCount - width)) & ((1 << width) - 1);
    bitCount -= width;
    bitBuf &= (1 << bitCount) - 1;
    if (code === 257) break;
    if (code === 256) { width = 9; next = 258; prev = -1; continue; }
    if (prev === -1) {
      if (code > 255) throw new AnalysisError('ANALYSIS_MALFORMED', `LZW code ${code} after a clear`, at + i);
      emit(code);
      prev = code;
      continue;
    }
    if (code > next || (code === next && next >= 4096)) throw new AnalysisError('ANALYSIS_MALFORMED', `LZW code ${code} beyond the table (${next})`, at + i);
    if (next < 4096) {
      prefix[next] = prev;
      length[next] = length[prev]! + 1;
      first[next] = first[prev]!;
      suffix[next] = code === next ? first[prev]! : first[code]!;
      next++;
    }
    emit(code);
    prev = code;
    if (next + 1 >= 1 << width && width < 12) width++;
  }
  if (o < expected) throw new AnalysisError('ANALYSIS_TRUNCATED', `LZW strip gives ${o} of ${expected} bytes`, at);
  return out;
}

export function deflateDecode(src: Uint8Array, expected: number, at: number): Uint8Array {
  let out: Buffer;
  try {
    out = inflateSync(src, { maxOutputLength: Math.max(1, expected) });
  } catch (err) {
    const m = (err as Error).message;
    if (/maxOutputLength|buffer/i.test(m)) {
      // More data than the geometry needs: keep what the geometry needs.
      out = inflateSync(src, { finishFlush: 2 /* Z_SYNC_FLUSH */, maxOutputLength: 1 << 30 }).subarray(0, expected);
    } else if (/unexpected end/i.test(m)) {
      throw new AnalysisError('ANALYSIS_TRUNCATED', 'Deflate strip ends early', at);
    } else {
      throw new AnalysisError('ANALYSIS_MALFORMED', `bad Deflate strip: ${m}`, at);
    }
  }
  if (out.length < expected) throw new AnalysisError('ANALYSIS_TRUNCATED', `Deflate strip gives ${out.length} of ${expected} bytes`, at);
  return new Uint8Array(out.buffer, out.byteOffset, expected);
}

/** Undo predictor 2 (horizontal differencing) in place, row by row. */
export function undoPredictor(data: Uint8Array, rowBytes: number, rows: number, spp: number, bits: number, littleEndian: boolean): void {
  if (bits === 8) {
    for (let r = 0; r < rows; r++) {
      const base = r * rowBytes;
      for (let i = spp; i < rowBytes; i++) data[base + i] = (data[base + i]! + data[base + i - spp]!) & 255;
    }
  } else if (bits === 16) {
    const get = (p: number) => (littleEndian ? data[p]! | (data[p + 1]! << 8) : (data[p]! << 8) | data[p + 1]!);
    const put = (p: number, v: number) => {
      if (littleEndian) { data[p] = v & 255; data[p + 1] = v >> 8; } else { data[p] = v >> 8; data[p + 1] = v & 255; }
    };
    for (let r = 0; r < rows; r++) {
      const base = r * rowBytes;
      for (let i = spp * 2; i + 1 < rowBytes; i += 2) put(base + i, (get(base + i) + get(base + i - spp * 2)) & 0xffff);
    }
  }
}
