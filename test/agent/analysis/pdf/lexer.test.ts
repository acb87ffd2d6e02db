// The PDF lexer alone: tokens, strings, names, references, nesting, window underflow.
import t from 'tap';
import { Lexer } from '../../../../agent/analysis/pdf/lexer.ts';
import { PdfDict, PdfName, PdfOp, PdfRef, PdfString } from '../../../../agent/analysis/pdf/objects.ts';

const lex = (s: string, complete = true) => new Lexer(Buffer.from(s, 'latin1'), 100, complete);
const all = (s: string) => {
  const lx = lex(s);
  const out = [];
  for (let v = lx.next(); v !== undefined; v = lx.next()) out.push(v);
  return out;
};

t.test('numbers, booleans, null and keywords', async (t) => {
  t.same(all('1 -2 +3.5 .5 -.25 4. true false null'), [1, -2, 3.5, 0.5, -0.25, 4, true, false, null]);
  const [op] = all('BT');
  t.ok(op instanceof PdfOp && op.op === 'BT');
  t.same(all('--5 1.2.3'), [5, 1.2], 'sloppy numbers are read leniently');
});

t.test('names with # escapes are interned', async (t) => {
  const [a, b, c] = all('/Type /Ty#70e /A#20B');
  t.equal((a as PdfName).name, 'Type');
  t.equal(a, b, 'same spelling -> same object');
  t.equal((c as PdfName).name, 'A B');
});

t.test('literal strings: escapes, octal, balanced parentheses', async (t) => {
  const [s] = all('(a\\(b\\)c (nested) \\101\\n\\\ncont)');
  t.equal((s as PdfString).text(), 'a(b)c (nested) A\ncont');
  const [h] = all('<48 65 6c6c 6F7>');
  t.equal((h as PdfString).text(), 'Hellop');
});

t.test('arrays, dictionaries and references', async (t) => {
  const [d] = all('<< /Kids [1 0 R 2 0 R] /Count 2 /Nested << /X [1 2 [3]] >> >>');
  t.ok(d instanceof PdfDict);
  const dict = d as PdfDict;
  const kids = dict.get('Kids') as PdfRef[];
  t.equal(kids.length, 2);
  t.ok(kids[0] instanceof PdfRef);
  t.equal(kids[1]!.num, 2);
  t.equal(dict.get('Count'), 2);
  t.same((dict.get('Nested') as PdfDict).get('X'), [1, 2, [3]]);
  t.same(all('1 2 3'), [1, 2, 3], 'numbers that are not a reference stay numbers');
});

t.test('comments are skipped', async (t) => {
  t.same(all('1 % comment here\n2'), [1, 2]);
});

t.test('an incomplete window underflows; complete data is truncated', async (t) => {
  t.throws(() => lex('<< /A (unterminated', false).next(), { message: 'window underflow' });
  t.throws(() => lex('<< /A (unterminated', true).next(), { code: 'ANALYSIS_TRUNCATED' });
  t.throws(() => lex('[1 2', true).next(), { code: 'ANALYSIS_TRUNCATED' });
  t.throws(() => lex('12', false).next(), { message: 'window underflow' }, 'a number at the window end may continue');
});

t.test('deep nesting is refused, not a stack overflow', async (t) => {
  t.throws(() => lex('['.repeat(10000)).next(), { code: 'ANALYSIS_MALFORMED' });
});

t.test('every call advances', async (t) => {
  const lx = lex(')))>>>]}{ 1');
  let n = 0;
  for (let v = lx.next(); v !== undefined && n < 100; v = lx.next()) n++;
  t.ok(n < 100, 'stray delimiters end');
});

t.test('numbers and references: the fast forms and the ones left to the general reader', async (t) => {
  // References as "n g R", operators as their text: easy to compare.
  const show = (v: unknown): unknown =>
    v instanceof PdfRef ? `${v.num} ${v.gen} R` : v instanceof PdfOp ? `op:${v.op}` : Array.isArray(v) ? v.map(show) : v;
  const read = (s: string) => all(s).map(show);
  const digits = (s: string) => { let v = 0; for (const c of s) v = v * 10 + Number(c); return v; };
  t.same(read('1 0 R 2 0 R'), ['1 0 R', '2 0 R']);
  t.same(read('[1 0 R 5 6 7 0 R]'), [['1 0 R', 5, 6, '7 0 R']], 'numbers before a reference');
  t.same(read('1 0 Rx'), [1, 0, 'op:Rx'], 'no reference when R runs on');
  t.same(read('1 0 % note\n R'), ['1 0 R'], 'a comment inside a reference');
  t.same(read('1\t0\fR'), ['1 0 R'], 'other whitespace');
  t.same(read('1 0R'), [1, 'op:0R'], '"0R" is one word');
  t.same(read('1 2.5 R'), [1, 2.5, 'op:R'], 'a fraction is no generation');
  t.same(read('1 2. R'), ['1 2 R'], '"2." is the integer 2');
  t.same(read('12abc 3'), ['op:12abc', 3], 'junk stays junk');
  t.same(read('007 -0 +4 .5 5/N'), [7, -0, 4, 0.5, 5, PdfName.of('N')]);
  t.same(read('1234567890123456789 1'), [digits('1234567890123456789'), 1], 'long digit runs, as the general reader sums them');
  t.same(read('[5]'), [[5]], 'a delimiter right after a number');
  t.throws(() => lex('3 0', false).next(), { message: 'window underflow' }, 'a possible reference at the window end');
  t.throws(() => lex('[3 0 R', false).next(), { message: 'window underflow' }, 'a reference cut by the window end');
  t.ok(lex('3 0 R ', false).next() instanceof PdfRef);
  t.ok(lex('3 0 R', true).next() instanceof PdfRef, 'complete data may end right after R');
  t.same(read('4 0 obj'), [4, 0, 'op:obj']);
});

t.test('keywords: shared operators, the three values', async (t) => {
  const [a, b, c, d, e, f] = all('obj endobj stream endstream trailer n');
  t.ok(a instanceof PdfOp && a.op === 'obj');
  t.equal(a, all('obj')[0], 'the common ones are shared');
  t.equal((b as PdfOp).op, 'endobj');
  t.equal((c as PdfOp).op, 'stream');
  t.equal((d as PdfOp).op, 'endstream');
  t.equal((e as PdfOp).op, 'trailer');
  t.equal((f as PdfOp).op, 'n');
  t.same(all('true false null truex nul'), [true, false, null, all('truex')[0], all('nul')[0]]);
  t.equal((all('truex')[0] as PdfOp).op, 'truex');
});

t.test('many distinct names all read right (the name cache only speeds up)', async (t) => {
  let src = '';
  for (let i = 0; i < 20_000; i++) src += `/N${i.toString(36)} `;
  const names = all(src) as PdfName[];
  t.equal(names.length, 20_000);
  let bad = 0;
  for (let i = 0; i < names.length; i++) if (names[i]!.name !== `N${i.toString(36)}` || names[i] !== PdfName.of(`N${i.toString(36)}`)) bad++;
  t.equal(bad, 0);
  const again = all(src) as PdfName[];
  t.equal(again[12_345], names[12_345]);
});
