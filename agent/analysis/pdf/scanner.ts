// A fast content-stream tokenizer for colour analysis. It never builds objects: numeric
// operands go into a Float64Array, the last name operand is kept as a byte range, and
// strings, arrays and dictionaries (text, TJ arrays, marked-content properties) are
// skipped with their nesting and escapes respected. Operators come back as small integer
// codes (see op()). This is the hot loop of PDF analysis; the general Lexer is used only
// for inline image dictionaries.

import { AnalysisError } from '../errors.ts';

// Byte classes: 1 whitespace, 2 delimiter, 0 regular.
const CLASS = new Uint8Array(256);
for (const c of [0, 9, 10, 12, 13, 32]) CLASS[c] = 1;
for (const c of '()<>[]{}/%') CLASS[c.charCodeAt(0)] = 2;

/** Operator code: length in the top byte, up to three characters below it. */
export function op(s: string): number {
  let v = s.length << 24;
  for (let i = 0; i < Math.min(3, s.length); i++) v |= s.charCodeAt(i) << (8 * i);
  return v;
}

const MAX_NUMS = 64;

// Tokens as walk() goes over them that cannot hold nesting, for walkText(): a string
// without parentheses inside (escapes taken as walk() takes them: the byte after a
// backslash, whatever it is), an array of such strings and other bytes but no '[', a
// comment with its line end (one cut by the text's end is left to walk()), a hex
// string, and every other byte alone (whitespace, regular bytes, the
// delimiters walk() passes over one by one). Written as "unrolled loops" (a run of plain
// bytes, then any number of one special token followed by a run of plain bytes), where
// every byte can be taken only one way: no backtracking beyond one token when a token
// does not match (it is then left to walk()), and runs of plain bytes are native loops.
// At most 1024 tokens per match bound the RegExp's backtracking stack.
const FLAT_STRING = String.raw`\([^()\\]*(?:\\[^][^()\\]*)*\)`;
const FLAT_ARRAY = String.raw`\[[^[\](]*(?:${FLAT_STRING}[^[\](]*)*\]`;
const FLAT = new RegExp(String.raw`[^[(%<]*(?:(?:${FLAT_ARRAY}|${FLAT_STRING}|%[^\r\n]*[\r\n]|<(?!<)[^>]*>)[^[(%<]*){0,1024}`, 'y');
const MAX_NEST = 256;

export class ContentScanner {
  buf: Uint8Array;
  pos = 0;
  /** Absolute offset of buf[0] (for errors). */
  base: number;
  /** Numeric operands of the coming operator. */
  readonly nums = new Float64Array(MAX_NUMS);
  count = 0;
  /** Byte range of the last name operand (after the '/'); nameStart < 0 when none. */
  nameStart = -1;
  nameEnd = -1;
  /** Byte range of the first name operand (the tag of BDC). */
  firstNameStart = -1;
  firstNameEnd = -1;
  /** Start of the current operator keyword, for error messages. */
  opStart = 0;
  /**
   * Whether buf holds the whole content. When false (content inflated as it is read), a
   * keyword that reaches the end of buf may continue beyond it: next() returns 0 there,
   * like at the end, and the caller resumes after the last operator with more data.
   */
  final = true;
  private readonly names = new Map<number, string>();

  constructor(buf: Uint8Array, base: number) {
    this.buf = buf;
    this.base = base;
  }

  /** Start over on other data, keeping the interned names (a scanner is reused per depth). */
  use(buf: Uint8Array, base: number): this {
    this.buf = buf;
    this.base = base;
    this.pos = 0;
    this.opStart = 0;
    this.final = true;
    this.reset();
    return this;
  }

  /** The last name operand as text, or undefined. Interned: no string per call. */
  name(): string | undefined {
    if (this.nameStart < 0) return undefined;
    const b = this.buf;
    const start = this.nameStart;
    const end = this.nameEnd;
    // Rotate and xor: Maglev compiles Math.imul (FNV) as a call per byte.
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = ((h << 5) | (h >>> 27)) ^ b[i]!;
    const known = this.names.get(h);
    if (known !== undefined && known.length === end - start && sameBytes(known, b, start)) return known;
    let s = '';
    for (let i = start; i < end; i++) {
      const c = b[i]!;
      if (c === 0x23 && i + 2 < end) {
        const v = parseInt(String.fromCharCode(b[i + 1]!, b[i + 2]!), 16);
        if (!Number.isNaN(v)) { s += String.fromCharCode(v); i += 2; continue; }
      }
      s += String.fromCharCode(c);
    }
    // Only names without # escapes are interned (their text equals their bytes).
    if (s.length === end - start && this.names.size < 4096) this.names.set(h, s);
    return s;
  }

  /**
   * Advance to the next operator, collecting its operands. Returns its code, or 0 at the
   * end of the data. Operands are reset by the caller via reset().
   */
  next(): number {
    const b = this.buf;
    const n = b.length;
    let p = this.pos;
    // Each byte is loaded once (`c`, `d`: -1 past the end): Maglev checks every load of a
    // typed array (detached buffer, bounds) at some ten instructions, and keeps no loaded
    // byte for the next test of the same one.
    for (;;) {
      let c = -1;
      while (p < n) { c = b[p]!; if (CLASS[c] !== 1) break; p++; }
      if (p >= n) { this.pos = p; return 0; }
      if ((c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0x2b) {
        // A number, read here rather than in a method of its own (a call per number cost
        // about as much as reading it). Junk glued to a number ("1.2.3", "5abc"): the whole
        // word is skipped. (forward.ts reads numbers back with the same arithmetic.)
        let d = c;
        let neg = false;
        while (d === 0x2d || d === 0x2b) { if (d === 0x2d) neg = !neg; d = ++p < n ? b[p]! : -1; }
        let v = 0;
        let digits = 0;
        while (d >= 0x30 && d <= 0x39) { v = v * 10 + (d - 0x30); digits++; d = ++p < n ? b[p]! : -1; }
        if (d === 0x2e) {
          d = ++p < n ? b[p]! : -1;
          let scale = 0.1;
          while (d >= 0x30 && d <= 0x39) { v += (d - 0x30) * scale; scale *= 0.1; digits++; d = ++p < n ? b[p]! : -1; }
        }
        while (d >= 0 && CLASS[d] === 0) d = ++p < n ? b[p]! : -1;
        if (digits > 0 && this.count < MAX_NUMS) this.nums[this.count++] = neg ? -v : v;
        continue;
      }
      switch (c) {
        case 0x2f: { // name
          let e = p + 1;
          while (e < n && CLASS[b[e]!] === 0) e++;
          if (this.nameStart < 0) { this.firstNameStart = p + 1; this.firstNameEnd = e; }
          this.nameStart = p + 1;
          this.nameEnd = e;
          p = e;
          continue;
        }
        case 0x25: while (p < n && b[p] !== 10 && b[p] !== 13) p++; continue;
        case 0x28: p = this.skipString(p); continue;
        case 0x5b: p = this.skipNested(p, 0x5b, 0x5d); continue;
        case 0x3c:
          if (b[p + 1] === 0x3c) p = this.skipDict(p);
          else { while (p < n && b[p] !== 0x3e) p++; p++; }
          continue;
        case 0x5d: case 0x3e: case 0x29: case 0x7b: case 0x7d: p++; continue; // strays
        default: break;
      }
      // A keyword (c is a regular byte: every delimiter has its case above).
      let e = p;
      let code = 0;
      for (let d = c; CLASS[d] === 0;) {
        if (e - p < 3) code |= d << (8 * (e - p));
        if (++e >= n) break;
        d = b[e]!;
      }
      if (e >= n && !this.final) { this.pos = e; return 0; }
      this.opStart = p;
      this.pos = e;
      return ((e - p) << 24) | code;
    }
  }

  /**
   * Go over whole tokens from `from` (a token boundary) as next() would read them, to at
   * least `to`, collecting nothing: the position reached, or -1 where next() would throw
   * that operands are nested too deeply (its only error). For the gray fast-forward
   * (forward.ts), which must know that reading there would not fail. Every byte outside
   * strings, arrays, hex strings, dictionaries and comments is whitespace, a delimiter
   * that next() passes over alone ('/' of a name, strays) or part of a run of regular
   * bytes that next() reads whole (a number, a name, a keyword): byte by byte here.
   */
  walk(from: number, to: number): number {
    const b = this.buf;
    const n = b.length;
    let p = from;
    try {
      while (p < to && p < n) {
        const c = b[p]!;
        if (CLASS[c] !== 2) { p++; continue; }
        switch (c) {
          case 0x5b: p = this.skipNested(p, 0x5b, 0x5d); break;
          case 0x28: p = this.skipString(p); break;
          case 0x25: while (p < n && b[p] !== 10 && b[p] !== 13) p++; break;
          case 0x3c:
            if (b[p + 1] === 0x3c) p = this.skipDict(p);
            else { while (p < n && b[p] !== 0x3e) p++; p++; }
            break;
          default: p++; break;
        }
      }
    } catch (e) {
      if (e instanceof AnalysisError) return -1;
      throw e;
    }
    return p;
  }

  /**
   * walk(from, to) with the content also at hand as a latin1 string (`text`, whose first
   * character is the byte at `textStart`; it may end before the buffer does). The runs of
   * tokens that cannot nest (see FLAT) are passed over natively, by one RegExp, and only
   * the tokens it does not take (nested arrays and strings, dictionaries, tokens cut at
   * the text's end) go through walk() one by one: -1 exactly where walk() answers -1, else
   * a position at or after `to` (not always the one walk() gives: tokens that cannot fail
   * may be passed over beyond `to`). The JS walk costs some 50 instructions a byte, the
   * RegExp a few: on the benchmark manuals 40 gray pages walk 1.37 MB.
   */
  walkText(text: string, textStart: number, from: number, to: number): number {
    const n = this.buf.length;
    const end = textStart + text.length;
    let p = from;
    while (p < to && p < n) {
      if (p >= textStart && p < end) {
        FLAT.lastIndex = p - textStart;
        FLAT.test(text);
        p = textStart + FLAT.lastIndex;
        if (p >= to || p >= n) break;
      }
      // One token the RegExp did not take.
      p = this.walk(p, p + 1);
      if (p < 0) return -1;
    }
    return p;
  }

  reset(): void {
    this.count = 0;
    this.nameStart = -1;
    this.firstNameStart = -1;
  }

  /** Whether the first name operand is exactly `s` (ASCII). */
  firstNameIs(s: string): boolean {
    if (this.firstNameStart < 0 || this.firstNameEnd - this.firstNameStart !== s.length) return false;
    for (let i = 0; i < s.length; i++) if (this.buf[this.firstNameStart + i] !== s.charCodeAt(i)) return false;
    return true;
  }

  private skipString(start: number): number {
    const b = this.buf;
    const n = b.length;
    let depth = 1;
    let p = start + 1;
    while (p < n) {
      const c = b[p++]!;
      // Only three bytes matter inside a string; test the common case first.
      if (c > 0x5c || (c !== 0x5c && c !== 0x28 && c !== 0x29)) continue;
      if (c === 0x5c) p++;
      else if (c === 0x28) depth++;
      else if (--depth === 0) return p;
    }
    return n;
  }

  /** Skip [ ... ] (TJ arrays and the like) with strings and nesting inside. */
  private skipNested(start: number, open: number, close: number): number {
    const b = this.buf;
    const n = b.length;
    let depth = 1;
    let p = start + 1;
    while (p < n) {
      const c = b[p]!;
      if (c === 0x28) {
        // An inlined string skip: TJ arrays are mostly strings.
        let sd = 1;
        p++;
        while (p < n) {
          const d = b[p++]!;
          if (d > 0x5c || (d !== 0x5c && d !== 0x28 && d !== 0x29)) continue;
          if (d === 0x5c) p++;
          else if (d === 0x28) sd++;
          else if (--sd === 0) break;
        }
        continue;
      }
      p++;
      if (c === open) { if (++depth > MAX_NEST) throw this.nesting(p); }
      else if (c === close && --depth === 0) return p;
    }
    return n;
  }

  private skipDict(start: number): number {
    const b = this.buf;
    const n = b.length;
    let depth = 0;
    for (let p = start; p < n;) {
      const c = b[p]!;
      if (c === 0x28) { p = this.skipString(p); continue; }
      if (c === 0x3c && b[p + 1] === 0x3c) { if (++depth > MAX_NEST) throw this.nesting(p); p += 2; continue; }
      if (c === 0x3e && b[p + 1] === 0x3e) { p += 2; if (--depth === 0) return p; continue; }
      p++;
    }
    return n;
  }

  private nesting(p: number): AnalysisError {
    return new AnalysisError('ANALYSIS_MALFORMED', 'content operands nested too deeply', this.base + p);
  }
}

function sameBytes(s: string, b: Uint8Array, at: number): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== b[at + i]) return false;
  return true;
}

// V8 compiles next() on the first pages and throws the code away each time a path not yet
// seen run is taken (a site without type feedback): the end of the data, a string or a
// hex string outside an array, a keyword cut at the end of a piece... each came as a
// recompile. Running every path once here, on a few bytes, gives them feedback first.
warmUp();

function warmUp(): void {
  const text = '1 -2.5 +.3 5x /N#41 (s\\)(x)) [(a\\))1[2]] <</A<<>>(>>)>> <ab> % c\n ] ) { } Tj\r%\nq';
  const b = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) b[i] = text.charCodeAt(i);
  const sc = new ContentScanner(b, 0);
  for (let round = 0; round < 4; round++) {
    sc.use(b, 0);
    sc.final = round % 2 === 0;
    while (sc.next() !== 0) { sc.name(); sc.firstNameIs('N'); sc.reset(); }
    sc.walk(0, b.length);
  }
  // walk() runs on the pages whose content holds hundreds of '[': the deep case once too.
  const deep = new Uint8Array(300).fill(0x5b);
  sc.use(deep, 0);
  for (let round = 0; round < 3; round++) sc.walk(0, deep.length);
}
