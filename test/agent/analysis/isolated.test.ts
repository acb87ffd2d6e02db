// Analysis in a worker: real results come back; synchronous hangs and memory hogs are
// stopped by killing the worker and become ANALYSIS_LIMIT instead of taking us down; a
// long-lived analyzer replaces a killed worker and goes on.
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeFileIsolated, IsolatedAnalyzer } from '../../../agent/analysis/isolated.ts';
import { FIXTURES } from './fixtures.ts';

const tableModule = join(import.meta.dirname, 'hostile-table.ts');
const good = join(FIXTURES, 'raster', 'pwg-srgb8.pwg');
const dir = mkdtempSync(join(tmpdir(), 'printgate-isolated-'));
const hang = join(dir, 'hang.bin');
const hog = join(dir, 'hog.bin');
writeFileSync(hang, 'HANG forever');
writeFileSync(hog, 'HOG memory');

t.test('a real analysis comes back whole; errors keep their codes', async (t) => {
  t.match(await analyzeFileIsolated(good), { format: 'pwg-raster', pages: 4, colorPageNumbers: [2, 4], method: 'raster-scan' });
  await t.rejects(analyzeFileIsolated(join(FIXTURES, 'raster', 'truncated-mid-page.pwg')), { code: 'ANALYSIS_TRUNCATED' });
  await t.rejects(analyzeFileIsolated(join(FIXTURES, 'nope.pwg')), { code: 'NOT_FOUND' });
});

t.test('a parser stuck in a synchronous loop is killed at the time limit', async (t) => {
  const started = Date.now();
  await t.rejects(analyzeFileIsolated(hang, { tableModule, limits: { maxMillis: 300 }, graceMillis: 200 }), { code: 'ANALYSIS_LIMIT' });
  t.ok(Date.now() - started < 5000, `stopped after ${Date.now() - started} ms`);
});

t.test('a parser that allocates without end is stopped by the heap cap', async (t) => {
  await t.rejects(analyzeFileIsolated(hog, { tableModule, heapMb: 64, limits: { maxMillis: 20_000 } }), { code: 'ANALYSIS_LIMIT', message: /heap/ });
});

t.test('one analyzer: jobs in turn, a killed worker replaced, cancel', async (t) => {
  const a = new IsolatedAnalyzer({ tableModule, heapMb: 64 });
  t.teardown(() => a.close());
  const [r1, r2] = await Promise.all([a.analyze(good), a.analyze(join(FIXTURES, 'text', 'formfeeds.txt'))]);
  t.equal(r1.pages, 4);
  t.equal(r2.pages, 4);
  await t.rejects(a.analyze(hang, { limits: { maxMillis: 200 }, graceMillis: 100 }), { code: 'ANALYSIS_LIMIT' });
  t.equal((await a.analyze(good)).format, 'pwg-raster', 'a new worker took over');
  await t.rejects(a.analyze(hog), { code: 'ANALYSIS_LIMIT' });
  t.equal((await a.analyze(good)).pages, 4, 'and again after running out of heap');
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 100);
  await t.rejects(a.analyze(hang, { signal: ac.signal }), { code: 'ANALYSIS_ABORTED' });
  await a.close();
  await t.rejects(a.analyze(good), { code: 'ANALYSIS_ABORTED' });
});
