// A seeded, bounded mini-fuzz of the PDF parser: mutated, truncated and spliced fixtures
// must give a result or a typed AnalysisError, each within a time bound. The seed is fixed
// so a failure reproduces; PDF_FUZZ_SEED / PDF_FUZZ_ITERATIONS change it by hand.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AnalysisError } from '../../../../agent/analysis/errors.ts';
import { pdfParser } from '../../../../agent/analysis/pdf/index.ts';
import { BufferSource } from '../../../../agent/analysis/source.ts';
import { DEFAULT_LIMITS } from '../../../../agent/analysis/types.ts';

const DIR = join(import.meta.dirname, '..', '..', '..', '..', 'fixtures', 'pdf');
const files = readdirSync(DIR).filter((f) => f.endsWith('.pdf')).sort().map((f) => ({ f, b: readFileSync(join(DIR, f)) }));
const SEED = Number(process.env.PDF_FUZZ_SEED ?? 20261120);
const ITER = Number(process.env.PDF_FUZZ_ITERATIONS ?? 200);
const LIMITS = { ...DEFAULT_LIMITS, maxMillis: 2000, maxBufferBytes: 8 << 20 };

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(src: Buffer, r: () => number): { data: Buffer; how: string } {
  const b = Buffer.from(src);
  const at = () => Math.floor(r() * b.length);
  switch (Math.floor(r() * 5)) {
    case 0: { const n = at(); return { data: b.subarray(0, n), how: `truncate@${n}` }; }
    case 1: {
      const k = 1 + Math.floor(r() * 16);
      for (let i = 0; i < k; i++) b[at()] = Math.floor(r() * 256);
      return { data: b, how: `flip×${k}` };
    }
    case 2: {
      // Digits are what offsets, lengths and counts are made of.
      const k = 1 + Math.floor(r() * 8);
      for (let i = 0; i < k; i++) { const p = at(); if (b[p]! >= 0x30 && b[p]! <= 0x39) b[p] = 0x30 + Math.floor(r() * 10); }
      return { data: b, how: `digits×${k}` };
    }
    case 3: {
      const p = at(), n = Math.floor(r() * 64);
      const junk = Buffer.from(Array.from({ length: n }, () => Math.floor(r() * 256)));
      return { data: Buffer.concat([b.subarray(0, p), junk, b.subarray(p)]), how: `insert${n}@${p}` };
    }
    default: {
      const p = at(), n = Math.floor(r() * 200);
      return { data: Buffer.concat([b.subarray(0, p), b.subarray(Math.min(b.length, p + n))]), how: `cut${n}@${p}` };
    }
  }
}

t.test(`mutated fixtures (seed ${SEED}, ${ITER} runs)`, async (t) => {
  const r = rng(SEED);
  let results = 0, errors = 0;
  const codes = new Map<string, number>();
  for (let i = 0; i < ITER; i++) {
    const pick = files[Math.floor(r() * files.length)]!;
    const { data, how } = mutate(pick.b, r);
    const started = Date.now();
    try {
      const res = await pdfParser.analyze(new BufferSource(data), { limits: LIMITS });
      results++;
      if (res.pages !== null && (res.colorPages ?? 0) > res.pages) t.fail(`${pick.f} ${how}: more colour pages than pages`);
    } catch (e) {
      if (!(e instanceof AnalysisError)) {
        t.fail(`${pick.f} ${how}: ${(e as Error).stack}`);
        continue;
      }
      errors++;
      codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
      if (!Number.isInteger(e.offset) || e.offset < 0) t.fail(`${pick.f} ${how}: bad offset ${e.offset}`);
    }
    const took = Date.now() - started;
    if (took > 3000) t.fail(`${pick.f} ${how}: took ${took} ms`);
  }
  t.equal(results + errors, ITER, `${results} results, ${errors} typed errors ${JSON.stringify([...codes])}`);
});

t.test('random bytes behind a PDF header', async (t) => {
  const r = rng(SEED + 1);
  for (let i = 0; i < 20; i++) {
    const junk = Buffer.from(Array.from({ length: 2000 }, () => Math.floor(r() * 256)));
    const data = Buffer.concat([Buffer.from('%PDF-1.7\n'), junk]);
    await t.rejects(pdfParser.analyze(new BufferSource(data), { limits: LIMITS }), AnalysisError);
  }
});
