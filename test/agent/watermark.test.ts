// The watermark: a stamped PDF keeps its page count and carries the text on every page
// (read back with pdftotext when installed, else from the content streams); documents that
// cannot be stamped say why instead of throwing.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { PDFDocument, StandardFonts, degrees } from 'pdf-lib';
import { stampPdf, watermarkText, watermarkSignature, formatTime } from '../../agent/watermark.ts';
import { hasCommand, needs } from '../helpers/system.ts';

async function makePdf(pages: number, rotate = 0): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let i = 0; i < pages; i++) {
    const p = doc.addPage([595.28, 841.89]);
    p.drawText(`Body of page ${i + 1}`, { x: 72, y: 700, size: 14, font });
    if (rotate) p.setRotation(degrees(rotate));
  }
  return doc.save();
}

/** How many (inflated) streams of the file contain the string. */
function contentHits(pdf: Uint8Array, needle: string): number {
  const raw = Buffer.from(pdf).toString('latin1');
  let hits = 0;
  for (const m of raw.matchAll(/stream\r?\n([\s\S]*?)endstream/g)) {
    let body = m[1]!;
    try { body = inflateSync(Buffer.from(body, 'latin1')).toString('latin1'); } catch { /* not compressed */ }
    if (body.toUpperCase().includes(needle)) hits++;
  }
  return hits;
}

const fields = { user: 'alice', jobId: 'J-42', time: Date.UTC(2026, 10, 20, 22, 58, 3) };

t.test('text and signature', async (t) => {
  t.equal(formatTime(fields.time), '2026-11-20 22:58:03 UTC');
  t.equal(watermarkText(fields), 'Printed by alice on 2026-11-20 22:58:03 UTC - job J-42');
  t.equal(watermarkText(fields, { template: '{user}/{job}/{nope}' }), 'alice/J-42/{nope}');
  t.equal(watermarkText(fields, { text: 'CONFIDENTIAL {user}' }), 'CONFIDENTIAL alice', 'server text wins');
  const key = Buffer.from('site-secret');
  const sig = watermarkSignature(key, fields);
  t.match(sig, /^[A-Za-z0-9_-]{16}$/);
  t.equal(watermarkText(fields, { key }), `Printed by alice on 2026-11-20 22:58:03 UTC - job J-42 sig:${sig}`);
  t.not(watermarkSignature(Buffer.from('other'), fields), sig, 'another key signs differently');
  t.not(watermarkSignature(key, { ...fields, user: 'mallory' }), sig, 'another user signs differently');
});

t.test('a stamped PDF keeps its pages and carries the text on each', async (t) => {
  const input = await makePdf(3);
  const r = await stampPdf(input, fields);
  if (!r.ok) throw new Error(r.message);
  t.equal(r.pages, 3);
  t.equal(contentHits(r.bytes, Buffer.from('Printed by alice', 'latin1').toString('hex').toUpperCase()), 3, 'in each page content stream');
  const again = await PDFDocument.load(r.bytes);
  t.equal(again.getPageCount(), 3, 'same page count');
  if (hasCommand('pdftotext')) {
    const dir = t.testdir();
    const file = join(dir, 'out.pdf');
    writeFileSync(file, r.bytes);
    const txt = spawnSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' }).stdout;
    const pages = txt.split('\f').filter((p) => p.trim() !== '');
    t.equal(pages.length, 3);
    for (const [i, p] of pages.entries()) {
      t.match(p, 'Printed by alice on 2026-11-20 22:58:03 UTC - job J-42', `page ${i + 1} is stamped`);
      t.match(p, `Body of page ${i + 1}`, `page ${i + 1} keeps its body`);
    }
  } else {
    // Without poppler: the text is in the page content streams (pdf-lib writes a hex string).
    const hex = Buffer.from('Printed by alice', 'latin1').toString('hex').toUpperCase();
    t.equal(contentHits(r.bytes, hex), 3, 'each page content has the text');
    t.comment('pdftotext not installed: checked the page count only');
  }
});

t.test('rotated pages are stamped upright at the foot', { skip: needs('pdftotext', hasCommand('pdftotext')) }, async (t) => {
  const r = await stampPdf(await makePdf(2, 90), fields);
  if (!r.ok) throw new Error(r.message);
  const file = join(t.testdir(), 'rot.pdf');
  writeFileSync(file, r.bytes);
  // pdftotext -raw keeps text in reading order only when it is upright on the shown page.
  const txt = spawnSync('pdftotext', [file, '-'], { encoding: 'utf8' }).stdout;
  t.match(txt, 'Printed by alice');
  // -bbox: the watermark's words lie in the bottom part of the shown (landscape) page.
  const bbox = spawnSync('pdftotext', ['-bbox', '-f', '1', '-l', '1', file, '-'], { encoding: 'utf8' }).stdout;
  // pdftotext gives word boxes on the shown page but the page size unrotated.
  const page = /<page width="([\d.]+)" height="([\d.]+)"/.exec(bbox)!;
  const shownHeight = Math.min(Number(page[1]), Number(page[2]));
  const word = /<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">Printed<\/word>/.exec(bbox)!;
  t.ok(word, 'the word is found');
  t.ok(Number(word[2]) > shownHeight * 0.9 && Number(word[4]) <= shownHeight, 'near the bottom edge of the shown page');
  t.ok(Number(word[3]) - Number(word[1]) > Number(word[4]) - Number(word[2]), 'laid out horizontally (upright)');
});

t.test('documents that cannot be stamped say why', async (t) => {
  const notPdf = await stampPdf(Buffer.from('%!PS-Adobe-3.0\nshowpage\n'), fields);
  t.same(notPdf.ok ? null : notPdf.reason, 'not-pdf');
  const big = await stampPdf(await makePdf(1), fields, { maxBytes: 100 });
  t.same(big.ok ? null : big.reason, 'too-large');
  const damaged = await stampPdf(Buffer.from('%PDF-1.7\nthis is not a pdf at all'), fields);
  t.same(damaged.ok ? null : damaged.reason, 'damaged');
});

t.test('an encrypted PDF is refused as encrypted', { skip: needs('qpdf', hasCommand('qpdf')) }, async (t) => {
  const dir = t.testdir();
  const plain = join(dir, 'plain.pdf');
  const enc = join(dir, 'enc.pdf');
  writeFileSync(plain, await makePdf(1));
  const q = spawnSync('qpdf', ['--encrypt', 'user', 'owner', '256', '--', plain, enc]);
  t.equal(q.status, 0, String(q.stderr));
  const r = await stampPdf(readFileSync(enc), fields);
  t.same(r.ok ? null : r.reason, 'encrypted');
});

t.test('non-Latin-1 user names do not break the stamp', async (t) => {
  const r = await stampPdf(await makePdf(1), { ...fields, user: 'Łukasz 李' });
  t.equal(r.ok, true);
  if (r.ok) t.match(r.text, /^Printed by \?ukasz \? on/);
});
