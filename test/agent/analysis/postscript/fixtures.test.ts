// PostScript fixtures against their truth files (Ghostscript rendering + pixel chroma,
// made by fixtures/postscript/render_truth.py), the DSC-only answers for the same files,
// and a seeded mini-fuzz of the DSC scanner (and a few Ghostscript runs).

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import t from 'tap';
import { postscriptParser } from '../../../../agent/analysis/postscript/index.ts';
import { hasCommand, needs } from '../../../helpers/system.ts';
import { casesIn } from '../fixtures.ts';
import { analyzeFile, expectTruths, miniFuzz } from '../pcl5/helpers.ts';

const fixtures = casesIn('postscript');
const gs = { skip: needs('ghostscript', hasCommand('gs')) };

t.test('every fixture matches its truth (with Ghostscript)', gs, async (t) => {
  t.ok(fixtures.length >= 12, 'fixtures present');
  await expectTruths(t, postscriptParser, fixtures);
});

t.test('DSC only: trusted pages agree with the truth, untrusted ones are unknown', async (t) => {
  const expectations: Record<string, 'pages' | 'unknown'> = {
    'mixed.ps': 'pages', 'letter-lineart.ps': 'pages', 'embedded-eps.ps': 'pages', 'atend.ps': 'pages',
    'process-black.ps': 'pages', 'rich-black.ps': 'pages', 'halftone-test.ps': 'pages', 'hash-copies.ps': 'pages',
    'no-dsc.ps': 'unknown', 'dsc-count-mismatch.ps': 'unknown', 'showpage-redefined.ps': 'unknown', 'truncated-page.ps': 'unknown',
  };
  for (const { file, truth } of fixtures) {
    const name = basename(file);
    const want = expectations[name];
    if (!want) continue;
    const r = await analyzeFile(postscriptParser, file, { allowGhostscript: false });
    t.equal(r.method, 'dsc', `${name}: method`);
    t.equal(r.pages, want === 'pages' ? truth.pages : null, `${name}: pages`);
  }
  // Black-only process colours are exact even without Ghostscript.
  const black = fixtures.find((f) => basename(f.file) === 'process-black.ps')!;
  t.same((await analyzeFile(postscriptParser, black.file, { allowGhostscript: false })).colorPageNumbers, black.truth.colorPageNumbers);
});

t.test('mini-fuzz of the DSC scanner: 200 mutations, only typed errors', async (t) => {
  const seeds = fixtures.map((f) => new Uint8Array(readFileSync(f.file)));
  const { runs, failures } = await miniFuzz(postscriptParser, seeds, 200, 0x0badcafe, 60_000, { allowGhostscript: false });
  t.same(failures, []);
  t.ok(runs >= 50, `ran ${runs} mutations`);
});

t.test('mini-fuzz through Ghostscript: 20 mutations', gs, async (t) => {
  const seeds = fixtures.map((f) => new Uint8Array(readFileSync(f.file)));
  const { runs, failures } = await miniFuzz(postscriptParser, seeds, 20, 0x5eed, 60_000);
  t.same(failures, []);
  t.ok(runs >= 5, `ran ${runs} mutations`);
});
