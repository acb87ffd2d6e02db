// Stream filters: each decoder against known data, predictors, limits and damaged input.
import t from 'tap';
import { deflateSync } from 'node:zlib';
import { applyFilter, decodeFilters, predict } from '../../../../agent/analysis/pdf/filters.ts';
import { PdfDict, PdfName } from '../../../../agent/analysis/pdf/objects.ts';
import { RowAssembler } from '../../../../agent/analysis/pdf/pixels.ts';

const dict = (entries: Record<string, unknown>) => new PdfDict(new Map(Object.entries(entries)) as never);
const str = (b: Uint8Array) => Buffer.from(b).toString('latin1');
const LIMIT = 1 << 20;

t.test('FlateDecode, and the readable prefix of a damaged stream', async (t) => {
  const data = Buffer.from('0 0 1 rg 10 10 100 100 re f '.repeat(50));
  const z = deflateSync(data);
  t.equal(str(applyFilter('FlateDecode', z, undefined, LIMIT, 0)), data.toString());
  const cut = applyFilter('FlateDecode', z.subarray(0, Math.floor(z.length / 2)), undefined, LIMIT, 0);
  t.ok(cut.length > 0 && data.toString().startsWith(str(cut)), 'truncated stream gives its prefix');
  t.throws(() => applyFilter('FlateDecode', Buffer.from('not zlib at all'), undefined, LIMIT, 7), { code: 'ANALYSIS_MALFORMED' });
});

t.test('the buffer limit is enforced', async (t) => {
  const z = deflateSync(Buffer.alloc(100000));
  t.throws(() => applyFilter('FlateDecode', z, undefined, 1000, 0), { code: 'ANALYSIS_LIMIT' });
  t.throws(() => applyFilter('RunLengthDecode', Buffer.from([129, 1, 129, 1, 129, 1, 129, 1, 129, 1]), undefined, 300, 0), { code: 'ANALYSIS_LIMIT' });
});

t.test('LZWDecode: the example from the PDF reference', async (t) => {
  const out = applyFilter('LZWDecode', Buffer.from([0x80, 0x0b, 0x60, 0x50, 0x22, 0x0c, 0x0c, 0x85, 0x01]), undefined, LIMIT, 0);
  t.equal(str(out), '-----A---B');
});

t.test('ASCIIHexDecode and ASCII85Decode', async (t) => {
  t.equal(str(applyFilter('ASCIIHexDecode', Buffer.from('48 65 6C 6c 6F 7>'), undefined, LIMIT, 0)), 'Hellop');
  t.equal(str(applyFilter('ASCII85Decode', Buffer.from('9jqo^BlbD-BleB1DJ+*+F(f,q~>'), undefined, LIMIT, 0)), 'Man is distinguished');
  t.equal(str(applyFilter('ASCII85Decode', Buffer.from('z~>'), undefined, LIMIT, 0)), '\0\0\0\0');
  t.equal(str(applyFilter('ASCII85Decode', Buffer.from('9jqo^Bl~>'), undefined, LIMIT, 0)), 'Man i', 'partial final group');
});

t.test('RunLengthDecode', async (t) => {
  t.equal(str(applyFilter('RunLengthDecode', Buffer.from([2, 0x41, 0x42, 0x43, 254, 0x5a, 128]), undefined, LIMIT, 0)), 'ABCZZZ');
});

t.test('PNG predictors (Up, Sub, Paeth) as xref streams use them', async (t) => {
  const parms = dict({ Predictor: 12, Columns: 3 });
  // Row 1 "Up" from zero: 1 2 3; row 2 "Up": +1 each -> 2 3 4.
  const out = predict(Buffer.from([2, 1, 2, 3, 2, 1, 1, 1]), parms, 0);
  t.same([...out], [1, 2, 3, 2, 3, 4]);
  const sub = predict(Buffer.from([1, 5, 1, 1]), dict({ Predictor: 11, Columns: 3 }), 0);
  t.same([...sub], [5, 6, 7]);
  const paeth = predict(Buffer.from([0, 10, 20, 30, 4, 1, 1, 1]), dict({ Predictor: 15, Columns: 3 }), 0);
  t.same([...paeth], [10, 20, 30, 11, 21, 31]);
});

/** PNG unfiltering as the PNG specification words it, one byte at a time (the reference). */
function pngReference(data: Uint8Array, rowLen: number, bpp: number): number[] {
  const out: number[] = [];
  let prev = new Array<number>(rowLen).fill(0);
  for (let r = 0; (r + 1) * (rowLen + 1) <= data.length; r++) {
    const type = data[r * (rowLen + 1)]!;
    const cur: number[] = [];
    for (let i = 0; i < rowLen; i++) {
      const x = data[r * (rowLen + 1) + 1 + i]!;
      const a = i >= bpp ? cur[i - bpp]! : 0, b = prev[i]!, c = i >= bpp ? prev[i - bpp]! : 0;
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      const add = type === 1 ? a : type === 2 ? b : type === 3 ? (a + b) >> 1 : type === 4 ? (pa <= pb && pa <= pc ? a : pb <= pc ? b : c) : 0;
      cur.push((x + add) & 0xff);
    }
    out.push(...cur);
    prev = cur;
  }
  return out;
}

t.test('PNG predictors on random rows of every filter type, whole and streamed row by row', async (t) => {
  let seed = 99;
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return (seed >>> 12) % n; };
  for (let run = 0; run < 200; run++) {
    const colors = 1 + rnd(4), columns = 1 + rnd(9), rows = 1 + rnd(6);
    const bpp = colors, rowLen = colors * columns;
    const data = new Uint8Array(rows * (rowLen + 1) + rnd(3));
    for (let i = 0; i < data.length; i++) data[i] = i % (rowLen + 1) === 0 ? rnd(6) : rnd(256);
    const want = pngReference(data, rowLen, bpp);
    const whole = predict(data, dict({ Predictor: 15, Colors: colors, Columns: columns }), 0);
    if (JSON.stringify([...whole]) !== JSON.stringify(want)) t.fail(`predict, run ${run}`);
    const streamed: number[] = [];
    const rowsOut = new RowAssembler(rowLen, { type: 15, bpp });
    for (let i = 0, n = 0; i < data.length; i += n) {
      n = 1 + rnd(7);
      rowsOut.push(data.subarray(i, i + n), (row) => { streamed.push(...row); return false; });
    }
    if (JSON.stringify(streamed.slice(0, want.length)) !== JSON.stringify(want)) t.fail(`RowAssembler, run ${run}`);
  }
  t.pass('200 random images');
});

t.test('filter chains stop at image codecs and name them', async (t) => {
  const d = dict({ Filter: [PdfName.of('ASCIIHexDecode'), PdfName.of('DCTDecode')] });
  const r = decodeFilters(Buffer.from('FFD8>'), d, LIMIT, 0);
  t.equal(r.codec, 'DCTDecode');
  t.same([...r.data], [0xff, 0xd8]);
  t.throws(() => decodeFilters(Buffer.from('x'), dict({ Filter: PdfName.of('Bogus') }), LIMIT, 0), { code: 'ANALYSIS_UNSUPPORTED' });
});
