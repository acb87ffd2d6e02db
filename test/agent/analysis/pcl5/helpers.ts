// Test helpers shared by the PostScript, PCL 5 and PCL XL parser tests: run a parser on
// bytes or a file, check a folder of fixtures against their truth files (found by
// ../fixtures.ts), and a seeded, bounded mini-fuzz (mutations of seed files by ../mutate.ts:
// any outcome but a non-typed error).

import { basename } from 'node:path';
import type { Test } from 'tap';
import { AnalysisError } from '../../../../agent/analysis/errors.ts';
import { BufferSource, FileSource } from '../../../../agent/analysis/source.ts';
import { DEFAULT_LIMITS, type AnalyzeOptions, type Parser } from '../../../../agent/analysis/types.ts';
import type { AnalysisResult } from '../../../../shared/analysis.ts';
import type { FixtureCase } from '../fixtures.ts';
import { mutate, prng } from '../mutate.ts';

export function opts(extra: Partial<AnalyzeOptions> = {}): AnalyzeOptions {
  return { limits: { ...DEFAULT_LIMITS, maxMillis: 10_000 }, ...extra };
}

export async function analyzeBytes(parser: Parser, bytes: Uint8Array | string, o: Partial<AnalyzeOptions> = {}): Promise<AnalysisResult> {
  const b = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
  return parser.analyze(new BufferSource(b), opts(o));
}

export async function analyzeFile(parser: Parser, path: string, o: Partial<AnalyzeOptions> = {}): Promise<AnalysisResult> {
  const src = await FileSource.open(path);
  try {
    return await parser.analyze(src, opts(o));
  } finally {
    await src.close();
  }
}

/**
 * Every case analysed by `parser` against its truth: the error code when the truth names
 * one, else pages, colour pages and their numbers, and copies and duplex where the truth
 * gives them. Messages name the spool file.
 */
export async function expectTruths(t: Test, parser: Parser, cases: readonly FixtureCase[], o: Partial<AnalyzeOptions> = {}): Promise<void> {
  for (const { file, truth } of cases) {
    const name = basename(file);
    t.equal(truth.format, parser.format, `${name}: format`);
    if (truth.error) {
      t.equal(await codeOf(analyzeFile(parser, file, o)), truth.error, `${name}: ${truth.error}`);
      continue;
    }
    const r = await analyzeFile(parser, file, o);
    t.equal(r.pages, truth.pages, `${name}: pages`);
    t.equal(r.colorPages, truth.colorPages, `${name}: colour pages`);
    t.same(r.colorPageNumbers, truth.colorPageNumbers, `${name}: colour page numbers`);
    if (truth.copies !== undefined) t.equal(r.copies, truth.copies, `${name}: copies`);
    if (truth.duplex !== undefined) t.equal(r.duplex, truth.duplex, `${name}: duplex`);
  }
}

/**
 * Run `count` mutations of the seeds through the parser. Returns the unexpected failures
 * (anything thrown that is not an AnalysisError) as messages; stops at the time budget.
 */
export async function miniFuzz(parser: Parser, seeds: Uint8Array[], count: number, seed: number, budgetMs: number, o: Partial<AnalyzeOptions> = {}): Promise<{ runs: number; failures: string[] }> {
  const rnd = prng(seed);
  const failures: string[] = [];
  const stop = Date.now() + budgetMs;
  let runs = 0;
  for (; runs < count && Date.now() < stop; runs++) {
    const input = mutate(seeds[runs % seeds.length]!, rnd).bytes;
    try {
      await parser.analyze(new BufferSource(input), opts({ limits: { ...DEFAULT_LIMITS, maxMillis: 2000 }, ...o }));
    } catch (err) {
      if (!(err instanceof AnalysisError)) failures.push(`run ${runs} (seed ${seed}): ${(err as Error)?.stack ?? String(err)}`);
    }
    try {
      parser.sniff(input.subarray(0, 4096), input.subarray(Math.max(0, input.length - 4096)));
    } catch (err) {
      failures.push(`sniff threw on run ${runs}: ${String(err)}`);
    }
  }
  return { runs, failures };
}

/** The AnalysisError code a promise rejects with, 'resolved' when it does not, 'untyped: ...' otherwise. */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    if (err instanceof AnalysisError) {
      return typeof err.offset === 'number' && err.offset >= 0 ? err.code : `${err.code} without an offset`;
    }
    return `untyped: ${String(err)}`;
  }
}
