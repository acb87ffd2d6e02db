// Cross-reference reading: find `startxref`, read classic tables and xref streams, follow
// /Prev through incremental updates and /XRefStm in hybrid files (newest entry wins), and
// when that fails, rebuild the table by scanning the file for "N G obj" headers and
// trailers (the last definition of an object in the file wins, as in an update).

import { AnalysisError } from '../errors.ts';
import type { PdfDocument } from './document.ts';
import { ascii, indexOf, lastIndexOf } from './bytes.ts';
import { isRegular, Lexer, Underflow } from './lexer.ts';
import { dictOf, isName, numbersOf, numOf, PdfDict, PdfOp, PdfRef, PdfStream } from './objects.ts';
import { XrefTable } from './xreftable.ts';


const TAIL = 4096;

/** Read the xref chain into doc.entries / doc.trailer. False when nothing usable was found. */
export async function readXrefChain(doc: PdfDocument): Promise<boolean> {
  const size = doc.reader.size;
  const tail = await doc.reader.read(Math.max(0, size - TAIL), TAIL);
  const at = lastIndexOf(tail, 'startxref');
  if (at < 0) return false;
  const lx = new Lexer(tail, Math.max(0, size - TAIL), true);
  lx.pos = at + 9;
  lx.skipSpace();
  const start = lx.readNumber();
  if (start === undefined || start <= 0 || start >= size) return false;
  const seen = new Set<number>();
  let offset: number | undefined = start;
  let first = true;
  while (offset !== undefined && !seen.has(offset) && seen.size < 1000) {
    seen.add(offset);
    doc.budget(offset);
    const trailer = await readSection(doc, offset);
    if (!trailer) return !first && doc.trailer.has('Root');
    // Newer sections were read first: they win, so older keys only fill gaps.
    trailer.forEach((v, k) => { if (!doc.trailer.has(k)) doc.trailer.set(k, v); });
    const xrefStm = numOf(trailer.get('XRefStm'));
    if (xrefStm !== undefined && !seen.has(xrefStm)) {
      seen.add(xrefStm);
      await readSection(doc, xrefStm);
    }
    const prev = numOf(trailer.get('Prev'));
    offset = prev !== undefined && prev >= 0 && prev < size ? prev : undefined;
    first = false;
  }
  return doc.trailer.has('Root');
}

/** One xref section (table + trailer, or xref stream); returns its trailer dictionary. */
async function readSection(doc: PdfDocument, offset: number): Promise<PdfDict | undefined> {
  const peek = await doc.reader.read(offset, 64);
  let p = 0;
  while (p < peek.length && !isRegular(peek[p]!)) p++;
  if (indexOf(peek, 'xref', p, p + 4) === p) return readTable(doc, offset + p + 4);
  // An xref stream: an indirect object whose dictionary has /Type /XRef.
  const { value, streamStart, num, gen } = await doc.parseAt(offset + p);
  if (!(value instanceof PdfDict) || streamStart < 0 || !isName(value.get('Type'), 'XRef')) return undefined;
  const stream = await doc.makeStream(value, streamStart, num, gen);
  const { data } = await doc.streamData(stream);
  const w = numbersOf(value.get('W')) ?? [];
  const size = numOf(value.get('Size')) ?? 0;
  const index = numbersOf(value.get('Index')) ?? [0, size];
  if (w.length < 3 || w.some((x) => !(x >= 0 && x <= 8))) {
    throw new AnalysisError('ANALYSIS_MALFORMED', 'bad /W in xref stream', offset);
  }
  let pos = 0;
  for (let i = 0; i + 1 < index.length; i += 2) {
    pos = doc.entries.putRecords(data, w[0]!, w[1]!, w[2]!, index[i]!, index[i + 1]!, pos);
  }
  return value;
}

async function readTable(doc: PdfDocument, offset: number): Promise<PdfDict | undefined> {
  let size = 64 * 1024;
  for (;;) {
    const win = await doc.reader.read(offset, size);
    const complete = offset + win.length >= doc.reader.size;
    try {
      return tableIn(doc, new Lexer(win, offset, complete));
    } catch (e) {
      if (!(e instanceof Underflow)) throw e;
      if (complete || size >= doc.limits.maxBufferBytes) throw new AnalysisError('ANALYSIS_TRUNCATED', 'xref table runs past the end', offset);
      size *= 4;
    }
  }
}

/**
 * A classic table and its trailer from the lexer's window into doc.entries; the trailer.
 * Underflow when the window ends first. (Synchronous, apart from readTable's retries, so
 * that V8 compiles its loops as a plain function, not on-stack inside an async one.)
 */
function tableIn(doc: PdfDocument, lx: Lexer): PdfDict {
  // Entries are kept flat (number, type, offset, generation) until the trailer has been
  // read: a table with 100,000 entries costs one array, not 100,000 small objects.
  const found = new TableEntries();
  for (;;) {
    doc.budget(lx.offset);
    lx.skipSpace();
    const startNum = lx.readNumber();
    if (startNum === undefined) break; // "trailer"
    lx.skipSpace();
    const count = lx.readNumber();
    if (count === undefined || count < 0) throw new AnalysisError('ANALYSIS_MALFORMED', 'bad xref subsection header', lx.offset);
    subsection(doc, lx, found, startNum, count);
  }
  const kw = lx.next(false);
  if (!(kw instanceof PdfOp) || kw.op !== 'trailer') throw new AnalysisError('ANALYSIS_MALFORMED', 'no trailer after xref table', lx.offset);
  const trailer = lx.next(true);
  if (!(trailer instanceof PdfDict)) throw new AnalysisError('ANALYSIS_MALFORMED', 'bad trailer', lx.offset);
  const d = found.data;
  for (let i = 0; i < found.length; i += 4) {
    // A table whose first subsection starts at 1 but lists object 0 is a classic
    // off-by-one writer bug; entries are taken as written.
    const n = d[i]!;
    if (!doc.entries.has(n)) doc.entries.put(n, d[i + 1] as 0 | 1, d[i + 2]!, d[i + 3]!);
  }
  return trailer;
}

/**
 * The `count` entries of a subsection from `startNum`. A function of its own: V8 compiled
 * the entry loop on-stack inside tableIn's subsection loop, and the compiled code was
 * thrown away when the inner loop ended ("exit from OSR'd inner loop").
 */
function subsection(doc: PdfDocument, lx: Lexer, found: TableEntries, startNum: number, count: number): void {
  for (let k = 0; k < count; k++) {
    if ((k & 0x3fff) === 0x3fff) doc.budget(lx.offset);
    if (readEntry(lx, found, startNum + k)) continue;
    // Not in the usual form: the general lexer decides (and names the error).
    lx.skipSpace();
    const off = lx.readNumber();
    lx.skipSpace();
    const gen = lx.readNumber();
    const kw = lx.next(false);
    if (off === undefined || gen === undefined || !(kw instanceof PdfOp) || (kw.op !== 'n' && kw.op !== 'f')) {
      throw new AnalysisError('ANALYSIS_MALFORMED', 'bad xref entry', lx.offset);
    }
    found.push(startNum + k, kw.op === 'n' ? 1 : 0, off, gen);
  }
}

/** Growable flat list of (number, type, offset, generation). */
class TableEntries {
  data = new Float64Array(4 * 256);
  length = 0;
  push(n: number, type: number, off: number, gen: number): void {
    if (this.length + 4 > this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    const d = this.data;
    d[this.length] = n; d[this.length + 1] = type; d[this.length + 2] = off; d[this.length + 3] = gen;
    this.length += 4;
  }
}

/**
 * One entry in the usual form: whitespace, digits, whitespace, digits, whitespace, `n` or
 * `f` followed by whitespace (or the end of complete data). Reads it without objects or
 * strings and returns true; false (position unchanged) for anything else, which the
 * general lexer then reads. Underflow when the window ends inside the entry.
 */
function readEntry(lx: Lexer, out: TableEntries, num: number): boolean {
  const b = lx.buf;
  const n = b.length;
  let p = lx.pos;
  while (p < n && isSpace(b[p]!)) p++;
  let off = 0;
  let digits = 0;
  while (p < n && b[p]! >= 0x30 && b[p]! <= 0x39 && digits < 16) { off = off * 10 + b[p]! - 0x30; p++; digits++; }
  if (digits === 0 || p >= n || !isSpace(b[p]!)) return underflowOr(lx, p, false);
  while (p < n && isSpace(b[p]!)) p++;
  let gen = 0;
  digits = 0;
  while (p < n && b[p]! >= 0x30 && b[p]! <= 0x39 && digits < 16) { gen = gen * 10 + b[p]! - 0x30; p++; digits++; }
  if (digits === 0 || p >= n || !isSpace(b[p]!)) return underflowOr(lx, p, false);
  while (p < n && isSpace(b[p]!)) p++;
  if (p >= n) return underflowOr(lx, p, false);
  const kind = b[p]!;
  if ((kind !== 0x6e && kind !== 0x66) || (p + 1 < n && !isSpace(b[p + 1]!))) return false;
  if (p + 1 >= n && !lx.complete) throw new Underflow();
  lx.pos = p + 1;
  out.push(num, kind === 0x6e ? 1 : 0, off, gen);
  return true;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0x0c || c === 0x00;
}

/** At the end of an incomplete window: ask for more; otherwise give `v`. */
function underflowOr(lx: Lexer, p: number, v: boolean): boolean {
  if (p >= lx.buf.length && !lx.complete) throw new Underflow();
  return v;
}

const SCAN_CHUNK = 1 << 20;
const OVERLAP = 64;

/** Rebuild doc.entries and doc.trailer by scanning the whole file. */
export async function rebuildXref(doc: PdfDocument): Promise<void> {
  const entries = new XrefTable();
  const trailers: number[] = [];
  const size = doc.reader.size;
  for (let base = 0; base < size; base += SCAN_CHUNK) {
    doc.budget(base);
    await doc.turn();
    const chunk = await doc.reader.read(base, SCAN_CHUNK + OVERLAP);
    const end = Math.min(chunk.length, SCAN_CHUNK);
    for (let i = indexOf(chunk, 'obj', 0, end + 3); i >= 0 && i < end; i = indexOf(chunk, 'obj', i + 3, end + 3)) {
      const hdr = objHeaderBefore(chunk, i);
      if (hdr) entries.put(hdr.num, 1, base + hdr.start, hdr.gen);
    }
    for (let i = indexOf(chunk, 'trailer', 0, end + 7); i >= 0 && i < end; i = indexOf(chunk, 'trailer', i + 7, end + 7)) {
      trailers.push(base + i + 7);
    }
  }
  doc.entries = entries;
  doc.trailer = new PdfDict();
  // Trailers in file order: later ones (updates) override earlier keys.
  for (const t of trailers) {
    try {
      const win = await doc.reader.read(t, 4096);
      const d = new Lexer(win, t, true).next(true);
      if (d instanceof PdfDict) d.forEach((v, k) => doc.trailer.set(k, v));
    } catch (e) {
      if (!(e instanceof AnalysisError)) throw e;
    }
  }
  // Look at every object found: object streams add their members, xref streams and
  // catalogs supply a root when no trailer did.
  const objStms: number[] = [];
  let catalog: number | undefined;
  for (const [num, e] of [...entries]) {
    doc.budget(e.a);
    let parsed;
    try {
      parsed = await doc.parseAt(e.a);
    } catch (err) {
      if (err instanceof AnalysisError && (err.code === 'ANALYSIS_MALFORMED' || err.code === 'ANALYSIS_TRUNCATED')) continue;
      throw err;
    }
    const d = dictOf(parsed.value);
    if (!d) continue;
    const type = d.get('Type');
    if (isName(type, 'ObjStm') && parsed.streamStart >= 0) objStms.push(num);
    else if (isName(type, 'Catalog')) catalog = num;
    else if (isName(type, 'XRef') && !doc.trailer.has('Root')) {
      for (const k of ['Root', 'Encrypt', 'ID', 'Info']) if (d.has(k)) doc.trailer.set(k, d.get(k)!);
    }
  }
  if (!doc.trailer.has('Root') && catalog !== undefined) {
    doc.trailer.set('Root', new PdfRef(catalog, entries.get(catalog)!.b));
  }
  // Object streams of an encrypted file can only be opened once decryption is set up.
  await doc.setupEncryption();
  for (const num of objStms) {
    try {
      const s = await doc.getObject(num);
      if (!(s instanceof PdfStream)) continue;
      const { data } = await doc.streamData(s);
      const n = Math.min(numOf(s.dict.get('N')) ?? 0, 1_000_000);
      const lx = new Lexer(data, 0, true);
      for (let i = 0; i < n; i++) {
        const on = lx.next(false);
        lx.next(false);
        if (typeof on !== 'number') break;
        if (!entries.has(on)) entries.put(on, 2, num, i);
      }
    } catch (err) {
      if (!(err instanceof AnalysisError) || err.code === 'ANALYSIS_LIMIT' || err.code === 'ANALYSIS_ABORTED') throw err;
    }
  }
  if (!doc.trailer.has('Root')) {
    // Without a trailer, a catalog inside an object stream is the last chance.
    for (const [num, e] of entries) {
      if (e.type !== 2) continue;
      const o = dictOf(await doc.getObject(num));
      if (o && isName(o.get('Type'), 'Catalog')) {
        doc.trailer.set('Root', new PdfRef(num, 0));
        break;
      }
    }
  }
}

/** If "N G " precedes the "obj" at index i (and "obj" ends a word), its numbers. */
function objHeaderBefore(b: Uint8Array, i: number): { num: number; gen: number; start: number } | undefined {
  if (i + 3 < b.length && isRegular(b[i + 3]!)) return undefined; // "object", "objstm"
  let p = i - 1;
  if (p < 0 || isRegular(b[p]!)) return undefined;
  while (p >= 0 && (b[p] === 0x20 || b[p] === 0x09 || b[p] === 0x0d || b[p] === 0x0a || b[p] === 0x00)) p--;
  let g = 0, mul = 1, digits = 0;
  while (p >= 0 && b[p]! >= 0x30 && b[p]! <= 0x39 && digits < 6) { g += (b[p]! - 0x30) * mul; mul *= 10; p--; digits++; }
  if (digits === 0 || (p >= 0 && isRegular(b[p]!))) return undefined;
  while (p >= 0 && (b[p] === 0x20 || b[p] === 0x09 || b[p] === 0x0d || b[p] === 0x0a || b[p] === 0x00)) p--;
  let n = 0; mul = 1; digits = 0;
  while (p >= 0 && b[p]! >= 0x30 && b[p]! <= 0x39 && digits < 10) { n += (b[p]! - 0x30) * mul; mul *= 10; p--; digits++; }
  if (digits === 0 || (p >= 0 && isRegular(b[p]!) )) return undefined;
  return { num: n, gen: g, start: p + 1 };
}

// readEntry is compiled within the first large table, before it has met the table's end
// (or a free entry): each such first time threw its code away. A small table run through
// it here gives those paths type feedback first.
warmUp();

function warmUp(): void {
  const text = '0000000000 65535 f\r\n0000000015 00000 n\r\n0000000100 00001 n \ntrailer';
  const lx = new Lexer(ascii(text), 0, true);
  const out = new TableEntries();
  for (let i = 0; i < 4; i++) {
    lx.pos = 0;
    while (readEntry(lx, out, out.length));
  }
}
