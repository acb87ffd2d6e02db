// Reading one number out of a dictionary without building the dictionary. A page of a
// hyperlinked manual carries dozens of link annotations, and all the colour check needs
// of each is its /F flags (only annotations with the Print flag are drawn): parsing every
// one of them whole (a Map, arrays, a nested action dictionary) was a measurable share of
// the time and garbage on such files. The skim accepts only the plain forms; anything
// else (an escaped name, a reference or other value for the key, damage, data cut short)
// answers undefined, and the caller parses the object properly.

import { ascii } from './bytes.ts';

const WHITE = 1;
const DELIM = 2;
const CLASS = new Uint8Array(256);
for (const c of [0, 9, 10, 12, 13, 32]) CLASS[c] = WHITE;
for (const c of '()<>[]{}/%') CLASS[c.charCodeAt(0)] = DELIM;

/** Shallower than the parser's limit, so that what the skim reads the parser reads too. */
const MAX_NEST = 32;

function skipWhite(b: Uint8Array, p: number): number {
  const n = b.length;
  for (;;) {
    while (p < n && CLASS[b[p]!] === WHITE) p++;
    if (p < n && b[p] === 0x25) { // % comment
      while (p < n && b[p] !== 10 && b[p] !== 13) p++;
      continue;
    }
    return p;
  }
}

/** End of a run of regular characters from p. */
function regular(b: Uint8Array, p: number): number {
  while (p < b.length && CLASS[b[p]!] === 0) p++;
  return p;
}

/** An unsigned decimal integer of regular characters at p: [value, end], or undefined. */
function integer(b: Uint8Array, p: number): [number, number] | undefined {
  const e = regular(b, p);
  if (e === p || e - p > 15) return undefined;
  let v = 0;
  for (let i = p; i < e; i++) {
    const d = b[i]! - 0x30;
    if (d < 0 || d > 9) return undefined;
    v = v * 10 + d;
  }
  return [v, e];
}

/** Past a literal string at b[p] === '(' (nesting and escapes); -1 when cut short. */
function skipString(b: Uint8Array, p: number): number {
  let depth = 0;
  while (p < b.length) {
    const c = b[p++]!;
    if (c === 0x5c) p++;
    else if (c === 0x28) depth++;
    else if (c === 0x29 && --depth === 0) return p;
  }
  return -1;
}

/** Past an array or dictionary at p (strings inside respected); -1 when cut short, too deep or commented. */
function skipComposite(b: Uint8Array, p: number): number {
  let depth = 0;
  while (p < b.length) {
    const c = b[p]!;
    if (c === 0x28) { p = skipString(b, p); if (p < 0) return -1; continue; }
    if (c === 0x25) return -1; // a comment inside: leave it to the parser
    if (c === 0x5b || (c === 0x3c && b[p + 1] === 0x3c)) {
      if (++depth > MAX_NEST) return -1;
      p += c === 0x5b ? 1 : 2;
    } else if (c === 0x5d || (c === 0x3e && b[p + 1] === 0x3e)) {
      p += c === 0x5d ? 1 : 2;
      if (--depth === 0) return p;
    } else {
      p++;
    }
  }
  return -1;
}

/**
 * The value of the top-level entry `key` (ASCII, without '/') of the dictionary starting
 * at b[pos] (after whitespace): a number when it is a plain unsigned integer, null when the
 * dictionary has no such key, undefined when that cannot be told plainly. With duplicate
 * keys the last one counts, as in the parser.
 */
export function dictInteger(b: Uint8Array, pos: number, key: string): number | null | undefined {
  let p = skipWhite(b, pos);
  if (b[p] !== 0x3c || b[p + 1] !== 0x3c) return undefined;
  p += 2;
  let found: number | null = null;
  for (;;) {
    p = skipWhite(b, p);
    if (p + 1 >= b.length) return undefined;
    if (b[p] === 0x3e && b[p + 1] === 0x3e) return found;
    if (b[p] !== 0x2f) return undefined;
    // The key: only names without # escapes, so that their bytes are their text.
    const ks = p + 1;
    const ke = regular(b, ks);
    for (let i = ks; i < ke; i++) if (b[i] === 0x23) return undefined;
    let mine = ke - ks === key.length;
    for (let i = 0; mine && i < key.length; i++) mine = b[ks + i] === key.charCodeAt(i);
    p = skipWhite(b, ke);
    if (p >= b.length) return undefined;
    const c = b[p]!;
    if (c >= 0x30 && c <= 0x39) {
      const num = integer(b, p);
      // A number followed by "G R" is a reference.
      let q = num ? skipWhite(b, num[1]) : -1;
      const gen = num && q < b.length ? integer(b, q) : undefined;
      if (gen) {
        q = skipWhite(b, gen[1]);
        if (q >= b.length) return undefined;
        if (b[q] === 0x52 && (q + 1 >= b.length || CLASS[b[q + 1]!] !== 0)) {
          if (mine) return undefined;
          p = q + 1;
          continue;
        }
      }
      if (mine) {
        if (!num) return undefined;
        found = num[0];
      }
      p = regular(b, p);
      continue;
    }
    if (mine) return undefined; // any other kind of value: parse properly
    if (c === 0x2f) p = regular(b, p + 1);
    else if (c === 0x28) p = skipString(b, p);
    else if (c === 0x5b || (c === 0x3c && b[p + 1] === 0x3c)) p = skipComposite(b, p);
    else if (c === 0x3c) { while (p < b.length && b[p] !== 0x3e) p++; p = p < b.length ? p + 1 : -1; }
    else if (c === 0x2d || c === 0x2b || c === 0x2e) p = regular(b, p + 1);
    else if (CLASS[c] === 0) {
      const e = regular(b, p);
      const w = e - p;
      // true, false, null; another keyword means damage.
      const ok = (w === 4 && ((b[p] === 0x74 && b[p + 1] === 0x72) || (b[p] === 0x6e && b[p + 1] === 0x75))) || (w === 5 && b[p] === 0x66 && b[p + 1] === 0x61);
      if (!ok) return undefined;
      p = e;
    } else {
      return undefined;
    }
    if (p < 0) return undefined;
  }
}

/** Past "num gen obj" at b[p] when it names object `num`, else -1. */
export function objectHeader(b: Uint8Array, p: number, num: number): number {
  const n = integer(b, skipWhite(b, p));
  if (!n || n[0] !== num) return -1;
  const g = integer(b, skipWhite(b, n[1]));
  if (!g) return -1;
  const k = skipWhite(b, g[1]);
  if (b[k] !== 0x6f || b[k + 1] !== 0x62 || b[k + 2] !== 0x6a || (k + 3 < b.length && CLASS[b[k + 3]!] === 0)) return -1;
  return k + 3;
}

// The annotation skim is compiled on the first link-heavy pages; a path first taken after
// that (a reference value, a nested dictionary, an array) threw its code away. A few
// runs here on a typical link annotation give those paths type feedback first (a
// function's feedback is kept from about its eighth call on).
warmUp();

function warmUp(): void {
  const text = '5 0 obj <</Type/Annot/Subtype/Link/P 3 0 R/Rect[1 2.5 3 4]/Border[0 0 0]/A<</S/URI/URI(a\\)b)>>' +
    '/H/I/C<ff>/M -1/T true/Z null/F 4>>';
  const b = ascii(text);
  const plain = ascii('5 0 obj <</F 4>>');
  for (let i = 0; i < 8; i++) dictInteger(plain, objectHeader(plain, 0, 5), 'F');
  dictInteger(b, objectHeader(b, 0, 5), 'F');
  dictInteger(b, objectHeader(b, 0, 5), 'Q');
}
