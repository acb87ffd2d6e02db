// Colour analysis on small hand-made content streams: each operator and colour space, the
// "painted, not just set" rule, the chroma threshold, images, patterns, forms, page sizes.
import t from 'tap';
import { deflateSync } from 'node:zlib';
import { pdfParser } from '../../../../agent/analysis/pdf/index.ts';
import { BufferSource } from '../../../../agent/analysis/source.ts';
import { DEFAULT_LIMITS } from '../../../../agent/analysis/types.ts';
import { PdfWriter, type PageSpec } from '../../../../fixtures/pdf/writer.ts';

async function colourOf(pages: PageSpec[], setup?: (w: PdfWriter) => void): Promise<number[] | null> {
  const w = new PdfWriter();
  setup?.(w);
  for (const p of pages) w.page(p);
  const r = await pdfParser.analyze(new BufferSource(w.build()), { limits: DEFAULT_LIMITS });
  return r.colorPageNumbers;
}
/** Is a single page with this content (and resources) colour? */
async function isColour(content: string, resources?: string): Promise<boolean> {
  const n = await colourOf([{ content, ...(resources ? { resources } : {}) }]);
  return n !== null && n.length === 1;
}
const BOX = ' 0 0 10 10 re f\n';

t.test('device colour operators and the chroma threshold', async (t) => {
  t.equal(await isColour(`1 0 0 rg${BOX}`), true, 'rg red');
  t.equal(await isColour(`0.5 g${BOX}`), false, 'g');
  t.equal(await isColour(`0.3 0.3 0.3 rg${BOX}`), false, 'rg gray');
  t.equal(await isColour(`0.5 0.5 0.53 rg${BOX}`), false, 'chroma 7.65/255 is gray');
  t.equal(await isColour(`0.5 0.5 0.54 rg${BOX}`), true, 'chroma 10.2/255 is colour');
  t.equal(await isColour(`0 0 0 1 k${BOX}`), false, 'pure K');
  t.equal(await isColour(`0.2 0.2 0.2 0.5 k${BOX}`), false, 'C=M=Y with K');
  t.equal(await isColour(`0 1 0 0 k${BOX}`), true, 'magenta');
  t.equal(await isColour(`0.5 0.2 0.2 1 k${BOX}`), false, 'rich black: clipped to black by the naive rule');
  t.equal(await isColour('0 0 1 RG 0 0 10 10 re S\n'), true, 'stroke colour stroked');
  t.equal(await isColour('0 0 1 RG 0 0 10 10 re f\n'), false, 'stroke colour but only filled');
  t.equal(await isColour('0 0 1 RG 0 0 10 10 re B\n'), true, 'B strokes too');
  t.equal(await isColour('0 0 1 rg 0 0 10 10 re n\n'), false, 'n paints nothing');
});

t.test('set but not painted does not count', async (t) => {
  t.equal(await isColour(`1 0 0 rg 0 g${BOX}`), false);
  t.equal(await isColour(`q 1 0 0 rg Q${BOX}`), false, 'Q restores the gray');
  t.equal(await isColour(`q 1 0 0 rg${BOX}Q`), true);
  t.equal(await isColour('1 0 0 rg BT /F1 12 Tf 3 Tr (x) Tj ET\n'), false, 'invisible text');
  t.equal(await isColour('1 0 0 rg BT /F1 12 Tf 7 Tr (x) Tj ET\n'), false, 'clip-only text');
  t.equal(await isColour('1 0 0 rg BT /F1 12 Tf (x) Tj ET\n'), true, 'filled text');
  t.equal(await isColour('1 0 0 RG BT /F1 12 Tf 1 Tr (x) Tj ET\n'), true, 'stroked text uses the stroke colour');
  t.equal(await isColour('1 0 0 rg BT /F1 12 Tf 1 Tr [(x)] TJ ET\n'), false, 'stroked text ignores the fill colour');
});

t.test('colour spaces through cs/scn', async (t) => {
  const cs = (entries: string) => `<< /ColorSpace << ${entries} >> >>`;
  t.equal(await isColour(`/DeviceRGB cs 0 1 0 sc${BOX}`), true);
  t.equal(await isColour(`/DeviceRGB cs${BOX}`), false, 'initial colour is black');
  t.equal(await isColour(`/C cs 0.2 0.9 0.2 scn${BOX}`, cs('/C [/CalRGB << /WhitePoint [0.95 1 1.09] >>]')), true, 'CalRGB');
  t.equal(await isColour(`/C cs 0.5 sc${BOX}`, cs('/C [/CalGray << /WhitePoint [0.95 1 1.09] >>]')), false, 'CalGray');
  t.equal(await isColour(`/L cs 60 0 0 scn${BOX}`, cs('/L [/Lab << /WhitePoint [0.9642 1 0.8249] >>]')), false, 'Lab neutral');
  t.equal(await isColour(`/L cs 60 40 0 scn${BOX}`, cs('/L [/Lab << /WhitePoint [0.9642 1 0.8249] >>]')), true, 'Lab a*=40');
  t.equal(await isColour(`/I cs 1 scn${BOX}`, cs('/I [/Indexed /DeviceRGB 1 <FFFFFF 00FF00>]')), true, 'Indexed colour entry');
  t.equal(await isColour(`/I cs 0 scn${BOX}`, cs('/I [/Indexed /DeviceRGB 1 <FFFFFF 00FF00>]')), false, 'Indexed gray entry');
  const tint = '<< /FunctionType 2 /Domain [0 1] /C0 [0 0 0 0] /C1 [0 0.8 0.6 0] /N 1 >>';
  t.equal(await isColour(`/S cs 1 scn${BOX}`, cs(`/S [/Separation /Spot /DeviceCMYK ${tint}]`)), true, 'spot separation');
  t.equal(await isColour(`/S cs 0 scn${BOX}`, cs(`/S [/Separation /Spot /DeviceCMYK ${tint}]`)), false, 'spot at tint 0 is white');
  t.equal(await isColour(`/S cs 1 scn${BOX}`, cs(`/S [/Separation /Black /DeviceCMYK ${tint}]`)), false, 'a Black separation is neutral');
  t.equal(await isColour(`/S cs 1 scn${BOX}`, cs(`/S [/Separation /All /DeviceCMYK ${tint}]`)), false, 'All is neutral');
  t.equal(await isColour(`/S cs 1 scn${BOX}`, cs(`/S [/Separation /None /DeviceCMYK ${tint}]`)), false, 'None paints nothing');
  const calc = (w: PdfWriter) => { w.stream('/FunctionType 4 /Domain [0 1] /Range [0 1 0 1 0 1]', '{ dup 0 exch }', false); };
  const spot = [{ content: `/S cs 1 scn${BOX}`, resources: cs('/S [/Separation /Spot /DeviceRGB 3 0 R]') }];
  t.same(await colourOf(spot, calc), [1], 'calculator tint transform: t -> (t, 0, t)');
  const dn = [{ content: `/N cs 0.5 0.5 scn${BOX}`, resources: cs('/N [/DeviceN [/Black /Gray] /DeviceCMYK 3 0 R]') }];
  t.same(await colourOf(dn, calc), [], 'DeviceN of neutral colorants');
});

t.test('shadings, patterns and forms', async (t) => {
  const fn = (c0: string, c1: string) => `<< /FunctionType 2 /Domain [0 1] /C0 [${c0}] /C1 [${c1}] /N 1 >>`;
  const sh = (c0: string, c1: string) => `<< /Shading << /Sh << /ShadingType 2 /ColorSpace /DeviceRGB /Coords [0 0 1 0] /Function ${fn(c0, c1)} >> >> >>`;
  t.equal(await isColour('/Sh sh\n', sh('0 0 0', '1 1 1')), false, 'gray ramp');
  t.equal(await isColour('/Sh sh\n', sh('1 1 1', '1 0 0')), true, 'white to red');
  const stitched = `<< /Shading << /Sh << /ShadingType 3 /ColorSpace /DeviceRGB /Coords [0 0 0 0 0 1] /Function << /FunctionType 3 /Domain [0 1] /Bounds [0.5] /Encode [0 1 0 1] /Functions [${fn('0 0 0', '1 1 1')} ${fn('1 1 1', '0 0 1')}] >> >> >> >>`;
  t.equal(await isColour('/Sh sh\n', stitched), true, 'stitched function, colour in the second half');
  const uncol = (w: PdfWriter) => w.stream('/PatternType 1 /PaintType 2 /TilingType 1 /BBox [0 0 4 4] /XStep 4 /YStep 4 /Resources << >>', '0 0 2 2 re f');
  let num = 0;
  const setup = (w: PdfWriter) => { num = uncol(w); };
  const pages = (c: string) => [{ content: `/P cs ${c} /T scn${BOX}`, resources: `<< /ColorSpace << /P [/Pattern /DeviceRGB] >> /Pattern << /T 3 0 R >> >>` }];
  t.same(await colourOf(pages('1 0 0'), setup), [1], 'uncoloured tiling pattern in red');
  t.same(await colourOf(pages('0.5 0.5 0.5'), setup), [], 'uncoloured tiling pattern in gray');
  t.equal(num, 3);
  const selfRef = (w: PdfWriter) => { w.stream('/Type /XObject /Subtype /Form /BBox [0 0 1 1] /Resources << /XObject << /X 3 0 R >> >>', '/X Do 0 0 1 1 re f'); };
  const r = await colourOf([{ content: '1 0 0 rg /X Do\n', resources: '<< /XObject << /X 3 0 R >> >>' }], selfRef);
  t.same(r, [1], 'a form that draws itself ends (and its fill paints the inherited red)');
});

t.test('images: samples, Decode, bit depths, masks', async (t) => {
  const img = (w: PdfWriter, dict: string, data: Buffer) => w.stream(`/Type /XObject /Subtype /Image ${dict}`, data);
  const page = [{ content: 'q 10 0 0 10 0 0 cm /I Do Q\n', resources: '<< /XObject << /I 3 0 R >> >>' }];
  const check = (dict: string, data: Buffer) => colourOf(page, (w) => { img(w, dict, data); });
  t.same(await check('/Width 2 /Height 1 /ColorSpace /DeviceCMYK /BitsPerComponent 8', Buffer.from([0, 0, 0, 255, 40, 40, 40, 0])), [], 'CMYK grays');
  t.same(await check('/Width 2 /Height 1 /ColorSpace /DeviceCMYK /BitsPerComponent 8', Buffer.from([0, 0, 0, 255, 0, 200, 0, 0])), [1], 'CMYK magenta pixel');
  t.same(await check('/Width 1 /Height 1 /ColorSpace /DeviceRGB /BitsPerComponent 16', Buffer.from([0x80, 0, 0x80, 0, 0x80, 0])), [], '16-bit gray');
  t.same(await check('/Width 1 /Height 1 /ColorSpace /DeviceRGB /BitsPerComponent 16', Buffer.from([0xff, 0, 0x00, 0, 0x80, 0])), [1], '16-bit colour');
  t.same(await check('/Width 4 /Height 1 /ColorSpace /DeviceRGB /BitsPerComponent 1', Buffer.from([0b10010010, 0b01000000])), [1], '1-bit RGB red pixel');
  t.same(await check('/Width 1 /Height 1 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Decode [1 0 1 0 1 0]', Buffer.from([255, 255, 0])), [1], '/Decode inverts');
  t.same(await check('/Width 1 /Height 1 /ColorSpace /DeviceGray /BitsPerComponent 8 /SMask 9 0 R', Buffer.from([3])), [], 'gray image with a soft mask');
  t.same(await check('/Width 4 /Height 1 /ColorSpace [/Indexed /DeviceRGB 3 <000000 FF0000 FFFFFF 808080>] /BitsPerComponent 2', Buffer.from([0b00100011])), [], 'Indexed: only gray entries used');
  t.same(await check('/Width 4 /Height 1 /ColorSpace [/Indexed /DeviceRGB 3 <000000 FF0000 FFFFFF 808080>] /BitsPerComponent 2', Buffer.from([0b00011011])), [1], 'Indexed: red entry used');
  const jpegGray = Buffer.from('ffd8ffc0000b08000800080101110000ffd9', 'hex');
  t.same(await colourOf(page, (w) => {
    w.add(Buffer.concat([Buffer.from(`<< /Type /XObject /Subtype /Image /Width 8 /Height 8 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode /Length ${jpegGray.length} >>\nstream\n`), jpegGray, Buffer.from('\nendstream')]));
  }), [], 'a 1-component JPEG is gray whatever the colour space says');
});

t.test('printing annotations count, others do not', async (t) => {
  const ap = (w: PdfWriter) => w.stream('/Type /XObject /Subtype /Form /BBox [0 0 10 10]', '0 0 1 rg 0 0 10 10 re f');
  const annot = (f: number, extra = '') => [{ content: '0 g 0 0 5 5 re f\n', extra: `/Annots [<< /Subtype /Square /Rect [0 0 10 10] /F ${f} /AP << /N ${extra || '3 0 R'} >> >>]` }];
  t.same(await colourOf(annot(4), (w) => { ap(w); }), [1]);
  t.same(await colourOf(annot(0), (w) => { ap(w); }), []);
  t.same(await colourOf(annot(4 | 2), (w) => { ap(w); }), [], 'hidden');
});

t.test('indirect annotations: /F read without parsing, and every other form parsed', async (t) => {
  // Link-like annotations as separate objects (as in hyperlinked manuals), one of them
  // printing with a colour appearance; the flags in each plain and awkward form.
  const run = async (flags: string[]) => colourOf([{ content: '0 g 0 0 5 5 re f\n', extra: `/Annots [${flags.map((_, i) => `${4 + i} 0 R`).join(' ')}]` }], (w) => {
    w.stream('/Type /XObject /Subtype /Form /BBox [0 0 10 10]', '0 0 1 rg 0 0 10 10 re f'); // 3
    for (const f of flags) w.add(`<< /Type /Annot /Subtype /Square /Rect [0 0 10 10] /A << /S /URI /F 4 /URI (x) >> ${f} /AP << /N 3 0 R >> >>`);
  });
  t.same(await run(['/F 0', '/F 32', '']), [], 'none prints (an /F in a nested dictionary is not the annotation\'s)');
  t.same(await run(['/F 0', '/F 4']), [1], 'plain /F 4');
  t.same(await run(['/F 6']), [], 'print + hidden');
  t.same(await run(['/F 4.0']), [1], 'not an integer: parsed');
  t.same(await run(['/F 1 /F 4']), [1], 'the last duplicate wins');
  t.same(await run(['/F 4 /F 0']), [], 'the last duplicate wins');
});

t.test('page sizes: CropBox, Rotate, UserUnit', async (t) => {
  const w = new PdfWriter();
  w.page({ content: '', mediaBox: [0, 0, 612, 792] });
  w.page({ content: '', mediaBox: [0, 0, 842, 595], extra: '/Rotate 90' });
  w.page({ content: '', mediaBox: [0, 0, 1000, 1000], extra: '/CropBox [0 0 595 842]' });
  w.page({ content: '', mediaBox: [0, 0, 306, 396], extra: '/UserUnit 2' });
  const r = await pdfParser.analyze(new BufferSource(w.build()), { limits: DEFAULT_LIMITS });
  t.same(r.pageMedia, ['Letter', 'A4', 'A4', 'Letter']);
  t.same(r.media.map((m) => [m.name, m.pages]), [['Letter', 2], ['A4', 2]]);
});

t.test('a Contents array is one content stream', async (t) => {
  const w = new PdfWriter();
  const a = w.stream('', '1 0 0');
  const b = w.stream('', 'rg 0 0 10 10 re f');
  const p = w.add(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] /Contents [${a} 0 R ${b} 0 R] >>`);
  w.registerPage(p);
  const r = await pdfParser.analyze(new BufferSource(w.build()), { limits: DEFAULT_LIMITS });
  t.same(r.colorPageNumbers, [1]);
  void deflateSync;
});

t.test('a large Flate image is streamed, not held: beyond the buffer limit, with a predictor', async (t) => {
  const W = 2000, H = 2000;
  const rows: Buffer[] = [];
  for (let y = 0; y < H; y++) {
    const row = Buffer.alloc(1 + W * 3, 0x80);
    row[0] = y === 0 ? 0 : 2; // PNG "Up" after the first row: all zero differences
    if (y > 0) row.fill(0, 1);
    if (y === H - 1) { row[1 + 3 * (W - 1)] = 0x7f; row[3 * W - 1 + 1] = 0; } // last pixel: R+0x7f, B-0
    rows.push(row);
  }
  const img = deflateSync(Buffer.concat(rows));
  const build = (w: PdfWriter) => {
    w.add(Buffer.concat([Buffer.from(`<< /Type /XObject /Subtype /Image /Width ${W} /Height ${H} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode /DecodeParms << /Predictor 12 /Colors 3 /Columns ${W} >> /Length ${img.length} >>\nstream\n`), img, Buffer.from('\nendstream')]));
  };
  const w = new PdfWriter();
  build(w);
  w.page({ content: 'q 100 0 0 100 0 0 cm /I Do Q', resources: '<< /XObject << /I 3 0 R >> >>' });
  const limits = { ...DEFAULT_LIMITS, maxBufferBytes: 4 << 20 };
  const r = await pdfParser.analyze(new BufferSource(w.build()), { limits });
  t.same(r.colorPageNumbers, [1], 'the colour pixel in the last row is found');
});

t.test('a large Flate image is read from the file piece by piece: stored bytes beyond the buffer limit', async (t) => {
  // Random gray pixels (R = G = B) hardly compress: the stored stream is larger than the
  // buffer limit, which reading it whole would refuse.
  const W = 1000, H = 1000;
  const make = (colourLast: boolean) => {
    const raw = Buffer.alloc(W * H * 3);
    let seed = 12345;
    for (let i = 0; i < W * H; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      raw[3 * i] = raw[3 * i + 1] = raw[3 * i + 2] = seed >>> 24;
    }
    if (colourLast) raw[raw.length - 1] = raw[raw.length - 1]! ^ 0x80;
    const img = deflateSync(raw);
    const w = new PdfWriter();
    w.add(Buffer.concat([Buffer.from(`<< /Type /XObject /Subtype /Image /Width ${W} /Height ${H} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode /Length ${img.length} >>\nstream\n`), img, Buffer.from('\nendstream')]));
    w.page({ content: 'q 100 0 0 100 0 0 cm /I Do Q', resources: '<< /XObject << /I 3 0 R >> >>' });
    return { pdf: w.build(), stored: img.length };
  };
  const limits = { ...DEFAULT_LIMITS, maxBufferBytes: 1 << 20 };
  const colour = make(true);
  t.ok(colour.stored > limits.maxBufferBytes, 'the stored stream is larger than the buffer limit');
  t.same((await pdfParser.analyze(new BufferSource(colour.pdf), { limits })).colorPageNumbers, [1], 'colour in the last pixel is found');
  t.same((await pdfParser.analyze(new BufferSource(make(false).pdf), { limits })).colorPageNumbers, [], 'all gray: every row read, gray');
});

t.test('optional content as printed: /AS print usage overrides the default state', async (t) => {
  const w = new PdfWriter();
  const screen = w.add('<< /Type /OCG /Name (screen) /Usage << /Print << /PrintState /OFF >> >> >>');
  const print = w.add('<< /Type /OCG /Name (print) /Usage << /Print << /PrintState /ON >> >> >>');
  const res = `<< /Properties << /S ${screen} 0 R /P ${print} 0 R >> >>`;
  w.page({ content: `/OC /S BDC 1 0 0 rg${BOX}EMC`, resources: res });
  w.page({ content: `/OC /P BDC 1 0 0 rg${BOX}EMC`, resources: res });
  w.page({ content: `/OC /P BDC EMC 1 0 0 rg /OC /S BDC /Span BMC EMC${BOX}EMC`, resources: res });
  w.page({ content: `/OC /S BDC EMC 1 0 0 rg${BOX}`, resources: res });
  const oc = `/OCProperties << /OCGs [${screen} 0 R ${print} 0 R] /D << /OFF [${print} 0 R] /AS [<< /Event /Print /OCGs [${screen} 0 R ${print} 0 R] /Category [/Print] >>] >> >>`;
  const r = await pdfParser.analyze(new BufferSource(w.build(oc)), { limits: DEFAULT_LIMITS });
  t.same(r.colorPageNumbers, [2, 4], 'screen-only hidden, print-only shown, nesting and EMC respected');
});

t.test('Type 3 fonts: d0 glyphs colour themselves, d1 glyphs take the text colour', async (t) => {
  const font = (w: PdfWriter, glyph: string) => {
    const proc = w.stream('', glyph);
    return w.add(`<< /Type /Font /Subtype /Type3 /FontBBox [0 0 10 10] /FontMatrix [0.1 0 0 0.1 0 0] /CharProcs << /a ${proc} 0 R >> /Encoding << /Differences [97 /a] >> /FirstChar 97 /LastChar 97 /Widths [10] /Resources << >> >>`);
  };
  const page = (fnum: number) => ({ content: 'BT 0 g /T3 12 Tf (a) Tj ET', resources: `<< /Font << /T3 ${fnum} 0 R >> >>` });
  let n = 0;
  t.same(await colourOf([page(4)], (w) => { n = font(w, '10 0 d0 1 0 0 rg 0 0 10 10 re f'); }), [1], 'd0 glyph painting red');
  t.equal(n, 4);
  t.same(await colourOf([page(4)], (w) => { font(w, '10 0 0 0 10 10 d1 1 0 0 rg 0 0 10 10 re f'); }), [], 'd1 glyph: its colour operators are ignored');
  t.same(await colourOf([page(4)], (w) => { font(w, '10 0 d0 0.5 g 0 0 10 10 re f'); }), [], 'd0 glyph painting gray');
});

t.test('mesh shadings without a function: every vertex colour is read', async (t) => {
  // Type 4 free-form mesh, 8-bit flag, 8-bit coordinates, 8-bit RGB components.
  const mesh = (rgb: number[][]) => (w: PdfWriter) => {
    const data = Buffer.from(rgb.flatMap((c, i) => [0, i * 10, i * 20, ...c]));
    w.add(Buffer.concat([Buffer.from(`<< /ShadingType 4 /ColorSpace /DeviceRGB /BitsPerCoordinate 8 /BitsPerComponent 8 /BitsPerFlag 8 /Decode [0 100 0 100 0 1 0 1 0 1] /Length ${data.length} >>\nstream\n`), data, Buffer.from('\nendstream')]));
  };
  const page = [{ content: '/M sh', resources: '<< /Shading << /M 3 0 R >> >>' }];
  t.same(await colourOf(page, mesh([[0, 0, 0], [128, 128, 128], [255, 255, 255]])), [], 'gray vertices');
  t.same(await colourOf(page, mesh([[0, 0, 0], [128, 128, 128], [255, 0, 0]])), [1], 'one red vertex');
});

t.test('many small Flate images are checked in one call each', async (t) => {
  const img = deflateSync(Buffer.from([200, 30, 30, 128, 128, 128]));
  const r = await colourOf([{ content: 'q 10 0 0 10 0 0 cm /I Do Q', resources: '<< /XObject << /I 3 0 R >> >>' }], (w) => {
    w.add(Buffer.concat([Buffer.from(`<< /Type /XObject /Subtype /Image /Width 2 /Height 1 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode /Length ${img.length} >>\nstream\n`), img, Buffer.from('\nendstream')]));
  });
  t.same(r, [1]);
});

t.test('a big content stream: strings, arrays, dictionaries and comments never count', async (t) => {
  // ~300 KB of text, strings with escapes and parentheses, arrays, dictionaries, comments.
  let body = '';
  for (let i = 0; body.length < 300000; i++) {
    body += `BT /F1 ${9 + (i % 5)} Tf ${i % 500} ${i % 700} Td [(a\\(b\\)c ${i})-250(x (nested) y)] TJ ET\n`;
    body += `/P <</MCID ${i} /Alt (a >> b)>> BDC 0.${i % 10} g ${i} 0 1 1 re f EMC % comment ${i} 1 0 0 rg\n`;
  }
  const ending = (tail: string) => [{ content: body + tail }];
  t.same(await colourOf(ending('1 0 0 rg 0 0 1 1 re f\n')), [1], 'colour at the very end is found');
  t.same(await colourOf(ending('1 0 0 rg 0 g 0 0 1 1 re f\n')), [], 'gray: nothing in the comments or strings counts');
  t.same(await colourOf([{ content: `1 0 0 rg 0 0 1 1 re f\n${body}` }]), [1], 'colour at the start');
  // The same content as a two-part Contents array must agree.
  const w = new PdfWriter();
  const a = w.stream('', body);
  const b = w.stream('', '1 0 0 rg 0 0 1 1 re f\n');
  w.registerPage(w.add(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] /Contents [${a} 0 R ${b} 0 R] >>`));
  const r = await pdfParser.analyze(new BufferSource(w.build()), { limits: DEFAULT_LIMITS });
  t.same(r.colorPageNumbers, [1]);
});

t.test('page content inflated as it is read: operators cut at every piece boundary', async (t) => {
  // The page's content is inflated in pieces (2 KiB, then doubling): an operator or its
  // operands cut at the end of a piece must be read whole once the next piece arrives.
  const pad = (n: number) => {
    let s = '';
    while (s.length + 4 <= n) s += '0 g\n';
    return s + ' '.repeat(n - s.length);
  };
  for (const edge of [2048, 4096, 8192, 16384, 32768]) {
    for (let shift = -24; shift <= 4; shift++) {
      const colour = `${pad(edge + shift)}0.9 0.1 0.1 rg 0 0 5 5 re f\n`;
      const gray = `${pad(edge + shift)}0.5 0.5 0.5 rg 0 0 5 5 re f 1 0 0 rg\n${pad(100)}`;
      t.equal(await isColour(colour), true, `colour, cut ${shift} from ${edge}`);
      t.equal(await isColour(gray), false, `gray, cut ${shift} from ${edge}`);
    }
  }
  t.equal(await isColour(`${pad(50_000)}BT /F1 12 Tf (a) Tj ET 1 0 0 rg${BOX}`), true, 'colour after 50 KB of gray');
  t.equal(await isColour(`${pad(50_000)}BI /W 1 /H 1 /CS /RGB /BPC 8 ID \xff\x00\x00 EI\n${pad(20_000)}`), true, 'inline image read whole');
});
