// Fixture replay: every fixtures/**/*.truth.json (all formats, whoever made them) is run
// through analyzeFile and must match its truth exactly: format, pages, colorPages and
// colorPageNumbers (null in the truth means the engine must say "unknown"), or the
// analysis must fail with the truth's error code.

import t from 'tap';
import { analyzeFile } from '../../../agent/analysis/engine.ts';
import { AnalysisError } from '../../../agent/analysis/errors.ts';
import { REGISTRY } from '../../../agent/analysis/registry.ts';
import { loadCase, truthFiles } from './fixtures.ts';

const files = truthFiles();
const registered = new Set<string>(REGISTRY.map((e) => e.parser.format));

t.test('there are fixtures to replay', async (t) => {
  t.ok(files.length >= 50, `${files.length} truth files found`);
});

for (const truthFile of files) {
  const c = loadCase(truthFile);
  // Fixtures land before their parser is registered while languages are being added; the
  // registry test (registry.test.ts) makes sure every language ends up registered.
  const skip = registered.has(c.truth.format) ? false : `no parser registered for ${c.truth.format} yet`;
  t.test(c.name, { skip }, async (t) => {
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
