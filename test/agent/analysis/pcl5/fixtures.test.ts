// PCL 5 fixtures against their truth files (made by rendering the PostScript source with
// Ghostscript and checking pixel chroma), and a seeded mini-fuzz over the same files.

import { readFileSync } from 'node:fs';
import t from 'tap';
import { pcl5Parser } from '../../../../agent/analysis/pcl5/index.ts';
import { casesIn } from '../fixtures.ts';
import { expectTruths, miniFuzz } from './helpers.ts';

const fixtures = casesIn('pcl5');

t.test('every fixture matches its truth', async (t) => {
  t.ok(fixtures.length >= 12, 'fixtures present');
  await expectTruths(t, pcl5Parser, fixtures);
});

t.test('mini-fuzz: 200 mutations, only typed errors', async (t) => {
  const seeds = fixtures.filter((f) => !f.truth.error).map((f) => new Uint8Array(readFileSync(f.file)));
  const { runs, failures } = await miniFuzz(pcl5Parser, seeds, 200, 0x5eed5eed, 15_000);
  t.same(failures, []);
  t.ok(runs >= 50, `ran ${runs} mutations`);
});
