// The object model's own structures: dictionaries (flat up to FLAT_KEYS_MAX keys, a Map
// beyond, a live Map view), interned names, references.
import t from 'tap';
import { Lexer } from '../../../../agent/analysis/pdf/lexer.ts';
import { FLAT_KEYS_MAX, PdfDict, PdfName, PdfRef } from '../../../../agent/analysis/pdf/objects.ts';

const parse = (s: string) => new Lexer(Buffer.from(s, 'latin1'), 0, true).next() as PdfDict;
const keys = (d: PdfDict) => { const out: string[] = []; d.forEach((_, k) => out.push(k)); return out; };

t.test('a small dictionary: get, has, set, order, repeated keys', async (t) => {
  const d = parse('<< /A 1 /B (x) /A 2 /C null /D >>');
  t.equal(d.get('A'), 2, 'the later value of a repeated key wins');
  t.same(keys(d), ['A', 'B', 'C', 'D'], 'a repeated key keeps its first place, as in a Map');
  t.equal(d.size, 4);
  t.equal(d.get('C'), null);
  t.ok(d.has('C'), 'null values are present');
  t.equal(d.get('D'), null, 'a key without a value before >> is null');
  t.notOk(d.has('E'));
  t.equal(d.get('E'), undefined);
  d.set('B', 7);
  d.set('E', true);
  t.same(keys(d), ['A', 'B', 'C', 'D', 'E']);
  t.same(d.values(), [2, 7, null, null, true]);
});

t.test('a large dictionary moves to a Map and reads the same', async (t) => {
  const n = FLAT_KEYS_MAX * 3;
  let src = '<<';
  for (let i = 0; i < n; i++) src += ` /K${i} ${i}`;
  src += ' /K5 500 /K90 900 >>';
  const d = parse(src);
  t.equal(d.size, n);
  t.equal(d.get('K0'), 0);
  t.equal(d.get('K5'), 500, 'repeat before the switch to a Map');
  t.equal(d.get('K90'), 900, 'repeat after it');
  t.equal(d.get(`K${n - 1}`), n - 1);
  t.same(keys(d).slice(0, 3), ['K0', 'K1', 'K2']);
  // set() past the limit on a flat dictionary switches it too
  const e = new PdfDict();
  for (let i = 0; i <= FLAT_KEYS_MAX + 5; i++) e.set(`X${i}`, i);
  t.equal(e.size, FLAT_KEYS_MAX + 6);
  t.equal(e.get(`X${FLAT_KEYS_MAX + 5}`), FLAT_KEYS_MAX + 5);
  t.equal(e.get('X0'), 0);
});

t.test('the map view is live both ways', async (t) => {
  const d = parse('<< /Type /Page /N 3 >>');
  const m = d.map;
  t.equal(m.get('N'), 3);
  m.set('N', 4);
  t.equal(d.get('N'), 4, 'a change through the view is seen by get');
  d.set('Q', 1);
  t.equal(m.get('Q'), 1, 'and set() writes into the view');
  t.equal(d.map, m, 'the same Map every time');
  const from = new Map<string, null | number>([['A', 1]]);
  const e = new PdfDict(from);
  from.set('A', 2);
  t.equal(e.get('A'), 2, 'a dictionary over a Map reads that Map');
});

t.test('nested dictionaries and arrays keep their own entries', async (t) => {
  const d = parse('<< /A << /A 1 /B [1 2 << /A 3 >> [4]] >> /B [5] /A 6 >>');
  const inner = d.get('A');
  t.equal(inner, 6);
  t.same(d.get('B'), [5]);
  const e = parse('<< /X << /A 1 /B [1 2 << /A 3 >> [4]] >> >>');
  const x = e.get('X') as PdfDict;
  t.equal(x.get('A'), 1);
  const arr = x.get('B') as unknown[];
  t.equal(arr.length, 4);
  t.equal((arr[2] as PdfDict).get('A'), 3);
  t.same(arr[3], [4]);
});

t.test('a parse cut short leaves nothing behind for the next one', async (t) => {
  t.throws(() => new Lexer(Buffer.from('<< /A [1 2 << /B 3', 'latin1'), 0, false).next(), { message: 'window underflow' });
  const d = parse('<< /C 4 >>');
  t.same(keys(d), ['C']);
  t.same(new Lexer(Buffer.from('[7 8]', 'latin1'), 0, true).next(), [7, 8]);
});

t.test('names are interned; references are read as references', async (t) => {
  t.equal(PdfName.of('Fo' + 'nt'), PdfName.of('Font'));
  const d = parse('<< /A 12 0 R /B [12 3 R] >>');
  const a = d.get('A') as PdfRef;
  t.ok(a instanceof PdfRef);
  t.same([a.num, a.gen], [12, 0]);
  const b = (d.get('B') as PdfRef[])[0]!;
  t.same([b.num, b.gen], [12, 3]);
});

t.test('a huge array, then ordinary objects', async (t) => {
  const big = '[' + Array.from({ length: 100_000 }, (_, i) => `${i} 0 R`).join(' ') + ' << /In [1 2] >>]';
  const arr = new Lexer(Buffer.from(big, 'latin1'), 0, true).next() as unknown[];
  t.equal(arr.length, 100_001);
  t.equal((arr[99_999] as PdfRef).num, 99_999);
  t.same((arr[100_000] as PdfDict).get('In'), [1, 2]);
  const d = parse('<< /A [<< /B 1 >>] /C 2 >>');
  t.equal(((d.get('A') as PdfDict[])[0]!).get('B'), 1);
  t.equal(d.get('C'), 2);
});
