// The cross-reference table: entries in typed arrays, read field by field without an
// object, and xref stream records put in bulk.
import t from 'tap';
import { XrefTable } from '../../../../agent/analysis/pdf/xreftable.ts';

t.test('xref stream records: widths, types, newer entries win', async (t) => {
  const x = new XrefTable();
  x.put(3, 1, 999, 0); // from a newer section
  // w = [1 2 1]: type, offset, generation/index
  const rec = (ty: number, a: number, b: number) => [ty, a >> 8, a & 0xff, b];
  const data = Uint8Array.from([...rec(0, 0, 255), ...rec(1, 300, 0), ...rec(2, 7, 4), ...rec(1, 50, 0), ...rec(9, 1, 1), ...rec(1, 60, 2)]);
  const end = x.putRecords(data, 1, 2, 1, 1, 10, 0);
  t.equal(end, data.length, 'stops at the end of the data');
  t.same([x.typeOf(1), x.aOf(1), x.bOf(1)], [0, 0, 255]);
  t.same([x.typeOf(2), x.aOf(2)], [1, 300]);
  t.same(x.get(3), { type: 1, a: 999, b: 0 }, 'an entry from a newer section stays');
  t.same([x.typeOf(4), x.aOf(4), x.bOf(4)], [1, 50, 0]);
  t.equal(x.typeOf(5), -1, 'an unknown type is skipped');
  t.same([x.typeOf(6), x.aOf(6), x.bOf(6)], [1, 60, 2]);
  t.equal(x.typeOf(7), -1);
  t.ok(Number.isNaN(x.aOf(7)));
  // No type field: type 1. A second subsection continues at the position returned.
  const y = new XrefTable();
  const two = Uint8Array.from([0, 10, 0, 20, 0, 30]);
  const p = y.putRecords(two, 0, 2, 0, 100, 2, 0);
  y.putRecords(two, 0, 2, 0, 5000, 5, p);
  t.same([y.typeOf(100), y.aOf(100), y.typeOf(101), y.aOf(101)], [1, 10, 1, 20]);
  t.same([y.typeOf(5000), y.aOf(5000), y.typeOf(5001)], [1, 30, -1]);
  t.equal(y.size, 3);
  y.putRecords(two, 0, 2, 0, 2 ** 21, 1, 0);
  t.same(y.get(2 ** 21), { type: 1, a: 10, b: 0 }, 'far object numbers go to the map');
});

t.test('xref stream records: every width, the usual ones read without field loops, as a reference reads them', async (t) => {
  // A seeded generator: the same records every run.
  let seed = 12345;
  const rand = (n: number) => { seed = (seed * 1103515245 + 12345) >>> 0; return (seed >>> 8) % n; };
  let cases = 0;
  for (let w0 = 0; w0 <= 2; w0++) {
    for (let w1 = 0; w1 <= 5; w1++) {
      for (let w2 = 0; w2 <= 3; w2++) {
        const rec = w0 + w1 + w2;
        if (rec === 0) continue;
        const count = 40;
        const data = new Uint8Array(count * rec + rand(rec)); // sometimes a partial record at the end
        for (let i = 0; i < data.length; i++) data[i] = rand(4) === 0 ? rand(3) : rand(256);
        const x = new XrefTable();
        x.put(7, 1, 4242, 0); // a newer entry that must stay
        const end = x.putRecords(data, w0, w1, w2, 3, count + 5, 0);
        // The reference: big-endian fields, type 1 when there is no type field.
        const field = (p: number, w: number) => { let v = 0; for (let i = 0; i < w; i++) v = v * 256 + data[p + i]!; return v; };
        let p = 0;
        let ok = true;
        for (let k = 0; k < count + 5 && p + rec <= data.length; k++, p += rec) {
          const type = w0 === 0 ? 1 : field(p, w0);
          const n = 3 + k;
          const want = n === 7 ? { type: 1, a: 4242, b: 0 }
            : type > 2 ? undefined : { type, a: field(p + w0, w1), b: field(p + w0 + w1, w2) >>> 0 };
          if (JSON.stringify(x.get(n)) !== JSON.stringify(want)) { ok = false; t.fail(`w ${w0} ${w1} ${w2}: object ${n}: ${JSON.stringify(x.get(n))} vs ${JSON.stringify(want)}`); break; }
        }
        t.ok(ok && end === p, `w ${w0} ${w1} ${w2}`);
        cases++;
      }
    }
  }
  t.equal(cases, 71);
});
