// Seeded, bounded fuzzing of every registered parser through the engine: mutated fixtures
// must end in a result or a typed AnalysisError with an offset, within the time limit, with
// bounded memory. Deterministic (fixed seed); `npm run fuzz` runs the same longer.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { analyzeSource } from '../../../agent/analysis/engine.ts';
import { AnalysisError } from '../../../agent/analysis/errors.ts';
import { REGISTRY } from '../../../agent/analysis/registry.ts';
import { BufferSource } from '../../../agent/analysis/source.ts';
import { loadCase, truthFiles } from './fixtures.ts';
import { mutate, prng } from './mutate.ts';

const CASES = Number(process.env.FUZZ_CASES ?? 300);
const LIMIT_MS = 3000;
const MAX_SEED_BYTES = 256 * 1024;

/** Fixtures of a format, smallest first, as fuzz seeds. */
function seedsFor(format: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const tf of truthFiles()) {
    const c = loadCase(tf);
    if (c.truth.format !== format || !c.file) continue;
    const bytes = readFileSync(c.file);
    if (bytes.length <= MAX_SEED_BYTES) out.push(new Uint8Array(bytes));
  }
  return out.sort((a, b) => a.length - b.length).slice(0, 12);
}

for (const entry of REGISTRY) {
  const format = entry.parser.format;
  t.test(`fuzz ${format}`, async (t) => {
    const seeds = seedsFor(format);
    t.ok(seeds.length > 0, `${seeds.length} seed fixtures`);
    if (seeds.length === 0) return;
    const rnd = prng(0x5eed + format.length * 7919 + format.charCodeAt(0));
    const table = [entry];
    let results = 0, errors = 0, peak = 0;
    for (let i = 0; i < CASES; i++) {
      const seed = seeds[i % seeds.length]!;
      const { bytes, kind } = mutate(seed, rnd);
      const started = Date.now();
      let outcome: unknown;
      try {
        outcome = await analyzeSource(new BufferSource(bytes), { table, allowGhostscript: false, limits: { maxMillis: LIMIT_MS, stallMillis: LIMIT_MS, maxBufferBytes: 16 * 1024 * 1024 } });
        results++;
      } catch (err) {
        outcome = err;
        errors++;
      }
      const took = Date.now() - started;
      const where = `case ${i} (${kind}, ${bytes.length} bytes)`;
      if (outcome instanceof Error && !(outcome instanceof AnalysisError)) t.fail(`${where}: untyped error ${outcome.stack}`);
      if (outcome instanceof AnalysisError && !(Number.isInteger(outcome.offset) && outcome.offset >= 0)) t.fail(`${where}: error without a valid offset`);
      if (took > LIMIT_MS + 3000) t.fail(`${where}: took ${took} ms`);
      const mem = process.memoryUsage();
      peak = Math.max(peak, mem.heapUsed + mem.arrayBuffers);
    }
    t.pass(`${CASES} cases: ${results} results, ${errors} typed errors`);
    t.ok(peak < 768 * 1024 * 1024, `heap + buffers stayed bounded (peak ${(peak / 1048576).toFixed(0)} MiB)`);
  });
}
