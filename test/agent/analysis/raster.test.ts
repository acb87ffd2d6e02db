// Raster line decoding (CUPS v2 / PWG / URF run codes) and page walking, on hand-made bytes.
import t from 'tap';
import { rgbLikeCheck } from '../../../agent/analysis/colour.ts';
import { AnalysisError } from '../../../agent/analysis/errors.ts';
import { scanCompressed, scanUncompressed } from '../../../agent/analysis/raster/lines.ts';
import { ByteReader } from '../../../agent/analysis/reader.ts';
import { BufferSource } from '../../../agent/analysis/source.ts';
import { DEFAULT_LIMITS } from '../../../agent/analysis/types.ts';
import { urfParser } from '../../../agent/analysis/raster/urf.ts';

const opts = { limits: DEFAULT_LIMITS };
const rgb = rgbLikeCheck(3, 0, 1, 2);
const reader = (...b: number[]) => new ByteReader(new BufferSource(new Uint8Array(b)));

t.test('repeat runs, literal runs, repeated lines', async (t) => {
  // 4-pixel lines: line 1 repeated twice = 3 white (run) + 1 gray (literal of 1 via code 0)
  const r = reader(1, 2, 255, 255, 255, 0, 80, 80, 80, /* line 3 */ 0, 0xfe, 1, 1, 1, 2, 2, 2, 3, 3, 3, 0, 9, 9, 9);
  t.equal(await scanCompressed(r, 3, { lineUnits: 4, unitBytes: 3, code128: 'literal-129' }, rgb, opts), false);
  t.equal(r.pos, 24, 'consumed exactly the page');
  const c = reader(0, 3, 255, 0, 0);
  t.equal(await scanCompressed(c, 1, { lineUnits: 4, unitBytes: 3, code128: 'literal-129' }, rgb, opts), true);
});

t.test('URF 128 fills the rest of the line with white', async (t) => {
  const r = reader(0, 0, 10, 10, 10, 128, /* next page byte */ 7);
  t.equal(await scanCompressed(r, 1, { lineUnits: 100, unitBytes: 3, code128: 'fill-white' }, rgb, opts), false);
  t.equal(r.pos, 6);
});

t.test('runs overflowing the line, repeats overflowing the page, truncation', async (t) => {
  const layout = { lineUnits: 4, unitBytes: 1, code128: 'literal-129' } as const;
  await t.rejects(scanCompressed(reader(0, 4, 9), 1, layout, null, opts), { code: 'ANALYSIS_MALFORMED', offset: 1 });
  await t.rejects(scanCompressed(reader(5, 3, 9), 2, layout, null, opts), { code: 'ANALYSIS_MALFORMED' });
  await t.rejects(scanCompressed(reader(0, 1, 9), 1, layout, null, opts), { code: 'ANALYSIS_TRUNCATED' });
  await t.rejects(scanCompressed(reader(0, 0xfd, 1, 2), 1, layout, null, opts), { code: 'ANALYSIS_TRUNCATED' });
  await t.rejects(scanCompressed(reader(), 1, layout, null, opts), AnalysisError);
});

t.test('uncompressed pages: stop reading at the first colour, land on the next page', async (t) => {
  const page = [0, 0, 0, 9, 9, 9, 255, 0, 0, 1, 1, 1];
  const r = reader(...page, 42);
  t.equal(await scanUncompressed(r, 2, 6, 2, rgb, opts), true);
  t.equal(r.pos, 12);
  await t.rejects(scanUncompressed(reader(1, 2, 3), 2, 6, 2, null, opts), { code: 'ANALYSIS_TRUNCATED' });
});

t.test('URF pages, header checks', async (t) => {
  const hdr = (bpp: number, cs: number, w: number, h: number) => {
    const b = new Uint8Array(32);
    const dv = new DataView(b.buffer);
    b[0] = bpp; b[1] = cs; b[2] = 1;
    dv.setUint32(12, w); dv.setUint32(16, h); dv.setUint32(20, 72);
    return [...b];
  };
  const file = new Uint8Array([...new TextEncoder().encode('UNIRAST\0'), 0, 0, 0, 2,
    ...hdr(24, 1, 2, 1), 0, 1, 50, 50, 50, ...hdr(24, 1, 2, 1), 0, 0, 50, 50, 50, 0, 0, 200, 0]);
  const r = await urfParser.analyze(new BufferSource(file), opts);
  t.match(r, { format: 'urf', pages: 2, colorPages: 1, colorPageNumbers: [2] });
  await t.rejects(urfParser.analyze(new BufferSource(new Uint8Array([...file.subarray(0, 12), ...hdr(7, 1, 2, 1)])), opts), { code: 'ANALYSIS_MALFORMED', offset: 12 });
});
