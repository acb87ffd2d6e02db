// Image parsers on hand-made bytes: PNG structure errors, TIFF codecs and predictor, JPEG
// Huffman tables, and the CUPS raster header checks.
import t from 'tap';
import { deflateSync } from 'node:zlib';
import { pngParser } from '../../../agent/analysis/image/png.ts';
import { lzwDecode, undoPredictor, unpackBits } from '../../../agent/analysis/image/tiff-codecs.ts';
import { buildHuffman } from '../../../agent/analysis/image/jpeg-scan.ts';
import { parseHeader, HEADER_BYTES } from '../../../agent/analysis/raster/header.ts';
import { BufferSource } from '../../../agent/analysis/source.ts';
import { DEFAULT_LIMITS } from '../../../agent/analysis/types.ts';

const opts = { limits: DEFAULT_LIMITS };

function crc32(b: Uint8Array): number {
  let c = ~0;
  for (const x of b) { c ^= x; for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1)); }
  return ~c >>> 0;
}
function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  dv.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}
function png(w: number, h: number, type: number, raw: Uint8Array, cut = 0): Uint8Array {
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, w); dv.setUint32(4, h); ihdr[8] = 8; ihdr[9] = type;
  const z = deflateSync(raw);
  const parts = [new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', z.subarray(0, z.length - cut)), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

t.test('PNG: colour found, structure errors typed', async (t) => {
  // 2x2 RGB, filter 0; second row has a red pixel
  const raw = new Uint8Array([0, 9, 9, 9, 9, 9, 9, 0, 9, 9, 9, 200, 0, 0]);
  t.match(await pngParser.analyze(new BufferSource(png(2, 2, 2, raw)), opts), { pages: 1, colorPageNumbers: [1] });
  raw[11] = 9; raw[12] = 9; raw[13] = 9;
  t.match(await pngParser.analyze(new BufferSource(png(2, 2, 2, raw)), opts), { pages: 1, colorPages: 0 });
  const badFilter = raw.slice(); badFilter[0] = 9;
  await t.rejects(pngParser.analyze(new BufferSource(png(2, 2, 2, badFilter)), opts), { code: 'ANALYSIS_MALFORMED' });
  await t.rejects(pngParser.analyze(new BufferSource(png(2, 2, 2, raw, 6)), opts), { code: /ANALYSIS_(TRUNCATED|MALFORMED)/ }, 'image data cut short');
  const noIhdr = png(2, 2, 2, raw).slice();
  noIhdr.set(new TextEncoder().encode('ABCD'), 12);
  await t.rejects(pngParser.analyze(new BufferSource(noIhdr), opts), { code: 'ANALYSIS_MALFORMED' });
  await t.rejects(pngParser.analyze(new BufferSource(png(2, 2, 5, raw)), opts), { code: 'ANALYSIS_MALFORMED' }, 'colour type 5 does not exist');
});

/** A minimal TIFF LZW encoder (no table reset needed for short inputs), for the decoder test. */
function lzwEncode(data: Uint8Array): Uint8Array {
  const dict = new Map<string, number>();
  for (let i = 0; i < 256; i++) dict.set(String.fromCharCode(i), i);
  let next = 258, width = 9, bits = 0, acc = 0;
  const out: number[] = [];
  const put = (code: number) => {
    acc = (acc << width) | code; bits += width;
    while (bits >= 8) { out.push((acc >>> (bits - 8)) & 255); bits -= 8; acc &= (1 << bits) - 1; }
  };
  put(256);
  let w = '';
  for (const b of data) {
    const c = String.fromCharCode(b);
    if (dict.has(w + c)) { w += c; continue; }
    put(dict.get(w)!);
    dict.set(w + c, next++);
    if (next + 1 >= 1 << width && width < 12) width++;
    w = c;
  }
  if (w) put(dict.get(w)!);
  put(257);
  if (bits > 0) out.push((acc << (8 - bits)) & 255);
  return new Uint8Array(out);
}

t.test('TIFF codecs', async (t) => {
  t.same([...unpackBits(new Uint8Array([2, 1, 2, 3, 0xfe, 7, 0x80, 0, 9]), 7, 0)], [1, 2, 3, 7, 7, 7, 9]);
  t.throws(() => unpackBits(new Uint8Array([5, 1]), 6, 10), { code: 'ANALYSIS_TRUNCATED' });
  const text = new TextEncoder().encode('TOBEORNOTTOBEORTOBEORNOT#'.repeat(40));
  t.same([...lzwDecode(lzwEncode(text), text.length, 0)], [...text], 'LZW round trip through code width changes');
  t.throws(() => lzwDecode(new Uint8Array([0x80, 0x7f, 0xff, 0xff]), 10, 0), { code: /ANALYSIS_(MALFORMED|TRUNCATED)/ });
  const rows = new Uint8Array([10, 20, 30, 1, 1, 1, 250, 250, 250, 5, 0, 0]);
  undoPredictor(rows, 6, 2, 3, 8, false);
  t.same([...rows], [10, 20, 30, 11, 21, 31, 250, 250, 250, 255, 250, 250]);
});

t.test('JPEG Huffman tables refuse impossible code sets', async (t) => {
  const counts = new Uint8Array(16);
  counts[0] = 3; // three 1-bit codes cannot exist
  t.throws(() => buildHuffman(counts, new Uint8Array([1, 2, 3]), 40), { code: 'ANALYSIS_MALFORMED' });
  counts[0] = 2;
  t.ok(buildHuffman(counts, new Uint8Array([1, 2]), 40));
  t.throws(() => buildHuffman(counts, new Uint8Array([1]), 40), { code: 'ANALYSIS_MALFORMED' }, 'fewer symbols than codes');
});

t.test('CUPS raster headers are checked before anything is allocated', async (t) => {
  const h = (patch: (dv: DataView) => void) => {
    const b = new Uint8Array(HEADER_BYTES);
    const dv = new DataView(b.buffer);
    dv.setUint32(372, 100); dv.setUint32(376, 10); dv.setUint32(384, 8); dv.setUint32(388, 24); dv.setUint32(392, 300); dv.setUint32(400, 1);
    patch(dv);
    return b;
  };
  t.match(parseHeader(h(() => {}), false, 3, 4, 1 << 20), { width: 100, height: 10, numColors: 3 });
  t.throws(() => parseHeader(h((dv) => dv.setUint32(384, 3)), false, 3, 4, 1 << 20), { code: 'ANALYSIS_MALFORMED', offset: 4 + 384 });
  t.throws(() => parseHeader(h((dv) => dv.setUint32(392, 299)), false, 3, 4, 1 << 20), { code: 'ANALYSIS_MALFORMED' }, 'line too short for its pixels');
  t.throws(() => parseHeader(h((dv) => dv.setUint32(392, 1 << 30)), false, 3, 4, 1 << 20), { code: 'ANALYSIS_MALFORMED' }, 'absurd line length');
  t.throws(() => parseHeader(h((dv) => dv.setUint32(400, 99)), false, 3, 4, 1 << 20), { code: 'ANALYSIS_MALFORMED' }, 'unknown colour space');
  t.throws(() => parseHeader(h((dv) => dv.setUint32(396, 3)), false, 3, 4, 1 << 20), { code: 'ANALYSIS_MALFORMED' }, 'unknown colour order');
});
