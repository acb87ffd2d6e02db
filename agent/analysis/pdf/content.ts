// Content-stream colour analysis: interpret just enough of a page's content (colour
// operators, painting operators, q/Q, text render mode, XObjects, shadings, patterns,
// inline images, optional content) to answer "does this page paint non-neutral colour?".
// A colour that is set but replaced before anything is painted with it does not count.
// The walk stops at the first colour painted. Form XObjects and patterns recurse with a
// depth and cycle guard; their verdicts are cached per object and inherited colour state.

import { AnalysisError } from '../errors.ts';
import { isColour, loadColorSpace, PATTERN, RGB, type ColorSpace } from './colorspace.ts';
import type { PdfDocument } from './document.ts';
import { COLOUR, END, Frame, GState, OP, operands, step, type Known } from './frame.ts';
import { fastForward } from './forward.ts';
import { imageIsColour } from './images.ts';
import { indexOf, isWhite, Lexer } from './lexer.ts';
import { ContentScanner } from './scanner.ts';
import { dictOf, nameOf, numOf, PdfDict, PdfName, PdfOp, PdfRef, PdfStream, type PdfObj } from './objects.ts';
import type { OptionalContent } from './optional.ts';
import { shadingIsColour } from './shading.ts';

const MAX_DEPTH = 12;
/** Bytes of a page read before the gray fast-forward is tried when the page before was colour. */
const AFTER_COLOUR = 2048;

/**
 * The interpreter of content streams (pages, forms, glyph procedures, appearances);
 * pagecolour.ts drives it page by page (ColourAnalyser).
 */
export class ContentInterpreter {
  protected readonly doc: PdfDocument;
  /** Verdicts of form XObjects / patterns keyed by "num:fill stroke tr". */
  private readonly formCache = new Map<string, boolean>();
  private readonly imageCache = new Map<number, boolean>();
  private readonly shadingCache = new Map<number, boolean>();
  private readonly fontCache = new Map<number, boolean>();
  private readonly spaces = new WeakMap<PdfDict, Map<string, ColorSpace>>();
  private readonly active = new Set<number>();
  /** One scanner per nesting depth, reused: at most one run per depth is active at a time. */
  private readonly scanners: ContentScanner[] = [];
  /** One frame per nesting depth, reused likewise (Frame.begin). */
  private readonly frames: Frame[] = [];
  /** Type 3 verdicts of page-level content, per resource dictionary and font name. */
  private readonly pageFonts = new WeakMap<PdfDict, Map<string, boolean>>();
  /** Font tables fontNow() has already resolved, per resource dictionary (null: none). */
  private readonly fontTables = new WeakMap<PdfDict, PdfDict | null>();

  private readonly oc: OptionalContent | undefined;
  constructor(doc: PdfDocument, oc?: OptionalContent) {
    this.doc = doc;
    this.oc = oc;
  }

  protected async ocHidden(d: PdfDict): Promise<boolean> {
    return this.oc !== undefined && d.has('OC') && this.oc.isHidden(d.get('OC'));
  }

  /** Whether the last page was colour (see run()). */
  protected lastColour = false;

  protected async content(s: PdfStream): Promise<Uint8Array> {
    const now = this.doc.streamDataNow(s);
    const d = now instanceof Promise ? await now : now;
    if (d.codec) throw new AnalysisError('ANALYSIS_MALFORMED', `content stream with image filter /${d.codec}`, s.start);
    return d.data;
  }

  /** Run a form XObject (or appearance stream / tiling pattern cell). */
  protected async form(s: PdfStream, parentRes: PdfDict | undefined, gs: GState, depth: number): Promise<boolean> {
    if (depth > MAX_DEPTH || this.active.has(s.num)) {
      this.doc.warn('form XObjects nested too deeply or recursively (inner ones skipped)');
      return false;
    }
    const key = `${s.num}:${gs.fill ? 1 : 0}${gs.stroke ? 1 : 0}${gs.tr}`;
    const cached = s.num >= 0 ? this.formCache.get(key) : undefined;
    if (cached !== undefined) return cached;
    this.active.add(s.num);
    try {
      const res = dictOf(await this.doc.resolve(s.dict.get('Resources'))) ?? parentRes;
      const data = await this.content(s);
      const verdict = await this.run(data, s.start, res, gs.copy(), depth + 1);
      if (s.num >= 0) this.formCache.set(key, verdict);
      return verdict;
    } finally {
      this.active.delete(s.num);
    }
  }

  private async resource(res: PdfDict | undefined, cat: string, name: PdfObj | undefined): Promise<{ ref: PdfRef | undefined; obj: PdfObj | undefined }> {
    if (!(name instanceof PdfName)) return { ref: undefined, obj: undefined };
    const table = dictOf(await this.doc.resolve(res?.get(cat)));
    const raw = table?.get(name.name);
    return { ref: raw instanceof PdfRef ? raw : undefined, obj: await this.doc.resolve(raw) };
  }

  /**
   * The content interpreter proper. Returns true as soon as colour is painted. The
   * operators that need nothing from the document run in `step` (frame.ts); this loop
   * completes the others.
   */
  protected run(data: Uint8Array, base: number, res: PdfDict | undefined, start: GState, depth: number, feed?: Frame['feed']): boolean | Promise<boolean> {
    const sc = (this.scanners[depth] ??= new ContentScanner(data, base)).use(data, base);
    // Type 3 verdicts by font name: shared by the pages that share a resource dictionary
    // (page level only, where the depth limit cannot differ), else per content stream.
    let fonts: Map<string, boolean> | undefined;
    if (depth === 0 && res) {
      fonts = this.pageFonts.get(res);
      if (!fonts) { fonts = new Map(); this.pageFonts.set(res, fonts); }
    }
    const f = this.frames[depth]?.begin(sc, base, start, depth, fonts, feed) ?? (this.frames[depth] = new Frame(sc, base, start, depth, fonts, feed));
    const known = this.known(res, depth);
    // Content that is gray from its start is done without entering `step` (what step's
    // first turn would do; step is then compiled for the content it really runs). But
    // after a colour page the next one is most often colour too (87 % of the benchmark
    // manuals' pages), its colour early: there the search would mostly be wasted, so the
    // interpreter reads the page's first KB itself. (fastAt is stored either way: V8
    // compiles this function before the first colour page and threw that code away when
    // the store, never run until then, came up.)
    const afterColour = depth === 0 && this.lastColour;
    f.fastAt = afterColour ? AFTER_COLOUR : 0;
    if (!afterColour && fastForward(f, known)) return false;
    return this.loop(f, known, res, depth);
  }

  /** step() and the operators it hands back, without a promise until one must be awaited. */
  private loop(f: Frame, known: Known, res: PdfDict | undefined, depth: number): boolean | Promise<boolean> {
    const sc = f.sc;
    for (;;) {
      const code = step(f, known);
      if (code === END) return false;
      if (code === COLOUR) return true;
      const c = this.slow(code, f, res, depth);
      if (c instanceof Promise) return this.loopLater(c, f, known, res, depth);
      if (c) return true;
      sc.reset();
    }
  }

  private async loopLater(c: Promise<boolean>, f: Frame, known: Known, res: PdfDict | undefined, depth: number): Promise<boolean> {
    if (await c) return true;
    f.sc.reset();
    return this.loop(f, known, res, depth);
  }

  /**
   * What `step` may know without waiting, for one resource dictionary: one object per
   * nesting depth, reused (at most one run per depth is active at a time, as with the
   * scanners), its resources set for each run.
   */
  private known(res: PdfDict | undefined, depth: number): Known {
    const k = this.knowns[depth] ??= new KnownNow(this, this.oc !== undefined);
    k.res = res;
    return k;
  }
  private readonly knowns: KnownNow[] = [];

  /** A named colour space already loaded for these resources (KnownNow). */
  spaceNow(res: PdfDict | undefined, name: string): ColorSpace | undefined {
    return res ? this.spaces.get(res)?.get(name) : undefined;
  }

  /** The document's budget check (KnownNow). */
  budget(offset: number): void {
    this.doc.budget(offset);
  }

  /**
   * type3() when the answer needs no waiting and no glyph to be run: a font already
   * checked (by object number), or one that can be read at once and is not Type 3.
   * undefined: ask type3().
   */
  fontNow(res: PdfDict | undefined, font: string, depth: number): boolean | undefined {
    const table = this.doc.resolve(res?.get('Font'));
    if (table instanceof Promise) return undefined;
    if (res) this.fontTables.set(res, dictOf(table) ?? null);
    const raw = dictOf(table)?.get(font);
    const ref = raw instanceof PdfRef ? raw : undefined;
    const hit = ref ? this.fontCache.get(ref.num) : undefined;
    if (hit !== undefined) return hit;
    const obj = this.doc.resolve(raw);
    if (obj instanceof Promise) return undefined;
    const d = dictOf(obj);
    // (The depth is compared before it matters: Type 3 fonts are rare, and V8 throws its
    // code for this function away when an operation it has not seen run comes up.)
    const nested = depth < MAX_DEPTH;
    if (d && nameOf(d.get('Subtype')) === 'Type3' && nested) return undefined;
    if (ref) this.fontCache.set(ref.num, false);
    return false;
  }

  /**
   * fontNow()'s answer for a font name when it needs nothing loaded (loading could warn
   * or fill caches differently from the interpreter's own order): the frame's verdicts
   * by name, else the font table fontNow() already resolved and the font cache by
   * object; a name the table lacks selects no font. undefined when unsure.
   */
  fontKnown(res: PdfDict | undefined, fonts: Map<string, boolean> | undefined, name: string): boolean | undefined {
    const known = fonts?.get(name);
    if (known !== undefined) return known;
    const table = this.fontTable(res);
    if (table === undefined) return undefined;
    const v = table === null ? undefined : table.get(name);
    if (v === undefined) return false;
    return v instanceof PdfRef ? this.fontCache.get(v.num) : undefined;
  }

  /** Whether fontKnown() is false for every font the resources name. */
  fontsNeutral(res: PdfDict | undefined, fonts: Map<string, boolean> | undefined): boolean {
    const table = this.fontTable(res);
    if (table === undefined) return false;
    if (table === null) return true;
    if (table.size > 256) return false;
    // fontKnown() for each entry, the table and the entry's value at hand (forEach: asking
    // a small dictionary for its `map` would convert it, and an iterator allocates a result
    // per key; nothing here has effects, so none is skipped).
    let neutral = true;
    const cache = this.fontCache;
    table.forEach((v, name) => {
      if (!neutral) return;
      const known = fonts?.get(name);
      if ((known !== undefined ? known : v === undefined ? false : v instanceof PdfRef ? cache.get(v.num) : undefined) !== false) neutral = false;
    });
    return neutral;
  }

  /** The font table of these resources if known without loading (null: none), else undefined. */
  private fontTable(res: PdfDict | undefined): PdfDict | null | undefined {
    const raw = res?.get('Font');
    if (raw === undefined) return null;
    return raw instanceof PdfRef ? this.fontTables.get(res!) : dictOf(raw) ?? null;
  }

  /** Complete an operator `step` handed back; true when it painted colour. */
  private async slow(code: number, f: Frame, res: PdfDict | undefined, depth: number): Promise<boolean> {
    const sc = f.sc;
    const gs = f.gs;
    switch (code) {
      case OP.Tj: case OP.TJ: case OP.quote: case OP.dquote: {
        // A font not yet checked for Type 3 glyphs that colour by themselves.
        const font = gs.font!;
        const t3 = await this.type3(res, font, depth);
        (f.fonts ??= new Map()).set(font, t3);
        f.fontLearnt();
        return t3;
      }
      case OP.cs: case OP.CS: {
        const cs = await this.space(nameObj(sc), res);
        const colour = cs.kind === 'pattern' ? false : isColour(cs, cs.initial);
        if (code === OP.cs) { gs.fillCS = cs; gs.fill = colour; } else { gs.strokeCS = cs; gs.stroke = colour; }
        return false;
      }
      case OP.sc: case OP.scn: case OP.SC: case OP.SCN: {
        // A pattern colour space (step decides the others).
        const fill = code === OP.sc || code === OP.scn;
        const colour = await this.patternColour(sc, fill ? gs.fillCS : gs.strokeCS, res, depth);
        if (fill) gs.fill = colour; else gs.stroke = colour;
        return false;
      }
      case OP.BDC: {
        const { ref, obj } = await this.resource(res, 'Properties', nameObj(sc));
        const off = await this.oc!.isHidden(ref ?? obj);
        if (f.marked.length < 1024) { f.marked.push(off); if (off) f.hidden++; }
        return false;
      }
      case OP.sh: {
        const { ref, obj } = await this.resource(res, 'Shading', nameObj(sc));
        return obj !== undefined && await this.shading(ref, obj, res);
      }
      case OP.Do: {
        const { ref, obj } = await this.resource(res, 'XObject', nameObj(sc));
        return obj instanceof PdfStream && await this.xobject(ref, obj, res, gs, depth);
      }
      case OP.BI: {
        f.fill();
        const lx = new Lexer(sc.buf, f.base, true);
        lx.pos = sc.pos;
        const colour = await this.inlineImage(lx, res, gs);
        sc.pos = Math.max(sc.pos + 1, lx.pos);
        return colour && f.hidden === 0;
      }
      default:
        return false;
    }
  }

  /**
   * Does a Type 3 font paint colour of its own? Glyphs that start with d0 set their own
   * colour: each such glyph procedure is interpreted (all glyphs of the font, not just the
   * ones shown: a known over-count). d1 glyphs take the text's colour. Other fonts: no.
   */
  private async type3(res: PdfDict | undefined, font: string, depth: number): Promise<boolean> {
    const { ref, obj } = await this.resource(res, 'Font', PdfName.of(font));
    const hit = ref ? this.fontCache.get(ref.num) : undefined;
    if (hit !== undefined) return hit;
    let verdict = false;
    const d = dictOf(obj);
    if (d && nameOf(d.get('Subtype')) === 'Type3' && depth < MAX_DEPTH) {
      if (ref) this.fontCache.set(ref.num, false); // a glyph that shows its own font: no loop
      const procs = dictOf(await this.doc.resolve(d.get('CharProcs')));
      const fontRes = dictOf(await this.doc.resolve(d.get('Resources'))) ?? res;
      for (const p of [...(procs?.map.values() ?? [])].slice(0, 512)) {
        const g = await this.doc.resolve(p);
        if (!(g instanceof PdfStream)) continue;
        const data = await this.content(g);
        const first = new ContentScanner(data, g.start);
        let code = first.next();
        while (code !== 0 && code !== OP.d0 && code !== OP.d1) { first.reset(); code = first.next(); }
        if (code !== OP.d0) continue;
        if (await this.run(data, g.start, fontRes, GState.initial(), depth + 1)) { verdict = true; break; }
      }
    }
    if (ref) this.fontCache.set(ref.num, verdict);
    return verdict;
  }

  private async space(o: PdfObj | undefined, res: PdfDict | undefined): Promise<ColorSpace> {
    // Named spaces are looked up once per resource dictionary: writers select them with
    // `/Cs1 cs` before nearly every colour, and Indexed/Separation spaces are costly to load.
    const name = o instanceof PdfName ? o.name : undefined;
    let table = res && name !== undefined ? this.spaces.get(res) : undefined;
    const hit = table?.get(name!);
    if (hit) return hit;
    let cs: ColorSpace;
    try {
      cs = await loadColorSpace(this.doc, o, res);
    } catch (e) {
      if (!(e instanceof AnalysisError) || e.code !== 'ANALYSIS_MALFORMED') throw e;
      // An unusable colour space: assume it can colour (never under-count colour).
      this.doc.warn(`unusable colour space (${e.message}); treated as colour`);
      cs = RGB;
    }
    if (res && name !== undefined) {
      if (!table) { table = new Map(); this.spaces.set(res, table); }
      table.set(name, cs);
    }
    return cs;
  }

  private async patternColour(sc: ContentScanner, cs: ColorSpace, res: PdfDict | undefined, depth: number): Promise<boolean> {
    const { obj } = await this.resource(res, 'Pattern', nameObj(sc));
    if (obj === undefined || obj === null) return false;
    const pd = dictOf(obj);
    if (!pd) return false;
    const ptype = numOf(pd.get('PatternType'));
    if (ptype === 2) return this.shading(undefined, await this.doc.resolve(pd.get('Shading')), res);
    if (!(obj instanceof PdfStream)) return false;
    if (numOf(pd.get('PaintType')) === 2) {
      // Uncoloured tiling pattern: the colour comes from the operands in the underlying space.
      const under = cs.base ?? PATTERN;
      return under.kind !== 'pattern' && isColour(under, operands(sc, under.n));
    }
    return this.form(obj, res, GState.initial(), depth);
  }

  private async shading(ref: PdfRef | undefined, obj: PdfObj | undefined, res: PdfDict | undefined): Promise<boolean> {
    const key = ref?.num;
    const hit = key !== undefined ? this.shadingCache.get(key) : undefined;
    if (hit !== undefined) return hit;
    const v = await shadingIsColour(this.doc, obj, res);
    if (key !== undefined) this.shadingCache.set(key, v);
    return v;
  }

  private async xobject(ref: PdfRef | undefined, s: PdfStream, res: PdfDict | undefined, gs: GState, depth: number): Promise<boolean> {
    const sub = nameOf(s.dict.get('Subtype'));
    if (await this.ocHidden(s.dict)) return false; // on a layer that does not print
    if (sub === 'Form') return this.form(s, res, gs, depth);
    if (sub !== 'Image') return false;
    const mask = s.dict.get('ImageMask') === true || s.dict.get('IM') === true;
    if (mask) return gs.fill; // a stencil mask paints the current fill colour
    const key = ref?.num;
    const hit = key !== undefined ? this.imageCache.get(key) : undefined;
    if (hit !== undefined) return hit;
    const v = await imageIsColour(this.doc, s.dict, () => this.doc.rawStream(s), res, s.start, () => this.doc.rawChunks(s));
    if (key !== undefined) this.imageCache.set(key, v);
    return v;
  }

  /** BI <dict> ID <data> EI: read the dictionary, find the data's end, check it. */
  private async inlineImage(lx: Lexer, res: PdfDict | undefined, gs: GState): Promise<boolean> {
    const map = new Map<string, PdfObj>();
    lx.skipStrings = false;
    try {
      for (let i = 0; i < 200; i++) {
        const k = lx.next(false);
        if (k === undefined) throw new AnalysisError('ANALYSIS_TRUNCATED', 'inline image without ID', lx.offset);
        if (k instanceof PdfOp) { if (k.op === 'ID') break; continue; }
        if (!(k instanceof PdfName)) continue;
        const v = lx.next(false);
        if (v === undefined || v instanceof PdfOp) break;
        map.set(INLINE_KEYS[k.name] ?? k.name, v);
      }
    } finally {
      lx.skipStrings = true;
    }
    const dataStart = lx.pos + 1; // one whitespace byte after ID
    const b = lx.buf;
    let end = -1;
    for (let p = indexOf(b, 'EI', dataStart); p >= 0; p = indexOf(b, 'EI', p + 1)) {
      if (isWhite(b[p - 1] ?? 32) && (p + 2 >= b.length || isWhite(b[p + 2]!))) { end = p; break; }
    }
    if (end < 0) end = b.length;
    lx.pos = Math.min(b.length, end + 2);
    const dict = new PdfDict(map);
    for (const [k, v] of map) if (v instanceof PdfName && INLINE_VALUES[v.name]) map.set(k, PdfName.of(INLINE_VALUES[v.name]!));
    if (dict.get('ImageMask') === true) return gs.fill;
    const data = b.subarray(dataStart, Math.max(dataStart, end - 1));
    return imageIsColour(this.doc, dict, async () => data, res, lx.offset);
  }
}

/** The abbreviations allowed in inline image dictionaries. */
const INLINE_KEYS: Record<string, string> = {
  BPC: 'BitsPerComponent', CS: 'ColorSpace', D: 'Decode', DP: 'DecodeParms', F: 'Filter',
  H: 'Height', W: 'Width', IM: 'ImageMask', I: 'Interpolate',
};
const INLINE_VALUES: Record<string, string> = {
  G: 'DeviceGray', RGB: 'DeviceRGB', CMYK: 'DeviceCMYK', I: 'Indexed',
  AHx: 'ASCIIHexDecode', A85: 'ASCII85Decode', LZW: 'LZWDecode', Fl: 'FlateDecode',
  RL: 'RunLengthDecode', CCF: 'CCITTFaxDecode', DCT: 'DCTDecode',
};

function nameObj(sc: ContentScanner): PdfName | undefined {
  const n = sc.name();
  return n === undefined ? undefined : PdfName.of(n);
}

/**
 * The interpreter's answers for `step` and the fast-forward (Known), for the resources of
 * the content run at one depth. A class, not an object of closures made per interpreter:
 * the methods are then the same functions for every document, and V8's compiled code
 * for their callers (compiled for the first document's closures) is not thrown away
 * when the second document's come ("wrong call target").
 */
class KnownNow implements Known {
  res: PdfDict | undefined = undefined;
  readonly layers: boolean;
  private readonly interp: ContentInterpreter;
  constructor(interp: ContentInterpreter, layers: boolean) {
    this.interp = interp;
    this.layers = layers;
  }
  space(name: string): ColorSpace | undefined { return this.interp.spaceNow(this.res, name); }
  font(name: string, depth: number): boolean | undefined { return this.interp.fontNow(this.res, name, depth); }
  fontKnown(fonts: Map<string, boolean> | undefined, name: string): boolean | undefined { return this.interp.fontKnown(this.res, fonts, name); }
  fontsNeutral(fonts: Map<string, boolean> | undefined): boolean { return this.interp.fontsNeutral(this.res, fonts); }
  budget(offset: number): void { this.interp.budget(offset); }
}
