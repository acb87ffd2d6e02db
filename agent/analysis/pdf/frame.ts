// The synchronous core of the content interpreter (content.ts): the graphics state, the
// state of one content stream being run (a page, a form, a glyph procedure), and `step`,
// which runs operators until the stream ends, colour is painted, or an operator needs the
// document (a resource to load: XObjects, shadings, patterns, named colour spaces seen
// for the first time, optional content, inline images, a font not yet checked for Type 3
// glyphs). Those few go back to the asynchronous interpreter; the hot loop over path,
// text and device colour operators runs without a promise. It is one small function
// with monomorphic state, which V8 compiles once instead of re-optimising a large async
// function (measured: that was 130 ms of compilation on the benchmark manuals).
//
// A page's content may also be inflated as it is read (`feed`): when the scanner reaches
// the end of what has been inflated, more is inflated and the scan resumes after the last
// complete operator, so a page whose colour shows early is never inflated to its end.

import { AnalysisError } from '../errors.ts';
import { CMYK, cmykIsColour, GRAY, isColour, RGB, rgbIsColour, type ColorSpace } from './colorspace.ts';
import { fastForward } from './forward.ts';
import type { Inflater } from './inflate.ts';
import { ContentScanner, op } from './scanner.ts';

export class GState {
  fillCS: ColorSpace;
  strokeCS: ColorSpace;
  /** Whether the current fill / stroke colour is non-neutral. */
  fill: boolean;
  stroke: boolean;
  /** Text render mode (3 and 7 paint nothing). */
  tr: number;
  /** The font resource name selected by Tf (for Type 3 fonts, whose glyphs may colour). */
  font: string | undefined;
  constructor(fillCS: ColorSpace, strokeCS: ColorSpace, fill: boolean, stroke: boolean, tr: number, font: string | undefined) {
    this.fillCS = fillCS;
    this.strokeCS = strokeCS;
    this.fill = fill;
    this.stroke = stroke;
    this.tr = tr;
    this.font = font;
  }
  static initial(): GState {
    return new GState(GRAY, GRAY, false, false, 0, undefined);
  }
  copy(): GState {
    return new GState(this.fillCS, this.strokeCS, this.fill, this.stroke, this.tr, this.font);
  }
}

/**
 * An empty array already of the elements kind that holds objects: `[]` starts as small
 * integers and changes kind at its first push, and compiled code that had seen only one
 * kind is thrown away when it meets the other.
 */
function objectArray<T>(): T[] {
  const a: unknown[] = [null];
  a.pop();
  return a as T[];
}

/** A window of content as a latin1 string, and what it was made of. */
export interface Searched {
  readonly text: string;
  readonly buffer: ArrayBufferLike;
  readonly offset: number;
  readonly start: number;
  readonly end: number;
}

/** Content that is inflated as the interpreter reads it. */
export interface Feed {
  inflater: Inflater;
  /** Most bytes the content may inflate to. */
  limit: number;
  /** File offset of the stream, for errors. */
  offset: number;
}

/** First piece of a fed page's content (2 KiB: colour often shows in a page's first lines), then doubling. */
const FEED_FIRST = 2 * 1024;

/** Thrown when fed content turns out to be damaged: the page is then read the old way. */
export const FEED_DAMAGED = new Error('fed content is damaged');

/** Most graphics states a frame keeps for reuse (see save()). */
const SPARE_MAX = 64;

/**
 * The state of one content stream being interpreted. The interpreter keeps one per nesting
 * depth and begins it again for each stream (at most one run per depth is active).
 */
export class Frame {
  sc!: ContentScanner;
  base!: number;
  gs!: GState;
  readonly saved: GState[] = objectArray();
  /** Graphics states that Q dropped, reused by q (a copy per q was most of a page's garbage). */
  private readonly spare: GState[] = objectArray();
  /** Marked content: one entry per open BDC/BMC, true when it opened a hidden layer. */
  readonly marked: boolean[] = objectArray();
  hidden = 0;
  count = 0;
  /** Type 3 verdicts by font name (shared by pages with one resource dictionary). */
  fonts!: Map<string, boolean> | undefined;
  /** The font name a text show found plain last (its verdict in `fonts` never changes). */
  plainFont: string | undefined = undefined;
  feed!: Feed | undefined;
  /** Nesting depth of this content (0: a page). */
  depth!: number;
  /** Position from which the gray fast-forward (forward.ts) may be tried (again). */
  fastAt = 0;
  /** Where the fast-forward found that the rest of the content paints no colour nor fails. */
  clearFrom = Infinity;
  /** The fast-forward waits for a font verdict (fontLearnt() lets it try at once). */
  fontWait = false;
  /** The fast-forward's last window as a string, kept for its next try (see forward.ts). */
  searched: Searched | undefined = undefined;

  constructor(sc: ContentScanner, base: number, start: GState, depth: number, fonts: Map<string, boolean> | undefined, feed: Feed | undefined) {
    this.begin(sc, base, start, depth, fonts, feed);
  }

  /** Start on a new content stream (a reused frame is as a new one would be); this frame. */
  begin(sc: ContentScanner, base: number, start: GState, depth: number, fonts: Map<string, boolean> | undefined, feed: Feed | undefined): Frame {
    this.sc = sc;
    this.base = base;
    this.depth = depth;
    this.gs = start;
    this.fonts = fonts;
    this.plainFont = undefined;
    this.feed = feed;
    sc.final = feed === undefined || feed.inflater.done;
    const saved = this.saved;
    while (saved.length > 0) this.drop(saved.pop()!);
    this.marked.length = 0;
    this.hidden = 0;
    this.count = 0;
    this.fastAt = 0;
    this.clearFrom = Infinity;
    this.fontWait = false;
    this.searched = undefined;
    return this;
  }

  /** q: a copy of the current state onto the stack. */
  save(): void {
    const gs = this.gs;
    const c = this.spare.pop();
    if (c === undefined) { this.saved.push(gs.copy()); return; }
    c.fillCS = gs.fillCS;
    c.strokeCS = gs.strokeCS;
    c.fill = gs.fill;
    c.stroke = gs.stroke;
    c.tr = gs.tr;
    c.font = gs.font;
    this.saved.push(c);
  }

  /** Q: the state saved last becomes current; the one it replaces is kept for reuse. */
  restore(): void {
    const old = this.gs;
    this.gs = this.saved.pop()!;
    this.drop(old);
  }

  private drop(gs: GState): void {
    if (this.spare.length < SPARE_MAX) this.spare.push(gs);
  }

  /**
   * More fed content, the scan resuming at `from` (just after the last operator):
   * false when there is no more.
   */
  refill(from: number): boolean {
    const feed = this.feed;
    if (feed === undefined || feed.inflater.done) return false;
    const inf = feed.inflater;
    let ok: boolean;
    try {
      ok = inf.more(Math.max(FEED_FIRST, inf.length), feed.limit);
    } catch (e) {
      if (e instanceof RangeError) throw new AnalysisError('ANALYSIS_LIMIT', 'page content larger than the buffer limit', feed.offset);
      throw e;
    }
    if (!ok) throw FEED_DAMAGED;
    const sc = this.sc;
    sc.buf = inf.view();
    sc.final = inf.done;
    sc.pos = from;
    sc.reset();
    return true;
  }

  /** A font's verdict became known: a fast-forward waiting for one may try again now. */
  fontLearnt(): void {
    if (this.fontWait) { this.fontWait = false; this.fastAt = 0; }
  }

  /** All of the fed content (inline images need their data whole). */
  fill(): void {
    const pos = this.sc.pos;
    while (this.refill(pos)) { /* inflate to the end */ }
    this.sc.pos = pos;
  }
}

/** What the asynchronous side offers `step`: answers it has without waiting. */
export interface Known {
  /** A named colour space already loaded for these resources, else undefined. */
  space(name: string): ColorSpace | undefined;
  /** Whether a font's own glyphs paint colour (Type 3), when known without waiting. */
  font(name: string, depth: number): boolean | undefined;
  /** Whether BDC /OC needs its layer looked up (optional content present). */
  readonly layers: boolean;
  /**
   * font()'s answer when nothing needs loading (`fonts`: the frame's verdicts by name),
   * else undefined. For the gray fast-forward (forward.ts), which must not load anything.
   */
  fontKnown(fonts: Map<string, boolean> | undefined, name: string): boolean | undefined;
  /** Whether fontKnown() is false for every font the resources name (no Tf can bring colour). */
  fontsNeutral(fonts: Map<string, boolean> | undefined): boolean;
  budget(offset: number): void;
}

export const END = 0;
export const COLOUR = -1;

/**
 * Run operators from the scanner's position. Returns END, COLOUR, or the code of an
 * operator the caller must complete (the scanner stands just after it, operands intact).
 *
 * Only the operators of every page (text, paths, q/Q, g/G, rg/RG) are handled here; the
 * others go through one call to `rare`. V8 compiles this loop early (on the first pages)
 * and throws the code away whenever a path it has not seen run yet is taken (a site
 * without type feedback): with each rarer operator in its own case, the benchmark
 * manuals had it compiled ten times. One call site for them all is one such event.
 */
export function step(f: Frame, known: Known): number {
  const sc = f.sc;
  for (;;) {
    const before = sc.pos;
    // Gray content is searched natively to its end where nothing can bring in colour.
    if (before >= f.fastAt && fastForward(f, known)) return END;
    const code = sc.next();
    if (code === 0) {
      if (f.refill(before)) continue;
      return END;
    }
    if (sc.pos === before) throw stalled(f);
    if ((++f.count & 0x3fff) === 0) known.budget(f.base + sc.pos);
    const gs = f.gs;
    // The cases are tested one by one in this order (V8 makes no jump table of sparse
    // codes), so the commonest operators come first: of the benchmark manuals' 1.08 M
    // operators, TJ is 27 %, Td 25 %, Tf 19 %, g and G 9 % each, rg and RG 3 % each, and
    // the frequent ones that change nothing here (Td, cm, BT, ET, ...) have a case of their
    // own instead of reaching `default` after every other test.
    switch (code) {
      case OP.TJ: case OP.Tj: case OP.quote: case OP.dquote: {
        const m = gs.tr;
        if (m !== 3 && m !== 7 && f.hidden === 0) {
          const fills = m === 0 || m === 2 || m === 4 || m === 6;
          const strokes = m === 1 || m === 2 || m === 5 || m === 6;
          if ((fills && gs.fill) || (strokes && gs.stroke)) return COLOUR;
          if (gs.font !== undefined && gs.font !== f.plainFont) {
            // One lookup per font name and content stream: text shows are the hot path
            // (and most show text in the font the show before them found plain).
            const t3 = f.fonts?.get(gs.font) ?? firstShow(f, known, gs.font);
            if (t3 === undefined) return code;
            if (t3) return COLOUR;
            f.plainFont = gs.font;
          }
        }
        break;
      }
      case OP.Td: break;
      case OP.Tf: gs.font = sc.name(); break;
      // --- device colour ---
      case OP.g: gs.fillCS = GRAY; gs.fill = false; break;
      case OP.G: gs.strokeCS = GRAY; gs.stroke = false; break;
      case OP.rg: gs.fillCS = RGB; gs.fill = rgbIsColour(operands(sc, 3)); break;
      case OP.RG: gs.strokeCS = RGB; gs.stroke = rgbIsColour(operands(sc, 3)); break;
      case OP.cm: case OP.BT: case OP.ET: case OP.m: case OP.l: case OP.c: case OP.re: case OP.Tm: case OP.TD: case OP.w: case OP.J: case OP.d:
        break;
      // --- painting (one test for them all: see above) ---
      case OP.f: case OP.F: case OP.fs: case OP.S: case OP.s: case OP.B: case OP.Bs: case OP.b: case OP.bs:
        if (f.hidden === 0 && (code === OP.S || code === OP.s ? gs.stroke : gs.fill || (gs.stroke && strokesToo(code)))) return COLOUR;
        break;
      // --- graphics state stack ---
      case OP.q:
        if (f.saved.length < 256) f.save();
        break;
      case OP.Q:
        if (f.saved.length > 0) f.restore();
        break;
      // --- the rest that matters ---
      case OP.k: case OP.K: case OP.Tr: case OP.cs: case OP.CS: case OP.sc: case OP.scn: case OP.SC: case OP.SCN:
      case OP.BDC: case OP.BMC: case OP.EMC: case OP.sh: case OP.Do: case OP.BI: {
        const r = rare(f, known, code);
        if (r !== GO_ON) return r;
        break;
      }
      default: break;
    }
    sc.reset();
  }
}

/** Whether a painting operator other than S and s strokes (B B* b b*; not f F f*). */
function strokesToo(code: number): boolean {
  return code === OP.B || code === OP.Bs || code === OP.b || code === OP.bs;
}

/** rare(): the operator is done, go on. (No operator code is this small.) */
const GO_ON = 1;

/** The operators `step` sees less often: GO_ON, COLOUR or the code for the caller. */
function rare(f: Frame, known: Known, code: number): number {
  const sc = f.sc;
  const gs = f.gs;
  switch (code) {
    case OP.k: gs.fillCS = CMYK; gs.fill = cmykIsColour(operands(sc, 4)); break;
    case OP.K: gs.strokeCS = CMYK; gs.stroke = cmykIsColour(operands(sc, 4)); break;
    case OP.Tr: gs.tr = sc.count > 0 ? small(sc.nums[0]!) : 0; break;
    case OP.cs: case OP.CS: {
      const name = sc.name();
      const cs = name === undefined ? undefined : known.space(name);
      if (cs === undefined) return code;
      const colour = cs.kind === 'pattern' ? false : isColour(cs, cs.initial);
      if (code === OP.cs) { gs.fillCS = cs; gs.fill = colour; } else { gs.strokeCS = cs; gs.stroke = colour; }
      break;
    }
    case OP.sc: case OP.scn: case OP.SC: case OP.SCN: {
      const fill = code === OP.sc || code === OP.scn;
      const cs = fill ? gs.fillCS : gs.strokeCS;
      if (cs.kind === 'pattern') return code;
      const colour = isColour(cs, operands(sc, cs.n));
      if (fill) gs.fill = colour; else gs.stroke = colour;
      break;
    }
    // --- optional content ---
    case OP.BDC:
      if (known.layers && sc.firstNameIs('OC')) return code;
      if (f.marked.length < 1024) f.marked.push(false);
      break;
    case OP.BMC: if (f.marked.length < 1024) f.marked.push(false); break;
    case OP.EMC: if (f.marked.pop()) f.hidden--; break;
    // --- shadings, XObjects, inline images ---
    case OP.sh: case OP.Do:
      if (f.hidden > 0) break;
      return code;
    case OP.BI: return code;
    default: break;
  }
  return GO_ON;
}

/** A text show with a font not yet looked at in this content: its verdict, if known now. */
function firstShow(f: Frame, known: Known, font: string): boolean | undefined {
  const t3 = known.font(font, f.depth);
  if (t3 === undefined) return undefined;
  (f.fonts ??= new Map()).set(font, t3);
  f.fontLearnt();
  return t3;
}

/**
 * A render mode as read: 0-7 as a small integer (the scanner's numbers are doubles, and a
 * double stored into GState would change its shape), anything else as it is.
 */
function small(v: number): number {
  return v >= 0 && v <= 7 && Math.floor(v) === v ? v | 0 : v;
}

function stalled(f: Frame): AnalysisError {
  return new AnalysisError('ANALYSIS_STALLED', 'content scanner made no progress', f.base + f.sc.pos);
}

/** The first n numeric operands (missing ones read as 0). */
export function operands(sc: ContentScanner, n: number): Float64Array {
  for (let i = sc.count; i < n && i < sc.nums.length; i++) sc.nums[i] = 0;
  return sc.nums;
}

export const OP = {
  f: op('f'), F: op('F'), fs: op('f*'), S: op('S'), s: op('s'), B: op('B'), Bs: op('B*'), b: op('b'), bs: op('b*'),
  Tj: op('Tj'), TJ: op('TJ'), quote: op("'"), dquote: op('"'), Tr: op('Tr'), q: op('q'), Q: op('Q'),
  g: op('g'), G: op('G'), rg: op('rg'), RG: op('RG'), k: op('k'), K: op('K'), cs: op('cs'), CS: op('CS'),
  sc: op('sc'), scn: op('scn'), SC: op('SC'), SCN: op('SCN'), sh: op('sh'), Do: op('Do'), BI: op('BI'), BDC: op('BDC'), BMC: op('BMC'), EMC: op('EMC'),
  Tf: op('Tf'), d0: op('d0'), d1: op('d1'),
  Td: op('Td'), TD: op('TD'), Tm: op('Tm'), cm: op('cm'), BT: op('BT'), ET: op('ET'), m: op('m'), l: op('l'), c: op('c'), re: op('re'), w: op('w'), J: op('J'), d: op('d'),
} as const;

// V8 compiles step() on the first pages and throws the code away each time a path not yet
// seen run is taken (a site without type feedback: the first k, the first BDC, ...), then
// compiles it again. Running its paths once here, on a few bytes with a stand-in for the
// document, gives them feedback first.
warmUp();

function warmUp(): void {
  const text = 'q 1 0 0 rg 0 0 1 1 re f S B b* n 0 g 0 G 0 0 0 RG 0.5 0.5 0.5 rg BT /F 9 Tf (x) Tj [(y)] TJ (z) \' ' +
    '1 Td 1 1 TD 1 0 0 1 0 0 Tm 1 0 0 1 0 0 cm 0 0 m 1 1 l 1 1 1 1 1 1 c 1 w 0 J [] 0 d 0 i ' +
    '3 Tr 0 Tr ET Q q Q 0 0 0 1 k 0 1 0 0 K /C cs 0.5 sc /C CS 1 SCN /P cs /P BDC /Q BMC EMC EMC /S sh /X Do BI /W 1 ID x EI Q';
  const b = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) b[i] = text.charCodeAt(i);
  const known: Known = {
    space: (name) => (name === 'C' ? GRAY : undefined),
    font: () => false,
    fontKnown: () => false,
    fontsNeutral: () => false,
    layers: false,
    budget: () => {},
  };
  const f = new Frame(new ContentScanner(b, 0), 0, GState.initial(), 0, undefined, undefined);
  for (let round = 0; round < 2; round++) {
    f.begin(new ContentScanner(b, 0), 0, GState.initial(), 0, undefined, undefined);
    f.fastAt = Infinity;
    for (let code = step(f, known); code !== END; code = step(f, known)) f.sc.reset();
  }
  // firstShow() runs once per font and content: on its own, often enough to keep feedback.
  const sc = new ContentScanner(b, 0);
  for (let i = 0; i < 10; i++) firstShow(new Frame(sc, 0, GState.initial(), 0, undefined, undefined), known, 'F');
  warmFastForward();
}

/**
 * The same for the checks before the gray fast-forward (forward.ts) searches: a colour in
 * the current or a saved state, a font not known to be plain. (Not the search itself: its
 * RegExps would cost a small PDF more than its recompiles cost the benchmark manuals.)
 * V8 keeps type feedback only once a function has run about 8 times: hence the rounds.
 */
function warmFastForward(): void {
  const known: Known = {
    space: () => undefined,
    font: () => false,
    fontKnown: () => undefined,
    fontsNeutral: () => false,
    layers: false,
    budget: () => {},
  };
  const f = new Frame(new ContentScanner(new Uint8Array(1), 0), 0, GState.initial(), 0, undefined, undefined);
  f.saved.push(GState.initial());
  for (let round = 0; round < 10; round++) {
    f.gs.fill = true;
    fastForward(f, known);
    f.gs.fill = false;
    f.saved[0]!.stroke = true;
    fastForward(f, known);
    f.saved[0]!.stroke = false;
    f.gs.font = 'F';
    fastForward(f, known);
    f.gs.font = undefined;
    f.saved[0]!.font = 'F';
    fastForward(f, known);
    f.saved[0]!.font = undefined;
  }
}
