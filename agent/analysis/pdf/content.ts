// Content-stream colour analysis: interpret just enough of a page's content (colour
// operators, painting operators, q/Q, text render mode, XObjects, shadings, patterns,
// inline images, optional content) to answer "does this page paint non-neutral colour?".
// A colour that is set but replaced before anything is painted with it does not count.
// The walk stops at the first colour painted. Form XObjects and patterns recurse with a
// depth and cycle guard; their verdicts are cached per object and inherited colour state.

import { AnalysisError } from '../errors.ts';
import { CMYK, GRAY, isColour, loadColorSpace, PATTERN, RGB, type ColorSpace } from './colorspace.ts';
import type { PdfDocument } from './document.ts';
import { imageIsColour } from './images.ts';
import { indexOf, isWhite, Lexer } from './lexer.ts';
import { ContentScanner, op } from './scanner.ts';
import { dictOf, nameOf, numOf, PdfDict, PdfName, PdfOp, PdfRef, PdfStream, type PdfObj } from './objects.ts';
import type { OptionalContent } from './optional.ts';
import { shadingIsColour } from './shading.ts';

interface GState {
  fillCS: ColorSpace;
  strokeCS: ColorSpace;
  /** Whether the current fill / stroke colour is non-neutral. */
  fill: boolean;
  stroke: boolean;
  /** Text render mode (3 and 7 paint nothing). */
  tr: number;
  /** The font resource name selected by Tf (for Type 3 fonts, whose glyphs may colour). */
  font: string | undefined;
}

const MAX_DEPTH = 12;
const DAMAGE = new Set(['ANALYSIS_MALFORMED', 'ANALYSIS_TRUNCATED', 'ANALYSIS_UNSUPPORTED']);

function initialState(): GState {
  return { fillCS: GRAY, strokeCS: GRAY, fill: false, stroke: false, tr: 0, font: undefined };
}

export class ColourAnalyser {
  private readonly doc: PdfDocument;
  /** Verdicts of form XObjects / patterns keyed by "num:fill stroke tr". */
  private readonly formCache = new Map<string, boolean>();
  private readonly imageCache = new Map<number, boolean>();
  private readonly shadingCache = new Map<number, boolean>();
  private readonly fontCache = new Map<number, boolean>();
  private readonly spaces = new WeakMap<PdfDict, Map<string, ColorSpace>>();
  private readonly active = new Set<number>();
  /** One scanner per nesting depth, reused: at most one run per depth is active at a time. */
  private readonly scanners: ContentScanner[] = [];
  /** Type 3 verdicts of page-level content, per resource dictionary and font name. */
  private readonly pageFonts = new WeakMap<PdfDict, Map<string, boolean>>();

  private readonly oc: OptionalContent | undefined;

  constructor(doc: PdfDocument, oc?: OptionalContent) {
    this.doc = doc;
    this.oc = oc;
  }

  private async ocHidden(d: PdfDict): Promise<boolean> {
    return this.oc !== undefined && d.has('OC') && this.oc.isHidden(d.get('OC'));
  }

  /** The last page's content could not be read to its end (decided on what was read). */
  damaged: string | undefined;

  /** Does this page (contents and printing annotations) put colour on paper? */
  async pageHasColour(page: PdfDict, resources: PdfObj | undefined, contents: PdfStream[]): Promise<boolean> {
    this.damaged = undefined;
    const res = dictOf(await this.doc.resolve(resources));
    if (contents.length > 0) {
      try {
        // The streams of a Contents array form one content stream (an operator may even be
        // split across two of them), so they are decoded and joined.
        const parts: Uint8Array[] = [];
        let total = 0;
        for (const s of contents) {
          const d = await this.content(s);
          total += d.length + 1;
          if (total > this.doc.limits.maxBufferBytes) throw new AnalysisError('ANALYSIS_LIMIT', 'page content larger than the buffer limit', s.start);
          parts.push(d);
        }
        const data = parts.length === 1 ? parts[0]! : joinWithSpace(parts);
        if (await this.run(data, contents[0]!.start, res, initialState(), 0)) return true;
      } catch (e) {
        // Damage inside the content: nothing painted before it was colour (the walk stops
        // at the first colour), so the page is decided on what could be read.
        if (!(e instanceof AnalysisError) || !DAMAGE.has(e.code)) throw e;
        this.damaged = e.message;
      }
    }
    return this.annotationsHaveColour(page);
  }

  private async content(s: PdfStream): Promise<Uint8Array> {
    const now = this.doc.streamDataNow(s);
    const d = now instanceof Promise ? await now : now;
    if (d.codec) throw new AnalysisError('ANALYSIS_MALFORMED', `content stream with image filter /${d.codec}`, s.start);
    return d.data;
  }

  private async annotationsHaveColour(page: PdfDict): Promise<boolean> {
    const annots = await this.doc.resolve(page.get('Annots'));
    if (!Array.isArray(annots)) return false;
    for (const a of annots.slice(0, 5000)) {
      const d = dictOf(await this.doc.resolve(a));
      if (!d) continue;
      const flags = numOf(await this.doc.resolve(d.get('F'))) ?? 0;
      // Print flag (bit 3) set and Hidden (bit 2) clear, else the annotation does not print.
      if ((flags & 4) === 0 || (flags & 2) !== 0) continue;
      if (await this.ocHidden(d)) continue;
      const ap = dictOf(await this.doc.resolve(d.get('AP')));
      let n = await this.doc.resolve(ap?.get('N'));
      if (n instanceof PdfDict) {
        const state = nameOf(d.get('AS'));
        n = state ? await this.doc.resolve(n.get(state)) : undefined;
      }
      if (!(n instanceof PdfStream)) continue;
      if (await this.form(n, undefined, initialState(), 0)) return true;
    }
    return false;
  }

  /** Run a form XObject (or appearance stream / tiling pattern cell). */
  private async form(s: PdfStream, parentRes: PdfDict | undefined, gs: GState, depth: number): Promise<boolean> {
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
      const verdict = await this.run(data, s.start, res, { ...gs }, depth + 1);
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

  /** The content interpreter proper. Returns true as soon as colour is painted. */
  private async run(data: Uint8Array, base: number, res: PdfDict | undefined, start: GState, depth: number): Promise<boolean> {
    const doc = this.doc;
    const sc = (this.scanners[depth] ??= new ContentScanner(data, base)).use(data, base);
    const v = sc.nums;
    let gs = start;
    const saved: GState[] = [];
    let count = 0;
    // Marked content: one entry per open BDC/BMC, true when it opened a hidden layer.
    const marked: boolean[] = [];
    let hidden = 0;
    // Type 3 verdicts by font name: shared by the pages that share a resource dictionary
    // (page level only, where the depth limit cannot differ), else per content stream.
    let fonts: Map<string, boolean> | undefined;
    if (depth === 0 && res) {
      fonts = this.pageFonts.get(res);
      if (!fonts) { fonts = new Map(); this.pageFonts.set(res, fonts); }
    }
    for (;;) {
      const before = sc.pos;
      const code = sc.next();
      if (code === 0) return false;
      if (sc.pos === before) throw new AnalysisError('ANALYSIS_STALLED', 'content scanner made no progress', base + sc.pos);
      if ((++count & 0x3fff) === 0) doc.budget(base + sc.pos);
      switch (code) {
        // --- painting ---
        case OP.f: case OP.F: case OP.fs:
          if (gs.fill && hidden === 0) return true;
          break;
        case OP.S: case OP.s:
          if (gs.stroke && hidden === 0) return true;
          break;
        case OP.B: case OP.Bs: case OP.b: case OP.bs:
          if ((gs.fill || gs.stroke) && hidden === 0) return true;
          break;
        case OP.Tj: case OP.TJ: case OP.quote: case OP.dquote: {
          const m = gs.tr;
          if (m !== 3 && m !== 7 && hidden === 0) {
            const fills = m === 0 || m === 2 || m === 4 || m === 6;
            const strokes = m === 1 || m === 2 || m === 5 || m === 6;
            if ((fills && gs.fill) || (strokes && gs.stroke)) return true;
            if (gs.font !== undefined) {
              // One lookup per font name and content stream: text shows are the hot path.
              let t3 = (fonts ??= new Map()).get(gs.font);
              if (t3 === undefined) { t3 = await this.type3(res, gs.font, depth); fonts.set(gs.font, t3); }
              if (t3) return true;
            }
          }
          break;
        }
        case OP.Tf: gs.font = sc.name(); break;
        case OP.Tr: gs.tr = sc.count > 0 ? v[0]! : 0; break;
        // --- graphics state stack ---
        case OP.q:
          if (saved.length < 256) saved.push({ ...gs });
          break;
        case OP.Q:
          if (saved.length > 0) gs = saved.pop()!;
          break;
        // --- colour ---
        case OP.g: gs.fillCS = GRAY; gs.fill = false; break;
        case OP.G: gs.strokeCS = GRAY; gs.stroke = false; break;
        case OP.rg: gs.fillCS = RGB; gs.fill = isColour(RGB, operands(sc, 3)); break;
        case OP.RG: gs.strokeCS = RGB; gs.stroke = isColour(RGB, operands(sc, 3)); break;
        case OP.k: gs.fillCS = CMYK; gs.fill = isColour(CMYK, operands(sc, 4)); break;
        case OP.K: gs.strokeCS = CMYK; gs.stroke = isColour(CMYK, operands(sc, 4)); break;
        case OP.cs: case OP.CS: {
          const cs = await this.space(nameObj(sc), res);
          const colour = cs.kind === 'pattern' ? false : isColour(cs, cs.initial);
          if (code === OP.cs) { gs.fillCS = cs; gs.fill = colour; } else { gs.strokeCS = cs; gs.stroke = colour; }
          break;
        }
        case OP.sc: case OP.scn: case OP.SC: case OP.SCN: {
          const fill = code === OP.sc || code === OP.scn;
          const cs = fill ? gs.fillCS : gs.strokeCS;
          let colour: boolean;
          if (cs.kind === 'pattern') colour = await this.patternColour(sc, cs, res, depth);
          else colour = isColour(cs, operands(sc, cs.n));
          if (fill) gs.fill = colour; else gs.stroke = colour;
          break;
        }
        // --- shadings, XObjects, inline images ---
        // --- optional content ---
        case OP.BDC: {
          let off = false;
          if (this.oc && sc.firstNameIs('OC')) {
            const { ref, obj } = await this.resource(res, 'Properties', nameObj(sc));
            off = await this.oc.isHidden(ref ?? obj);
          }
          if (marked.length < 1024) { marked.push(off); if (off) hidden++; }
          break;
        }
        case OP.BMC: if (marked.length < 1024) marked.push(false); break;
        case OP.EMC: if (marked.pop()) hidden--; break;
        case OP.sh: {
          if (hidden > 0) break;
          const { ref, obj } = await this.resource(res, 'Shading', nameObj(sc));
          if (obj !== undefined && await this.shading(ref, obj, res)) return true;
          break;
        }
        case OP.Do: {
          if (hidden > 0) break;
          const { ref, obj } = await this.resource(res, 'XObject', nameObj(sc));
          if (obj instanceof PdfStream && await this.xobject(ref, obj, res, gs, depth)) return true;
          break;
        }
        case OP.BI: {
          const lx = new Lexer(data, base, true);
          lx.pos = sc.pos;
          const colour = await this.inlineImage(lx, res, gs);
          sc.pos = Math.max(sc.pos + 1, lx.pos);
          if (colour && hidden === 0) return true;
          break;
        }
        default: break;
      }
      sc.reset();
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
        if (await this.run(data, g.start, fontRes, initialState(), depth + 1)) { verdict = true; break; }
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
    return this.form(obj, res, initialState(), depth);
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

/** The first n numeric operands (missing ones read as 0). */
function operands(sc: ContentScanner, n: number): Float64Array {
  for (let i = sc.count; i < n && i < sc.nums.length; i++) sc.nums[i] = 0;
  return sc.nums;
}

function nameObj(sc: ContentScanner): PdfName | undefined {
  const n = sc.name();
  return n === undefined ? undefined : PdfName.of(n);
}

const OP = {
  f: op('f'), F: op('F'), fs: op('f*'), S: op('S'), s: op('s'), B: op('B'), Bs: op('B*'), b: op('b'), bs: op('b*'),
  Tj: op('Tj'), TJ: op('TJ'), quote: op("'"), dquote: op('"'), Tr: op('Tr'), q: op('q'), Q: op('Q'),
  g: op('g'), G: op('G'), rg: op('rg'), RG: op('RG'), k: op('k'), K: op('K'), cs: op('cs'), CS: op('CS'),
  sc: op('sc'), scn: op('scn'), SC: op('SC'), SCN: op('SCN'), sh: op('sh'), Do: op('Do'), BI: op('BI'), BDC: op('BDC'), BMC: op('BMC'), EMC: op('EMC'),
  Tf: op('Tf'), d0: op('d0'), d1: op('d1'),
} as const;

function joinWithSpace(parts: Uint8Array[]): Uint8Array {
  const total = parts.reduce((a, p) => a + p.length + 1, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; out[o++] = 0x0a; }
  return out;
}

