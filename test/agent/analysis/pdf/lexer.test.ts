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
