// Bytes -> PDF tokens and objects, synchronously over one in-memory window. The window is
// either a slice of the file (then running off its end throws Underflow, and the caller
// reads a larger window and retries) or complete data such as a decoded content stream
// (then running off the end is just the end). Offsets in errors are absolute file offsets.
// Lenient where real files are sloppy (stray ')' or '>', "--5", "1.2.3"), strict about
// progress: every call consumes at least one byte or ends.

import { AnalysisError } from '../errors.ts';
import { hex, latin1 } from './bytes.ts';
import { KEYWORDS, OP_CLOSE_ARRAY, OP_CLOSE_BRACE, OP_CLOSE_DICT, OP_OPEN_BRACE, OP_STRAY } from './keywords.ts';
import { FLAT_KEYS_MAX, PdfDict, PdfName, PdfOp, PdfRef, type PdfString, type PdfObj } from './objects.ts';
import { decoded, readHex, readLiteral } from './strings.ts';

// The byte helpers used to live here; other modules still import them from the lexer.
export { hex, indexOf, lastIndexOf, latin1 } from './bytes.ts';

/** The window ended before the object did; read more and try again. */
export class Underflow extends Error {
  constructor() {
    super('window underflow');
  }
}

// Character classes: 1 = whitespace, 2 = delimiter.
const CLASS = new Uint8Array(256);
for (const c of [0, 9, 10, 12, 13, 32]) CLASS[c] = 1;
for (const c of '()<>[]{}/%') CLASS[c.charCodeAt(0)] = 2;

/** CLASS with '#' marked too (3): where a plain name ends. */
const NAME_CLASS = CLASS.slice();
NAME_CLASS[0x23] = 3;

export function isWhite(c: number): boolean {
  return CLASS[c] === 1;
}
export function isRegular(c: number): boolean {
  return CLASS[c] === 0;
}

/**
 * Names seen lately, by an FNV-1a hash of their bytes: a direct-mapped cache (a slot
 * holds the last name that hashed to it; the bytes are compared, so a collision is only
 * a miss). No Map: its lookups boxed the 32-bit hashes.
 */
const NAME_SLOTS = 4096;
const NAME_CACHE: Array<PdfName | undefined> = new Array<PdfName | undefined>(NAME_SLOTS).fill(undefined);

function sameBytes(s: string, b: Uint8Array, at: number): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== b[at + i]) return false;
  return true;
}

export { SKIPPED_STRING } from './strings.ts';

const MAX_DEPTH = 64;

export class Lexer {
  buf: Uint8Array;
  pos = 0;
  /** Absolute offset of buf[0], for error messages. */
  base: number;
  /** True when buf holds all the data there is (end of buf = end of data). */
  complete: boolean;
  /** Content streams: do not copy string bytes (colour analysis never needs them). */
  skipStrings = false;

  constructor(buf: Uint8Array, base = 0, complete = true) {
    this.buf = buf;
    this.base = base;
    this.complete = complete;
  }

  /** Start over on other data (one lexer serves many objects). */
  reset(buf: Uint8Array, base: number, complete: boolean): void {
    this.buf = buf;
    this.pos = 0;
    this.base = base;
    this.complete = complete;
    this.skipStrings = false;
  }

  get offset(): number {
    return this.base + this.pos;
  }

  private underflow(what: string): never {
    if (!this.complete) throw new Underflow();
    throw new AnalysisError('ANALYSIS_TRUNCATED', `data ends inside ${what}`, this.offset);
  }

  /** Skip whitespace and comments. Returns false at the end of the window. */
  skipSpace(): boolean {
    const b = this.buf;
    let p = this.pos;
    for (;;) {
      while (p < b.length && CLASS[b[p]!] === 1) p++;
      if (p < b.length && b[p] === 0x25 /* % */) {
        while (p < b.length && b[p] !== 10 && b[p] !== 13) p++;
        continue;
      }
      break;
    }
    this.pos = p;
    return p < b.length;
  }

  /** Try to read a number at pos; returns undefined (pos unchanged) if it is not one. */
  readNumber(): number | undefined {
    const b = this.buf;
    let p = this.pos;
    const start = p;
    let neg = false;
    while (p < b.length && (b[p] === 0x2d || b[p] === 0x2b)) { if (b[p] === 0x2d) neg = !neg; p++; }
    let int = 0;
    let digits = 0;
    while (p < b.length && b[p]! >= 0x30 && b[p]! <= 0x39) { int = int * 10 + (b[p]! - 0x30); p++; digits++; }
    let frac = 0;
    let scale = 1;
    if (p < b.length && b[p] === 0x2e) {
      p++;
      while (p < b.length && b[p]! >= 0x30 && b[p]! <= 0x39) {
        if (scale < 1e15) { frac = frac * 10 + (b[p]! - 0x30); scale *= 10; }
        p++; digits++;
      }
      // "1.2.3": swallow the junk tail like most readers do.
      while (p < b.length && (b[p] === 0x2e || (b[p]! >= 0x30 && b[p]! <= 0x39))) p++;
    }
    if (digits === 0) return undefined;
    if (p === b.length && !this.complete) throw new Underflow();
    if (p < b.length && CLASS[b[p]!] === 0) {
      // Not followed by a delimiter: something like "12abc" is not a number.
      this.pos = start;
      return undefined;
    }
    this.pos = p;
    // Integers (object numbers, offsets, lengths: most numbers here) without float arithmetic.
    if (scale === 1) return neg ? -int : int;
    const v = int + frac / scale;
    return neg ? -v : v;
  }

  private name(): PdfName {
    const b = this.buf;
    const len = b.length;
    const start = this.pos + 1; // after '/'
    let p = start;
    let h = 0x811c9dc5;
    // One table read per byte: NAME_CLASS is 0 for the regular characters of a plain name,
    // and non-zero at its end or at a '#' escape.
    while (p < len) {
      const c = b[p]!;
      if (NAME_CLASS[c] !== 0) break;
      h = ((h << 5) | (h >>> 27)) ^ c; // rotate and xor: Maglev makes Math.imul a call
      p++;
    }
    let escaped = false;
    if (p < len && b[p] === 0x23) {
      escaped = true;
      while (p < len && CLASS[b[p]!] === 0) p++;
    }
    if (p === len && !this.complete) throw new Underflow();
    this.pos = p;
    // Most names are plain and seen before: find them by a hash of their bytes without
    // building a string.
    if (!escaped) {
      const slot = h & (NAME_SLOTS - 1);
      const known = NAME_CACHE[slot];
      if (known !== undefined && known.name.length === p - start && sameBytes(known.name, b, start)) return known;
      const n = PdfName.of(latin1(b, start, p));
      NAME_CACHE[slot] = n;
      return n;
    }
    let s = '';
    let from = start;
    for (let i = start; i < p; i++) {
      if (b[i] === 0x23 && i + 2 < p && hex(b[i + 1]!) >= 0 && hex(b[i + 2]!) >= 0) {
        s += latin1(b, from, i) + String.fromCharCode(hex(b[i + 1]!) * 16 + hex(b[i + 2]!));
        i += 2;
        from = i + 1;
      }
    }
    return PdfName.of(s + latin1(b, from, p));
  }

  private literalString(): PdfString {
    const end = readLiteral(this.buf, this.pos, this.skipStrings);
    if (end < 0) return this.underflow('a string');
    this.pos = end;
    return decoded.value;
  }

  private hexString(): PdfString {
    const end = readHex(this.buf, this.pos, this.skipStrings);
    if (end < 0) return this.underflow('a hex string');
    this.pos = end;
    return decoded.value;
  }

  /**
   * Read one object. Keywords come back as PdfOp (including "R", "obj", "stream", "]",
   * ">>" when unbalanced). Indirect references `N G R` are folded when `refs` is true.
   * Returns undefined at the end of the data.
   */
  next(refs = true, depth = 0): PdfObj | PdfOp | undefined {
    const b = this.buf;
    // Skip whitespace and comments (a call only when there are any).
    if (this.pos >= b.length || CLASS[b[this.pos]!] === 1 || b[this.pos] === 0x25) {
      if (!this.skipSpace()) {
        if (!this.complete) throw new Underflow();
        return undefined;
      }
    }
    const c = b[this.pos]!;
    if (c >= 0x30 && c <= 0x39) {
      const v = this.plainNumberOrRef(refs);
      if (v !== undefined) return v;
    }
    switch (c) {
      case 0x2f: return this.name();
      case 0x28: return this.literalString();
      case 0x5b: { // [
        this.pos++;
        if (depth > MAX_DEPTH) throw new AnalysisError('ANALYSIS_MALFORMED', 'objects nested too deeply', this.offset);
        // Elements go on the shared stack, then into an array of exactly their number.
        if (depth === 0) top = 0; // left over from a parse cut short by an exception
        const start = top;
        for (;;) {
          const before = this.pos;
          // Numbers, references and names, most elements, read directly (what next()
          // would return for them, without its dispatch and the keyword test below).
          let p = before;
          while (p < b.length && CLASS[b[p]!] === 1) p++;
          if (p < b.length) {
            const e = b[p]!;
            if (e === 0x2f) { this.pos = p; push(this.name()); continue; }
            if (e >= 0x30 && e <= 0x39) {
              this.pos = p;
              const n = this.plainNumberOrRef(refs);
              if (n !== undefined) { push(n); continue; }
            }
          }
          const v = this.next(refs, depth + 1);
          if (v === undefined) return this.underflow('an array');
          if (v instanceof PdfOp) {
            if (v.op === ']') {
              const arr = STACK.slice(start, top) as PdfObj[];
              top = start;
              if (start === 0) release();
              return arr;
            }
            if (v.op === '>>' || v.op === '}' || v.op === '{') continue; // stray delimiter
            // Other keywords inside arrays (e.g. "null" handled already): keep nothing.
            if (this.pos === before) this.pos++;
            continue;
          }
          push(v);
        }
      }
      case 0x5d: this.pos++; return OP_CLOSE_ARRAY;
      case 0x3c: // < or <<
        if (this.pos + 1 >= b.length) return this.underflow('a dictionary');
        if (b[this.pos + 1] === 0x3c) {
          this.pos += 2;
          return this.dict(refs, depth);
        }
        return this.hexString();
      case 0x3e: // >> or stray >
        if (this.pos + 1 < b.length && b[this.pos + 1] === 0x3e) { this.pos += 2; return OP_CLOSE_DICT; }
        this.pos++;
        return OP_STRAY;
      case 0x7b: this.pos++; return OP_OPEN_BRACE;
      case 0x7d: this.pos++; return OP_CLOSE_BRACE;
      case 0x29: this.pos++; return OP_STRAY;
      default: break;
    }
    if (c === 0x2b || c === 0x2d || c === 0x2e || (c >= 0x30 && c <= 0x39)) {
      const start = this.pos;
      const n = this.readNumber();
      if (n !== undefined) {
        if (refs && Number.isInteger(n) && n >= 0) {
          // Look ahead for "G R" without consuming if it is not there.
          const save = this.pos;
          try {
            this.skipSpace();
            const g = this.readNumber();
            if (g !== undefined && Number.isInteger(g) && g >= 0) {
              this.skipSpace();
              if (this.pos < b.length && b[this.pos] === 0x52 /* R */ &&
                  (this.pos + 1 >= b.length ? this.complete : CLASS[b[this.pos + 1]!] !== 0)) {
                this.pos++;
                return new PdfRef(n, g);
              }
            }
          } catch (e) {
            if (!(e instanceof Underflow)) throw e;
            this.pos = start;
            throw e;
          }
          this.pos = save;
        }
        return n;
      }
      this.pos = start;
    }
    return this.keyword();
  }

  /**
   * The common number forms without the general machinery: plain digits at pos followed by
   * whitespace or a delimiter, and, when `refs`, the reference "digits digits R" separated
   * by spaces or line ends. undefined (pos unchanged) for anything else or anything near
   * the window's end: the general path then decides, with the same result.
   */
  private plainNumberOrRef(refs: boolean): number | PdfRef | undefined {
    const b = this.buf;
    const len = b.length;
    const s = this.pos;
    let p = s;
    let n = 0;
    while (p < len) {
      const c = b[p]!;
      if (c < 0x30 || c > 0x39) break;
      n = n * 10 + (c - 0x30);
      p++;
    }
    if (p >= len || p - s > 15 || CLASS[b[p]!] === 0) return undefined; // "1.5", "12abc", the end
    if (!refs) { this.pos = p; return n; }
    // "n 0 R", nearly every reference, without the loops below (their entries and exits
    // cost V8's mid tier more than the bytes); the same answer as they give.
    if (p + 4 < len && b[p] === 0x20 && b[p + 1] === 0x30 && b[p + 2] === 0x20 && b[p + 3] === 0x52) {
      if (CLASS[b[p + 4]!] === 0) { this.pos = p; return n; } // "Rx" is no reference
      this.pos = p + 4;
      return new PdfRef(n, 0);
    }
    // Is "n g R" ahead?
    let q = p;
    while (q < len && (b[q] === 0x20 || b[q] === 0x0a || b[q] === 0x0d)) q++;
    if (q >= len) return undefined;
    let c = b[q]!;
    if (c < 0x30 || c > 0x39) {
      // Not a generation: n is a number, unless what follows is what the general lookahead
      // reads differently (other whitespace, a comment, a signed or fractional number).
      if (CLASS[c] === 1 || c === 0x25 || c === 0x2b || c === 0x2d || c === 0x2e) return undefined;
      this.pos = p;
      return n;
    }
    const gs = q;
    let g = 0;
    while (q < len) {
      c = b[q]!;
      if (c < 0x30 || c > 0x39) break;
      g = g * 10 + (c - 0x30);
      q++;
    }
    if (q >= len || q - gs > 15 || CLASS[b[q]!] === 0) return undefined;
    while (q < len && (b[q] === 0x20 || b[q] === 0x0a || b[q] === 0x0d)) q++;
    if (q + 1 >= len) return undefined;
    c = b[q]!;
    if (c === 0x52 /* R */) {
      if (CLASS[b[q + 1]!] === 0) { this.pos = p; return n; } // "Rx" is no reference
      this.pos = q + 1;
      return new PdfRef(n, g);
    }
    if (CLASS[c] === 1 || c === 0x25) return undefined;
    this.pos = p;
    return n;
  }

  /** A keyword at pos: true, false, null, or an operator (the common ones without a new string or object). */
  private keyword(): PdfObj | PdfOp {
    const b = this.buf;
    const s = this.pos;
    let p = s;
    while (p < b.length && CLASS[b[p]!] === 0) p++;
    if (p === b.length && !this.complete) throw new Underflow();
    if (p === s) { this.pos++; return OP_STRAY; }
    this.pos = p;
    for (let i = 0; i < KEYWORDS.length; i++) {
      const k = KEYWORDS[i]!;
      if (k.text.length === p - s && sameBytes(k.text, b, s)) return k.value;
    }
    return new PdfOp(latin1(b, s, p));
  }

  private dict(refs: boolean, depth: number): PdfDict {
    if (depth > MAX_DEPTH) throw new AnalysisError('ANALYSIS_MALFORMED', 'objects nested too deeply', this.offset);
    if (depth === 0) top = 0; // left over from a parse cut short by an exception
    const start = top;
    // Past FLAT_KEYS_MAX keys the entries move to a Map (unique keys without a quadratic search).
    let big: Map<string, PdfObj> | undefined;
    const b = this.buf;
    for (;;) {
      // The key: a name or the closing >> read here after plain whitespace; anything else
      // (comments too) through next().
      let p = this.pos;
      while (p < b.length && CLASS[b[p]!] === 1) p++;
      this.pos = p;
      let key: string;
      if (p < b.length && b[p] === 0x2f) key = this.name().name;
      else if (p + 1 < b.length && b[p] === 0x3e && b[p + 1] === 0x3e) { this.pos = p + 2; return finish(start, big); }
      else {
        const k = this.next(refs, depth + 1);
        if (k === undefined) return this.underflow('a dictionary');
        if (k instanceof PdfOp) {
          if (k.op === '>>') return finish(start, big);
          // A keyword such as "endobj" or "stream" before ">>": the dictionary is broken.
          // Stop here and leave the keyword for the caller.
          if (k.op === 'endobj' || k.op === 'stream' || k.op === 'obj' || k.op === 'endstream') {
            this.pos -= k.op.length;
            return finish(start, big);
          }
          continue;
        }
        if (!(k instanceof PdfName)) continue; // junk where a key should be
        key = k.name;
      }
      // The value: a name, number or reference (most values) read directly, as next()
      // would read it. V8's mid tier compiles `instanceof` of an imported class as a call,
      // and this spared about 200,000 of them over the 17 bench manuals.
      p = this.pos;
      while (p < b.length && CLASS[b[p]!] === 1) p++;
      let v: PdfObj | undefined;
      if (p < b.length) {
        const c = b[p]!;
        if (c === 0x2f) { this.pos = p; v = this.name(); }
        else if (c >= 0x30 && c <= 0x39) { this.pos = p; v = this.plainNumberOrRef(refs); }
      }
      if (v === undefined) {
        const w = this.next(refs, depth + 1);
        if (w === undefined) return this.underflow('a dictionary');
        if (w instanceof PdfOp) {
          if (w.op === '>>') { big = put(start, big, key, null); return finish(start, big); }
          continue;
        }
        v = w;
      }
      // put() inline for the usual case: a new key in a small dictionary (calls cost the
      // mid tier more than this loop).
      let i = start;
      if (big === undefined) while (i < top && STACK[i] !== key) i += 2;
      if (big === undefined && i === top && top - start < 2 * FLAT_KEYS_MAX && top + 1 < STACK.length) {
        STACK[top] = key;
        STACK[top + 1] = v;
        top += 2;
      } else {
        big = put(start, big, key, v);
      }
    }
  }
}

/**
 * The elements of the arrays and dictionaries being parsed, innermost last, up to `top`:
 * one stack for every lexer (parsing is synchronous), so a composite object costs one
 * allocation of its exact size instead of a growing array or a Map.
 */
const STACK: Array<string | PdfObj> = [];
let top = 0;
/** Entries the stack keeps between objects (its usual high-water mark is a few hundred). */
const STACK_KEEP = 1 << 14;

function push(v: string | PdfObj): void {
  if (top < STACK.length) STACK[top] = v;
  else STACK.push(v);
  top++;
}

/** Set key to v in the dictionary being parsed from STACK[start] (or in `big`); the later value of a repeated key wins. */
function put(start: number, big: Map<string, PdfObj> | undefined, key: string, v: PdfObj): Map<string, PdfObj> | undefined {
  if (big !== undefined) { big.set(key, v); return big; }
  for (let i = start; i < top; i += 2) if (STACK[i] === key) { STACK[i + 1] = v; return undefined; }
  if (top - start < 2 * FLAT_KEYS_MAX) { push(key); push(v); return undefined; }
  const m = new Map<string, PdfObj>();
  for (let i = start; i < top; i += 2) m.set(STACK[i] as string, STACK[i + 1] as PdfObj);
  m.set(key, v);
  top = start;
  return m;
}

function finish(start: number, big: Map<string, PdfObj> | undefined): PdfDict {
  let d: PdfDict;
  if (big !== undefined) {
    d = new PdfDict(big);
  } else {
    d = new PdfDict(undefined, STACK.slice(start, top));
  }
  top = start;
  if (start === 0) release();
  return d;
}

/** After a top-level object: a stack grown large by a huge array is let go, not kept for good. */
function release(): void {
  if (STACK.length > STACK_KEEP) STACK.length = 0;
}
