// The engine: limits (size, time, stall), error mapping with offsets, result checks, PJL.
import t from 'tap';
import { join } from 'node:path';
import type { DetectionEntry } from '../../../agent/analysis/detect.ts';
import { analyzeFile, analyzeSource, applyPjl } from '../../../agent/analysis/engine.ts';
import { AnalysisError, checkBudget } from '../../../agent/analysis/errors.ts';
import { BufferSource, type Source } from '../../../agent/analysis/source.ts';
import type { AnalysisResult } from '../../../shared/analysis.ts';
import type { AnalyzeOptions, Parser } from '../../../agent/analysis/types.ts';
import { FIXTURES } from './fixtures.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const ok = (over: Partial<AnalysisResult> = {}): AnalysisResult => ({
  format: 'pdf', pages: 3, colorPages: 1, colorPageNumbers: [2], copies: 1, duplex: false,
  media: [{ name: 'A4', pages: 3, colorPages: 1 }], method: 'test', warnings: [], recovered: false, ...over,
});
const table = (analyze: (s: Source, o: AnalyzeOptions) => Promise<AnalysisResult>): DetectionEntry[] => [
  { parser: { format: 'pdf', sniff: (h) => (h[0] === 0x25 ? 100 : 0), analyze } satisfies Parser, priority: 1, note: 'test' },
];
const doc = new BufferSource(enc('%PDF-1.4 test document'));

async function failure(p: Promise<unknown>): Promise<AnalysisError> {
  const e = await p.then(() => null, (err: unknown) => err);
  if (!(e instanceof AnalysisError)) throw new Error(`expected an AnalysisError, got ${String(e)}`);
  return e;
}

t.test('size limit, empty file, unknown format', async (t) => {
  t.equal((await failure(analyzeSource(doc, { limits: { maxBytes: 5 }, table: table(async () => ok()) }))).code, 'ANALYSIS_LIMIT');
  t.equal((await failure(analyzeSource(new BufferSource(new Uint8Array(0)), { table: table(async () => ok()) }))).code, 'ANALYSIS_MALFORMED');
  const e = await failure(analyzeSource(new BufferSource(new Uint8Array([0, 1, 2, 0])), { table: table(async () => ok()) }));
  t.equal(e.code, 'ANALYSIS_UNSUPPORTED');
  t.equal(e.offset, 0);
});

t.test('a parser crash becomes ANALYSIS_FAILED with the furthest offset read', async (t) => {
  const e = await failure(analyzeSource(doc, { table: table(async (s) => { await s.read(0, 12); throw new TypeError('x is undefined'); }) }));
  t.equal(e.code, 'ANALYSIS_FAILED');
  t.equal(e.offset, 12);
  t.match(e.message, /x is undefined/);
});

t.test('allocation failures are a memory limit', async (t) => {
  const e = await failure(analyzeSource(doc, { table: table(async () => { throw new RangeError('Array buffer allocation failed'); }) }));
  t.equal(e.code, 'ANALYSIS_LIMIT');
});

t.test('a parser that stops reading trips the stall guard', async (t) => {
  const started = Date.now();
  const e = await failure(analyzeSource(doc, { limits: { stallMillis: 200 }, table: table(() => new Promise<AnalysisResult>(() => {})) }));
  t.equal(e.code, 'ANALYSIS_STALLED');
  t.ok(Date.now() - started < 3000, 'promptly');
});

t.test('a parser that keeps reading hits the time limit, and sees it through checkBudget', async (t) => {
  let seen: string | undefined;
  const e = await failure(analyzeSource(doc, {
    limits: { maxMillis: 300, stallMillis: 250 },
    table: table(async (s, o) => {
      for (let i = 0; ; i++) {
        await s.read(i % 10, 1);
        await new Promise((r) => setTimeout(r, 5));
        try { checkBudget(o.signal, o.deadline, i); } catch (err) { seen = (err as AnalysisError).code; throw err; }
      }
    }),
  }));
  t.equal(e.code, 'ANALYSIS_LIMIT');
  await new Promise((r) => setTimeout(r, 50));
  t.equal(seen, 'ANALYSIS_LIMIT', 'the parser saw the same cause');
});

t.test('the caller can cancel', async (t) => {
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 50);
  const e = await failure(analyzeSource(doc, { signal: ac.signal, table: table(() => new Promise<AnalysisResult>(() => {})) }));
  t.equal(e.code, 'ANALYSIS_ABORTED');
});

t.test('inconsistent parser results are refused', async (t) => {
  for (const bad of [ok({ pages: -1 }), ok({ colorPages: 2 }), ok({ colorPageNumbers: [4] }), ok({ colorPageNumbers: null }), ok({ copies: 0 }), ok({ colorPageNumbers: [1, 1], colorPages: 2 })]) {
    t.equal((await failure(analyzeSource(doc, { table: table(async () => bad) }))).code, 'ANALYSIS_FAILED');
  }
  t.equal((await failure(analyzeSource(doc, { limits: { maxPages: 2 }, table: table(async () => ok()) }))).code, 'ANALYSIS_LIMIT');
  t.same(await analyzeSource(doc, { table: table(async () => ok()) }), ok());
});

t.test('PJL: settings applied, offsets of payload errors point into the file', async (t) => {
  const header = '\x1b%-12345X@PJL SET QTY=4\r\n@PJL SET DUPLEX=ON\r\n@PJL ENTER LANGUAGE=PDF\r\n';
  const src = new BufferSource(enc(`${header}%PDF-1.4 body\x1b%-12345X@PJL EOJ\r\n`));
  const r = await analyzeSource(src, { table: table(async (s) => { t.equal(s.size, 13, 'parser sees the payload only'); return ok(); }) });
  t.equal(r.copies, 4);
  t.equal(r.duplex, true);
  const e = await failure(analyzeSource(src, { table: table(async () => { throw new AnalysisError('ANALYSIS_MALFORMED', 'bad', 5); }) }));
  t.equal(e.offset, header.length + 5);
});

t.test('applyPjl: document copies win; grayscale zeroes colour with a warning; paper fills media', async (t) => {
  t.equal(applyPjl(ok({ copies: 2 }), { copies: 5 }).copies, 2);
  const g = applyPjl(ok(), { grayscale: true });
  t.equal(g.colorPages, 0);
  t.same(g.colorPageNumbers, []);
  t.equal(g.media[0]!.colorPages, 0);
  t.equal(g.warnings.length, 1);
  t.same(applyPjl(ok({ media: [] }), { paper: 'LETTER' }).media, [{ name: 'Letter', pages: 3, colorPages: 1 }]);
  t.equal(applyPjl(ok({ colorPages: null, colorPageNumbers: null }), { grayscale: true }).colorPages, null, 'unknown stays unknown');
});

t.test('analyzeFile on real fixtures, and a missing file', async (t) => {
  const r = await analyzeFile(join(FIXTURES, 'pjl', 'pjl-pwg-copies-duplex.prn'));
  t.match(r, { format: 'pwg-raster', pages: 4, colorPageNumbers: [2, 4], copies: 3, duplex: true });
  await t.rejects(analyzeFile(join(FIXTURES, 'nope.pdf')), { code: 'ENOENT' });
});
