// Fixture replay: every fixtures/**/*.truth.json (all formats, whoever made them) is run
// through analyzeFile and must match its truth exactly: format, pages, colorPages and
// colorPageNumbers (null in the truth means the engine must say "unknown"), or the
// analysis must fail with the truth's error code.

import t from 'tap';
import { analyzeFile } from '../../../agent/analysis/engine.ts';
import { AnalysisError } from '../../../agent/analysis/errors.ts';
import { loadCase, truthFiles } from './fixtures.ts';

const files = truthFiles();

t.test('there are fixtures to replay', async (t) => {
  t.ok(files.length >= 8, `${files.length} truth files found`);
});

for (const truthFile of files) {
  const c = loadCase(truthFile);
  t.test(c.name, async (t) => {
    t.ok(c.file, 'a spool file lies beside the truth file');
    if (!c.file) return;
    t.match(c.truth, { format: String, truthMethod: String }, 'truth file has format and truthMethod');
    if (c.truth.error) {
      const err = await analyzeFile(c.file).then(() => null, (e: unknown) => e);
      t.ok(err instanceof AnalysisError, `fails with an AnalysisError (got ${err === null ? 'a result' : String(err)})`);
      if (err instanceof AnalysisError) {
        t.equal(err.code, c.truth.error, 'error code');
        t.ok(Number.isInteger(err.offset) && err.offset >= 0, 'error carries an offset');
      }
      return;
    }
    const r = await analyzeFile(c.file);
    t.equal(r.format, c.truth.format, 'format');
    t.equal(r.pages, c.truth.pages, 'pages');
    t.equal(r.colorPages, c.truth.colorPages, 'colorPages');
    t.same(r.colorPageNumbers, c.truth.colorPageNumbers, 'colorPageNumbers');
    if (c.truth.recovered !== undefined) t.equal(r.recovered, c.truth.recovered, 'recovered');
  });
}
