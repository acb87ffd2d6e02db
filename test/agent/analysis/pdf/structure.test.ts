// Document structure: hybrid xref (table + /XRefStm), /Prev loops, broken startxref,
// object streams found by the recovery scan, page-tree cycles, limits.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pdfParser } from '../../../../agent/analysis/pdf/index.ts';
import { BufferSource } from '../../../../agent/analysis/source.ts';
import { DEFAULT_LIMITS } from '../../../../agent/analysis/types.ts';
import { PdfWriter, rect, text } from '../../../../fixtures/pdf/writer.ts';

const FIX = join(import.meta.dirname, '..', '..', '..', '..', 'fixtures', 'pdf');
const analyze = (b: Buffer, limits = DEFAULT_LIMITS) => pdfParser.analyze(new BufferSource(b), { limits });

function onePage(): { buf: Buffer; prev: number; size: number; page: number } {
  const w = new PdfWriter();
  const page = w.page({ content: text('0 g', 'gray') });
  const buf = w.build();
  const s = buf.toString('latin1');
  return { buf, prev: Number(/startxref\s+(\d+)/.exec(s)![1]), size: Number(/\/Size (\d+)/.exec(s)![1]), page };
}

t.test('hybrid file: an object only in the /XRefStm stream is found', async (t) => {
  const { buf, prev, size, page } = onePage();
  const parts: Buffer[] = [buf];
  let pos = buf.length;
  const add = (body: string) => { const at = pos; const c = Buffer.from(body, 'latin1'); parts.push(c); pos += c.length; return at; };
  const content = `${text('0 g', 'added')}${rect('1 0 0 rg')}`;
  const offC = add(`${size} 0 obj\n<< /Length ${content.length} >>\nstream\n${content}\nendstream\nendobj\n`);
  const offP = add(`${size + 1} 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents ${size} 0 R >>\nendobj\n`);
  const offPages = add(`2 0 obj\n<< /Type /Pages /Kids [${page} 0 R ${size + 1} 0 R] /Count 2 >>\nendobj\n`);
  const rec = (off: number) => Buffer.from([1, (off >>> 24) & 255, (off >>> 16) & 255, (off >>> 8) & 255, off & 255, 0]);
  const xdata = Buffer.concat([rec(offC), rec(offP)]);
  const offX = pos;
  parts.push(Buffer.concat([Buffer.from(`${size + 2} 0 obj\n<< /Type /XRef /W [1 4 1] /Index [${size} 2] /Size ${size + 3} /Length ${xdata.length} >>\nstream\n`, 'latin1'), xdata, Buffer.from('\nendstream\nendobj\n', 'latin1')]));
  pos += parts[parts.length - 1]!.length;
  const e = (off: number) => `${String(off).padStart(10, '0')} 00000 n \n`;
  add(`xref\n2 1\n${e(offPages)}${size + 2} 1\n${e(offX)}trailer\n<< /Size ${size + 3} /Root 1 0 R /Prev ${prev} /XRefStm ${offX} >>\nstartxref\n${pos}\n%%EOF\n`);
  const r = await analyze(Buffer.concat(parts));
  t.equal(r.pages, 2);
  t.same(r.colorPageNumbers, [2]);
  t.equal(r.recovered, false);
});

t.test('a /Prev that points at itself ends', async (t) => {
  const { buf, prev } = onePage();
  const s = buf.toString('latin1').replace('/Root 1 0 R', `/Root 1 0 R /Prev ${prev}`);
  // Offsets after the trailer are unchanged; startxref still points at the table.
  const r = await analyze(Buffer.from(s, 'latin1'));
  t.equal(r.pages, 1);
});

t.test('startxref pointing at junk: recovered by scanning, object streams included', async (t) => {
  const b = readFileSync(join(FIX, 'object-streams.pdf')).toString('latin1');
  const broken = b.replace(/startxref\s+\d+/, 'startxref\n17');
  const r = await analyze(Buffer.from(broken, 'latin1'));
  t.equal(r.pages, 3);
  t.same(r.colorPageNumbers, [2]);
  t.equal(r.recovered, true);
  t.match(r.warnings.join('\n'), /scanning/);
});

t.test('a page tree that refers back to itself', async (t) => {
  const w = new PdfWriter();
  w.page({ content: '0 g' });
  const s = w.build().toString('latin1').replace(/\/Kids \[(\d+) 0 R\]/, (_m, n: string) => `/Kids [${n} 0 R 2 0 R]`);
  // The replacement shifts later offsets; the parser recovers by scanning.
  const r = await analyze(Buffer.from(s, 'latin1'));
  t.equal(r.pages, 1);
  t.match(r.warnings.join('\n'), /twice/);
});

t.test('limits: pages and time', async (t) => {
  const b = readFileSync(join(FIX, 'form-xobject.pdf'));
  await t.rejects(analyze(b, { ...DEFAULT_LIMITS, maxPages: 3 }), { code: 'ANALYSIS_LIMIT' });
  await t.rejects(analyze(b, { ...DEFAULT_LIMITS, maxMillis: -1 }), { code: 'ANALYSIS_LIMIT' });
  await t.rejects(analyze(b, { ...DEFAULT_LIMITS, maxBytes: 100 }), { code: 'ANALYSIS_LIMIT' });
  const ctl = new AbortController();
  ctl.abort();
  await t.rejects(pdfParser.analyze(new BufferSource(b), { limits: DEFAULT_LIMITS, signal: ctl.signal }), { code: 'ANALYSIS_ABORTED' });
});

t.test('page boxes over the buffer limit: the first failure is the error, no unhandled rejection', async (t) => {
  // /CropBox and /Rotate are objects too large to read within the limit: the page fails on
  // the first; the second fails too, after it, and must not end the process.
  const unhandled: unknown[] = [];
  const seen = (e: unknown) => { unhandled.push(e); };
  process.on('unhandledRejection', seen);
  t.teardown(() => { process.off('unhandledRejection', seen); });
  const w = new PdfWriter();
  const big = () => w.add(`[0 0 612 792${' 0'.repeat(3000)}]`);
  const a = big(), b = big();
  w.page({ content: '0 g 0 0 10 10 re f', extra: `/CropBox ${a} 0 R /Rotate ${b} 0 R` });
  await t.rejects(analyze(w.build(), { ...DEFAULT_LIMITS, maxBufferBytes: 4096 }), { code: 'ANALYSIS_LIMIT' });
  await new Promise((r) => setTimeout(r, 20));
  t.same(unhandled, []);
});

t.test('sniff', async (t) => {
  const none = new Uint8Array(0);
  t.equal(pdfParser.sniff(Buffer.from('%PDF-1.4\n'), none), 100);
  t.equal(pdfParser.sniff(Buffer.from('\x1b%-12345X@PJL\n%PDF-1.4\n'), none), 90);
  t.equal(pdfParser.sniff(Buffer.from('%!PS-Adobe-3.0\n'), Buffer.from('%%EOF')), 0);
});

t.test('user password: pages from the tree, colour unknown, never a guess', async (t) => {
  const r = await analyze(readFileSync(join(FIX, 'user-password.pdf')));
  t.equal(r.pages, 3);
  t.equal(r.colorPages, null);
  t.equal(r.colorPageNumbers, null);
  t.equal(r.method, 'pdf-structure');
});

t.test('encrypted files with a broken startxref: rebuilt, then decrypted', async (t) => {
  for (const f of ['encrypted-aes-256-objstm.pdf', 'encrypted-rc4-40.pdf', 'encrypted-aes-128.pdf']) {
    const b = readFileSync(join(FIX, f)).toString('latin1').replace(/startxref\s+\d+/, 'startxref\n3');
    const r = await analyze(Buffer.from(b, 'latin1'));
    t.equal(r.pages, 3, `${f} pages`);
    t.same(r.colorPageNumbers, [2], `${f} colour`);
    t.equal(r.recovered, true);
  }
  const b = readFileSync(join(FIX, 'user-password-objstm.pdf')).toString('latin1').replace(/startxref\s+\d+/, 'startxref\n3');
  const r = await analyze(Buffer.from(b, 'latin1'));
  t.equal(r.colorPages, null, 'user password: colour unknown after a rebuild too');
  t.equal(r.pages, null, 'and pages unknown (tree in an encrypted object stream)');
});
