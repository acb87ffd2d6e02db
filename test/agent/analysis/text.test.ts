// Plain text laid out as texttopdf does by default (60 lines, 80 columns, Letter).
import t from 'tap';
import { textParser, TEXT_LAYOUT } from '../../../agent/analysis/text/index.ts';
import { BufferSource } from '../../../agent/analysis/source.ts';
import { DEFAULT_LIMITS } from '../../../agent/analysis/types.ts';

const pages = async (s: string | Uint8Array) => (await textParser.analyze(new BufferSource(typeof s === 'string' ? new TextEncoder().encode(s) : s), { limits: DEFAULT_LIMITS })).pages;

t.test('layout constants', async (t) => {
  t.equal(TEXT_LAYOUT.lines, 60);
  t.equal(TEXT_LAYOUT.columns, 80);
});

t.test('lines, wraps, form feeds', async (t) => {
  t.equal(await pages(''), 0, 'empty prints nothing');
  t.equal(await pages('\n'), 1);
  t.equal(await pages('x\n'.repeat(60)), 1);
  t.equal(await pages('x\n'.repeat(61)), 2);
  t.equal(await pages(`${'y'.repeat(80)}\n`.repeat(60)), 1, '80 columns fit');
  t.equal(await pages(`${'y'.repeat(81)}\n`.repeat(30)), 1, '81 columns wrap to 2 lines');
  t.equal(await pages(`${'y'.repeat(81)}\n`.repeat(31)), 2);
  t.equal(await pages('a\fb\f'), 2);
  t.equal(await pages('a\f\fb'), 3, 'an empty page between two form feeds');
  t.equal(await pages('\f'), 1);
  t.equal(await pages(`${'\t'.repeat(10)}x\n`.repeat(31)), 2, 'tabs reach the margin and wrap');
  t.equal(await pages('x\r\n'.repeat(61)), 2, 'CR returns to column 0 only');
  t.equal(await pages(`${'x\n'.repeat(59)}\x1b7\x1b7y\n\ny\n`), 1, 'ESC 7 moves up a line');
});

t.test('UTF-8: multi-byte characters take one column; 4-byte ones stop the text', async (t) => {
  t.equal(await pages(`${'é'.repeat(80)}\n`.repeat(60)), 1);
  const r = await textParser.analyze(new BufferSource(new TextEncoder().encode(`a\n${'b\n'.repeat(70)}😀${'c\n'.repeat(100)}`)), { limits: DEFAULT_LIMITS });
  t.equal(r.pages, 2);
  t.equal(r.warnings.length, 1);
  t.match(r, { colorPages: 0, colorPageNumbers: [], media: [{ name: 'Letter', pages: 2 }] });
});

t.test('sniff: text yes, binary no', async (t) => {
  t.ok(textParser.sniff(new TextEncoder().encode('hello\n'), new Uint8Array(0)) > 0);
  t.equal(textParser.sniff(new Uint8Array([104, 0, 105]), new Uint8Array(0)), 0);
  t.equal(textParser.sniff(new Uint8Array([1, 2, 3, 4, 5]), new Uint8Array(0)), 0);
});
