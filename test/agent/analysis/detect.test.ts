// The detection table: highest sniff wins, priority breaks ties, hints only settle close calls.
import t from 'tap';
import { detect, formatForPjlLanguage, MIN_SCORE, type DetectionEntry } from '../../../agent/analysis/detect.ts';
import { REGISTRY } from '../../../agent/analysis/registry.ts';
import type { Parser } from '../../../agent/analysis/types.ts';
import type { DocumentFormat } from '../../../shared/analysis.ts';

const fake = (format: DocumentFormat, score: number | (() => number)): Parser => ({
  format,
  sniff: typeof score === 'function' ? score : () => score,
  analyze: async () => { throw new Error('not used'); },
});
const none = new Uint8Array(0);

t.test('highest score wins, whatever the table order', async (t) => {
  const table: DetectionEntry[] = [
    { parser: fake('text', 20), priority: 100, note: '' },
    { parser: fake('pdf', 90), priority: 0, note: '' },
  ];
  t.equal(detect(table, none, none)?.parser.format, 'pdf');
  t.equal(detect([...table].reverse(), none, none)?.parser.format, 'pdf');
});

t.test('equal scores: priority decides', async (t) => {
  const table: DetectionEntry[] = [
    { parser: fake('pcl5', 60), priority: 10, note: '' },
    { parser: fake('pclxl', 60), priority: 20, note: '' },
  ];
  t.equal(detect(table, none, none)?.parser.format, 'pclxl');
});

t.test('below the minimum nothing is detected; a throwing sniff counts as 0', async (t) => {
  t.equal(detect([{ parser: fake('pdf', MIN_SCORE - 1), priority: 1, note: '' }], none, none), null);
  const table: DetectionEntry[] = [
    { parser: fake('pdf', () => { throw new Error('boom'); }), priority: 100, note: '' },
    { parser: fake('text', 15), priority: 0, note: '' },
  ];
  t.equal(detect(table, none, none)?.parser.format, 'text');
  t.equal(detect([{ parser: fake('pdf', Number.NaN), priority: 1, note: '' }], none, none), null);
});

t.test('a PJL language hint settles a close call but cannot invent a match', async (t) => {
  const table: DetectionEntry[] = [
    { parser: fake('text', 30), priority: 0, note: '' },
    { parser: fake('pcl5', 25), priority: 0, note: '' },
    { parser: fake('postscript', 0), priority: 0, note: '' },
  ];
  t.equal(detect(table, none, none)?.parser.format, 'text');
  t.equal(detect(table, none, none, 'pcl5')?.parser.format, 'pcl5');
  t.equal(detect(table, none, none, 'postscript')?.parser.format, 'text');
  t.equal(formatForPjlLanguage('pclxl'), 'pclxl');
  t.equal(formatForPjlLanguage('POSTSCRIPT'), 'postscript');
  t.equal(formatForPjlLanguage('ESCP'), undefined);
});

t.test('the registry recognises each magic number', async (t) => {
  const cases: Array<[string, Uint8Array]> = [
    ['pwg-raster', new TextEncoder().encode('RaS2PwgRaster\0')],
    ['cups-raster', new TextEncoder().encode('3SaR')],
    ['cups-raster', new TextEncoder().encode('RaSt')],
    ['urf', new TextEncoder().encode('UNIRAST\0\0\0\0\x01')],
    ['png', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])],
    ['jpeg', new Uint8Array([0xff, 0xd8, 0xff, 0xe0])],
    ['tiff', new Uint8Array([0x49, 0x49, 42, 0])],
    ['tiff', new Uint8Array([0x4d, 0x4d, 0, 42])],
    ['pdf', new TextEncoder().encode('%PDF-1.7\n')],
    ['postscript', new TextEncoder().encode('%!PS-Adobe-3.0\n%%Pages: 1\n')],
    ['text', new TextEncoder().encode('Dear printer,\nhello.\n')],
  ];
  for (const [format, head] of cases) t.equal(detect(REGISTRY, head, head)?.parser.format, format, format);
  t.equal(detect(REGISTRY, new Uint8Array([0, 1, 2, 3, 0, 0]), none), null, 'binary junk is nothing');
});

t.test('every language is registered exactly once', async (t) => {
  const formats = REGISTRY.map((e) => e.parser.format);
  t.equal(new Set(formats).size, formats.length, 'no duplicates');
  for (const f of ['pdf', 'postscript', 'pcl5', 'pclxl', 'pwg-raster', 'cups-raster', 'urf', 'png', 'jpeg', 'tiff', 'text']) t.ok(formats.includes(f as DocumentFormat), f);
});

t.test('a perfect score stops the sniffing of entries that would lose the tie', async (t) => {
  const called: string[] = [];
  const spy = (format: DocumentFormat, score: number): Parser => fake(format, () => { called.push(format); return score; });
  const table: DetectionEntry[] = [
    { parser: spy('pdf', 100), priority: 85, note: '' },
    { parser: spy('pclxl', 100), priority: 85, note: '' },
    { parser: spy('png', 0), priority: 90, note: '' },
    { parser: spy('text', 15), priority: 0, note: '' },
  ];
  t.equal(detect(table, none, none)?.parser.format, 'pdf');
  t.same(called, ['png', 'pdf'], 'higher priorities first; pclxl (same priority, later) and text not sniffed');
});

t.test('the winner is the one scoring every entry would pick (random tables)', async (t) => {
  // A seeded generator: the same tables on every run.
  let seed = 12345;
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return (seed >>> 12) % n; };
  const formats: DocumentFormat[] = ['pdf', 'pclxl', 'postscript', 'pcl5', 'png', 'tiff', 'jpeg', 'text'];
  for (let run = 0; run < 500; run++) {
    const size = 1 + rnd(6);
    const table: DetectionEntry[] = [];
    const scores: number[] = [];
    for (let i = 0; i < size; i++) {
      const score = [0, 5, 10, 15, 50, 90, 95, 100, 120][rnd(9)]!;
      scores.push(Math.min(100, score));
      table.push({ parser: fake(formats[i]!, score), priority: [0, 70, 85, 90][rnd(4)]!, note: '' });
    }
    const hint = rnd(3) === 0 ? formats[rnd(size)] : undefined;
    // Brute force: every entry scored, highest score, then priority, then table position.
    const all = table.map((e, i) => {
      let s = scores[i]!;
      if (hint !== undefined && e.parser.format === hint && s > 0) s = Math.min(100, s + 10);
      return { e, s, i };
    }).sort((a, b) => b.s - a.s || b.e.priority - a.e.priority || a.i - b.i);
    const want = all[0]!.s >= MIN_SCORE ? all[0]!.e.parser.format : undefined;
    const got = detect(table, none, none, hint);
    if (got?.parser.format !== want) t.fail(`run ${run}: ${got?.parser.format} instead of ${want}`);
  }
  t.pass('500 random tables');
});
