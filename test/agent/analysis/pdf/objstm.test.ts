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

t.test('random headers: the inline reader and the lexer together read what the lexer alone reads', async (t) => {
  // The reference: pairs of numbers as Lexer.readNumber reads them after skipSpace, up to
  // the first token that is not a number (what the header reader did before the inline one).
  const reference = (text: string, first: number, n: number) => {
    const lx = new Lexer(Buffer.from(text, 'latin1'), 0, true);
    const num = () => {
      if (!lx.skipSpace()) return undefined;
      const c = lx.buf[lx.pos]!;
      return c === 0x2b || c === 0x2d || c === 0x2e || (c >= 0x30 && c <= 0x39) ? lx.readNumber() : undefined;
    };
    const pairs: Array<[number, number]> = [];
    while (pairs.length < n) {
      const on = num();
      if (on === undefined) break;
      const oo = num();
      if (oo === undefined) break;
      pairs.push([on, first + oo]);
    }
    return pairs;
  };
  let seed = 99;
  const rand = (k: number) => { seed = (seed * 1103515245 + 12345) >>> 0; return (seed >>> 8) % k; };
  // Mostly the plain form, sometimes something else anywhere in it.
  const junk = ['\t', '\f', '\0', '%x\n', '+', '-', '.', '/N', 'x', '<<', '1.5', '0000000000000001', '123456789012345', '99999999999999', ''];
  let bad = 0;
  for (let i = 0; i < 3000 && bad < 5; i++) {
    let text = ' '.repeat(rand(3));
    const pairs = rand(12);
    for (let k = 0; k < pairs; k++) {
      text += String(rand(5) === 0 ? rand(100000) : rand(300)) + [' ', '\n', '\r\n', '  '][rand(4)]!;
      text += String(rand(4000)) + [' ', '\n', '\r', ' \n'][rand(4)]!;
      if (rand(8) === 0) text += junk[rand(junk.length)]!;
    }
    if (rand(4) === 0) text = text.slice(0, rand(text.length + 1)); // cut anywhere, even inside a number
    const n = rand(5) === 0 ? rand(4) : pairs + rand(3);
    const first = text.length + rand(3);
    const s = ObjStm.parse(Buffer.from(text.padEnd(first, ' '), 'latin1'), first, n, new Lexer(new Uint8Array(0)));
    const want = reference(text.padEnd(first, ' '), first, n);
    const got: Array<[number, number]> = [];
    for (let k = 0; k < s.count; k++) got.push([s.numberAt(k)!, s.offsetOf(s.numberAt(k)!, k)!]);
    // offsetOf answers for the last of repeated numbers, as the reference's Map would.
    const last = new Map(want.map(([a, b]) => [a, b]));
    const wantAnswers = want.map(([a]) => [a, last.get(a)!]);
    if (JSON.stringify(got) !== JSON.stringify(wantAnswers)) {
      bad++;
      t.fail(`${JSON.stringify(text)} n=${n}: ${JSON.stringify(got)} vs ${JSON.stringify(wantAnswers)}`);
    }
  }
  t.equal(bad, 0, '3,000 random headers');
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
