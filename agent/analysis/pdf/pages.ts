// The page tree walk: depth-first from the catalog's /Pages, in document order, with the
// inheritable attributes (Resources, MediaBox, CropBox, Rotate) carried down, a guard
// against cycles (a Kids array pointing back up) and the page limit. Pages are yielded one
// at a time so a 100,000-page document is never held as a list of page dictionaries.
// Page tree nodes are dictionaries, never encrypted, so this works even when the
// document's streams cannot be decrypted (unless the tree sits in an object stream).

import { AnalysisError } from '../errors.ts';
import type { PdfDocument } from './document.ts';
import { arrayOf, dictOf, isName, numbersOf, numOf, PdfDict, PdfRef, PdfStream, type PdfObj } from './objects.ts';

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

export async function* walkPages(doc: PdfDocument): AsyncGenerator<PageInfo> {
  const root = dictOf(await doc.resolve(doc.trailer.get('Root')));
  if (!root) throw new AnalysisError('ANALYSIS_MALFORMED', 'no document catalog', 0);
  const top = root.get('Pages');
  if (!dictOf(await doc.resolve(top))) throw new AnalysisError('ANALYSIS_MALFORMED', 'the page tree cannot be read', 0);
  const visited = new Set<number>();
  let number = 0;
  // Explicit stack of iterators over Kids arrays, so depth costs no JS stack.
  const stack: Array<{ kids: PdfObj[]; i: number; inh: Inherited }> = [];
  const visit = async (node: PdfObj | undefined, inh: Inherited): Promise<PageInfo | undefined> => {
    if (node instanceof PdfRef) {
      if (visited.has(node.num)) {
        doc.warn('the page tree refers to a node twice (ignored)');
        return undefined;
      }
      visited.add(node.num);
    }
    const d = dictOf(node instanceof PdfRef ? await doc.getObject(node.num, false) : node);
    if (!d) {
      // A kid that does not exist: the count is partial, and the result says so.
      doc.warn('the page tree refers to objects that are missing (those pages are not counted)');
      doc.recovered = true;
      return undefined;
    }
    const here: Inherited = {
      resources: d.get('Resources') ?? inh.resources,
      mediaBox: d.get('MediaBox') ?? inh.mediaBox,
      cropBox: d.get('CropBox') ?? inh.cropBox,
      rotate: d.get('Rotate') ?? inh.rotate,
    };
    const k = doc.resolve(d.get('Kids'));
    const kids = arrayOf(k instanceof Promise ? await k : k);
    const type = d.get('Type');
    if (kids && !isName(type, 'Page')) {
      if (stack.length > 256) throw new AnalysisError('ANALYSIS_MALFORMED', 'page tree too deep', 0);
      stack.push({ kids, i: 0, inh: here });
      return undefined;
    }
    // Like poppler (the pdfinfo reference): any dictionary without Kids is a page.
    number++;
    if (number > doc.limits.maxPages) throw new AnalysisError('ANALYSIS_LIMIT', 'more pages than the page limit', 0);
    // Await only what is indirect: most values are direct, and an await per value costs a
    // microtask turn at thousands of pages per second.
    const vals = [here.mediaBox, here.cropBox, d.get('UserUnit'), here.rotate].map((o) => doc.resolve(o));
    for (let i = 0; i < vals.length; i++) { const v = vals[i]; if (v instanceof Promise) vals[i] = await v; }
    const [w, h] = pageSize(vals[0] as PdfObj | undefined, vals[1] as PdfObj | undefined, vals[2] as PdfObj | undefined, vals[3] as PdfObj | undefined);
    return { number, dict: d, resources: here.resources, widthPt: w, heightPt: h };
  };
  const first = await visit(top, { resources: undefined, mediaBox: undefined, cropBox: undefined, rotate: undefined });
  if (first) yield first;
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    if (frame.i >= frame.kids.length) { stack.pop(); continue; }
    doc.budget(0);
    const page = await visit(frame.kids[frame.i++], frame.inh);
    if (page) yield page;
  }
}

function box(o: PdfObj | undefined): number[] | undefined {
  const a = numbersOf(o);
  if (!a || a.length < 4 || a.some((x) => !Number.isFinite(x))) return undefined;
  return [Math.min(a[0]!, a[2]!), Math.min(a[1]!, a[3]!), Math.max(a[0]!, a[2]!), Math.max(a[1]!, a[3]!)];
}

/** Width and height of the printed area: CropBox within MediaBox, times /UserUnit, rotated. */
function pageSize(mediaBox: PdfObj | undefined, cropBox: PdfObj | undefined, userUnit: PdfObj | undefined, rotate: PdfObj | undefined): [number, number] {
  const media = box(mediaBox) ?? [0, 0, 612, 792];
  const crop = box(cropBox);
  let b = media;
  if (crop) {
    const x0 = Math.max(media[0]!, crop[0]!), y0 = Math.max(media[1]!, crop[1]!);
    const x1 = Math.min(media[2]!, crop[2]!), y1 = Math.min(media[3]!, crop[3]!);
    if (x1 > x0 && y1 > y0) b = [x0, y0, x1, y1];
  }
  const unit = numOf(userUnit) ?? 1;
  const u = unit > 0 && unit < 1000 ? unit : 1;
  let w = (b[2]! - b[0]!) * u;
  let h = (b[3]! - b[1]!) * u;
  const rot = numOf(rotate) ?? 0;
  if (Math.abs(Math.round(rot / 90)) % 2 === 1) [w, h] = [h, w];
  return [w, h];
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

/** A page's content streams (one stream or an array of them). */
export async function pageContents(doc: PdfDocument, page: PdfDict): Promise<PdfStream[]> {
  // Content streams belong to one page: read them past the object cache.
  // Await only what needs it: the stream objects usually parse from a cached block.
  let c = once(doc, page.get('Contents'));
  if (c instanceof Promise) c = await c;
  if (c instanceof PdfStream) return [c];
  const out: PdfStream[] = [];
  if (!Array.isArray(c)) return out;
  for (const s of c) {
    let r = once(doc, s);
    if (r instanceof Promise) r = await r;
    if (r instanceof PdfStream) out.push(r);
  }
  return out;
}

function once(doc: PdfDocument, o: PdfObj | undefined): PdfObj | undefined | Promise<PdfObj> {
  return o instanceof PdfRef ? doc.getObject(o.num, false) : o;
}
