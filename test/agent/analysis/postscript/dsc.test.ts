// PostScript DSC path (no Ghostscript): what the comments say, and when they cannot be
// trusted. allowGhostscript: false keeps these tests independent of the machine.

import t from 'tap';
import { postscriptParser } from '../../../../agent/analysis/postscript/index.ts';
import { analyzeBytes } from '../pcl5/helpers.ts';

const dscOnly = (s: string | Uint8Array) => analyzeBytes(postscriptParser, s, { allowGhostscript: false });
const doc = (header: string, pages: string[], trailer = '') =>
  `%!PS-Adobe-3.0\n${header}%%EndComments\n` + pages.map((p, i) => `%%Page: ${i + 1} ${i + 1}\n${p}\nshowpage\n`).join('') + `%%Trailer\n${trailer}%%EOF\n`;

t.test('sniff', async (t) => {
  t.equal(postscriptParser.sniff(Buffer.from('%!PS-Adobe-3.0\n'), new Uint8Array()), 100);
  t.equal(postscriptParser.sniff(Buffer.from('%!\n'), new Uint8Array()), 90);
  t.equal(postscriptParser.sniff(Buffer.from('\x1b%-12345X@PJL ENTER LANGUAGE=POSTSCRIPT\n%!PS'), new Uint8Array()), 95);
  t.equal(postscriptParser.sniff(Buffer.from('%PDF-1.7'), new Uint8Array()), 0);
  t.equal(postscriptParser.sniff(Buffer.from('\x1bE'), new Uint8Array()), 0);
});

t.test('trusted DSC: pages, media, copies, duplex; colour unknown without Ghostscript', async (t) => {
  const r = await dscOnly(doc('%%Pages: 3\n%%DocumentMedia: A4 595 842 80 white ()\n%%DocumentMedia: Big 612 1008 0 () ()\n%%Requirements: duplex numcopies(3)\n',
    ['', '%%PageMedia: Big', '<< /PageSize [612 792] >> setpagedevice']));
  t.equal(r.pages, 3);
  t.equal(r.colorPages, null);
  t.equal(r.colorPageNumbers, null);
  t.equal(r.method, 'dsc');
  t.equal(r.copies, 3);
  t.equal(r.duplex, true);
  t.same(r.pageMedia, ['A4', 'Legal', 'Letter']);
  t.match(r.warnings.join(' '), /colour is unknown/);
});

t.test('exact DSC colour: process colours Black only', async (t) => {
  let r = await dscOnly(doc('%%Pages: 2\n%%DocumentProcessColors: Black\n', ['', '']));
  t.equal(r.colorPages, 0);
  t.same(r.colorPageNumbers, []);
  r = await dscOnly(doc('%%Pages: 2\n%%DocumentProcessColors: Black\n%%DocumentCustomColors: (PANTONE 185 C)\n', ['', '']));
  t.equal(r.colorPages, null, 'a custom (spot) colour is not gray');
  r = await dscOnly(doc('%%Pages: (atend)\n%%DocumentProcessColors: (atend)\n', ['', ''], '%%Pages: 2\n%%DocumentProcessColors: Black\n'));
  t.equal(r.pages, 2, '(atend) read from the trailer');
  t.equal(r.colorPages, 0);
});

t.test('setpagedevice, #copies and features in the program text', async (t) => {
  let r = await dscOnly(doc('%%Pages: 1\n', ['<< /NumCopies 4 /Duplex true >> setpagedevice']));
  t.equal(r.copies, 4);
  t.equal(r.duplex, true);
  r = await dscOnly(doc('%%Pages: 1\n', ['/#copies 2 def']));
  t.equal(r.copies, 2);
  r = await dscOnly(doc('%%Pages: 1\n%%BeginFeature: *Duplex DuplexTumble\n', ['']));
  t.equal(r.duplex, true);
  r = await dscOnly(doc('%%Pages: 1\n', ['(/Duplex true) show']));
  t.equal(r.duplex, false, 'text inside a string is not code');
  r = await dscOnly(`\x1b%-12345X@PJL SET COPIES=5\n@PJL ENTER LANGUAGE=POSTSCRIPT\n` + doc('%%Pages: 1\n', ['']) + '\x1b%-12345X');
  t.equal(r.copies, 5, 'PJL copies when the document says nothing');
  t.equal(r.pages, 1);
});

t.test('embedded documents and binary sections do not count', async (t) => {
  const inner = '%%BeginDocument: x.eps\n%!PS-Adobe-3.0 EPSF-3.0\n%%Pages: 2\n%%Page: 1 1\n%%Page: 2 2\n%%EndDocument';
  let r = await dscOnly(doc('%%Pages: 2\n', [`save /showpage {} def\n${inner}\nrestore`, '']));
  t.equal(r.pages, 2);
  t.equal(r.method, 'dsc');
  const bin = '%%BeginBinary: 20\n%%Page: 9 9\n\x00\x01\x02\n';
  r = await dscOnly(doc('%%Pages: 1\n', [bin]));
  t.equal(r.pages, 1, 'a %%Page: inside %%BeginBinary data is skipped');
  r = await dscOnly(doc('%%Pages: 1\n', ['%%BeginData: 2 ASCII Lines\n%%Page: 8 8\n%%Page: 9 9\n%%EndData']));
  t.equal(r.pages, 1);
});

t.test('DSC that cannot be trusted gives unknown pages without Ghostscript', async (t) => {
  const cases: Array<[string, string | Uint8Array, RegExp]> = [
    ['no DSC', '%!\n0 0 moveto showpage\n', /not a DSC-conforming/],
    ['no %%Page:', '%!PS-Adobe-3.0\n%%Pages: 1\nshowpage\n', /no %%Page:/],
    ['count mismatch', doc('%%Pages: 2\n', ['', '', '']), /says 2 but there are 3/],
    ['showpage redefined', doc('%%Pages: 1\n', ['']).replace('%%EndComments', '%%EndComments\n/showpage { 1 pop } def'), /showpage is redefined/],
    ['showpage aliased', doc('%%Pages: 1\n', ['']).replace('%%EndComments', '%%EndComments\n/showpage /nup load def'), /showpage is redefined/],
    ['in a page without an embedded document', doc('%%Pages: 2\n', ['/showpage {} def', '']), /inside a page/],
    ['EndPage procedure', doc('%%Pages: 1\n', ['<< /EndPage { pop pop false } >> setpagedevice']), /EndPage/],
    ['copypage', doc('%%Pages: 1\n', ['copypage']), /copypage/],
    ['unterminated embedded document', doc('%%Pages: 1\n', ['%%BeginDocument: a.ps']), /without %%EndDocument/],
  ];
  for (const [name, input, why] of cases) {
    const r = await dscOnly(input);
    t.equal(r.pages, null, `${name}: pages unknown`);
    t.equal(r.colorPages, null, `${name}: colour unknown`);
    t.match(r.warnings.join(' '), why, `${name}: reason given`);
  }
  // Reading the original showpage is not a redefinition.
  let r = await dscOnly(doc('%%Pages: 1\n', ['']).replace('%%EndComments', '%%EndComments\n/realshowpage /showpage load def'));
  t.equal(r.pages, 1);
  // dvips' EPS-inclusion procedure disables showpage and copypage for included graphics.
  const dvips = '/@beginspecial{SDict begin/SpecialSave save N gsave/showpage{}N\n/erasepage{}N/setpagedevice{pop}N/copypage{}N newpath}N';
  r = await dscOnly(doc('%%Pages: 1\n', ['']).replace('%%EndComments', `%%EndComments\n${dvips}`));
  t.equal(r.pages, 1, 'dvips prolog trusted');
});

t.test('odd input: CR line ends, Ctrl-D, long lines, empty file', async (t) => {
  let r = await dscOnly(doc('%%Pages: 2\n', ['', '']).replace(/\n/g, '\r'));
  t.equal(r.pages, 2);
  r = await dscOnly('\x04' + doc('%%Pages: 1\n', ['']));
  t.equal(r.pages, 1);
  r = await dscOnly(doc('%%Pages: 1\n', ['<' + 'ab'.repeat(200_000) + '> pop']));
  t.equal(r.pages, 1);
  r = await dscOnly('');
  t.equal(r.pages, null);
});
