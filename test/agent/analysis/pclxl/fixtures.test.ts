// PCL XL fixtures against their truth files (made by rendering the PostScript source with
// Ghostscript and checking pixel chroma), and a seeded mini-fuzz over the same files.

import { readFileSync } from 'node:fs';
import t from 'tap';
import { pclxlParser } from '../../../../agent/analysis/pclxl/index.ts';
import { casesIn } from '../fixtures.ts';
import { expectTruths, miniFuzz } from '../pcl5/helpers.ts';

const fixtures = casesIn('pclxl');

t.test('every fixture matches its truth', async (t) => {
  t.ok(fixtures.length >= 6, 'fixtures present');
  await expectTruths(t, pclxlParser, fixtures);
});

t.test('mini-fuzz: 200 mutations, only typed errors', async (t) => {
  const seeds = fixtures.filter((f) => !f.truth.error).map((f) => new Uint8Array(readFileSync(f.file)));
  const { runs, failures } = await miniFuzz(pclxlParser, seeds, 200, 0x9e3779b9, 60_000);
  t.same(failures, []);
  t.ok(runs >= 50, `ran ${runs} mutations`);
});
