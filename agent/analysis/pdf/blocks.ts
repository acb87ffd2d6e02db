// A block cache over a random-access Source: PDF objects are read where the xref points,
// usually close together, so reads go through 256 KiB blocks kept in a small LRU (4 MiB
// at most). Large reads (stream data) bypass the cache. When the source can read without
// a promise (a local file: Source.readIntoSync), every read here is synchronous, which
// spares the PDF parser a promise and an event-loop turn per object it reads.

import type { Source } from '../source.ts';

const BLOCK = 256 * 1024;
const MAX_BLOCKS = 16;
const DIRECT = 1024 * 1024;

export class BlockReader {
  readonly source: Source;
  readonly size: number;
  private readonly blocks = new Map<number, Uint8Array>();
  private readonly readSync: ((offset: number, target: Uint8Array) => number) | undefined;

  constructor(source: Source) {
    this.source = source;
    this.size = source.size;
    this.readSync = source.readIntoSync?.bind(source);
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
    if (this.blocks.size > MAX_BLOCKS) this.blocks.delete(this.blocks.keys().next().value!);
    this.lastIndex = i;
    this.lastBlock = b;
    return b;
  }

  private blockSync(i: number): Uint8Array {
    const hit = this.cached(i);
    if (hit) return hit;
    const start = i * BLOCK;
    const b = new Uint8Array(Math.min(BLOCK, this.size - start));
    const got = this.readSync!(start, b);
    return this.keep(i, got === b.length ? b : b.subarray(0, got));
  }

  private async block(i: number): Promise<Uint8Array> {
    return this.cached(i) ?? this.keep(i, await this.source.read(i * BLOCK, BLOCK));
  }

  /**
   * Up to `length` bytes at `offset` (shorter at the end of the file). A read inside one
   * cached block, or any read from a synchronous source, comes back without a promise.
   */
  read(offset: number, length: number): Uint8Array | Promise<Uint8Array> {
    const start = Math.max(0, Math.min(offset, this.size));
    const end = Math.min(this.size, start + Math.max(0, length));
    const first = Math.floor(start / BLOCK);
    const last = Math.floor(Math.max(start, end - 1) / BLOCK);
    if (end - start < DIRECT && first === last) {
      const b = this.readSync ? this.blockSync(first) : this.blocks.get(first);
      if (b) return b.subarray(start - first * BLOCK, end - first * BLOCK);
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
    const bs = i * BLOCK;
    const s = Math.max(start, bs);
    const e = Math.min(end, bs + b.length);
    if (e > s) out.set(b.subarray(s - bs, e - bs), s - start);
  }

  private async readAsync(start: number, end: number): Promise<Uint8Array> {
    if (end - start >= DIRECT) return this.source.read(start, end - start);
    const first = Math.floor(start / BLOCK);
    const last = Math.floor(Math.max(start, end - 1) / BLOCK);
    if (first === last) {
      const b = await this.block(first);
      return b.subarray(start - first * BLOCK, end - first * BLOCK);
    }
    const out = new Uint8Array(end - start);
    for (let i = first; i <= last; i++) this.copyBlock(await this.block(i), i, start, end, out);
    return out;
  }
}
