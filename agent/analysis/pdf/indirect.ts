// One indirect object as stored in the file, "num gen obj <value> [stream", read from a
// window of bytes; and the decryption of the strings inside a parsed object.

import { AnalysisError } from '../errors.ts';
import type { Decryptor } from './crypto.ts';
import { ascii, indexOf } from './bytes.ts';
import { Lexer, Underflow } from './lexer.ts';
import { nameOf, PdfDict, PdfOp, PdfString, type PdfObj } from './objects.ts';

export interface Parsed {
  num: number;
  gen: number;
  value: PdfObj;
  /** Absolute offset of the stream data when the object is a stream, else -1. */
  streamStart: number;
}

/**
 * "num gen obj <value> [stream]" at win[at] (win[0] is at file offset `base`), read with
 * `lx` (reset here); Underflow when the window is cut short.
 */
export function parseWindow(lx: Lexer, win: Uint8Array, at: number, base: number, complete: boolean): Parsed {
  lx.reset(win, base, complete);
  lx.pos = at;
  const num = lx.next(false);
  const gen = lx.next(false);
  const kw = lx.next(false);
  if (typeof num !== 'number' || typeof gen !== 'number' || !(kw instanceof PdfOp) || kw.op !== 'obj') {
    throw new AnalysisError('ANALYSIS_MALFORMED', 'expected "N G obj"', base + at);
  }
  let value = lx.next(true);
  if (value === undefined || value instanceof PdfOp) value = null; // "1 0 obj endobj"
  let streamStart = -1;
  lx.skipSpace();
  if (value instanceof PdfDict && win[lx.pos] === 0x73 && indexOf(win, 'stream', lx.pos, lx.pos + 6) === lx.pos) {
    let p = lx.pos + 6;
    if (p >= win.length && !complete) throw new Underflow();
    if (win[p] === 0x0d) p++;
    if (win[p] === 0x0a) p++;
    streamStart = base + p;
  }
  return { num, gen, value, streamStart };
}

/** A stream whose first filter is /Crypt (then it is not decrypted by the default method). */
export function isIdentityCrypt(d: PdfDict): boolean {
  const f = d.get('Filter');
  const first = Array.isArray(f) ? f[0] : f;
  return nameOf(first) === 'Crypt';
}

/** Decrypt every string inside object `num gen` in place. */
export function decryptStrings(o: PdfObj, dec: Decryptor, num: number, gen: number, depth = 0): void {
  if (depth > 64) return;
  if (Array.isArray(o)) {
    for (const v of o) decryptStrings(v, dec, num, gen, depth + 1);
  } else if (o instanceof PdfDict) {
    o.forEach((v) => decryptStrings(v, dec, num, gen, depth + 1));
  } else if (o instanceof PdfString) {
    o.bytes = dec.decryptString(o.bytes, num, gen);
  }
}

// V8 compiles the object parser (parseWindow and the lexer under it) on the first pages
// and throws the code away each time a path not yet seen run is taken: a first hex
// string, a first general number, a first escaped name, a first keyword other than
// "obj", a first value of another kind in the Parsed result. Each came as a recompile.
// Running these paths here, on a few bytes, gives them type feedback first (a function's
// feedback is kept from about its eighth call on: the small objects first, the rest after).
warmUp();

function warmUp(): void {
  const small = ['2 0 obj 5 endobj', '3 0 obj /Name endobj', '4 0 obj [/A 1 0 R] endobj', '5 0 obj (s) endobj',
    '6 0 obj null endobj', '7 0 obj endobj', '8 0 obj <</A 1 endobj'].map(ascii);
  const big = ascii('1 0 obj\n<</Type/Page/A 12 0 R/B[1 -2.5 +.3 3 0 R 4 5 x]/C(a\\)\\n\\101(b))/D<4 8a>/E true/F false' +
    '/G null/H/N#41/I<</X(1)/Y<41>/Z -1>>/J 1.5/K[(2)<42>(3)<43>] % c\n/L 7\n8 R/M[>> } {]/P 7\t8 R/Q 7\t8 x/Len 0>>' +
    '\nstream\r\nendstream');
  const lx = new Lexer(big);
  for (const b of small) parseWindow(lx, b, 0, 0, true);
  parseWindow(lx, big, 0, 0, true);
  parseWindow(lx, big, 0, 0, true);
  for (const b of small) parseWindow(lx, b, 0, 0, true);
}
