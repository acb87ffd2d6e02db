// The page tree walk: depth-first from the catalog's /Pages, in document order, with the
// inheritable attributes (Resources, MediaBox, CropBox, Rotate) carried down, a guard
// against cycles (a Kids array pointing back up) and the page limit. Pages are yielded one
// at a time so a 100,000-page document is never held as a list of page dictionaries.
// Page tree nodes are dictionaries, never encrypted, so this works even when the
// document's streams cannot be decrypted (unless the tree sits in an object stream).

import { AnalysisError } from '../errors.ts';
import type { PdfDocument } from './document.ts';
import { arrayOf, dictOf, isName, numOf, PdfDict, PdfRef, PdfStream, type PdfObj } from './objects.ts';

export interface PageInfo {
  /** 1-based page number. */
  number: number;
  dict: PdfDict;
  resources: PdfObj | undefined;
  /** Effective box in points after /UserUnit: [width, height]. */
  widthPt: number;
  heightPt: number;
}

interface Inherited {
  resources: PdfObj | undefined;
  mediaBox: PdfObj | undefined;
  cropBox: PdfObj | undefined;
  rotate: PdfObj | undefined;
}

const NO_DICT = new PdfDict();
const NONE: Inherited = { resources: undefined, mediaBox: undefined, cropBox: undefined, rotate: undefined };

/**
 * The page tree walk as an iterator whose next() answers without a promise whenever the
 * objects it needs parse at once (nearly always with a file source): a promise and an
 * async-generator turn per page were a measurable share of a 4,000-page run.
 */
export class PageWalker {
  private readonly doc: PdfDocument;
  private readonly top: PdfObj | undefined;
  private readonly visited = new Set<number>();
  /** Explicit stack of iterators over Kids arrays, so depth costs no JS stack. */
  private readonly stack: Array<{ kids: PdfObj[]; i: number; inh: Inherited }> = objectArray();
  private started = false;
  private number = 0;

  private constructor(doc: PdfDocument, top: PdfObj | undefined) {
    this.doc = doc;
    this.top = top;
  }

  static async open(doc: PdfDocument): Promise<PageWalker> {
    const root = dictOf(await doc.resolve(doc.trailer.get('Root')));
    if (!root) throw new AnalysisError('ANALYSIS_MALFORMED', 'no document catalog', 0);
    const top = root.get('Pages');
    if (!dictOf(await doc.resolve(top))) throw new AnalysisError('ANALYSIS_MALFORMED', 'the page tree cannot be read', 0);
    return new PageWalker(doc, top);
  }

  /** The next page in document order; null after the last. */
  next(): PageInfo | null | Promise<PageInfo | null> {
    for (;;) {
      let r: PageInfo | undefined | Promise<PageInfo | undefined>;
      if (!this.started) {
        this.started = true;
        r = this.visit(this.top, NONE);
      } else {
        const frame = this.stack[this.stack.length - 1];
        if (!frame) return null;
        if (frame.i >= frame.kids.length) { this.stack.pop(); continue; }
        this.doc.budget(0);
        r = this.visit(frame.kids[frame.i++], frame.inh);
      }
      if (r instanceof Promise) return r.then((page) => page ?? this.next());
      if (r) return r;
    }
  }

  private visit(node: PdfObj | undefined, inh: Inherited): PageInfo | undefined | Promise<PageInfo | undefined> {
    if (node instanceof PdfRef) {
      if (this.visited.has(node.num)) {
        this.doc.warn('the page tree refers to a node twice (ignored)');
        return undefined;
      }
      this.visited.add(node.num);
      const o = this.doc.getObject(node.num, false);
      return o instanceof Promise ? o.then((v) => this.node(v, inh)) : this.node(o, inh);
    }
    return this.node(node, inh);
  }

  private node(o: PdfObj | undefined, inh: Inherited): PageInfo | undefined | Promise<PageInfo | undefined> {
    const doc = this.doc;
    const d = dictOf(o);
    if (!d) {
      // A kid that does not exist: the count is partial, and the result says so.
      doc.warn('the page tree refers to objects that are missing (those pages are not counted)');
      doc.recovered = true;
      return undefined;
    }
    const k = doc.resolve(d.get('Kids'));
    return k instanceof Promise ? k.then((v) => this.kidsOrPage(d, inh, v)) : this.kidsOrPage(d, inh, k);
  }

  private kidsOrPage(d: PdfDict, inh: Inherited, k: PdfObj | undefined): PageInfo | undefined | Promise<PageInfo | undefined> {
    const doc = this.doc;
    const kids = arrayOf(k);
    if (kids && !isName(d.get('Type'), 'Page')) {
      if (this.stack.length > 256) throw new AnalysisError('ANALYSIS_MALFORMED', 'page tree too deep', 0);
      const here: Inherited = {
        resources: d.get('Resources') ?? inh.resources,
        mediaBox: d.get('MediaBox') ?? inh.mediaBox,
        cropBox: d.get('CropBox') ?? inh.cropBox,
        rotate: d.get('Rotate') ?? inh.rotate,
      };
      this.stack.push({ kids, i: 0, inh: here });
      return undefined;
    }
    // Like poppler (the pdfinfo reference): any dictionary without Kids is a page.
    const number = ++this.number;
    if (number > doc.limits.maxPages) throw new AnalysisError('ANALYSIS_LIMIT', 'more pages than the page limit', 0);
    const resources = d.get('Resources') ?? inh.resources;
    // Await only what is indirect (in order, as the values are needed).
    const mb = doc.resolve(d.get('MediaBox') ?? inh.mediaBox), cb = doc.resolve(d.get('CropBox') ?? inh.cropBox);
    const uu = doc.resolve(d.get('UserUnit')), ro = doc.resolve(d.get('Rotate') ?? inh.rotate);
    if (mb instanceof Promise || cb instanceof Promise || uu instanceof Promise || ro instanceof Promise) {
      // Awaited in order, so when one fails the later ones are never awaited: marked
      // handled here, or their failure (the same limit, an abort) would be an unhandled
      // rejection, which ends the process.
      for (const v of [mb, cb, uu, ro]) if (v instanceof Promise) v.catch(ignore);
      return (async () => {
        const vals = [await mb, await cb, await uu, await ro];
        return pageInfo(number, d, resources, vals[0], vals[1], vals[2], vals[3]);
      })();
    }
    return pageInfo(number, d, resources, mb, cb, uu, ro);
  }
}

function ignore(): void {}

/**
 * An empty array that holds objects from the start: an empty literal holds small
 * integers until its first push, which V8's compiled push (fed by the walk of an earlier
 * file) then rejects, throwing its code away.
 */
function objectArray<T extends object>(): T[] {
  const a: T[] = [NONE as unknown as T];
  a.length = 0;
  return a;
}

// The page boxes, read without arrays (a page walk of thousands of pages made several
// small arrays per page): MEDIA and CROP hold [x0, y0, x1, y1], normalised.
const MEDIA = new Float64Array(4);
const CROP = new Float64Array(4);

/** Box `o` into `out` when it is an array of at least 4 finite numbers (all of them); else false. */
function box(o: PdfObj | undefined, out: Float64Array): boolean {
  if (!Array.isArray(o) || o.length < 4) return false;
  for (let i = 0; i < o.length; i++) {
    const x = o[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) return false;
  }
  const a0 = o[0] as number, a1 = o[1] as number, a2 = o[2] as number, a3 = o[3] as number;
  out[0] = Math.min(a0, a2); out[1] = Math.min(a1, a3); out[2] = Math.max(a0, a2); out[3] = Math.max(a1, a3);
  return true;
}

/** The page with its printed size: CropBox within MediaBox, times /UserUnit, rotated. */
function pageInfo(number: number, dict: PdfDict, resources: PdfObj | undefined, mediaBox: PdfObj | undefined, cropBox: PdfObj | undefined, userUnit: PdfObj | undefined, rotate: PdfObj | undefined): PageInfo {
  if (!box(mediaBox, MEDIA)) { MEDIA[0] = 0; MEDIA[1] = 0; MEDIA[2] = 612; MEDIA[3] = 792; }
  let x0 = MEDIA[0]!, y0 = MEDIA[1]!, x1 = MEDIA[2]!, y1 = MEDIA[3]!;
  if (box(cropBox, CROP)) {
    const cx0 = Math.max(x0, CROP[0]!), cy0 = Math.max(y0, CROP[1]!);
    const cx1 = Math.min(x1, CROP[2]!), cy1 = Math.min(y1, CROP[3]!);
    if (cx1 > cx0 && cy1 > cy0) { x0 = cx0; y0 = cy0; x1 = cx1; y1 = cy1; }
  }
  const unit = numOf(userUnit) ?? 1;
  const u = unit > 0 && unit < 1000 ? unit : 1;
  let w = (x1 - x0) * u;
  let h = (y1 - y0) * u;
  const rot = numOf(rotate) ?? 0;
  if (Math.abs(Math.round(rot / 90)) % 2 === 1) { const t = w; w = h; h = t; }
  return { number, dict, resources, widthPt: w, heightPt: h };
}

/** The page count from a linearization dictionary (first object of the file), if any. */
export async function linearizedPageCount(doc: PdfDocument): Promise<number | undefined> {
  const head = await doc.reader.read(0, 1024);
  // Find the first "obj" and parse from the start of its line.
  const text = Buffer.from(head).toString('latin1');
  const m = /(\d+)\s+(\d+)\s+obj/.exec(text);
  if (!m) return undefined;
  try {
    const { value } = await doc.parseAt(m.index);
    const d = dictOf(value);
    if (d && d.has('Linearized')) {
      const n = numOf(d.get('N'));
      if (n !== undefined && Number.isInteger(n) && n >= 0) return n;
    }
  } catch (e) {
    if (!(e instanceof AnalysisError)) throw e;
  }
  return undefined;
}

/** A page's content streams (one stream or an array of them); no promise when none is needed. */
export function pageContents(doc: PdfDocument, page: PdfDict): PdfStream[] | Promise<PdfStream[]> {
  // Content streams belong to one page: read them past the object cache.
  const c = once(doc, page.get('Contents'));
  if (c instanceof Promise) return c.then((v) => contentsFrom(doc, v));
  return contentsFrom(doc, c);
}

function contentsFrom(doc: PdfDocument, c: PdfObj | undefined): PdfStream[] | Promise<PdfStream[]> {
  if (c instanceof PdfStream) return [c];
  const out: PdfStream[] = [];
  if (!Array.isArray(c)) return out;
  for (let i = 0; i < c.length; i++) {
    const r = once(doc, c[i]);
    if (r instanceof Promise) return rest(doc, c, i, out);
    if (r instanceof PdfStream) out.push(r);
  }
  return out;
}

async function rest(doc: PdfDocument, c: PdfObj[], from: number, out: PdfStream[]): Promise<PdfStream[]> {
  for (let i = from; i < c.length; i++) {
    const r = await once(doc, c[i]);
    if (r instanceof PdfStream) out.push(r);
  }
  return out;
}

function once(doc: PdfDocument, o: PdfObj | undefined): PdfObj | undefined | Promise<PdfObj> {
  return o instanceof PdfRef ? doc.getObject(o.num, false) : o;
}

// pageInfo is compiled on the first pages of a file; a path first taken after that (a
// CropBox, a rotation, a box with fractions) threw its code away. A few calls here give
// those paths type feedback first.
for (let i = 0; i < 10; i++) {
  pageInfo(0, NO_DICT, undefined, i < 5 ? [0, 0, 612, 792] : [0, 0, 595.3, 841.9], i & 1 ? [1, 1, 600.5, 780] : undefined, i & 2 ? 2 : undefined, i & 4 ? 90 : undefined);
}
