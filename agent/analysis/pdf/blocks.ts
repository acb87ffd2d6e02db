// A block cache over a random-access Source: PDF objects are read where the xref points,
// usually close together, so reads go through 256 KiB blocks kept in a small LRU (4 MiB
// at most). Large reads (stream data) bypass the cache.

import type { Source } from '../source.ts';

const BLOCK = 256 * 1024;
const MAX_BLOCKS = 16;
const DIRECT = 1024 * 1024;

export class BlockReader {
  readonly source: Source;
  readonly size: number;
  private readonly blocks = new Map<number, Uint8Array>();

  constructor(source: Source) {
    this.source = source;
    this.size = source.size;
  }

  private async block(i: number): Promise<Uint8Array> {
    let b = this.blocks.get(i);
    if (b) {
      // Refresh its LRU position.
      this.blocks.delete(i);
      this.blocks.set(i, b);
      return b;
    }
    b = await this.source.read(i * BLOCK, BLOCK);
    this.blocks.set(i, b);
    if (this.blocks.size > MAX_BLOCKS) this.blocks.delete(this.blocks.keys().next().value!);
    return b;
  }

  /**
   * Up to `length` bytes at `offset` (shorter at the end of the file). A read inside one
   * cached block comes back without a promise (the common case: objects lie close).
   */
  read(offset: number, length: number): Uint8Array | Promise<Uint8Array> {
    const start = Math.max(0, Math.min(offset, this.size));
    const end = Math.min(this.size, start + Math.max(0, length));
    const first = Math.floor(start / BLOCK);
    if (end - start < DIRECT && first === Math.floor(Math.max(start, end - 1) / BLOCK)) {
      const b = this.blocks.get(first);
      if (b) return b.subarray(start - first * BLOCK, end - first * BLOCK);
    }
    return this.readAsync(start, end);
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
    for (let i = first; i <= last; i++) {
      const b = await this.block(i);
      const bs = i * BLOCK;
      const s = Math.max(start, bs);
      const e = Math.min(end, bs + b.length);
      if (e > s) out.set(b.subarray(s - bs, e - bs), s - start);
    }
    return out;
  }
}
