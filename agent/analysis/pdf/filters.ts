// Stream filters: FlateDecode (node:zlib), LZWDecode, ASCIIHexDecode, ASCII85Decode,
// RunLengthDecode, and the PNG/TIFF predictors. Every decoder is bounded by `limit` output
// bytes (ANALYSIS_LIMIT beyond it). Damaged Flate data (a truncated or corrupt tail) gives
// what could be inflated, which is what viewers show too. Image codecs (DCT, JPX, JBIG2,
// CCITT) are not decoded here: decodeFilters stops before them and says which one it met.

import * as zlib from 'node:zlib';
import { AnalysisError } from '../errors.ts';
import { Inflater } from './inflate.ts';
import { dictOf, nameOf, numOf, PdfName, type PdfDict, type PdfObj } from './objects.ts';
import { unpredictPng } from './pixels.ts';

export interface Decoded {
  data: Uint8Array;
  /** The image codec left undecoded (DCTDecode, JPXDecode...), with its parameters. */
  codec?: string;
  codecParms?: PdfDict | undefined;
}

const IMAGE_CODECS = new Set(['DCTDecode', 'DCT', 'JPXDecode', 'JBIG2Decode', 'CCITTFaxDecode', 'CCF']);

/** The filter names and their parameter dictionaries of a stream dictionary. */
export function filterChain(dict: PdfDict): Array<{ name: string; parms: PdfDict | undefined }> {
  const f = dict.get('Filter') ?? dict.get('F');
  const p = dict.get('DecodeParms') ?? dict.get('DP');
  const names: PdfObj[] = Array.isArray(f) ? f : f == null ? [] : [f];
  const parms: PdfObj[] = Array.isArray(p) ? p : [p ?? null];
  return names.map((n, i) => ({ name: nameOf(n) ?? '', parms: dictOf(parms[i]) }));
}

export function decodeFilters(raw: Uint8Array, dict: PdfDict, limit: number, offset: number): Decoded {
  // The common case, one /FlateDecode without parameters, without building the chain.
  const f = dict.get('Filter');
  if (f instanceof PdfName && f.name === 'FlateDecode' && dict.get('DecodeParms') === undefined && dict.get('DP') === undefined) {
    return { data: inflate(raw, limit, offset) };
  }
  let data = raw;
  for (const { name, parms } of filterChain(dict)) {
    if (IMAGE_CODECS.has(name)) return { data, codec: name, codecParms: parms };
    data = applyFilter(name, data, parms, limit, offset);
  }
  return { data };
}

export function applyFilter(name: string, data: Uint8Array, parms: PdfDict | undefined, limit: number, offset: number): Uint8Array {
  switch (name) {
    case 'FlateDecode': case 'Fl': return predict(inflate(data, limit, offset), parms, offset);
    case 'LZWDecode': case 'LZW': {
      const early = numOf(parms?.get('EarlyChange')) ?? 1;
      return predict(lzw(data, early !== 0, limit, offset), parms, offset);
    }
    case 'ASCIIHexDecode': case 'AHx': return asciiHex(data);
    case 'ASCII85Decode': case 'A85': return ascii85(data, limit, offset);
    case 'RunLengthDecode': case 'RL': return runLength(data, limit, offset);
    case 'Crypt': return data; // identity crypt filter; real crypt filters are applied before
    default: throw new AnalysisError('ANALYSIS_UNSUPPORTED', `unknown stream filter /${name}`, offset);
  }
}

function tooBig(offset: number): never {
  throw new AnalysisError('ANALYSIS_LIMIT', 'decoded stream exceeds the buffer limit', offset);
}

const inflater = new Inflater();

export function inflate(data: Uint8Array, limit: number, offset: number): Uint8Array {
  if (inflater.available) {
    inflater.begin(data);
    let ok: boolean;
    try {
      ok = inflater.more(Infinity, Math.max(1, limit));
    } catch (e) {
      if (e instanceof RangeError) tooBig(offset);
      throw e;
    }
    // Corrupt data: the same recovery as below (zlib.inflateSync would have thrown).
    return ok ? inflater.take() : inflatePartial(data, limit, offset);
  }
  const opts = { maxOutputLength: Math.max(1, limit), finishFlush: zlib.constants.Z_SYNC_FLUSH };
  try {
    return zlib.inflateSync(data, opts);
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') tooBig(offset);
    // Corrupt data: inflate in small pieces and keep what came out before the damage.
    return inflatePartial(data, limit, offset);
  }
}

function inflatePartial(data: Uint8Array, limit: number, offset: number): Uint8Array {
  const parts: Buffer[] = [];
  let total = 0;
  // Try as zlib, then as raw deflate (some writers omit the header).
  for (const raw of [false, true]) {
    const src = raw && data.length > 2 ? data.subarray(2) : data;
    let lo = 0;
    let hi = src.length;
    // Binary search for the longest prefix that inflates without error.
    let best: Buffer | undefined;
    for (let i = 0; i < 24 && lo < hi; i++) {
      const mid = Math.ceil((lo + hi) / 2);
      try {
        const out = (raw ? zlib.inflateRawSync : zlib.inflateSync)(src.subarray(0, mid), {
          maxOutputLength: Math.max(1, limit), finishFlush: zlib.constants.Z_SYNC_FLUSH,
        });
        best = out;
        lo = mid;
      } catch (e) {
        if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') tooBig(offset);
        hi = mid - 1;
      }
    }
    if (best && best.length > 0) { parts.push(best); total += best.length; break; }
  }
  if (total === 0) throw new AnalysisError('ANALYSIS_MALFORMED', 'corrupt Flate stream', offset);
  return parts[0]!;
}

/** PNG (10-15) and TIFF (2) predictors. */
export function predict(data: Uint8Array, parms: PdfDict | undefined, offset: number): Uint8Array {
  const pred = numOf(parms?.get('Predictor')) ?? 1;
  if (pred <= 1) return data;
  const colors = Math.max(1, Math.min(32, numOf(parms?.get('Colors')) ?? 1));
  const bpc = Math.max(1, Math.min(16, numOf(parms?.get('BitsPerComponent')) ?? 8));
  const columns = Math.max(1, Math.min(1 << 24, numOf(parms?.get('Columns')) ?? 1));
  const bpp = Math.max(1, Math.ceil((colors * bpc) / 8));
  const rowLen = Math.ceil((colors * bpc * columns) / 8);
  if (pred === 2) {
    if (bpc !== 8) return data; // rare; leave as is
    const out = Uint8Array.from(data);
    for (let r = 0; r < out.length; r += rowLen) {
      for (let i = r + bpp; i < Math.min(r + rowLen, out.length); i++) out[i] = (out[i]! + out[i - bpp]!) & 0xff;
    }
    return out;
  }
  if (pred < 10) throw new AnalysisError('ANALYSIS_UNSUPPORTED', `unknown predictor ${pred}`, offset);
  const rows = Math.floor(data.length / (rowLen + 1));
  const out = new Uint8Array(rows * rowLen);
  let prev = new Uint8Array(rowLen);
  for (let r = 0; r < rows; r++) {
    const cur = out.subarray(r * rowLen, (r + 1) * rowLen);
    unpredictPng(data[r * (rowLen + 1)]!, data, r * (rowLen + 1) + 1, cur, prev, rowLen, bpp);
    prev = cur;
  }
  return out;
}

function lzw(data: Uint8Array, early: boolean, limit: number, offset: number): Uint8Array {
  const out = new Growable(Math.min(limit, data.length * 3 + 16), limit, offset);
  // Dictionary as prefix/suffix arrays; entries 0-255 literal, 256 clear, 257 EOD.
  const prefix = new Int32Array(4096);
  const suffix = new Uint8Array(4096);
  const length = new Int32Array(4096);
  for (let i = 0; i < 256; i++) { prefix[i] = -1; suffix[i] = i; length[i] = 1; }
  let next = 258;
  let width = 9;
  let prev = -1;
  let bitBuf = 0;
  let bits = 0;
  const stack = new Uint8Array(4096);
  for (let i = 0; i < data.length || bits >= width;) {
    while (bits < width && i < data.length) { bitBuf = ((bitBuf << 8) | data[i++]!) >>> 0; bits += 8; }
    if (bits < width) break;
    const code = (bitBuf >>> (bits - width)) & ((1 << width) - 1);
    bits -= width;
    if (code === 256) { next = 258; width = 9; prev = -1; continue; }
    if (code === 257) break;
    let first: number;
    if (code < next) {
      let c = code, n = 0;
      while (c >= 0 && n < 4096) { stack[n++] = suffix[c]!; c = prefix[c]!; }
      first = stack[n - 1]!;
      for (let k = n - 1; k >= 0; k--) out.push(stack[k]!);
    } else if (code === next && prev >= 0) {
      let c = prev, n = 0;
      while (c >= 0 && n < 4096) { stack[n++] = suffix[c]!; c = prefix[c]!; }
      first = stack[n - 1]!;
      for (let k = n - 1; k >= 0; k--) out.push(stack[k]!);
      out.push(first);
    } else {
      break; // corrupt code: keep what we have
    }
    if (prev >= 0 && next < 4096) {
      prefix[next] = prev; suffix[next] = first; length[next] = length[prev]! + 1; next++;
    }
    prev = code;
    const lim = early ? next + 1 : next;
    if (lim >= 512 && width === 9) width = 10;
    if (lim >= 1024 && width === 10) width = 11;
    if (lim >= 2048 && width === 11) width = 12;
  }
  return out.done();
}

function asciiHex(data: Uint8Array): Uint8Array {
  const out = new Uint8Array((data.length >> 1) + 1);
  let n = 0, hi = -1;
  for (const c of data) {
    if (c === 0x3e) break;
    const h = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x41 && c <= 0x46 ? c - 0x37 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;
    if (h < 0) continue;
    if (hi < 0) hi = h; else { out[n++] = (hi << 4) | h; hi = -1; }
  }
  if (hi >= 0) out[n++] = hi << 4;
  return out.subarray(0, n);
}

function ascii85(data: Uint8Array, limit: number, offset: number): Uint8Array {
  const out = new Growable(Math.min(limit, data.length), limit, offset);
  const group: number[] = [];
  let i = 0;
  if (data[0] === 0x3c && data[1] === 0x7e) i = 2; // optional "<~"
  for (; i < data.length; i++) {
    const c = data[i]!;
    if (c === 0x7e) break; // "~>"
    if (c === 0x7a && group.length === 0) { out.push(0); out.push(0); out.push(0); out.push(0); continue; }
    if (c < 0x21 || c > 0x75) continue;
    group.push(c - 0x21);
    if (group.length === 5) {
      let v = 0;
      for (const d of group) v = v * 85 + d;
      out.push((v >>> 24) & 0xff); out.push((v >>> 16) & 0xff); out.push((v >>> 8) & 0xff); out.push(v & 0xff);
      group.length = 0;
    }
  }
  if (group.length > 1) {
    const n = group.length;
    while (group.length < 5) group.push(84);
    let v = 0;
    for (const d of group) v = v * 85 + d;
    for (let k = 0; k < n - 1; k++) out.push((v >>> (24 - 8 * k)) & 0xff);
  }
  return out.done();
}

function runLength(data: Uint8Array, limit: number, offset: number): Uint8Array {
  const out = new Growable(Math.min(limit, data.length * 2), limit, offset);
  let i = 0;
  while (i < data.length) {
    const n = data[i++]!;
    if (n === 128) break;
    if (n < 128) {
      for (let k = 0; k <= n && i < data.length; k++) out.push(data[i++]!);
    } else if (i < data.length) {
      const v = data[i++]!;
      for (let k = 0; k < 257 - n; k++) out.push(v);
    }
  }
  return out.done();
}

/** A byte buffer that grows by doubling and refuses to pass a limit. */
class Growable {
  private buf: Uint8Array;
  private n = 0;
  private readonly limit: number;
  private readonly offset: number;
  constructor(initial: number, limit: number, offset: number) {
    this.buf = new Uint8Array(Math.max(64, initial));
    this.limit = limit;
    this.offset = offset;
  }
  push(v: number): void {
    if (this.n === this.buf.length) {
      if (this.n >= this.limit) tooBig(this.offset);
      const next = new Uint8Array(Math.min(this.limit, this.buf.length * 2));
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.n++] = v;
  }
  done(): Uint8Array {
    return this.buf.subarray(0, this.n);
  }
}
