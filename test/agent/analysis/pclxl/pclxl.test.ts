// PCL XL parser: hand-made streams for each operator family, lengths that lie, truncation.

import t, { type Test } from 'tap';
import { AnalysisError } from '../../../../agent/analysis/errors.ts';
import { pclxlParser } from '../../../../agent/analysis/pclxl/index.ts';
import { analyzeBytes, codeOf } from '../pcl5/helpers.ts';
import { AT, HEADER, OP, attr, brushRgb, data, graySpace, image, page, rect, rgbSpace, session, stream, ub, u16, u16xy, ubArray, real32xy } from './build.ts';

const run = (b: Uint8Array | string) => analyzeBytes(pclxlParser, b);

async function rejects(t: Test, b: Uint8Array | string, code: string) {
  t.equal(await codeOf(run(b)), code, code);
}

t.test('sniff', async (t) => {
  t.equal(pclxlParser.sniff(Buffer.from(HEADER), new Uint8Array()), 100);
  t.ok(pclxlParser.sniff(Buffer.from('\x1b%-12345X@PJL ENTER LANGUAGE=PCLXL\n' + HEADER), new Uint8Array()) >= 90);
  t.equal(pclxlParser.sniff(Buffer.from('%!PS-Adobe-3.0\n'), new Uint8Array()), 0);
  t.equal(pclxlParser.sniff(new Uint8Array(), new Uint8Array()), 0);
});

t.test('pages, media and gray paint', async (t) => {
  const r = await run(stream(session(
    page(graySpace, [...ub(0), ...attr(AT.GrayLevel), OP.SetBrushSource], rect),
    [...ubArray([...Buffer.from('LETTER')]), ...attr(AT.MediaSize), OP.BeginPage, OP.EndPage],
    [...real32xy(100, 150), ...attr(AT.CustomMediaSize), ...ub(1), ...attr(AT.CustomMediaSizeUnits), OP.BeginPage, OP.EndPage],
  )));
  t.equal(r.format, 'pclxl');
  t.equal(r.pages, 3);
  t.equal(r.colorPages, 0);
  t.same(r.pageMedia, ['A4', 'Letter', 'custom_100x150mm']);
  t.equal(r.method, 'pclxl-operators');
});

t.test('solid colours: chroma rule, colour space, null paint and ROP', async (t) => {
  const r = await run(stream(session(
    page(rgbSpace, brushRgb(255, 0, 0), rect), // 1: red fill
    page(rgbSpace, brushRgb(35, 31, 32), rect), // 2: rich-black-ish gray (chroma 4)
    page(graySpace, brushRgb(255, 0, 0), rect), // 3: RGB values in a gray space
    page(rgbSpace, [...ub(0), ...attr(AT.NullBrush), OP.SetBrushSource], [...ub(0), ...attr(AT.NullPen), OP.SetPenSource], rect), // 4
    page(rgbSpace, brushRgb(0, 0, 255), [...ub(170), ...attr(AT.ROP3), OP.SetROP], rect), // 5: ROP D ignores the brush
    page(rgbSpace, [...ubArray([0, 128, 0]), ...attr(AT.RGBColor), OP.SetPenSource], rect), // 6: green pen
    page(rgbSpace, brushRgb(0, 0, 255)), // 7: colour brush but nothing painted
    page(rgbSpace, brushRgb(0, 0, 255), [...ubArray([65]), ...attr(AT.TextData), OP.Text]), // 8: blue text
  )));
  t.equal(r.pages, 8);
  t.same(r.colorPageNumbers, [1, 6, 8]);
});

t.test('images: padding, RLE, delta row, indexed, JPEG header', async (t) => {
  // 1 pixel wide, 2 rows: (10,10,10) + a 0xff pad byte per row. Misaligned reading would see colour.
  const paddedGray = image({ width: 1, height: 2, payload: [10, 10, 10, 0xff, 20, 20, 20, 0xff] });
  const paddedRed = image({ width: 1, height: 2, payload: [10, 10, 10, 0xff, 200, 0, 0, 0xff] });
  // RLE (PackBits): row 1 gray (repeat 4 x 0x40), row 2 literal (0, 0, 255, 0).
  const rle = image({ width: 1, height: 2, compress: 1, payload: [0xfd, 0x40, 3, 0, 0, 255, 0] });
  // Delta row: row 1 sets bytes 0..2 to gray, row 2 changes byte 2 only to 255 -> (50,50,255).
  const delta = image({ width: 1, height: 2, compress: 3, payload: [4, 0, 0x40, 50, 50, 50, 2, 0, 0x02, 255] });
  const deltaGray = image({ width: 1, height: 2, compress: 3, payload: [4, 0, 0x40, 50, 50, 50, 0, 0] });
  // Two ReadImage blocks of one image: the second block's delta row builds on the first
  // block's last row (50,50,50); from a zero seed (0,0,54) would be colour.
  const twoBlocks = (second: number[]) => [
    ...ub(2), ...attr(AT.ColorDepth), ...ub(0), ...attr(AT.ColorMapping), ...u16(1), ...attr(AT.SourceWidth), ...u16(2), ...attr(AT.SourceHeight),
    ...u16xy(1, 2), ...attr(AT.DestinationSize), OP.BeginImage,
    ...u16(0), ...attr(AT.StartLine), ...u16(1), ...attr(AT.BlockHeight), ...ub(3), ...attr(AT.CompressMode), OP.ReadImage, ...data([4, 0, 0x40, 50, 50, 50]),
    ...u16(1), ...attr(AT.StartLine), ...u16(1), ...attr(AT.BlockHeight), ...ub(3), ...attr(AT.CompressMode), OP.ReadImage, ...data(second),
    OP.EndImage,
  ];
  const palette = (entries: number[]) => [...ub(2), ...attr(AT.ColorSpace), ...ub(2), ...attr(AT.PaletteDepth), ...ubArray(entries), ...attr(AT.PaletteData), OP.SetColorSpace];
  // 8-bit indexed: palette 0 black, 1 white, 2 red; pixels use 0 and 1 only, then 2.
  const idxGray = image({ width: 4, height: 1, indexed: true, payload: [0, 1, 1, 0] });
  const idxRed = image({ width: 4, height: 1, indexed: true, payload: [0, 1, 2, 0] });
  // 1-bit indexed with a red second entry: bits 1000 0000 use entry 1.
  const bitRed = image({ width: 3, height: 1, indexed: true, bits: 1, payload: [0x80, 0, 0, 0] });
  const jpegGray = image({ width: 8, height: 8, compress: 2, payload: [0xff, 0xd8, 0xff, 0xc0, 0, 11, 8, 0, 8, 0, 8, 1, 1, 0x11, 0, 0xff, 0xd9] });
  const r = await run(stream(session(
    page(rgbSpace, paddedGray), // 1
    page(rgbSpace, paddedRed), // 2
    page(rgbSpace, rle), // 3
    page(rgbSpace, delta), // 4
    page(rgbSpace, deltaGray), // 5
    page(palette([0, 0, 0, 255, 255, 255, 255, 0, 0]), idxGray), // 6
    page(palette([0, 0, 0, 255, 255, 255, 255, 0, 0]), idxRed), // 7
    page(palette([255, 255, 255, 255, 0, 0]), bitRed), // 8
    page(rgbSpace, jpegGray), // 9
    page(graySpace, paddedRed), // 10: the same bytes in a gray space are gray levels
    page(rgbSpace, image({ width: 0, height: 2, payload: [255, 0, 0, 0] })), // 11: zero-width rows (a fuzz find: it looped)
    page(rgbSpace, twoBlocks([2, 0, 0x02, 54])), // 12: second block -> (50,50,54): gray only with the seed carried over
    page(rgbSpace, twoBlocks([2, 0, 0x02, 70])), // 13: -> (50,50,70): colour
  )));
  t.equal(r.pages, 13);
  t.same(r.colorPageNumbers, [2, 3, 4, 7, 8, 13]);
});

t.test('raster patterns and user streams', async (t) => {
  const pattern = (id: number, rgb: number[]) => [
    ...ub(2), ...attr(AT.ColorDepth), ...ub(0), ...attr(AT.ColorMapping), ...u16(1), ...attr(AT.SourceWidth), ...u16(1), ...attr(AT.SourceHeight),
    ...u16xy(1, 1), ...attr(AT.DestinationSize), ...u16(id), ...attr(AT.PatternDefineID), ...ub(2), ...attr(AT.PatternPersistence), OP.BeginRastPattern,
    ...u16(0), ...attr(AT.StartLine), ...u16(1), ...attr(AT.BlockHeight), ...ub(0), ...attr(AT.CompressMode), OP.ReadRastPattern, ...data([...rgb, 0]), OP.EndRastPattern,
  ];
  const usePattern = (id: number) => [...u16(id), ...attr(AT.PatternSelectID), OP.SetBrushSource, ...rect];
  const name = ubArray([...Buffer.from('S1')]);
  const body = Buffer.from([...rgbSpace, ...brushRgb(0, 200, 0), ...rect]);
  const defineStream = [...name, ...attr(AT.StreamName), OP.BeginStream, OP.ReadStream, ...data(body), OP.EndStream];
  const r = await run(stream(session(
    rgbSpace, pattern(1, [128, 128, 128]), pattern(2, [0, 0, 255]), defineStream,
    page(rgbSpace, usePattern(1)), // 1 gray pattern
    page(rgbSpace, usePattern(2)), // 2 blue session pattern, still defined on page 2
    page([...name, ...attr(AT.StreamName), OP.ExecStream]), // 3 stream paints green
  )));
  t.same(r.colorPageNumbers, [2, 3]);
});

t.test('PassThrough: PCL 5 snippets with their own lasting state', async (t) => {
  const pt = (pcl: string) => [0xbf, ...data([...Buffer.from(pcl, 'latin1')])];
  const r = await run(stream(session(
    page(pt('plain black text')), // 1
    page(pt('\x1b*r3U\x1b*v1Sred text')), // 2: simple RGB palette, index 1 is red
    page(pt('more text, still red: the PCL state lasts')), // 3
    page(pt('\x1b*v0S\x1b*c10a10b0P\f'), pt('\x1b&l')), // 4: black rule; a form feed does not end the XL page; a cut command
  )));
  t.equal(r.pages, 4);
  t.same(r.colorPageNumbers, [2, 3]);
  t.match(r.warnings.join(' '), /ends inside a command/);
});

t.test('copies, duplex, PJL prefix, big-endian binding', async (t) => {
  const copies = (n: number) => [...ub(2), ...attr(AT.MediaSize), OP.BeginPage, ...u16(n), ...attr(AT.PageCopies), OP.EndPage];
  let r = await run(stream(session(copies(3), copies(3))));
  t.equal(r.pages, 2);
  t.equal(r.copies, 3);
  r = await run(stream(session(copies(1), copies(2))));
  t.equal(r.pages, 3, 'different PageCopies laid out as pages');
  t.ok(r.warnings.length > 0);
  r = await run(stream(session([...ub(2), ...attr(AT.MediaSize), ...ub(1), ...attr(AT.DuplexPageMode), OP.BeginPage, OP.EndPage])));
  t.equal(r.duplex, true);
  const pjl = '\x1b%-12345X@PJL JOB\r\n@PJL SET COPIES=4\n@PJL SET DUPLEX=ON\n@PJL SET RENDERMODE=GRAYSCALE\n@PJL ENTER LANGUAGE=PCLXL\n';
  r = await run(Buffer.concat([Buffer.from(pjl, 'latin1'), stream(session(page(rgbSpace, brushRgb(255, 0, 0), rect))), Buffer.from('\x1b%-12345X@PJL EOJ\n')]));
  t.equal(r.pages, 1);
  t.equal(r.copies, 4);
  t.equal(r.duplex, true);
  t.equal(r.colorPages, 0, 'PJL grayscale render mode');
  // Big-endian: '(' binding, uint16 high byte first.
  const be = Buffer.from([0xc1, 0x00, 0x02, ...attr(AT.MediaSize), OP.BeginPage, 0xc1, 0x00, 0x05, ...attr(AT.PageCopies), OP.EndPage]);
  r = await run(Buffer.concat([Buffer.from('( HP-PCL XL;2;0\n'), be]));
  t.equal(r.copies, 5);
  t.same(r.pageMedia, ['A4']);
});

t.test('malformed and truncated streams give typed errors with offsets', async (t) => {
  await rejects(t, 'no header here', 'ANALYSIS_MALFORMED');
  await rejects(t, stream([0x21]), 'ANALYSIS_MALFORMED'); // unknown tag
  await rejects(t, stream([0xc6, 0]), 'ANALYSIS_MALFORMED'); // unknown data type
  await rejects(t, stream([0xc8, 0xc1, 0xff, 0xff, 1, 2]), 'ANALYSIS_TRUNCATED'); // array longer than the file
  await rejects(t, stream([0xc8, 0xc5, 0, 0, 0, 0]), 'ANALYSIS_MALFORMED'); // bad array length type
  await rejects(t, stream([0xf8, 3]), 'ANALYSIS_MALFORMED'); // attribute without a value
  await rejects(t, stream(session(page(rgbSpace)), [OP.ReadImage, 0xfa, 0xff, 0xff, 0xff, 0x7f, 1, 2]), 'ANALYSIS_TRUNCATED'); // lying length
  await rejects(t, stream([...ub(2), ...attr(AT.MediaSize), OP.BeginPage, ...rect]), 'ANALYSIS_TRUNCATED'); // ends inside a page
  await rejects(t, stream([0xc1, 1]), 'ANALYSIS_TRUNCATED'); // value cut short
  await rejects(t, ') HP-PCL XL;2;0', 'ANALYSIS_TRUNCATED'); // header never ends
  await rejects(t, "' HP-PCL XL;2;0\n", 'ANALYSIS_UNSUPPORTED');
});

t.test('limits: page count and the abort signal', async (t) => {
  const many = stream(session(...Array.from({ length: 20 }, () => page())));
  try {
    await analyzeBytes(pclxlParser, many, { limits: { maxBytes: 1e9, maxMillis: 10_000, maxPages: 5, maxBufferBytes: 1e6 } });
    t.fail('expected a limit');
  } catch (err) {
    t.equal((err as AnalysisError).code, 'ANALYSIS_LIMIT');
  }
  const ctl = new AbortController();
  ctl.abort();
  const big = stream(session(...Array.from({ length: 3000 }, () => page(rect))));
  try {
    await analyzeBytes(pclxlParser, big, { signal: ctl.signal });
    t.fail('expected abort');
  } catch (err) {
    t.equal((err as AnalysisError).code, 'ANALYSIS_ABORTED');
  }
});
