// Analysis in a worker: real results come back; synchronous hangs and memory hogs are
// stopped by killing the worker, and become ANALYSIS_LIMIT instead of taking us down.
import t from 'tap';
import { join } from 'node:path';
import { analyzeFileIsolated } from '../../../agent/analysis/isolated.ts';
import { FIXTURES } from './fixtures.ts';

const hostile = join(import.meta.dirname, 'hostile-table.ts');
const file = join(FIXTURES, 'raster', 'pwg-srgb8.pwg');

t.test('a real analysis comes back whole', async (t) => {
  const r = await analyzeFileIsolated(file);
  t.match(r, { format: 'pwg-raster', pages: 4, colorPageNumbers: [2, 4], method: 'raster-scan' });
  await t.rejects(analyzeFileIsolated(join(FIXTURES, 'raster', 'truncated-mid-page.pwg')), { code: 'ANALYSIS_TRUNCATED' });
  await t.rejects(analyzeFileIsolated(join(FIXTURES, 'nope.pwg')), { code: 'NOT_FOUND' });
});

t.test('a parser stuck in a synchronous loop is killed at the time limit', async (t) => {
  process.env.HOSTILE = 'loop';
  const started = Date.now();
  await t.rejects(analyzeFileIsolated(file, { tableModule: hostile, limits: { maxMillis: 300 }, graceMillis: 200 }), { code: 'ANALYSIS_LIMIT' });
  t.ok(Date.now() - started < 5000, `stopped after ${Date.now() - started} ms`);
});

t.test('a parser that allocates without end is stopped by the heap cap', async (t) => {
  process.env.HOSTILE = 'memory';
  await t.rejects(analyzeFileIsolated(file, { tableModule: hostile, heapMb: 64, limits: { maxMillis: 20_000 } }), { code: 'ANALYSIS_LIMIT', message: /heap/ });
});

t.test('the caller can cancel', async (t) => {
  process.env.HOSTILE = 'loop';
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 100);
  await t.rejects(analyzeFileIsolated(file, { tableModule: hostile, signal: ac.signal }), { code: 'ANALYSIS_ABORTED' });
});
