// The gray fast-forward of the content interpreter (frame.ts). While the current fill and
// stroke colours are neutral, no saved (q) state holds colour and no font the content can
// select paints colour of its own (Type 3), nothing painted can be colour until an
// operator sets a colour or brings in outside content. From such a point (a token
// boundary the real scanner reached) the rest of the content is searched natively, with
// a RegExp over latin1 strings of its bytes, for the operators that could change that:
// rg RG k K (their numeric operands are read back from the bytes), cs CS sc scn SC SCN
// (colour spaces), sh Do BI (shadings, XObjects, inline images), Tf when a font the
// resources name is not known yet to be plain, BDC when the document has optional
// content (its layer is looked up, as the interpreter would). The search knows nothing of
// strings, arrays or comments, so some of what it finds is text, never an operator; that
// is safe both ways:
// - rg/RG/k/K whose operands are a well-formed neutral colour (Tf: a plain font) leave
//   the state as it was whether they are operators or text, and are passed over;
// - anything else stops the search, and the real interpreter resumes at the starting
//   point with the state it had there: a false hit costs a re-scan, never a verdict.
// Reaching the end of the content with only such hits means the rest paints no colour.
// Nothing is loaded on the way (fonts are judged on what is already known), so warnings
// and recovery come out as the interpreter alone would give them.
//
// The real scanner's only error inside the content is "nested too deeply" (an array or
// dictionary more than 256 deep); the search cannot see nesting, so it concludes alone
// only for the part of the content that holds too few '[' and '<' for that to be
// possible; before that part the scanner's walk() over the tokens checks the nesting.
//
// On the benchmark manuals 13.1 of the 17.7 MB of content scanned is on gray pages, which
// the real scanner tokenises byte by byte in JS; see docs/analysis-pdf.md for what this
// search saves there and costs elsewhere (the strings it makes are garbage to collect).

import { cmykIsColour, rgbIsColour } from './colorspace.ts';
import type { Frame, Known } from './frame.ts';

// A keyword at a token start (after whitespace or one of `)]>{}`, or at the start) and
// ending at whitespace, a delimiter or the end. After `(`, `[`, `<`, `/` or `%` a word is
// inside a string, array, hex string, dictionary, name or comment: never an operator.
// Variants: with Tf (content whose resources name a font not yet known to be plain); with
// BDC (a document with optional content, where BDC /OC looks its layer up); without the
// commonest neutral colour, pdfTeX's `0 0 0 rg` and `0 0 0 RG` after an operator keyword
// (only where the content searched holds no '%': a comment could otherwise hide that
// keyword or add an operand), which is then passed over natively, not in neutral().
const WS = '\\x00\\t\\n\\f\\r ';
const ZEROS = `[${WS})\\]>{}][A-Za-z'"*][^${WS}()<>[\\]{}/%]*[${WS}]+0[${WS}]+0[${WS}]+0[${WS}]+`;
const FONTS = 1;
const NO_PCT = 2;
const LAYERS = 4;
const CANDIDATES: RegExp[] = [];
function candidates(kind: number): RegExp {
  const rg = (kind & NO_PCT) !== 0 ? `(?<!${ZEROS})(?:rg|RG)` : 'rg|RG';
  const more = ((kind & FONTS) !== 0 ? '|Tf' : '') + ((kind & LAYERS) !== 0 ? '|BDC' : '');
  return (CANDIDATES[kind] ??= new RegExp(`(?<![^${WS})\\]>{}])(?:${rg}|k|K|cs|CS|scn?|SCN?|sh|Do|BI${more})(?![^${WS}()<>[\\]{}/%])`, 'g'));
}

/** The first window searched (see forward()), and the largest (a string's memory). */
const WINDOW = 4096;
const MAX_WINDOW = 1 << 20;
/** The longest candidate keyword: a search resumes this far before the end of a window. */
const LONGEST = 3;
/** The scanner's nesting limit (scanner.ts MAX_NEST): at most this many '[' or '<<' deep. */
const NEST = 256;

/** Byte classes as in scanner.ts: 1 whitespace, 2 delimiter, 0 regular. */
const CLASS = new Uint8Array(256);
for (const c of [0, 9, 10, 12, 13, 32]) CLASS[c] = 1;
for (const c of '()<>[]{}/%') CLASS[c.charCodeAt(0)] = 2;

/** By a candidate keyword's first byte: its colour operands (rg RG 3, k K 4), else 0. */
const COLOUR_OPERANDS = new Uint8Array(256);
COLOUR_OPERANDS[0x72] = COLOUR_OPERANDS[0x52] = 3;
COLOUR_OPERANDS[0x6b] = COLOUR_OPERANDS[0x4b] = 4;

const scratch = new Float64Array(4);
const found = new Float64Array(64);
/** Longest window string a frame keeps for another try. */
const KEEP = 256 * 1024;

/** The first '%' searched in the current search (-1: none yet): before it, no comments. */
let firstPct = -1;
/** Positions of the last NEST + 1 '[' and 2 NEST + 1 '<' searched (rings). */
const lastBrackets = new Int32Array(NEST + 1);
const lastAngles = new Int32Array(2 * NEST + 1);

/**
 * Search from the scanner's position (a token boundary after an operator, with a neutral
 * state) to the end of the content. Returns -1 when nothing after it can paint colour;
 * otherwise the position after the hit that stopped the search, the scanner left where
 * it was, operands reset. When nothing stopped the search but the content holds too many
 * '[' or '<' to rule out the scanner's nesting error, and the scanner would indeed fail
 * before the point after which few enough are left, the interpreter must read on to that
 * point (`f.clearFrom`, also returned): from there on nothing can paint colour nor fail.
 */
export function forward(f: Frame, known: Known, fonts: boolean): number {
  const sc = f.sc;
  const kind = (fonts ? FONTS : 0) | (known.layers ? LAYERS : 0);
  const p0 = sc.pos;
  let from = p0;
  let counted = p0;
  let brackets = 0;
  let angles = 0;
  firstPct = -1;
  // The bytes are searched in windows (4 KiB, then doubling up to 1 MiB) within the pieces
  // inflated so far: a latin1 string is made of each, and a search that stops early (a
  // colour page) should not have made one of the whole content, nor a huge content one
  // string as large as itself.
  let want = WINDOW;
  for (;;) {
    const b = sc.buf;
    const all = b.length;
    // One byte before the search start gives the lookbehind its context. The string of
    // this content's last window is used again when it covers the start (a new try after
    // a stop): the bytes it was made of have not changed (pieces are only appended).
    let start = from > p0 ? from - 1 : from;
    let n: number;
    let s: string;
    const kept = f.searched;
    if (kept !== undefined && b.buffer === kept.buffer && b.byteOffset === kept.offset && kept.start <= start && kept.end - from >= 256) {
      s = kept.text;
      start = kept.start;
      n = kept.end;
    } else {
      n = Math.min(all, from + want);
      s = Buffer.from(b.buffer, b.byteOffset, n).toString('latin1', start, n);
      f.searched = n - start <= KEEP ? { text: s, buffer: b.buffer, offset: b.byteOffset, start, end: n } : undefined;
    }
    const last = n === all && sc.final;
    // (The sum is taken even when no '%' is found: V8 compiles this function before most
    // content holds one, and an operation it has never seen run would throw that code away.)
    if (firstPct < 0) { const i = s.indexOf('%', from - start); const at = start + i; if (i >= 0) firstPct = at; }
    const re = candidates(kind | (firstPct < 0 ? NO_PCT : 0));
    re.lastIndex = from - start;
    let resume = -1;
    // test() and lastIndex rather than exec(): no match array per hit.
    while (re.test(s)) {
      const end = start + re.lastIndex;
      let at = end - 1;
      while (at > start && CLASS[b[at - 1]!] === 0) at--;
      // A keyword at the end of a window may go on after it.
      if (end >= n && !last) { resume = at; break; }
      // One call site for rg/RG and k/K: a site first reached after V8 compiled this
      // function (the first k) would throw the code away.
      const operands = COLOUR_OPERANDS[b[at]!]!;
      if (operands !== 0) { if (neutral(b, p0, at, operands)) continue; }
      else if (b[at] === 0x54) { if (plainFont(f, known, s, start, p0, at)) continue; } // Tf
      return end;
    }
    // Where the last NEST + 1 '[' and 2 NEST + 1 '<' are (an array or dictionary nested
    // more than NEST deep needs that many).
    for (let i = s.indexOf('[', counted - start); i >= 0; i = s.indexOf('[', i + 1)) lastBrackets[brackets++ % (NEST + 1)] = start + i;
    for (let i = s.indexOf('<', counted - start); i >= 0; i = s.indexOf('<', i + 1)) lastAngles[angles++ % (2 * NEST + 1)] = start + i;
    counted = n;
    if (last) break;
    known.budget(f.base + n);
    from = resume >= 0 ? resume : Math.max(p0, n - LONGEST);
    if (n === all && !f.refill(p0)) break;
    want = Math.min(2 * want, MAX_WINDOW);
  }
  f.searched = undefined;
  // Worked out (and stored) every time, needed or not: content nested that deep is rare,
  // shows up after V8 compiled this function, and an operation it has never seen run
  // would throw that code away.
  const afterBrackets = lastBrackets[brackets % (NEST + 1)]! + 1;
  const afterAngles = lastAngles[angles % (2 * NEST + 1)]! + 1;
  const many = brackets > NEST || angles > 2 * NEST;
  const clear = Math.max(p0, brackets > NEST ? afterBrackets : p0, angles > 2 * NEST ? afterAngles : p0);
  // Up to `clear` the scanner itself need not read: going over the tokens for their
  // nesting alone (walk(): no operands, no operators run) tells whether it would fail
  // there, at a fraction of the cost (on the benchmark manuals 40 gray pages have that
  // many '[', and the interpreter read 1.37 MB on them). Only where it would fail is the
  // interpreter sent there, to fail as it does. (Called every time, on no bytes when
  // not needed: see above.) The walk has the bytes as a string too, so that it can pass
  // over the tokens that cannot nest natively (walkText); the string is made every time
  // (empty when not needed), for the same reason.
  const to = many ? clear : p0;
  const buf = sc.buf;
  const text = Buffer.from(buf.buffer, buf.byteOffset, to).toString('latin1', p0, to);
  const deep = sc.walkText(text, p0, p0, to) < 0;
  f.clearFrom = deep ? clear : f.clearFrom;
  return deep ? clear : -1;
}

/**
 * Whether the rg/RG (n = 3) or k/K (n = 4) keyword at `at` has operands that the real
 * scanner would read as a neutral colour: only numbers (in the scanner's exact number
 * syntax and arithmetic) back to the previous operator keyword or to `p0`. Anything
 * else (a name, a string, a number it would read differently) answers false.
 */
function neutral(b: Uint8Array, p0: number, at: number, n: number): boolean {
  let count = 0;
  let p = at;
  let eol = false;
  for (;;) {
    // Whitespace before the token (a keyword glued to a delimiter has unknown operands).
    let q = p;
    while (q > p0 && CLASS[b[q - 1]!] === 1) { if (b[q - 1] === 10 || b[q - 1] === 13) eol = true; q--; }
    if (q === p0) break; // back at the start: the scanner had no operands there
    if (q === p) return false;
    let t = q;
    while (t > p0 && CLASS[b[t - 1]!] === 0) t--;
    if (t === q) return false; // a string, array or dictionary ends here
    const c = b[t]!;
    if ((c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0x2b) {
      const v = number(b, t, q);
      if (Number.isNaN(v) || count === found.length) return false;
      found[count++] = v;
      p = t;
      continue;
    }
    // An operator keyword (the scanner resets the operands after every keyword), unless
    // it is a name, or sits in a comment: a comment starts on its own line, so with a
    // line break before the colour keyword its line must hold no '%'.
    if (t > 0 && b[t - 1] === 0x2f) return false;
    if (t === p0 && p0 > 0) return false;
    if (eol && !commentFree(b, p0, t)) return false;
    break;
  }
  // found[] holds the operands last to first; the scanner uses the first n (0 if missing).
  for (let i = 0; i < n; i++) scratch[i] = i < count ? found[count - 1 - i]! : 0;
  return n === 3 ? !rgbIsColour(scratch) : !cmykIsColour(scratch);
}

/** No '%' between the line start before `t` (or p0) and `t`, looking back 4 KiB at most. */
function commentFree(b: Uint8Array, p0: number, t: number): boolean {
  if (firstPct < 0 || firstPct >= t) return true;
  const stop = Math.max(p0, t - 4096);
  for (let i = t - 1; i >= stop; i--) {
    const c = b[i];
    if (c === 10 || c === 13) return true;
    if (c === 0x25) return false;
  }
  return stop === p0;
}

/**
 * A number token b[t..q) as ContentScanner.next reads it (same arithmetic, so the same
 * double), or NaN when the scanner would read it otherwise (junk glued, no digits).
 */
function number(b: Uint8Array, t: number, q: number): number {
  let p = t;
  let neg = false;
  while (p < q && (b[p] === 0x2d || b[p] === 0x2b)) { if (b[p] === 0x2d) neg = !neg; p++; }
  let v = 0;
  let digits = 0;
  while (p < q && b[p]! >= 0x30 && b[p]! <= 0x39) { v = v * 10 + (b[p]! - 0x30); p++; digits++; }
  if (p < q && b[p] === 0x2e) {
    p++;
    let scale = 0.1;
    while (p < q && b[p]! >= 0x30 && b[p]! <= 0x39) { v += (b[p]! - 0x30) * scale; scale *= 0.1; p++; digits++; }
  }
  if (p !== q || digits === 0) return NaN;
  return neg ? -v : v;
}

/** Off: the interpreter reads everything itself (tests compare both ways; measuring). */
export const fastForwardSwitch = { enabled: true };

/** Bytes the interpreter reads before the state is looked at again when it was not neutral. */
const RETRY = 512;
/** The same when a font was not known (a font verdict learnt also starts a new try). */
const FONT_RETRY = 4096;

/**
 * Called by `step` at a token boundary once the scanner is at or past `f.fastAt`: true
 * when the rest of the content paints no colour (the state is neutral and the search
 * finds nothing that could change it); false to go on interpreting from the same place,
 * with `f.fastAt` moved to where trying again makes sense.
 */
export function fastForward(f: Frame, known: Known): boolean {
  const at = f.sc.pos;
  if (at >= f.clearFrom) return true;
  if (!fastForwardSwitch.enabled) {
    f.fastAt = Infinity;
    return false;
  }
  if (!neutralState(f)) {
    f.fastAt = at + RETRY;
    return false;
  }
  // Every font the resources name known to be plain: Tf cannot matter. Else the fonts of
  // the current and saved states must be, and each Tf is looked at.
  const tf = !known.fontsNeutral(f.fonts);
  if (tf && !plainStates(f, known)) {
    f.fastAt = at + FONT_RETRY;
    f.fontWait = true;
    return false;
  }
  f.fontWait = false;
  const stop = forward(f, known, tf);
  if (stop < 0) return true;
  f.fastAt = stop;
  return false;
}

/** Neutral fill and stroke colours, now and in every saved state. */
function neutralState(f: Frame): boolean {
  if (f.gs.fill || f.gs.stroke) return false;
  const saved = f.saved;
  for (let i = 0; i < saved.length; i++) if (saved[i]!.fill || saved[i]!.stroke) return false;
  return true;
}

/** The fonts of the current and saved states are known not to paint colour of their own. */
function plainStates(f: Frame, known: Known): boolean {
  if (f.gs.font !== undefined && known.fontKnown(f.fonts, f.gs.font) !== false) return false;
  const saved = f.saved;
  for (let i = 0; i < saved.length; i++) {
    const font = saved[i]!.font;
    if (font !== undefined && known.fontKnown(f.fonts, font) !== false) return false;
  }
  return true;
}

/**
 * Whether the Tf at `at` selects a font known not to paint colour of its own (or none):
 * its font is the last name operand back to the previous operator keyword or `p0`, read
 * like the operands of neutral(). A name with # escapes, or anything unclear: false.
 */
function plainFont(f: Frame, known: Known, s: string, start: number, p0: number, at: number): boolean {
  const b = f.sc.buf;
  let p = at;
  let eol = false;
  for (let k = 0; k < 64; k++) {
    let q = p;
    while (q > p0 && CLASS[b[q - 1]!] === 1) { if (b[q - 1] === 10 || b[q - 1] === 13) eol = true; q--; }
    if (q === p0) return true; // no name since the last operator: no font
    if (q === p) return false;
    let t = q;
    while (t > p0 && CLASS[b[t - 1]!] === 0) t--;
    if (t === q) return false;
    if (b[t - 1] === 0x2f) {
      if (t - 1 < p0 || t - 1 < start || (eol && !commentFree(b, p0, t - 1))) return false;
      for (let i = t; i < q; i++) if (b[i] === 0x23) return false;
      return known.fontKnown(f.fonts, s.slice(t - start, q - start)) === false;
    }
    const c = b[t]!;
    if ((c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0x2b) { p = t; continue; }
    // An operator keyword: no name since it (unless it sits in a comment, as in neutral()).
    if (t === p0 && p0 > 0) return false;
    return !eol || commentFree(b, p0, t);
  }
  return false;
}

// neutral() and number() meet their rarer paths (a k, a fraction, a sign, a name or a
// comment before the keyword) page by page, each first time after V8 compiled them and
// threw that code away. A few calls here, on a few bytes, give those paths type feedback
// first (V8 keeps feedback only once a function has run for a while: hence the rounds).
warmUp();

function warmUp(): void {
  const text = 'q 0 0 0 rg .5 +.5 0.5 -0 K 1 0 0 1 k /N 1 RG (a) 0 G % c\n 0 0 0 rg\n0 0 0 RG';
  const b = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) b[i] = text.charCodeAt(i);
  const at = [8, 25, 35, 42, 51, 64, 73];
  firstPct = 53;
  for (let round = 0; round < 3; round++) for (const i of at) neutral(b, 1, i, COLOUR_OPERANDS[b[i]!]! || 3);
  firstPct = -1;
}
