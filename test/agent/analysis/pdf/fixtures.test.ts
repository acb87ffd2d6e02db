// Every PDF fixture against its truth (made by pdfinfo and a Ghostscript render, see
// fixtures/pdf/make-truth.ts): pages, colour pages, their numbers, recovery and errors.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pdfParser } from '../../../../agent/analysis/pdf/index.ts';
import { FileSource } from '../../../../agent/analysis/source.ts';
import { DEFAULT_LIMITS } from '../../../../agent/analysis/types.ts';
import { AnalysisError } from '../../../../agent/analysis/errors.ts';

const DIR = join(import.meta.dirname, '..', '..', '..', '..', 'fixtures', 'pdf');
const truths = readdirSync(DIR).filter((f) => f.endsWith('.truth.json')).sort();

t.ok(truths.length >= 25, 'the fixtures are there');

for (const tf of truths) {
  const name = tf.replace(/\.truth\.json$/, '.pdf');
  t.test(name, async (t) => {
    const truth = JSON.parse(readFileSync(join(DIR, tf), 'utf8'));
    const src = await FileSource.open(join(DIR, name));
    try {
      const head = await src.read(0, 4096);
      const tail = await src.read(Math.max(0, src.size - 4096), 4096);
      t.ok(pdfParser.sniff(head, tail) >= 90, 'sniffed as PDF');
      if (truth.error) {
        await t.rejects(pdfParser.analyze(src, { limits: DEFAULT_LIMITS }), { code: truth.error });
        return;
      }
      const r = await pdfParser.analyze(src, { limits: DEFAULT_LIMITS });
      t.equal(r.format, 'pdf');
      t.equal(r.pages, truth.pages, 'pages');
      t.equal(r.colorPages, truth.colorPages, 'colour pages');
      t.same(r.colorPageNumbers, truth.colorPageNumbers, 'colour page numbers');
      if (truth.method) t.equal(r.method, truth.method, 'method');
      t.equal(r.recovered, truth.recovered === true, 'recovered flag');
      if (r.recovered) t.ok(r.warnings.length > 0, 'a recovery is explained');
      if (r.colorPages === null) t.ok(r.warnings.some((w) => /colour unknown/.test(w)), 'unknown colour is explained');
      if (r.pages && r.media.length > 0) t.equal(r.media.reduce((a, m) => a + m.pages, 0), r.pages, 'media add up');
    } catch (e) {
      if (e instanceof AnalysisError) t.fail(`${e.code}: ${e.message}`);
      else throw e;
    } finally {
      await src.close();
    }
  });
}
