// The block cache: the same bytes from a synchronous source (no promises) as from an
// asynchronous one, across block boundaries, large direct reads and the end of the file;
// evicted blocks' buffers reused (also by the next document's reader), and no reader of the PDF parser holding a view into a
// block past its eviction.
import t from 'tap';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlockReader, blockCheck } from '../../../../agent/analysis/pdf/blocks.ts';
import { pdfParser } from '../../../../agent/analysis/pdf/index.ts';
import { PdfDocument } from '../../../../agent/analysis/pdf/document.ts';
import { PdfStream } from '../../../../agent/analysis/pdf/objects.ts';
import { PdfWriter } from '../../../../fixtures/pdf/writer.ts';
import { AnalysisError } from '../../../../agent/analysis/errors.ts';
import { DEFAULT_LIMITS } from '../../../../agent/analysis/types.ts';
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

t.test('evicted blocks are reused, and shares() names the views whose bytes then change', async (t) => {
  const big = Buffer.alloc(20 * 262_144);
  for (let i = 0; i < big.length; i++) big[i] = (i * 13 + (i >> 9) + (i >> 18) * 37) & 0xff;
  const r = new BlockReader(new BufferSource(big));
  const first = r.read(10, 100) as Uint8Array;
  t.ok(r.shares(first), 'a read inside one block is a view into it');
  const spanning = r.read(262_100, 100) as Uint8Array;
  t.notOk(r.shares(spanning), 'a read across two blocks is its own copy');
  const kept = Buffer.from(first);
  for (let i = 1; i < 20; i++) r.read(i * 262_144, 10);
  t.notSame(Buffer.from(first), kept, 'the first block was evicted and its buffer filled again');
  t.same(Buffer.from(r.read(10, 100) as Uint8Array), kept, 'reading it again gives the right bytes');
});

t.test('a released reader hands its block buffers to the next reader', async (t) => {
  const one = Buffer.alloc(300_000, 0x41);
  const two = Buffer.alloc(300_000, 0x42);
  const a = new BlockReader(new BufferSource(one));
  const view = a.read(10, 100) as Uint8Array;
  t.same(Buffer.from(view), Buffer.alloc(100, 0x41));
  a.release();
  const b = new BlockReader(new BufferSource(two));
  t.same(Buffer.from(b.read(10, 100) as Uint8Array), Buffer.alloc(100, 0x42), 'the next reader reads its own bytes');
  t.same(Buffer.from(view), Buffer.alloc(100, 0x42), 'into the buffer the released reader read into');
  t.same(Buffer.from(a.read(20, 10) as Uint8Array), Buffer.alloc(10, 0x41), 'a released reader still reads right');
});

t.test('no PDF reader keeps a view into a block past its eviction', async (t) => {
  // Every fixture is analysed as usual and then with evicted blocks poisoned (overwritten
  // with junk, never reused), tiny blocks and one cached at a time: a stale view reads
  // junk, which changes the result.
  const dir = join(import.meta.dirname, '..', '..', '..', '..', 'fixtures', 'pdf');
  const files = readdirSync(dir).filter((f) => f.endsWith('.pdf')).sort();
  const run = async (bytes: Uint8Array): Promise<string> => {
    try {
      return JSON.stringify(await pdfParser.analyze(new BufferSource(bytes), { limits: DEFAULT_LIMITS }));
    } catch (e) {
      if (e instanceof AnalysisError) return `${e.code} ${e.message} @${e.offset}`;
      throw e;
    }
  };
  t.teardown(() => { blockCheck.poison = false; });
  let evicting = 0;
  for (const f of files) {
    const bytes = readFileSync(join(dir, f));
    blockCheck.poison = false;
    const want = await run(bytes);
    for (const blockSize of [256, 1024, 8192]) {
      blockCheck.poison = true;
      blockCheck.blockSize = blockSize;
      blockCheck.maxBlocks = 1;
      if (bytes.length > blockSize) evicting++;
      const got = await run(bytes);
      blockCheck.poison = false;
      if (got !== want) t.fail(`${f} with ${blockSize}-byte blocks: ${got.slice(0, 300)} instead of ${want.slice(0, 300)}`);
    }
  }
  t.ok(evicting > 50, `blocks were evicted in ${evicting} runs`);
});

t.test('stream data handed out for keeping is never a view into a block', async (t) => {
  const w = new PdfWriter();
  const plain = w.stream('', 'q 0 0 0 rg 0 0 10 10 re f Q', false);
  const packed = w.stream('', 'q 0 0 0 rg 0 0 10 10 re f Q', true);
  const image = w.stream(' /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode', Buffer.from([0xff, 0xd8, 0xff, 0xd9]), false);
  w.page({ content: '0 g 0 0 10 10 re f' });
  const doc = await PdfDocument.open(new BufferSource(w.build()), { limits: DEFAULT_LIMITS, deadline: Date.now() + 60_000 });
  for (const [name, num] of [['unfiltered', plain], ['Flate', packed], ['DCT image', image]] as const) {
    const s = await doc.getObject(num);
    if (!(s instanceof PdfStream)) { t.fail(`${name}: not a stream`); continue; }
    const stored = doc.reader.read(s.start, s.length) as Uint8Array;
    t.ok(doc.reader.shares(stored), `${name}: its stored bytes lie in a block`);
    const now = doc.streamDataNow(s);
    t.notOk(doc.reader.shares((now instanceof Promise ? await now : now).data), `${name}: streamDataNow`);
    t.notOk(doc.reader.shares((await doc.streamData(s)).data), `${name}: streamData`);
    t.notOk(doc.reader.shares(await doc.rawStream(s)), `${name}: rawStream`);
  }
});
