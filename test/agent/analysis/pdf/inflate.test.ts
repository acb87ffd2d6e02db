// The reused native inflate state: same output as zlib.inflateSync, streamed in steps,
// recovers from corrupt data, enforces the limit, and is really in use on this Node.
import t from 'tap';
import { deflateSync, inflateSync, constants } from 'node:zlib';
import { Inflater } from '../../../../agent/analysis/pdf/inflate.ts';

const text = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => `${i} 0 0 RG ${i % 97} w `).join(''));

t.test('the native handle is usable on this Node (else inflate falls back to inflateSync)', async (t) => {
  t.ok(new Inflater().available);
});

t.test('whole streams, one after another, equal zlib.inflateSync', async (t) => {
  const inf = new Inflater();
  for (const n of [0, 1, 100, 5000, 200_000]) {
    const raw = text(n);
    inf.begin(deflateSync(raw));
    t.ok(inf.more(Infinity, 1 << 26));
    t.ok(inf.done);
    t.same(Buffer.from(inf.take()), raw, `${raw.length} bytes`);
  }
});

t.test('in steps: at least `want` bytes each time, until done', async (t) => {
  const inf = new Inflater();
  const raw = text(20_000);
  inf.begin(deflateSync(raw));
  let steps = 0;
  while (!inf.done) {
    const before = inf.length;
    t.ok(inf.more(1000, 1 << 26));
    if (!inf.done) t.ok(inf.length - before >= 1000);
    steps++;
  }
  t.ok(steps > 1);
  t.same(Buffer.from(inf.view()), raw);
});

t.test('a truncated stream gives its prefix; corrupt data says so, and the next stream works', async (t) => {
  const inf = new Inflater();
  const raw = text(5000);
  const z = deflateSync(raw);
  inf.begin(z.subarray(0, z.length >> 1));
  t.ok(inf.more(Infinity, 1 << 26));
  const prefix = Buffer.from(inf.view());
  t.same(prefix, inflateSync(z.subarray(0, z.length >> 1), { finishFlush: constants.Z_SYNC_FLUSH }));
  inf.begin(Buffer.from('not zlib at all'));
  t.equal(inf.more(Infinity, 1 << 26), false);
  inf.begin(z);
  t.ok(inf.more(Infinity, 1 << 26));
  t.same(Buffer.from(inf.view()), raw);
});

t.test('the limit: exactly the limit passes, one byte more throws', async (t) => {
  const inf = new Inflater();
  const z = deflateSync(Buffer.alloc(100_000));
  inf.begin(z);
  t.ok(inf.more(Infinity, 100_000));
  t.equal(inf.length, 100_000);
  inf.begin(z);
  t.throws(() => inf.more(Infinity, 99_999), RangeError);
});

t.test('begin(input, true) copies the input: changing it afterwards does not change the output', async (t) => {
  const inf = new Inflater();
  const raw = text(20_000);
  const input = Buffer.from(deflateSync(raw));
  inf.begin(input, true);
  t.ok(inf.more(1024, 1 << 26));
  input.fill(0xff); // what a reused block buffer looks like to a reader that kept a view
  t.ok(inf.more(Infinity, 1 << 26), 'the rest inflates cleanly');
  t.same(Buffer.from(inf.take()), raw);
});
