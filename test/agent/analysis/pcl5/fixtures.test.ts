// PCL 5 fixtures against their truth files (made by rendering the PostScript source with
// Ghostscript and checking pixel chroma), and a seeded mini-fuzz over the same files.

import { readFileSync } from 'node:fs';
import t from 'tap';
import { pcl5Parser } from '../../../../agent/analysis/pcl5/index.ts';
import { analyzeFile, codeOf, miniFuzz, truthFiles } from './helpers.ts';

const fixtures = truthFiles('fixtures/pcl5');

t.test('every fixture matches its truth', async (t) => {
  t.ok(fixtures.length >= 12, 'fixtures present');
  for (const { name, file, truth } of fixtures) {
    t.equal(truth.format, 'pcl5', `${name}: format`);
    if (truth.error) {
      t.equal(await codeOf(analyzeFile(pcl5Parser, file)), truth.error, `${name}: ${truth.error}`);
      continue;
    }
    const r = await analyzeFile(pcl5Parser, file);
    t.equal(r.pages, truth.pages, `${name}: pages`);
    t.equal(r.colorPages, truth.colorPages, `${name}: colour pages`);
    t.same(r.colorPageNumbers, truth.colorPageNumbers, `${name}: colour page numbers`);
    if (truth.copies !== undefined) t.equal(r.copies, truth.copies, `${name}: copies`);
    if (truth.duplex !== undefined) t.equal(r.duplex, truth.duplex, `${name}: duplex`);
  }
});

t.test('mini-fuzz: 200 mutations, only typed errors', async (t) => {
  const seeds = fixtures.filter((f) => !f.truth.error).map((f) => new Uint8Array(readFileSync(f.file)));
  const { runs, failures } = await miniFuzz(pcl5Parser, seeds, 200, 0x5eed5eed, 15_000);
  t.same(failures, []);
  t.ok(runs >= 50, `ran ${runs} mutations`);
});
