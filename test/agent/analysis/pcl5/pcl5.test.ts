// PCL 5 parser: hand-made byte sequences for each command family, lengths that lie,
// truncation, the page-eject rules, raster compression methods and HP-GL/2 pens.

import t from 'tap';
import { pcl5Parser } from '../../../../agent/analysis/pcl5/index.ts';
import { Pcl5Lexer } from '../../../../agent/analysis/pcl5/lexer.ts';
import { ByteReader } from '../../../../agent/analysis/reader.ts';
import { BufferSource } from '../../../../agent/analysis/source.ts';
import { analyzeBytes, codeOf } from './helpers.ts';

const E = '\x1b';
const run = (s: string | Uint8Array) => analyzeBytes(pcl5Parser, s);
const bin = (...parts: Array<string | number[] | Uint8Array>): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));

t.test('lexer: combined sequences, values, two-character escapes, data stops', async (t) => {
  const r = new ByteReader(new BufferSource(bin(`${E}&l1o2A${E}(8U${E}(s-1.5b3W`, [1, 2, 3], `${E}E${E}%-12345XA`)));
  const lx = new Pcl5Lexer(r);
  const seen: string[] = [];
  for (;;) {
    const tok = await lx.next();
    if (tok.kind === 'eof') break;
    if (tok.kind === 'cmd') {
      seen.push(`${tok.p}${tok.g}${tok.v}${tok.t}${tok.data ? '+data' : ''}`);
      if (tok.data) r.skip(tok.v);
    } else if (tok.kind === 'esc2') seen.push(`esc ${tok.c}`);
    else if (tok.kind === 'text') seen.push(`text ${Buffer.from(tok.bytes).toString('latin1')}`);
  }
  t.same(seen, ['&l1O', '&l2A', '(8U', '(s-1.5B', '(s3W+data', 'esc E', '%-12345X', 'text A']);
});

t.test('sniff', async (t) => {
  t.equal(pcl5Parser.sniff(Buffer.from(`${E}E${E}&l26A`), new Uint8Array()), 90);
  t.equal(pcl5Parser.sniff(Buffer.from(`${E}%-12345X@PJL ENTER LANGUAGE=PCL\n${E}E`), new Uint8Array()), 95);
  t.equal(pcl5Parser.sniff(Buffer.from(`${E}%-12345X@PJL ENTER LANGUAGE=PCLXL\n) HP-PCL XL;2;0\n`), new Uint8Array()), 0);
  t.equal(pcl5Parser.sniff(Buffer.from('%!PS'), new Uint8Array()), 0);
});

t.test('page ejects', async (t) => {
  t.equal((await run(`${E}Ea\fb\f`)).pages, 2, 'form feeds');
  t.equal((await run(`${E}E\f\f`)).pages, 2, 'a form feed ejects even a blank page');
  t.equal((await run(`${E}Etext${E}E`)).pages, 1, 'ESC E prints a marked page');
  t.equal((await run(`${E}E${E}E${E}&l26A${E}&l1O`)).pages, 0, 'nothing marked, nothing printed');
  t.equal((await run(`${E}Eone${E}&l2Atwo`)).pages, 2, 'page size change ejects a marked page; end of job prints the rest');
  t.equal((await run(`${E}Eone${E}&l4Htwo\f${E}&l0H`)).pages, 2, 'paper source change; ESC&l0H on a blank page');
  t.equal((await run(`${E}Eone${E}&l1Stwo\f`)).pages, 2, 'duplex mode change');
  t.equal((await run(`${E}E   \r\n\f`)).pages, 1, 'white space is not a mark, FF still ejects');
  const r = await run(`${E}E${E}&l26Aone\f${E}&l2Atwo\f`);
  t.same(r.pageMedia, ['A4', 'Letter']);
});

t.test('copies, duplex and PJL', async (t) => {
  let r = await run(`${E}E${E}&l2X${E}&l1Sone\ftwo\f`);
  t.equal(r.copies, 2);
  t.equal(r.duplex, true);
  r = await run(`${E}E${E}&l2Xone\f${E}&l1Xtwo\f`);
  t.equal(r.pages, 3, 'different copy counts are laid out as pages');
  r = await run(`${E}%-12345X@PJL SET QTY=5\n@PJL SET PAPER=LETTER\n@PJL ENTER LANGUAGE=PCL\n${E}Eone\f${E}%-12345X@PJL EOJ\n${E}%-12345X`);
  t.equal(r.copies, 5);
  t.same(r.pageMedia, ['Letter']);
  r = await run(`${E}%-12345X@PJL ENTER LANGUAGE=PCL\n${E}Eone\f${E}%-12345X@PJL ENTER LANGUAGE=PCL\n${E}Etwo\f${E}%-12345X`);
  t.equal(r.pages, 2, 'two PCL sections in one PJL job');
  r = await run(`${E}%-12345X@PJL ENTER LANGUAGE=PCL\n${E}Eone\f${E}%-12345X@PJL ENTER LANGUAGE=POSTSCRIPT\n%!PS\nshowpage\n`);
  t.equal(r.pages, 1);
  t.equal(r.recovered, true);
});

t.test('foreground colour, palettes, rules', async (t) => {
  const cid = (mode: number, bits: number) => bin(`${E}*v6W`, [0, mode, bits, 8, 8, 8]);
  const r = await run(bin(
    `${E}E`, cid(1, 3), `${E}*v255a0b0c2I${E}*v2S${E}*c10a10b0P\f`, // 1: red rule
    `${E}*v2S${E}*c10a10b1P\f`, // 2: white fill only
    `${E}*v2S${E}*c10a10b2P\f`, // 3: shading in red
    `${E}*v0STEXT\f`, // 4: index 0 (black) text
    `${E}*v3Stext\f`, // 5: index 3: default palette yellow
    `${E}*r1U${E}*v1Stext\f`, // 6: simple colour K: mono
    `${E}*p0P${E}*r3U${E}*p1P${E}*v3Sx\f`, // 7: pushed/popped mono palette
  ));
  t.same(r.colorPageNumbers, [1, 3, 5]);
});

t.test('raster: planes, compression methods and pixel checks', async (t) => {
  const planes = (rows: number[][][], mode = 0) => {
    const parts: Array<string | number[] | Uint8Array> = [`${E}*r1A${E}*b${mode}M`];
    for (const row of rows) row.forEach((p, i) => parts.push(`${E}*b${p.length}${i === row.length - 1 ? 'W' : 'V'}`, p));
    parts.push(`${E}*rC\f`);
    return bin(...parts);
  };
  const r = await run(bin(
    `${E}E${E}*r-3U${E}*r8S`,
    planes([[[0xff], [0xff], [0xff]], [[0], [0], [0]]]), // 1: CMY black and white rows
    planes([[[0x01], [0], [0]]]), // 2: one cyan pixel
    planes([[[1, 0xff], [1, 0xff], [1, 0xff]]], 1), // 3: run-length: 2 x 0xff on each plane
    planes([[[0xfe, 0xf0], [0xfe, 0xf0], [0], ]], 2), // 4: PackBits repeat: C and M, no Y = blue
    planes([[[0, 0xff], [0, 0xff], [0, 0xff]], [[0, 0x0f], [0], [0]]], 3), // 5: delta row: plane C changes only
    planes([[[0x01, 0xff], [0x01, 0xff], [0x01, 0xff]], [[0x80 | 0x00, 0x0f], [0], [0]]], 9), // 6: method 9 RLE replaces C
    `${E}*r-4U`, planes([[[0xff], [0x0f], [0x0f], [0x0f]]]), // 7: KCMY: K + neutral CMY
    planes([[[0], [0x0f], [0x0f], [0]]]), // 8: KCMY: C+M, no Y
  ));
  t.equal(r.pages, 8);
  t.same(r.colorPageNumbers, [2, 4, 5, 6, 8]);
});

t.test('raster: configured image data by pixel and by plane, adaptive, Y offset', async (t) => {
  const cid = (mode: number, bitsIndex: number) => bin(`${E}*v6W`, [0, mode, bitsIndex, 8, 8, 8]);
  const row = (bytes: number[], mode = 0) => bin(`${E}*b${mode}M${E}*b${bytes.length}W`, bytes);
  const r = await run(bin(
    `${E}E`, cid(3, 8), `${E}*r2S${E}*r1A`, row([10, 10, 10, 250, 250, 250]), `\f`, // 1 gray 24-bit
    row([10, 10, 10, 250, 200, 250]), `\f`, // 2 colour 24-bit
    cid(1, 4), `${E}*r4S${E}*r1A`, row([0x01, 0x10]), `\f`, // 3: 4-bit indices 0 and 1 (black, red by default)
    row([0x00, 0x70]), `\f`, // 4: indices 0 and 7 (black, white)
    cid(2, 1), `${E}*r8S${E}*r1A`, bin(`${E}*b0M${E}*b1V`, [0xf0], `${E}*b1V`, [0xf0], `${E}*b1W`, [0xf0]), `\f`, // 5: direct by plane, equal
    bin(`${E}*b1V`, [0xf0], `${E}*b1V`, [0xf0], `${E}*b1W`, [0x00]), `\f`, // 6: direct by plane, yellowish
    cid(3, 8), `${E}*r2S${E}*r1A${E}*b5M${E}*b15W`, [0, 0, 6, 10, 10, 10, 9, 9, 9, 4, 0, 2, 1, 0, 0], `\f`, // 7 adaptive, gray rows
    `${E}*b5M${E}*b9W`, [0, 0, 6, 10, 10, 10, 90, 9, 9], `\f`, // 8 adaptive, a colour row
    `${E}*b3M${E}*b4W`, [0x40, 50, 50, 50], `${E}*b5Y${E}*b2W`, [0x02, 90], `\f`, // 9: after Y offset the seed is zero: (0,0,90)
  ));
  t.same(r.colorPageNumbers, [2, 3, 6, 8, 9]);
});

t.test('raster method 10 (near-lossless RGB)', async (t) => {
  const cid = bin(`${E}*v6W`, [0, 3, 8, 8, 8, 8]);
  const row = (bytes: number[]) => bin(`${E}*b${bytes.length}W`, bytes);
  const r = await run(bin(
    `${E}E`, cid, `${E}*r2S${E}*r1A${E}*b10M`,
    row([0x01, 0x40, 0x40, 0x40, 0x80, 0x00]), '\f', // 1: literal: (80,80,81) then a zero delta on black: gray
    row([0x80, 0x7f, 0x00, 0x00]), '\f', // 2: run of 2 new pixels (fe,00,00): red
    `${E}*r1A`, row([0x00, 0xbc, 0x00]), '\f', // 3: fresh seed, one delta pixel: R +15 on black: colour
    row([0xa0]), '\f', // 4: run of 2 copies of the west pixel at the row start (white): gray
  ));
  t.same(r.colorPageNumbers, [2, 3]);
  t.same(r.warnings, []);
});

t.test('HP-GL/2 pens and labels', async (t) => {
  const gl = (s: string) => `${E}%1B${s}${E}%0A`;
  const r = await run([
    `${E}E`, gl('IN;SP3;PA10,10;PD;PA100,100;'), '\f', // 1: pen 3 green, drawn
    gl('IN;SP3;PU;PA100,100;'), '\f', // 2: pen up moves only
    gl('IN;SP1;PD10,10;'), '\f', // 3: black
    gl('IN;NP2;SP3;PD10,10;'), '\f', // 4: two pens: 3 wraps to black
    gl('IN;DT*;SP4;LBhello*SP1;PD1,1;'), '\f', // 5: label in pen 4 with a custom terminator
    gl('IN;PC1,10,10,10;SP1;CI100;'), '\f', // 6: pen 1 redefined dark gray
    gl('IN;SP0;PD100,100;'), '\f', // 7: pen 0 draws nothing
  ].join(''));
  t.same(r.colorPageNumbers, [1, 5]);
});

t.test('macros and overlays', async (t) => {
  const cid = bin(`${E}*v6W`, [0, 1, 3, 8, 8, 8]);
  const r = await run(bin(
    `${E}E`, cid,
    `${E}&f7y0X${E}*v1Sred logo${E}&f1X`, // macro 7 paints in index 1 (red by default); defining prints nothing
    `${E}&f8y0X${E}*v0Sblack${E}&f1X`, // macro 8 paints black
    `${E}&f8y3X`, // 1: call macro 8
    `${E}&f7y2X`, // 2: execute macro 7
    `${E}&f7y4Xtext`, // 3: overlay macro 7 on a text page
    ``, // 4: a blank page still gets the overlay
    `${E}&f5Xplain`, // 5: overlay off
  ));
  t.equal(r.pages, 5);
  t.same(r.colorPageNumbers, [2, 3, 4]);
  t.equal((await run(`${E}E${E}&f1y0Xtext${E}&f1X`)).pages, 0, 'a form feed inside a definition is not a page');
});

t.test('lengths that lie and truncation give typed errors', async (t) => {
  t.equal(await codeOf(run(`${E}E${E}*b99999W12`)), 'ANALYSIS_TRUNCATED');
  t.equal(await codeOf(run(`${E}E${E}(s2000000000W`)), 'ANALYSIS_TRUNCATED');
  t.equal(await codeOf(run(`${E}E${E}&l`)), 'ANALYSIS_TRUNCATED');
  t.equal(await codeOf(run(`${E}E${E}`)), 'ANALYSIS_TRUNCATED');
  t.equal(await codeOf(run(`${E}E${E}&l${'9'.repeat(40)}A`)), 'ANALYSIS_MALFORMED');
  // A malformed sequence is dropped, the rest still counts.
  t.equal((await run(`${E}E${E}&l1\u0001x\f`)).pages, 1);
  // Negative and absurd values are harmless.
  t.equal((await run(`${E}E${E}&l-5X${E}*b-4W${E}*r-99999999Sa\f`)).pages, 1);
});

t.test('limits', async (t) => {
  const many = `${E}E` + 'x\f'.repeat(50);
  t.equal(await codeOf(analyzeBytes(pcl5Parser, many, { limits: { maxBytes: 1e9, maxMillis: 10_000, maxPages: 10, maxBufferBytes: 1e6 } })), 'ANALYSIS_LIMIT');
  const ctl = new AbortController();
  ctl.abort();
  t.equal(await codeOf(analyzeBytes(pcl5Parser, `${E}E` + `${E}&l1X`.repeat(1000), { signal: ctl.signal })), 'ANALYSIS_ABORTED');
  // A colour-capable raster row beyond the buffer limit is not read: counted colour, said so.
  const big = bin(`${E}E${E}*r3U${E}*r1A${E}*b2000V`, new Array(2000).fill(0), `${E}*b1V`, [0], `${E}*b1W`, [0], '\f');
  const r = await analyzeBytes(pcl5Parser, big, { limits: { maxBytes: 1e9, maxMillis: 10_000, maxPages: 10, maxBufferBytes: 1000 } });
  t.same(r.colorPageNumbers, [1]);
  t.match(r.warnings.join(' '), /buffer limit/);
});
