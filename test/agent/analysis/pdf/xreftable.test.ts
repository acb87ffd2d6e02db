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
