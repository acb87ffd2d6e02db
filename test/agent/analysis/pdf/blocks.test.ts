// The block cache: the same bytes from a synchronous source (no promises) as from an
// asynchronous one, across block boundaries, large direct reads and the end of the file.
import t from 'tap';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlockReader } from '../../../../agent/analysis/pdf/blocks.ts';
import { BufferSource, FileSource, SliceSource, type Source } from '../../../../agent/analysis/source.ts';

const bytes = Buffer.alloc(3 * 1024 * 1024 + 123);
for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + (i >> 11)) & 0xff;
const RANGES: Array<[number, number]> = [[0, 10], [262_140, 10], [1000, 1_200_000], [bytes.length - 5, 100], [bytes.length + 10, 4], [524_288, 262_144]];

/** An asynchronous-only view of a source (no readIntoSync). */
const asyncOnly = (s: Source): Source => ({ size: s.size, read: (o, n) => s.read(o, n), close: async () => {} });

t.test('sync and async sources read the same bytes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'blocks-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'f.bin');
  writeFileSync(path, bytes);
  const file = await FileSource.open(path);
  t.teardown(() => file.close());
  const sync = new BlockReader(file);
  const slice = new BlockReader(new SliceSource(file, 0, file.size));
  const mem = new BlockReader(new BufferSource(bytes));
  const slow = new BlockReader(asyncOnly(file));
  t.ok(sync.synchronous && slice.synchronous && mem.synchronous);
  t.notOk(slow.synchronous);
  for (const [o, n] of RANGES) {
    const want = bytes.subarray(Math.min(o, bytes.length), Math.min(bytes.length, o + n));
    for (const [name, r] of [['file', sync], ['slice', slice], ['memory', mem]] as const) {
      const got = r.read(o, n);
      t.notOk(got instanceof Promise, `${name} ${o}+${n} without a promise`);
      t.same(Buffer.from(got as Uint8Array), want, `${name} ${o}+${n}`);
    }
    t.same(Buffer.from(await slow.read(o, n)), want, `async ${o}+${n}`);
  }
});

t.test('reads that alternate between blocks, past the cache size, keep returning the right bytes', async (t) => {
  // 24 blocks of 256 KiB: more than the cache keeps, so blocks are evicted and read again.
  const big = Buffer.alloc(24 * 262_144);
  for (let i = 0; i < big.length; i++) big[i] = (i * 13 + (i >> 9)) & 0xff;
  const r = new BlockReader(new BufferSource(big));
  const offsets: number[] = [];
  for (let i = 0; i < 24; i++) offsets.push(i * 262_144 + 1000, 5, i * 262_144 + 1100);
  let bad = 0;
  for (let round = 0; round < 3; round++) {
    for (const o of offsets) {
      const got = r.read(o, 100) as Uint8Array;
      if (!Buffer.from(got).equals(big.subarray(o, o + 100))) bad++;
    }
  }
  t.equal(bad, 0);
});
