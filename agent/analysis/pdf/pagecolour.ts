// Colour page by page: a page's content streams (one Flate stream inflated as it is read,
// else all of them decoded and joined) run through the content interpreter (content.ts),
// then its printing annotations' appearances. Each step goes on without a promise while
// what it needs is at hand (nearly every page), and asynchronously from the point it
// reached when something must be awaited: the same work in the same order either way.

import { AnalysisError } from '../errors.ts';
import { ContentInterpreter } from './content.ts';
import type { Decoded } from './filters.ts';
import { FEED_DAMAGED, GState } from './frame.ts';
import { Inflater } from './inflate.ts';
import { dictOf, nameOf, numOf, PdfDict, PdfRef, PdfStream, type PdfObj } from './objects.ts';

/** The stream entries streamData resolves in place, in its order (streams.ts). */
const FILTER_KEYS = ['Filter', 'DecodeParms', 'Length'];
const DAMAGE = new Set(['ANALYSIS_MALFORMED', 'ANALYSIS_TRUNCATED', 'ANALYSIS_UNSUPPORTED']);

/** Does a page put colour on paper? (One per document; pages are asked in order.) */
export class ColourAnalyser extends ContentInterpreter {
  /** The last page's content could not be read to its end (decided on what was read). */
  damaged: string | undefined;

  /** Inflates page content as it is read (forms and glyphs are decoded whole). */
  private readonly pageInflater = new Inflater();

  /**
   * Does this page (contents and printing annotations) put colour on paper? A boolean when
   * nothing had to be waited for (nearly every page: a promise per page and per step below
   * was most of what the page loop allocated), else a promise. Either way the same work is
   * done in the same order: each part goes on without a promise until something must be
   * awaited, and from there asynchronously, from the very point it had reached.
   */
  pageHasColour(page: PdfDict, resources: PdfObj | undefined, contents: PdfStream[]): boolean | Promise<boolean> {
    this.damaged = undefined;
    const r = this.doc.resolve(resources);
    const colour = r instanceof Promise ? this.pageColourLater(page, r, contents) : this.pageColour(page, dictOf(r), contents);
    if (colour instanceof Promise) return this.remember(colour);
    this.lastColour = colour;
    return colour;
  }

  // The asynchronous continuations are methods of their own, not closures: a function
  // whose variables a closure captures allocates their context on every call, also when
  // the closure is never made (nearly every page here).
  private async pageColourLater(page: PdfDict, r: Promise<PdfObj | undefined>, contents: PdfStream[]): Promise<boolean> {
    return this.pageColour(page, dictOf(await r), contents);
  }

  private async remember(colour: Promise<boolean>): Promise<boolean> {
    const c = await colour;
    this.lastColour = c;
    return c;
  }

  private pageColour(page: PdfDict, res: PdfDict | undefined, contents: PdfStream[]): boolean | Promise<boolean> {
    if (contents.length > 0) {
      let c: boolean | Promise<boolean>;
      try {
        c = this.pageContent(contents, res);
      } catch (e) {
        c = this.damage(e);
      }
      if (c instanceof Promise) return this.pageColourAfter(c, page);
      if (c) return true;
    }
    return this.annotationsHaveColour(page);
  }

  private async pageColourAfter(content: Promise<boolean>, page: PdfDict): Promise<boolean> {
    let c: boolean;
    try {
      c = await content;
    } catch (e) {
      c = this.damage(e);
    }
    return c || this.annotationsHaveColour(page);
  }

  /**
   * Damage inside the content: nothing painted before it was colour (the walk stops at the
   * first colour), so the page is decided on what could be read.
   */
  private damage(e: unknown): false {
    if (!(e instanceof AnalysisError) || !DAMAGE.has(e.code)) throw e;
    this.damaged = e.message;
    return false;
  }

  private pageContent(contents: PdfStream[], res: PdfDict | undefined): boolean | Promise<boolean> {
    // One Flate stream that can be read at once (the usual page): inflated as the
    // interpreter reads it, so a page whose colour shows early is not inflated to its end.
    const raw = contents.length === 1 ? this.doc.plainFlateNow(contents[0]!) : undefined;
    if (raw !== undefined && this.pageInflater.available) {
      const s = contents[0]!;
      this.pageInflater.begin(raw, this.doc.reader.shares(raw));
      try {
        const c = this.run(this.pageInflater.view(), s.start, res, GState.initial(), 0, { inflater: this.pageInflater, limit: this.doc.limits.maxBufferBytes - 1, offset: s.start });
        return c instanceof Promise ? this.fedLater(c, contents, res) : c;
      } catch (e) {
        return this.unfed(e, contents, res);
      }
    }
    return this.joined(contents, res, [], 0, 0);
  }

  private async fedLater(c: Promise<boolean>, contents: PdfStream[], res: PdfDict | undefined): Promise<boolean> {
    try {
      return await c;
    } catch (e) {
      return this.unfed(e, contents, res);
    }
  }

  /** Damaged fed data: the page is read again the way that recovers what it can (joined()). */
  private unfed(e: unknown, contents: PdfStream[], res: PdfDict | undefined): boolean | Promise<boolean> {
    if (e !== FEED_DAMAGED) throw e;
    return this.joined(contents, res, [], 0, 0);
  }

  /**
   * The streams of a Contents array form one content stream (an operator may even be split
   * across two of them), so they are decoded and joined; from stream `i` on, `parts` and
   * `total` holding those before it. Without a promise while their data is at hand.
   */
  private joined(contents: PdfStream[], res: PdfDict | undefined, parts: Uint8Array[], total: number, i: number): boolean | Promise<boolean> {
    for (; i < contents.length; i++) {
      const s = contents[i]!;
      const pending = this.directEntries(s);
      if (pending) return this.joinedAfter(pending, contents, res, parts, total, i);
      const now = this.doc.streamDataNow(s);
      if (now instanceof Promise) return this.joinedLater(now, contents, res, parts, total, i);
      total += this.part(s, now, parts, total);
    }
    const data = parts.length === 1 ? parts[0]! : joinWithSpace(parts);
    return this.run(data, contents[0]!.start, res, GState.initial(), 0);
  }

  /**
   * A content stream's indirect /Filter, /DecodeParms and /Length (pdfTeX writes an
   * indirect /Length for every stream) resolved in place, as streamData does after
   * reading the bytes (streams.ts), so that its data can be had without a promise. A
   * promise only when one of them does not parse at once. Not for what streamData refuses
   * or decrypts first.
   */
  private directEntries(s: PdfStream): Promise<void> | undefined {
    const doc = this.doc;
    if (doc.encrypted || s.length > doc.limits.maxBufferBytes) return undefined;
    const d = s.dict;
    for (const k of FILTER_KEYS) {
      const v = d.get(k);
      if (!(v instanceof PdfRef)) continue;
      const r = doc.resolve(v);
      if (r instanceof Promise) return this.directEntriesLater(r, s, k);
      d.set(k, r ?? null);
    }
    return undefined;
  }

  private async directEntriesLater(r: Promise<PdfObj | undefined>, s: PdfStream, k: string): Promise<void> {
    s.dict.set(k, (await r) ?? null);
    return this.directEntries(s);
  }

  private async joinedAfter(pending: Promise<void>, contents: PdfStream[], res: PdfDict | undefined, parts: Uint8Array[], total: number, i: number): Promise<boolean> {
    await pending;
    return this.joined(contents, res, parts, total, i);
  }

  private async joinedLater(d: Promise<Decoded>, contents: PdfStream[], res: PdfDict | undefined, parts: Uint8Array[], total: number, i: number): Promise<boolean> {
    const s = contents[i]!;
    total += this.part(s, await d, parts, total);
    return this.joined(contents, res, parts, total, i + 1);
  }

  /** One content stream's data into `parts`: the bytes it adds to `total`. */
  private part(s: PdfStream, d: Decoded, parts: Uint8Array[], total: number): number {
    if (d.codec) throw new AnalysisError('ANALYSIS_MALFORMED', `content stream with image filter /${d.codec}`, s.start);
    if (total + d.data.length + 1 > this.doc.limits.maxBufferBytes) throw new AnalysisError('ANALYSIS_LIMIT', 'page content larger than the buffer limit', s.start);
    parts.push(d.data);
    return d.data.length + 1;
  }

  /**
   * Pages of link-heavy documents carry hundreds of annotations, nearly all of which do
   * not print: values that parse at once are not awaited, and annotation dictionaries
   * (used by this page only) are not kept in the object cache.
   */
  private annotationsHaveColour(page: PdfDict): boolean | Promise<boolean> {
    const annots = this.doc.resolve(page.get('Annots'));
    return annots instanceof Promise ? this.annotationsLater(annots) : this.annotations(annots, 0);
  }

  private async annotationsLater(annots: Promise<PdfObj | undefined>): Promise<boolean> {
    return this.annotations(await annots, 0);
  }

  /** The annotations from the `i`th on (at most 5,000 in all). */
  private annotations(annots: PdfObj | undefined, i: number): boolean | Promise<boolean> {
    if (!Array.isArray(annots)) return false;
    const count = Math.min(annots.length, 5000);
    for (; i < count; i++) {
      const c = this.annotation(annots[i]);
      if (c instanceof Promise) return this.annotationsAfter(c, annots, i + 1);
      if (c) return true;
    }
    return false;
  }

  private async annotationsAfter(c: Promise<boolean>, annots: PdfObj[], next: number): Promise<boolean> {
    return (await c) || this.annotations(annots, next);
  }

  private annotation(ref: PdfObj | undefined): boolean | Promise<boolean> {
    const doc = this.doc;
    if (ref instanceof PdfRef) {
      // Most annotations (links) do not print: their /F says so without parsing them.
      const f = doc.peekInteger(ref.num, 'F');
      if (f !== undefined && ((f ?? 0) & 4) === 0) return false;
      if (f !== undefined && (f! & 2) !== 0) return false;
    }
    const a = doc.resolveOnce(ref);
    return a instanceof Promise ? this.annotationLater(a) : this.annotationDict(a);
  }

  private async annotationLater(a: Promise<PdfObj | undefined>): Promise<boolean> {
    return this.annotationDict(await a);
  }

  private annotationDict(a: PdfObj | undefined): boolean | Promise<boolean> {
    const d = dictOf(a);
    if (!d) return false;
    const f = this.doc.resolve(d.get('F'));
    return f instanceof Promise ? this.annotationFlagsLater(d, f) : this.annotationFlags(d, f);
  }

  private async annotationFlagsLater(d: PdfDict, f: Promise<PdfObj | undefined>): Promise<boolean> {
    return this.annotationFlags(d, await f);
  }

  private annotationFlags(d: PdfDict, f: PdfObj | undefined): boolean | Promise<boolean> {
    const flags = numOf(f) ?? 0;
    // Print flag (bit 3) set and Hidden (bit 2) clear, else the annotation does not print.
    if ((flags & 4) === 0 || (flags & 2) !== 0) return false;
    return this.printingAnnotation(d);
  }

  /** An annotation that prints: its normal appearance, unless on a layer that does not print. */
  private async printingAnnotation(d: PdfDict): Promise<boolean> {
    const doc = this.doc;
    if (await this.ocHidden(d)) return false;
    const ap = dictOf(await doc.resolve(d.get('AP')));
    let n = await doc.resolve(ap?.get('N'));
    if (n instanceof PdfDict) {
      const state = nameOf(d.get('AS'));
      n = state ? await doc.resolve(n.get(state)) : undefined;
    }
    if (!(n instanceof PdfStream)) return false;
    return this.form(n, undefined, GState.initial(), 0);
  }
}

function joinWithSpace(parts: Uint8Array[]): Uint8Array {
  const total = parts.reduce((a, p) => a + p.length + 1, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; out[o++] = 0x0a; }
  return out;
}

