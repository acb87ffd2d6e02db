// `printgate analyze`: JSON lines, the table, exit codes 0 / 1 / 2 (run as a real process).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './fixtures.ts';

const run = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin', 'printgate.js'), 'analyze', ...args], { cwd: ROOT, encoding: 'utf8' });

t.test('--json: one object per file, exit 0', async (t) => {
  const r = run('--json', 'fixtures/raster/pwg-srgb8.pwg', 'fixtures/text/lines-200.txt');
  t.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  t.equal(lines.length, 2);
  t.match(lines[0], { file: 'fixtures/raster/pwg-srgb8.pwg', format: 'pwg-raster', pages: 4, colorPages: 2, colorPageNumbers: [2, 4], copies: 1, duplex: false, method: 'raster-scan', recovered: false });
  t.match(lines[1], { file: 'fixtures/text/lines-200.txt', format: 'text', pages: 4, colorPages: 0 });
});

t.test('a failure is reported on its line, exit 1', async (t) => {
  const r = run('--json', 'fixtures/raster/truncated-mid-page.pwg', 'fixtures/does-not-exist.pdf', 'fixtures/text/formfeeds.txt');
  t.equal(r.status, 1);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  t.equal(lines[0].error.code, 'ANALYSIS_TRUNCATED');
  t.type(lines[0].error.offset, 'number');
  t.equal(lines[1].error.code, 'NOT_FOUND');
  t.equal(lines[2].pages, 4);
});

t.test('a directory or a FIFO is refused by name, at once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pg-analyze-'));
  const fifo = join(dir, 'fifo');
  spawnSync('mkfifo', [fifo]);
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'printgate.js'), 'analyze', '--json', dir, fifo, 'fixtures/text/formfeeds.txt'], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
  t.equal(r.status, 1, 'no writer needed: the FIFO does not block the run');
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  t.match(lines[0].error, { code: 'ANALYSIS_FAILED', message: /not a regular file \(a directory\)/ });
  t.match(lines[1].error, { code: 'ANALYSIS_FAILED', message: /not a regular file \(a FIFO, socket or device\)/ });
  t.equal(lines[2].pages, 4);
});

t.test('a reader that stops reading ends the run quietly (EPIPE)', async (t) => {
  const r = spawnSync('sh', ['-c', `"${process.execPath}" bin/printgate.js analyze --json ${'fixtures/text/lines-200.txt '.repeat(40)}| head -n 1`], { cwd: ROOT, encoding: 'utf8' });
  t.equal(r.status, 0);
  t.equal(r.stdout.trim().split('\n').length, 1);
  t.notMatch(r.stderr, /EPIPE|Unhandled/);
});

t.test('the table', async (t) => {
  const r = run('fixtures/raster/cups-v3-rgb8.ras', 'fixtures/raster/zero-width-header.pwg');
  t.equal(r.status, 1);
  t.match(r.stdout, /^FILE\s+FORMAT\s+PAGES\s+COLOUR/);
  t.match(r.stdout, /cups-v3-rgb8\.ras\s+cups-raster\s+4\s+2\s+2,4/);
  t.match(r.stdout, /zero-width-header\.pwg.*ANALYSIS_MALFORMED/);
});

t.test('usage errors exit 2', async (t) => {
  t.equal(run().status, 2);
  t.equal(run('--bogus', 'x').status, 2);
  t.equal(run('--timeout', 'soon', 'x').status, 2);
  const h = run('--help');
  t.equal(h.status, 0);
  t.match(h.stdout, /usage: printgate analyze/);
});
