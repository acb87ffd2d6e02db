// PDF string syntax (ISO 32000 7.3.4) for the Lexer: literal strings, with their escapes,
// line continuations and balanced parentheses, and hex strings. The value is decoded into
// bytes of its own (never a view into the file's blocks, which are reused: blocks.ts).
// Each reader returns the position after the string, or -1 when the data ends first
// (the Lexer then reports an underflow or the end, as for any object), and leaves the
// value in `decoded` (no result object per string).

import { hex } from './bytes.ts';
import { PdfString } from './objects.ts';

/** A string placeholder used when the caller asked not to materialise string contents. */
export const SKIPPED_STRING = new PdfString(new Uint8Array(0));

/** The last string read (SKIPPED_STRING when skipping). */
export const decoded = { value: SKIPPED_STRING };

/** The literal string whose '(' is at `start`; `skip`: find its end only. */
export function readLiteral(b: Uint8Array, start: number, skip: boolean): number {
  let p = start + 1;
  let depth = 1;
  const out: number[] = [];
  while (p < b.length) {
    const c = b[p++]!;
    if (c === 0x5c /* \ */) {
      if (p >= b.length) break;
      const e = b[p++]!;
      if (skip) continue;
      switch (e) {
        case 0x6e: out.push(10); break;
        case 0x72: out.push(13); break;
        case 0x74: out.push(9); break;
        case 0x62: out.push(8); break;
        case 0x66: out.push(12); break;
        case 0x0d: if (b[p] === 0x0a) p++; break;
        case 0x0a: break;
        default:
          if (e >= 0x30 && e <= 0x37) {
            let v = e - 0x30;
            for (let k = 0; k < 2 && p < b.length && b[p]! >= 0x30 && b[p]! <= 0x37; k++) v = v * 8 + (b[p++]! - 0x30);
            out.push(v & 0xff);
          } else out.push(e);
      }
      continue;
    }
    if (c === 0x28) depth++;
    else if (c === 0x29 && --depth === 0) {
      decoded.value = skip ? SKIPPED_STRING : new PdfString(Uint8Array.from(out));
      return p;
    }
    if (!skip) out.push(c);
  }
  return -1;
}

/** The hex string whose '<' is at `start`; `skip`: find its end only. */
export function readHex(b: Uint8Array, start: number, skip: boolean): number {
  let p = start + 1;
  const out: number[] = [];
  let hi = -1;
  while (p < b.length) {
    const c = b[p++]!;
    if (c === 0x3e) {
      if (hi >= 0) out.push(hi << 4);
      decoded.value = skip ? SKIPPED_STRING : new PdfString(Uint8Array.from(out));
      return p;
    }
    const h = hex(c);
    if (h < 0) continue; // whitespace and junk are ignored
    if (hi < 0) hi = h;
    else { out.push((hi << 4) | h); hi = -1; }
  }
  return -1;
}
