// Object stream headers: the plain form read inline, anything else as the lexer reads it,
// and lookups that answer as a Map of number -> offset would (the last repeat wins); the
// pool of buffers decoded streams are inflated into.
import t from 'tap';
import { deflateSync } from 'node:zlib';
import { Lexer } from '../../../../agent/analysis/pdf/lexer.ts';
import { inflateObjStm, ObjStm } from '../../../../agent/analysis/pdf/objstm.ts';

const stm = (header: string, n: number, first = header.length) =>
  ObjStm.parse(Buffer.from(header.padEnd(first, ' ') + '<< >>', 'latin1'), first, n, new Lexer(new Uint8Array(0)));

t.test('a plain header, in any object order', async (t) => {
  const s = stm('12 0 7 15 30 40\n', 3, 20);
  t.equal(s.count, 3);
  t.equal(s.numberAt(0), 12);
  t.equal(s.numberAt(2), 30);
  t.equal(s.numberAt(3), undefined);
  t.equal(s.offsetOf(12, 0), 20);
  t.equal(s.offsetOf(7, 1), 35);
  t.equal(s.offsetOf(30, 2), 60);
  t.equal(s.offsetOf(7, 2), 35, 'a wrong index: found by number');
  t.equal(s.offsetOf(8, 1), undefined);
});

/** Where objects 1-4 are, each at the index its number gives. */
const firstFour = (s: ObjStm) => [1, 2, 3, 4].map((n) => s.offsetOf(n, n - 1));

t.test('forms the inline reader leaves to the lexer', async (t) => {
  const s = stm('1 0 % comment\n2 +5\t3 7.0 4 9', 4, 40);
  t.equal(s.count, 4);
  t.same(firstFour(s), [40, 45, 47, 49]);
  const cut = stm('1 0 2 /Name 3 4', 3, 20);
  t.equal(cut.count, 1, 'the header ends at the first token that is not a number');
  const long = stm('1234567890123456 0 2 5', 2, 30);
  t.equal(long.numberAt(0), 1234567890123456, 'more digits than the inline reader takes');
  t.equal(long.offsetOf(2, 1), 35);
});

t.test('a repeated number: the last one counts', async (t) => {
  const s = stm('5 0 6 10 5 20 ', 3, 14);
  t.equal(s.offsetOf(5, 0), 34, 'even at the index of the first');
  t.equal(s.offsetOf(6, 1), 24);
  t.equal(s.numberAt(0), 5);
});

t.test('a header longer than /First says (the arrays grow past their first size)', async (t) => {
  const s = stm('1 0 2 5 3 9 4 12 ', 4, 2);
  t.equal(s.count, 4);
  t.same(firstFour(s), [2, 7, 11, 14]);
  const mixed = stm('1 0 2 5 3 +9 ', 3, 2);
  t.equal(mixed.count, 3, 'then the general reader');
  t.equal(mixed.offsetOf(3, 2), 11);
});

t.test('a hostile /N cannot size the arrays', async (t) => {
  const s = stm('1 0 ', 1_000_000, 4);
  t.equal(s.count, 1);
  t.equal(stm('', 10, 0).count, 0);
});

t.test('repeats are found among large numbers and across many streams', async (t) => {
  const far = stm('70000 0 70001 5 70000 9 ', 3, 30);
  t.equal(far.offsetOf(70000, 0), 39, 'a number beyond the table repeats');
  for (let i = 0; i < 200; i++) {
    const s = stm(`${i} 0 ${i + 1} 5 `, 2, 20);
    if (s.offsetOf(i, 0) !== 20 || s.offsetOf(i + 1, 1) !== 25) { t.fail(`stream ${i}`); break; }
  }
  const zero = stm('0 0 -0 7 ', 2, 10);
  t.equal(zero.offsetOf(0, 0), 17, '-0 and 0 are one number');
});

t.test('object streams are inflated into pooled buffers, which recycle() hands to the next', async (t) => {
  const text = '1 0 2 6 << >> [1 2 3]'.padEnd(20_000, ' ');
  const lx = new Lexer(new Uint8Array(0));
  const data = inflateObjStm(deflateSync(Buffer.from(text, 'latin1')), 1 << 20)!;
  t.equal(Buffer.from(data).toString('latin1'), text);
  t.equal(data.buffer.byteLength, 32_768, 'a buffer of the next power of two');
  const first = ObjStm.parse(data, 8, 2, lx, true);
  t.equal(first.offsetOf(2, 1), 14);
  first.recycle();
  const other = 'X'.repeat(17_000);
  const next = inflateObjStm(deflateSync(Buffer.from(other, 'latin1')), 1 << 20)!;
  t.equal(next.buffer, data.buffer, 'the recycled buffer is reused');
  t.equal(Buffer.from(next).toString('latin1'), other);
  const own = Buffer.from(text, 'latin1');
  ObjStm.parse(new Uint8Array(own.buffer, own.byteOffset, own.length), 8, 2, lx).recycle();
  t.equal(Buffer.from(own).toString('latin1'), text, 'data not from the pool is left alone');
  t.equal(inflateObjStm(Buffer.from('not zlib data'), 1 << 20), undefined, 'corrupt data: the general path decides');
  t.equal(inflateObjStm(deflateSync(Buffer.from(text, 'latin1')), 100), undefined, 'over the limit: the general path decides');
});
