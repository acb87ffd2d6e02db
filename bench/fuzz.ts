// `npm run fuzz -- [--seconds N] [--seed S] [--parser FORMAT] [--out DIR]`: the long fuzz
// run by hand. Mutated fixtures (one to three stacked mutations) go through the engine, one
// registered parser after another. Every case must end in a result or a typed
// AnalysisError with an offset, within the time limit, without the heap running away.
// The case being run is always on disk (DIR/current.bin), so even a hang leaves its input;
// failing inputs are kept as DIR/fail-<format>-<seed>-<n>.bin. Exit 1 when anything failed.

import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { analyzeSource } from '../agent/analysis/engine.ts';
import { AnalysisError } from '../agent/analysis/errors.ts';
import { REGISTRY } from '../agent/analysis/registry.ts';
import { BufferSource } from '../agent/analysis/source.ts';
import { loadCase, ROOT, truthFiles } from '../test/agent/analysis/fixtures.ts';
import { mutate, prng } from '../test/agent/analysis/mutate.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    seed: { type: 'string' },
    parser: { type: 'string' },
    out: { type: 'string', default: join(ROOT, 'bench', '.cache', 'fuzz') },
  },
});
const seconds = Number(values.seconds);
const seed = values.seed !== undefined ? Number(values.seed) : Date.now() % 2 ** 31;
if (!(seconds > 0) || !Number.isFinite(seed)) {
  process.stderr.write('usage: npm run fuzz -- [--seconds N] [--seed S] [--parser FORMAT] [--out DIR]\n');
  process.exit(2);
}
const out = values.out!;
mkdirSync(out, { recursive: true });
const LIMIT_MS = 5000;
const HEAP_LIMIT = 1024 * 1024 * 1024;

const entries = REGISTRY.filter((e) => !values.parser || e.parser.format === values.parser);
if (entries.length === 0) {
  process.stderr.write(`no registered parser named ${values.parser}\n`);
  process.exit(2);
}
const seeds = new Map<string, Uint8Array[]>();
for (const tf of truthFiles()) {
  const c = loadCase(tf);
  if (!c.file) continue;
  const bytes = new Uint8Array(readFileSync(c.file));
  if (bytes.length > 2 * 1024 * 1024) continue;
  seeds.set(c.truth.format, [...(seeds.get(c.truth.format) ?? []), bytes]);
}

const rnd = prng(seed);
const stats = new Map<string, { cases: number; results: number; errors: number; failures: number }>();
let failures = 0;
let n = 0;
const end = Date.now() + seconds * 1000;
let lastReport = Date.now();
process.stdout.write(`fuzzing ${entries.map((e) => e.parser.format).join(', ')} for ${seconds} s, seed ${seed}, inputs in ${out}\n`);

while (Date.now() < end) {
  const entry = entries[n % entries.length]!;
  const format = entry.parser.format;
  const pool = seeds.get(format);
  const s = stats.get(format) ?? { cases: 0, results: 0, errors: 0, failures: 0 };
  stats.set(format, s);
  n++;
  if (!pool || pool.length === 0) continue;
  let bytes = pool[Math.floor(rnd() * pool.length)]!;
  const kinds: string[] = [];
  const stack = 1 + Math.floor(rnd() * 3);
  for (let i = 0; i < stack; i++) {
    const m = mutate(bytes, rnd);
    bytes = m.bytes;
    kinds.push(m.kind);
  }
  const current = join(out, 'current.bin');
  writeFileSync(current, bytes);
  writeFileSync(join(out, 'current.json'), JSON.stringify({ format, seed, case: n, mutations: kinds }) + '\n');
  const started = Date.now();
  let problem: string | null = null;
  try {
    await analyzeSource(new BufferSource(bytes), { table: [entry], allowGhostscript: false, limits: { maxMillis: LIMIT_MS, stallMillis: LIMIT_MS } });
    s.results++;
  } catch (err) {
    s.errors++;
    if (!(err instanceof AnalysisError)) problem = `untyped error: ${(err as Error)?.stack ?? String(err)}`;
    else if (!(Number.isInteger(err.offset) && err.offset >= 0)) problem = `error without a valid offset: ${err.message}`;
  }
  const took = Date.now() - started;
  if (!problem && took > LIMIT_MS + 2000) problem = `took ${took} ms`;
  const mem = process.memoryUsage();
  if (!problem && mem.heapUsed + mem.arrayBuffers > HEAP_LIMIT) problem = `heap + buffers at ${(mem.heapUsed / 1048576).toFixed(0)} MiB`;
  s.cases++;
  if (problem) {
    s.failures++;
    failures++;
    const keep = join(out, `fail-${format}-${seed}-${n}.bin`);
    copyFileSync(current, keep);
    process.stdout.write(`FAIL ${format} case ${n} (${kinds.join('+')}): ${problem}\n  input saved as ${keep}\n`);
  }
  if (Date.now() - lastReport > 5000) {
    lastReport = Date.now();
    const left = Math.max(0, Math.round((end - Date.now()) / 1000));
    process.stdout.write(`${n} cases, ${failures} failures, ${left} s left | ${[...stats].map(([f, v]) => `${f} ${v.cases}`).join(' ')}\n`);
  }
}
process.stdout.write(`done: ${n} cases, ${failures} failures (seed ${seed})\n`);
for (const [f, v] of stats) process.stdout.write(`  ${f.padEnd(12)} ${String(v.cases).padStart(7)} cases  ${String(v.results).padStart(7)} results  ${String(v.errors).padStart(7)} typed errors  ${v.failures} failures\n`);
process.exit(failures > 0 ? 1 : 0);
