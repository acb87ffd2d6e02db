// The PDF parser: open the document (xref, recovery, encryption), walk the page tree, and
// for each page decide colour from its content (content.ts). Pages are processed one at a
// time; only the verdicts are kept. With a user password the streams cannot be read: the
// pages are counted from the page tree (or the linearization dictionary) and colour is
// reported unknown, never guessed.

import { colourSummary, mediaName, type AnalysisResult, type MediaUse } from '../../../shared/analysis.ts';
import { AnalysisError } from '../errors.ts';
import type { Source } from '../source.ts';
import type { AnalyzeOptions, Parser } from '../types.ts';
import { ColourAnalyser } from './content.ts';
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
  const canColour = !doc.encrypted || doc.decryptor !== undefined;
  const analyser = canColour ? new ColourAnalyser(doc, await OptionalContent.load(doc)) : undefined;
  const flags: boolean[] = [];
  const pageMedia: string[] = [];
  let pages: number | null = 0;
  let method = 'pdf-content';
  let pageDamage = false;
  let lastW = NaN, lastH = NaN, lastName = '';
  try {
    const walker = await PageWalker.open(doc);
    for (;;) {
      const next = walker.next();
      const page = next instanceof Promise ? await next : next;
      if (page === null) break;
      pages++;
      // Pages mostly share one size: name it once.
      if (page.widthPt !== lastW || page.heightPt !== lastH) { lastW = page.widthPt; lastH = page.heightPt; lastName = mediaName(lastW, lastH); }
      pageMedia.push(lastName);
      if (!analyser) continue;
      let colour = false;
      try {
        const pc = pageContents(doc, page.dict);
        const contents = pc instanceof Promise ? await pc : pc;
        colour = await analyser.pageHasColour(page.dict, page.resources, contents);
        if (analyser.damaged) {
          doc.warn(`page ${pages}: content could not be read to the end (${analyser.damaged})`);
          pageDamage = true;
        }
      } catch (e) {
        if (!(e instanceof AnalysisError) || !['ANALYSIS_MALFORMED', 'ANALYSIS_TRUNCATED', 'ANALYSIS_UNSUPPORTED'].includes(e.code)) throw e;
        // A damaged page: what was read before the damage decides, and the result says so.
        doc.warn(`page ${pages}: content could not be read to the end (${e.message})`);
        pageDamage = true;
      }
      flags.push(colour);
      const turn = doc.turn();
      if (turn) await turn;
    }
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
  const media: MediaUse[] = [];
  if (pageMedia.length === pages) {
    const byName = new Map<string, MediaUse>();
    pageMedia.forEach((name, i) => {
      let m = byName.get(name);
      if (!m) { m = { name, pages: 0, colorPages: 0 }; byName.set(name, m); media.push(m); }
      m.pages++;
      if (flags[i]) m.colorPages++;
    });
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
    recovered: doc.recovered || pageDamage,
  };
  if (pageMedia.length === pages && pages !== null && pages > 0) result.pageMedia = pageMedia;
  return result;
}

export const pdfParser: Parser = { format: 'pdf', sniff: sniffPdf, analyze };
