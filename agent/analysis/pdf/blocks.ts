// A block cache over a random-access Source: PDF objects are read where the xref points,
// usually close together, so reads go through 256 KiB blocks kept in a small LRU (4 MiB
// at most). Large reads (stream data) bypass the cache. When the source can read without
// a promise (a local file: Source.readIntoSync), every read here is synchronous, which
// spares the PDF parser a promise and an event-loop turn per object it reads.
//
// An evicted block's buffer is filled again with the next block read (a 560 MB file is
// 2,100 blocks: new buffers each time left hundreds of MB to the garbage collector, which
// frees them only after tens of MB have piled up, and that pile was most of the peak
// memory). So a view that read() returns into a block is valid only for a while: until
// MAX_BLOCKS other blocks have been read. Parsing an object from such a view is safe
// (objects hold copies: strings, numbers, names); stream data kept longer (content being
// inflated, an unfiltered stream) is copied by its reader first (`shares`).

import type { Source } from '../source.ts';
import { idleDrop } from './idle.ts';

const BLOCK = 256 * 1024;
const MAX_BLOCKS = 16;
const DIRECT = 1024 * 1024;
/** Evicted buffers kept for reuse (blocks are read one at a time: one is enough, two spare). */
const SPARE_MAX = 2;

/**
 * Block buffers of readers already released (their document analysed), for the next
 * reader. A new 256 KiB buffer is fresh memory from the system, and the kernel zeroes
 * each of its pages on first touch: over the 17 manuals (a reader each, most smaller than
 * the cache) that page clearing was 3 % of the main thread's CPU (perf), every byte of
 * every file read into a page never used before. Owned by no reader while here.
 */
const FREE: ArrayBuffer[] = [];
const FREE_MAX = MAX_BLOCKS + SPARE_MAX;
const freeLater = idleDrop(() => { FREE.length = 0; });

/**
 * Test switch, read when a reader is made: evicted blocks are overwritten with junk and
 * never reused, blocks are `blockSize` bytes and only `maxBlocks` are cached, so any view
 * kept past its block's eviction reads junk (tests run every fixture so, and require the
 * same results as without).
 */
export const blockCheck = { poison: false, maxBlocks: MAX_BLOCKS, blockSize: BLOCK };

export class BlockReader {
  readonly source: Source;
  readonly size: number;
  private readonly blocks = new Map<number, Uint8Array>();
  /** Buffers of evicted blocks, to be filled again. */
  private readonly spare: Uint8Array[] = [];
  /** The buffers blocks are read into (see `shares`). */
  private readonly pooled = new Set<ArrayBufferLike>();
  private readonly blockSize: number;
  private readonly maxBlocks: number;
  private readonly poison: boolean;
  private readonly readSync: ((offset: number, target: Uint8Array) => number) | undefined;

  constructor(source: Source) {
    this.source = source;
    this.size = source.size;
    this.readSync = source.readIntoSync?.bind(source);
    this.poison = blockCheck.poison;
    this.blockSize = this.poison ? blockCheck.blockSize : BLOCK;
    this.maxBlocks = this.poison ? blockCheck.maxBlocks : MAX_BLOCKS;
  }

  /** Whether reads come back without a promise. */
  get synchronous(): boolean {
    return this.readSync !== undefined;
  }

  /** The block used last (already the newest in the LRU order): most reads are in it. */
  private lastIndex = -1;
  private lastBlock: Uint8Array | undefined;

  private cached(i: number): Uint8Array | undefined {
    if (i === this.lastIndex) return this.lastBlock;
    const b = this.blocks.get(i);
    if (b) {
      // Refresh its LRU position.
      this.blocks.delete(i);
      this.blocks.set(i, b);
      this.lastIndex = i;
      this.lastBlock = b;
    }
    return b;
  }

  private keep(i: number, b: Uint8Array): Uint8Array {
    this.blocks.set(i, b);
    if (this.blocks.size > this.maxBlocks) {
      const oldest = this.blocks.keys().next().value!;
      this.evicted(this.blocks.get(oldest)!);
      this.blocks.delete(oldest);
    }
    this.lastIndex = i;
    this.lastBlock = b;
    return b;
  }

  private evicted(b: Uint8Array): void {
    if (!this.pooled.has(b.buffer)) return; // a block the source made (asynchronous reads)
    if (!this.poison && this.spare.length < SPARE_MAX) {
      this.spare.push(new Uint8Array(b.buffer));
      return;
    }
    // Not reused: views into it stay as they are (unless poisoned).
    if (this.poison) new Uint8Array(b.buffer).fill(0xff);
    this.pooled.delete(b.buffer);
  }

  private blockSync(i: number): Uint8Array {
    const hit = this.cached(i);
    if (hit) return hit;
    const start = i * this.blockSize;
    // Uninitialised memory for a new buffer: the read fills what is used of it.
    let b = this.spare.pop();
    if (b === undefined) {
      const buf = (this.poison ? undefined : FREE.pop()) ?? Buffer.allocUnsafeSlow(this.blockSize).buffer;
      b = new Uint8Array(buf, 0, this.blockSize);
      this.pooled.add(buf);
    }
    const want = Math.min(this.blockSize, this.size - start);
    const got = this.readSync!(start, want === this.blockSize ? b : b.subarray(0, want));
    return this.keep(i, got === this.blockSize ? b : b.subarray(0, got));
  }

  /**
   * The document is done: its block buffers go to the next reader (`FREE`), so every view
   * read() returned is invalid from now on. The reader still works (reading into new
   * buffers) if it is used again.
   */
  release(): void {
    for (const buf of this.pooled) {
      if (this.poison) new Uint8Array(buf).fill(0xff);
      else if (FREE.length < FREE_MAX && buf instanceof ArrayBuffer && buf.byteLength === BLOCK) FREE.push(buf);
    }
    this.pooled.clear();
    this.blocks.clear();
    this.spare.length = 0;
    this.lastIndex = -1;
    this.lastBlock = undefined;
    if (FREE.length > 0) freeLater();
  }

  /**
   * Whether `view` lies in a block buffer, whose bytes change once the block is evicted:
   * a reader that keeps it past its next reads must copy it.
   */
  shares(view: Uint8Array): boolean {
    return this.pooled.has(view.buffer);
  }

  private async block(i: number): Promise<Uint8Array> {
    return this.cached(i) ?? this.keep(i, await this.source.read(i * this.blockSize, this.blockSize));
  }

  /**
   * Up to `length` bytes at `offset` (shorter at the end of the file). A read inside one
   * cached block, or any read from a synchronous source, comes back without a promise.
   */
  read(offset: number, length: number): Uint8Array | Promise<Uint8Array> {
    const start = Math.max(0, Math.min(offset, this.size));
    const end = Math.min(this.size, start + Math.max(0, length));
    const first = Math.floor(start / this.blockSize);
    const last = Math.floor(Math.max(start, end - 1) / this.blockSize);
    if (end - start < DIRECT && first === last) {
      const b = this.readSync ? this.blockSync(first) : this.blocks.get(first);
      if (b) return b.subarray(start - first * this.blockSize, end - first * this.blockSize);
    }
    if (this.readSync) {
      const out = new Uint8Array(end - start);
      if (end - start >= DIRECT) {
        const got = this.readSync(start, out);
        return got === out.length ? out : out.subarray(0, got);
      }
      for (let i = first; i <= last; i++) this.copyBlock(this.blockSync(i), i, start, end, out);
      return out;
    }
    return this.readAsync(start, end);
  }

  private copyBlock(b: Uint8Array, i: number, start: number, end: number, out: Uint8Array): void {
    const bs = i * this.blockSize;
    const s = Math.max(start, bs);
    const e = Math.min(end, bs + b.length);
    if (e > s) out.set(b.subarray(s - bs, e - bs), s - start);
  }

  private async readAsync(start: number, end: number): Promise<Uint8Array> {
    if (end - start >= DIRECT) return this.source.read(start, end - start);
    const first = Math.floor(start / this.blockSize);
    const last = Math.floor(Math.max(start, end - 1) / this.blockSize);
    if (first === last) {
      const b = await this.block(first);
      return b.subarray(start - first * this.blockSize, end - first * this.blockSize);
    }
    const out = new Uint8Array(end - start);
    for (let i = first; i <= last; i++) this.copyBlock(await this.block(i), i, start, end, out);
    return out;
  }
}
