// A document's streams: where one ends (/Length checked against `endstream`), its bytes
// as stored (decrypted), decoded through its filters, or read in chunks for large images.
// PdfDocument's stream methods are these functions.

import { AnalysisError } from '../errors.ts';
import type { PdfDocument } from './document.ts';
import { decodeFilters, type Decoded } from './filters.ts';
import { isIdentityCrypt } from './indirect.ts';
import { indexOf } from './bytes.ts';
import { isWhite } from './lexer.ts';
import { isName, numOf, PdfDict, PdfName, PdfRef, PdfStream } from './objects.ts';

/** The stream entries that may be indirect and are needed to read its data. */
const FILTER_KEYS = ['Filter', 'DecodeParms', 'Length'];
/** Read size for streams inflated as they are read (large images). */
const RAW_CHUNK = 256 * 1024;

/** Trust /Length, verify `endstream` after it, else scan for `endstream`. */
export async function makeStream(doc: PdfDocument, dict: PdfDict, start: number, num: number, gen: number): Promise<PdfStream> {
  let len = numOf(await doc.resolve(dict.get('Length')));
  if (len !== undefined && len >= 0 && start + len <= doc.reader.size) {
    const after = await doc.reader.read(start + len, 48);
    let p = 0;
    while (p < after.length && isWhite(after[p]!)) p++;
    if (indexOf(after, 'endstream', p, p + 9) === p) return new PdfStream(dict, start, len, num, gen);
  }
  // Scan forward for "endstream" (bounded by the buffer limit).
  len = undefined;
  let size = 64 * 1024;
  for (;;) {
    doc.budget(start);
    const win = await doc.reader.read(start, size);
    const at = indexOf(win, 'endstream');
    if (at >= 0) {
      let e = at;
      if (e > 0 && win[e - 1] === 0x0a) e--;
      if (e > 0 && win[e - 1] === 0x0d) e--;
      len = e;
      break;
    }
    if (start + win.length >= doc.reader.size || size >= doc.limits.maxBufferBytes) {
      len = win.length; // no endstream at all: take what there is
      doc.warn('a stream has no endstream');
      doc.recovered = true;
      break;
    }
    size *= 4;
  }
  doc.warn('a stream /Length was wrong; its end was found by scanning');
  return new PdfStream(dict, start, len, num, gen);
}

/** Raw stream bytes, decrypted, then run through the non-image filters. */
export async function streamData(doc: PdfDocument, s: PdfStream, limit = doc.limits.maxBufferBytes): Promise<Decoded> {
  const raw = await storedBytes(doc, s);
  return owned(doc, decodeFilters(raw, s.dict, limit, s.start));
}

/**
 * Decoded data that is still the stored bytes (no filter, or only an image codec's) may
 * be a view into one of the reader's blocks, whose bytes change once the block is evicted
 * (blocks.ts): callers keep stream data for a while (content, object streams), so it is
 * copied then.
 */
function owned(doc: PdfDocument, d: Decoded): Decoded {
  if (doc.reader.shares(d.data)) d.data = d.data.slice();
  return d;
}

/**
 * streamData without a promise when it can be had at once: the stored bytes lie in a
 * cached block, nothing is encrypted and the filter entries are direct (the usual
 * content stream). Otherwise the promise of streamData.
 */
export function streamDataNow(doc: PdfDocument, s: PdfStream): Decoded | Promise<Decoded> {
  return decodedNow(doc, s) ?? streamData(doc, s);
}

/** streamDataNow's answer when it needs no promise; otherwise undefined, with nothing started. */
export function decodedNow(doc: PdfDocument, s: PdfStream): Decoded | undefined {
  const d = s.dict;
  if (doc.encrypted || s.length > doc.limits.maxBufferBytes ||
      d.get('Filter') instanceof PdfRef || d.get('DecodeParms') instanceof PdfRef || d.get('Length') instanceof PdfRef) {
    return undefined;
  }
  const raw = doc.reader.read(s.start, s.length);
  if (raw instanceof Promise) return undefined;
  doc.budget(s.start);
  return owned(doc, decodeFilters(raw, d, doc.limits.maxBufferBytes, s.start));
}

/**
 * The stored bytes of a stream whose only filter is /FlateDecode without parameters,
 * when they can be had at once (the conditions of streamDataNow); else undefined. For
 * content inflated as it is read. They may be a view into a block of the reader, valid
 * only until it reads other blocks (blocks.ts, `shares`).
 */
export function plainFlateNow(doc: PdfDocument, s: PdfStream): Uint8Array | undefined {
  const d = s.dict;
  const f = d.get('Filter');
  if (doc.encrypted || s.length > doc.limits.maxBufferBytes || !(f instanceof PdfName) || f.name !== 'FlateDecode' ||
      d.get('DecodeParms') !== undefined || d.get('DP') !== undefined || d.get('Length') instanceof PdfRef) {
    return undefined;
  }
  const raw = doc.reader.read(s.start, s.length);
  if (raw instanceof Promise) return undefined;
  doc.budget(s.start);
  return raw;
}

/** The stream's bytes as stored (decrypted), with its filter entries resolved: its own copy. */
export async function rawStream(doc: PdfDocument, s: PdfStream): Promise<Uint8Array> {
  const raw = await storedBytes(doc, s);
  return doc.reader.shares(raw) ? raw.slice() : raw;
}

/** rawStream's bytes, which may be a view into a block of the reader (blocks.ts). */
async function storedBytes(doc: PdfDocument, s: PdfStream): Promise<Uint8Array> {
  doc.budget(s.start);
  if (s.length > doc.limits.maxBufferBytes) {
    throw new AnalysisError('ANALYSIS_LIMIT', 'stream larger than the buffer limit', s.start);
  }
  const read = doc.reader.read(s.start, s.length);
  let raw = read instanceof Promise ? await read : read;
  if (doc.encrypted && !isName(s.dict.get('Type'), 'XRef') && s.num >= 0) {
    if (!doc.decryptor) throw new AnalysisError('ANALYSIS_ENCRYPTED', 'stream is encrypted with a user password', s.start);
    if (!isIdentityCrypt(s.dict)) raw = doc.decryptor.decryptStream(raw, s.num, s.gen);
  }
  const pending = resolveFilterEntries(doc, s);
  if (pending) await pending;
  return raw;
}

/**
 * Filter parameters may be indirect; resolve the few that matter (in place). A promise
 * only when one of them does not parse at once.
 */
function resolveFilterEntries(doc: PdfDocument, s: PdfStream, from = 0): Promise<void> | undefined {
  const d = s.dict;
  for (let i = from; i < FILTER_KEYS.length; i++) {
    const k = FILTER_KEYS[i]!;
    const v = d.get(k);
    if (!(v instanceof PdfRef)) continue;
    const r = doc.resolve(v);
    if (r instanceof Promise) {
      return r.then((value) => {
        d.set(k, value ?? null);
        return resolveFilterEntries(doc, s, i + 1);
      });
    }
    d.set(k, r ?? null);
  }
  return undefined;
}

/**
 * The stored bytes of an unencrypted stream as a series of chunks read straight from the
 * file into one reused buffer (a chunk is valid until the next call; undefined at the
 * end), so a 100 MB image costs 256 KiB of memory instead of 100 MB. undefined when the
 * stream has to be decrypted (then rawStream reads it whole, within the buffer limit).
 */
export async function rawChunks(doc: PdfDocument, s: PdfStream): Promise<(() => Promise<Uint8Array | undefined>) | undefined> {
  if (doc.encrypted || s.num < 0) return undefined;
  const pending = resolveFilterEntries(doc, s);
  if (pending) await pending;
  const source = doc.reader.source;
  const end = Math.min(doc.reader.size, s.start + s.length);
  const buf = new Uint8Array(Math.max(1, Math.min(RAW_CHUNK, end - s.start)));
  let pos = s.start;
  return async () => {
    if (pos >= end) return undefined;
    doc.budget(pos);
    const want = buf.subarray(0, Math.min(buf.length, end - pos));
    let got: number;
    if (source.readInto) got = await source.readInto(pos, want);
    else { const part = await source.read(pos, want.length); want.set(part); got = part.length; }
    if (got <= 0) { pos = end; return undefined; }
    pos += got;
    return buf.subarray(0, got);
  };
}
