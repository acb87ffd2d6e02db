// The PDF parser: open the document (xref, recovery, encryption), walk the page tree, and
// for each page decide colour from its content (pagecolour.ts, content.ts). Pages are
// processed one at a time; only the verdicts are kept. With a user password the streams
// cannot be read: the pages are counted from the page tree (or the linearization
// dictionary) and colour is reported unknown, never guessed.

import { colourSummary, mediaName, type AnalysisResult, type MediaUse } from '../../../shared/analysis.ts';
import { AnalysisError } from '../errors.ts';
import type { Source } from '../source.ts';
import type { AnalyzeOptions, Parser } from '../types.ts';
import { ColourAnalyser } from './pagecolour.ts';
import { PdfDocument } from './document.ts';
import { OptionalContent } from './optional.ts';
import { linearizedPageCount, pageContents, PageWalker } from './pages.ts';
import { sniffPdf } from './sniff.ts';

async function analyze(source: Source, options: AnalyzeOptions): Promise<AnalysisResult> {
  try {
    return await analyzeDocument(source, options);
  } catch (e) {
    // An allocation the engine refused (a hostile size that slipped past a check) is a
    // limit, not a crash; every other non-AnalysisError is a bug and surfaces as such.
    if (e instanceof RangeError && /allocation|Invalid (typed )?array length|too large/i.test(e.message)) {
      throw new AnalysisError('ANALYSIS_LIMIT', `allocation refused: ${e.message}`, 0, { cause: e });
    }
    throw e;
  }
}

async function analyzeDocument(source: Source, options: AnalyzeOptions): Promise<AnalysisResult> {
  const deadline = Date.now() + options.limits.maxMillis;
  const doc = await PdfDocument.open(source, { limits: options.limits, signal: options.signal, deadline });
  try {
    return await analyzeOpen(doc);
  } finally {
    // Nothing of the document is read after this: its buffers go to the next one.
    doc.release();
  }
}

async function analyzeOpen(doc: PdfDocument): Promise<AnalysisResult> {
  const canColour = !doc.encrypted || doc.decryptor !== undefined;
  const analyser = canColour ? new ColourAnalyser(doc, await OptionalContent.load(doc)) : undefined;
  const flags = objectArray<boolean>();
  const pageMedia = objectArray<string>();
  let pages: number | null = 0;
  let method = 'pdf-content';
  const walk = { pages: 0, damage: false };
  try {
    await walkPages(doc, analyser, flags, pageMedia, walk);
    pages = walk.pages;
  } catch (e) {
    if (canColour || !(e instanceof AnalysisError) || e.code === 'ANALYSIS_LIMIT' || e.code === 'ANALYSIS_ABORTED') throw e;
    // Encrypted page tree (inside an encrypted object stream): the linearization
    // dictionary is the only other honest source of a page count.
    const n = await linearizedPageCount(doc);
    pages = n ?? null;
    pageMedia.length = 0;
    doc.warn(n !== undefined ? 'page count taken from the linearization dictionary' : 'the page tree is encrypted: pages unknown');
  }
  let colorPages: number | null = null;
  let colorPageNumbers: number[] | null = null;
  if (analyser) {
    ({ colorPages, colorPageNumbers } = colourSummary(flags));
  } else {
    method = 'pdf-structure';
    doc.warn('encrypted with a user password: colour unknown');
  }
  const media = objectArray<MediaUse>();
  if (pageMedia.length === pages) {
    // Pages mostly share one size: a run of the same name is counted without a lookup.
    const byName = new Map<string, MediaUse>();
    let m: MediaUse | undefined;
    for (let i = 0; i < pageMedia.length; i++) {
      const name = pageMedia[i]!;
      if (m === undefined || m.name !== name) {
        m = byName.get(name);
        if (!m) { m = { name, pages: 0, colorPages: 0 }; byName.set(name, m); media.push(m); }
      }
      m.pages++;
      if (flags[i]) m.colorPages++;
    }
  }
  const result: AnalysisResult = {
    format: 'pdf',
    pages,
    colorPages,
    colorPageNumbers,
    copies: 1,
    duplex: false,
    media,
    method,
    warnings: doc.warnings,
    recovered: doc.recovered || walk.damage,
  };
  if (pageMedia.length === pages && pages !== null && pages > 0) result.pageMedia = pageMedia;
  return result;
}

/**
 * Every page in order: its media name into `pageMedia`, its colour verdict into `flags`
 * (none without an analyser). A function of its own, not part of analyzeDocument: V8
 * compiles this loop during the first document, and the code after a loop is first run
 * only when the loop ends; code there that had never run threw the compiled loop away,
 * and the pages of every later document ran in the interpreter.
 */
async function walkPages(doc: PdfDocument, analyser: ColourAnalyser | undefined, flags: boolean[], pageMedia: string[], walk: { pages: number; damage: boolean }): Promise<void> {
  let lastW = NaN, lastH = NaN, lastName = '';
  const walker = await PageWalker.open(doc);
  for (;;) {
    const next = walker.next();
    const page = next instanceof Promise ? await next : next;
    if (page === null) return;
    const pages = ++walk.pages;
    // Pages mostly share one size: name it once.
    if (page.widthPt !== lastW || page.heightPt !== lastH) { lastW = page.widthPt; lastH = page.heightPt; lastName = mediaName(lastW, lastH); }
    pageMedia.push(lastName);
    if (!analyser) continue;
    let colour = false;
    try {
      const pc = pageContents(doc, page.dict);
      const contents = pc instanceof Promise ? await pc : pc;
      const c = analyser.pageHasColour(page.dict, page.resources, contents);
      colour = c instanceof Promise ? await c : c;
      if (analyser.damaged) {
        doc.warn(`page ${pages}: content could not be read to the end (${analyser.damaged})`);
        walk.damage = true;
      }
    } catch (e) {
      if (!(e instanceof AnalysisError) || !['ANALYSIS_MALFORMED', 'ANALYSIS_TRUNCATED', 'ANALYSIS_UNSUPPORTED'].includes(e.code)) throw e;
      // A damaged page: what was read before the damage decides, and the result says so.
      doc.warn(`page ${pages}: content could not be read to the end (${e.message})`);
      walk.damage = true;
    }
    flags.push(colour);
    const turn = doc.turn();
    if (turn) await turn;
  }
}

/**
 * An empty array already of the elements kind that holds objects: `[]` starts as small
 * integers and changes kind at its first push, and compiled code that had seen only one
 * kind (walkPages, from the document before) was thrown away when it met the other.
 */
function objectArray<T>(): T[] {
  const a: unknown[] = [null];
  a.pop();
  return a as T[];
}

export const pdfParser: Parser = { format: 'pdf', sniff: sniffPdf, analyze };
