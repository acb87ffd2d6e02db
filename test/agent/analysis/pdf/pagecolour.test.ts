// The per-page colour decision (pagecolour.ts) runs without a promise while everything it
// needs is at hand and goes on asynchronously from where it stood otherwise. Both ways
// must give the same result: every fixture's pages are decided with the document as it
// is (from memory: nearly every page without a promise) and with every answer the
// document could give at once made to wait, and the verdicts, damage and warnings (in
// their order) must be the same.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PdfDocument } from '../../../../agent/analysis/pdf/document.ts';
import { ColourAnalyser } from '../../../../agent/analysis/pdf/pagecolour.ts';
import { pageContents, PageWalker } from '../../../../agent/analysis/pdf/pages.ts';
import { AnalysisError } from '../../../../agent/analysis/errors.ts';
import { BufferSource } from '../../../../agent/analysis/source.ts';
import { DEFAULT_LIMITS } from '../../../../agent/analysis/types.ts';

const DIR = join(import.meta.dirname, '..', '..', '..', '..', 'fixtures', 'pdf');
const files = readdirSync(DIR).filter((f) => f.endsWith('.pdf')).sort();

/**
 * The document as the analyser sees it, with every answer it could have at once made to
 * wait instead (objects, stream data), and the shortcuts that only work on data at hand
 * (content inflated as read, an annotation's /F read from its bytes) turned down, as when
 * those bytes are not at hand: every page then takes the asynchronous paths.
 */
function deferred(doc: PdfDocument): PdfDocument {
  return new Proxy(doc, {
    get(target, key) {
      const v: unknown = Reflect.get(target, key, target);
      if (typeof v !== 'function') return v;
      if (key === 'plainFlateNow' || key === 'peekInteger') return () => undefined;
      if (key === 'resolve' || key === 'resolveOnce' || key === 'streamDataNow') {
        return (...args: unknown[]) => Promise.resolve((v as (...a: unknown[]) => unknown).apply(target, args));
      }
      return (v as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

/** Every page's verdict (or damage), and the document's warnings, through one analyser. */
async function walk(bytes: Uint8Array, wait: boolean): Promise<{ pages: string[]; warnings: string[]; sync: number }> {
  const doc = await PdfDocument.open(new BufferSource(bytes), { limits: DEFAULT_LIMITS, deadline: Date.now() + 60_000 });
  const pages: string[] = [];
  let sync = 0;
  if (doc.encrypted && !doc.decryptor) return { pages, warnings: doc.warnings, sync };
  const analyser = new ColourAnalyser(wait ? deferred(doc) : doc);
  const walker = await PageWalker.open(doc);
  for (let page = await walker.next(); page !== null; page = await walker.next()) {
    try {
      const contents = await pageContents(doc, page.dict);
      const v = analyser.pageHasColour(page.dict, page.resources, contents);
      if (!(v instanceof Promise)) sync++;
      pages.push(`${await v} ${analyser.damaged ?? ''}`);
    } catch (e) {
      if (!(e instanceof AnalysisError)) throw e;
      pages.push(`${e.code} ${e.message}`);
    }
  }
  return { pages, warnings: doc.warnings, sync };
}

t.ok(files.length >= 25, 'the fixtures are there');

for (const name of files) {
  t.test(name, async (t) => {
    const bytes = new Uint8Array(readFileSync(join(DIR, name)));
    let now: Awaited<ReturnType<typeof walk>>;
    try {
      now = await walk(bytes, false);
    } catch (e) {
      if (!(e instanceof AnalysisError)) throw e;
      t.pass(`not analysable (${e.code})`);
      return;
    }
    const later = await walk(bytes, true);
    t.same(later.pages, now.pages, 'the same verdicts, page by page');
    t.same(later.warnings, now.warnings, 'the same warnings in the same order');
    if (later.pages.length > 0) t.equal(later.sync, 0, 'every page went the asynchronous way');
  });
}

t.test('an ordinary page is decided without a promise', async (t) => {
  for (const [name, colour] of [['text-gray.pdf', false], ['colour-page-among-gray.pdf', true]] as const) {
    const bytes = new Uint8Array(readFileSync(join(DIR, name)));
    const doc = await PdfDocument.open(new BufferSource(bytes), { limits: DEFAULT_LIMITS, deadline: Date.now() + 60_000 });
    const analyser = new ColourAnalyser(doc);
    const walker = await PageWalker.open(doc);
    const verdicts: boolean[] = [];
    let sync = 0;
    for (let page = await walker.next(); page !== null; page = await walker.next()) {
      const contents = await pageContents(doc, page.dict);
      const v = analyser.pageHasColour(page.dict, page.resources, contents);
      if (!(v instanceof Promise)) sync++;
      verdicts.push(await v);
    }
    t.ok(verdicts.length > 0, `${name}: pages walked`);
    t.equal(sync, verdicts.length, `${name}: every page decided without a promise`);
    t.equal(verdicts.includes(true), colour, `${name}: colour found where it is`);
  }
});
