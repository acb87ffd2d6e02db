// A sequential, buffered reader over a Source that always knows its byte position.
// Parsers that walk a stream front to back (PCL, PCL XL, raster, PostScript) use it:
// `await ensure(n)` makes n bytes available (or fewer at the end), then the synchronous
// accessors read them without an await per byte.

import { AnalysisError } from './errors.ts';
import type { Source } from './source.ts';

const CHUNK = 1 << 20;
/** Head room in front of each streaming buffer for the bytes kept from the previous one. */
const RESERVE = 256 * 1024;

export interface ReaderOptions {
  /**
   * Streaming mode for long front-to-back scans (raster): two reused buffers, and the next
   * chunk is read while the current one is decoded. Views from bytes()/view() are then
   * overwritten by the ensure() after next, so never keep them across an ensure().
   */
  streaming?: boolean;
}

export class ByteReader {
  private readonly source: Source;
  private buf: Uint8Array = new Uint8Array(0);
  private bufStart = 0; // source offset of buf[0]
  private idx = 0; // index into buf
  private readonly chunk: number;
  private readonly pool: Uint8Array[] | null;
  /** Buffer of the pool that buf lies in, or -1. */
  private current = -1;
  /** A read ahead into pool[index] of the bytes from `at`. */
  private ahead: { at: number; index: number; done: Promise<number> } | null = null;

  constructor(source: Source, start = 0, chunk = CHUNK, options: ReaderOptions = {}) {
    this.source = source;
    this.bufStart = start;
    // A small file gets small buffers: never more than the file itself.
    const cap = Math.min(chunk, Math.max(64 * 1024, source.size - start));
    this.chunk = options.streaming ? cap : chunk;
    this.pool = options.streaming && source.readInto ? [new Uint8Array(RESERVE + cap), new Uint8Array(RESERVE + cap)] : null;
  }

  /** Current byte offset in the source. */
  get pos(): number {
    return this.bufStart + this.idx;
  }
  get size(): number {
    return this.source.size;
  }
  get eof(): boolean {
    return this.pos >= this.source.size;
  }
  /** Bytes available without another read. */
  get available(): number {
    return this.buf.length - this.idx;
  }

  /** Make at least `n` bytes available unless the source ends first; returns how many are. */
  async ensure(n: number): Promise<number> {
    if (this.available >= n) return this.available;
    // Everything up to the end of the source is already buffered: nothing more to read.
    if (this.bufStart + this.buf.length >= this.source.size && this.bufStart <= this.pos) return this.available;
    const keep = this.buf.subarray(this.idx);
    if (this.pool && keep.length <= RESERVE && n - keep.length <= this.chunk) {
      if (await this.streamNext(keep)) return this.available;
    }
    const want = Math.max(n - keep.length, this.chunk);
    const fresh = await this.source.read(this.pos + keep.length, want);
    const next = new Uint8Array(keep.length + fresh.length);
    next.set(keep, 0);
    next.set(fresh, keep.length);
    await this.dropAhead();
    this.bufStart = this.pos;
    this.buf = next;
    this.idx = 0;
    this.current = -1;
    return this.available;
  }

  /** Streaming ensure: continue from the read ahead (or read now) into a pool buffer. */
  private async streamNext(keep: Uint8Array): Promise<boolean> {
    const pool = this.pool!;
    const from = this.pos + keep.length;
    if (this.ahead && this.ahead.at !== from) await this.dropAhead();
    let index: number;
    let got: number;
    if (this.ahead) {
      index = this.ahead.index;
      got = await this.ahead.done;
      this.ahead = null;
    } else {
      index = this.current === 0 ? 1 : 0;
      got = await this.source.readInto!(from, pool[index]!.subarray(RESERVE));
    }
    const target = pool[index]!;
    target.set(keep, RESERVE - keep.length);
    this.bufStart = this.pos;
    this.buf = target.subarray(RESERVE - keep.length, RESERVE + got);
    this.idx = 0;
    this.current = index;
    // Read the next chunk into the other buffer while this one is decoded.
    const next = this.bufStart + this.buf.length;
    if (got > 0 && next < this.source.size) {
      const other = index === 0 ? 1 : 0;
      this.ahead = { at: next, index: other, done: this.source.readInto!(next, pool[other]!.subarray(RESERVE)) };
      this.ahead.done.catch(() => {}); // a failure surfaces when it is awaited
    }
    return true;
  }

  /** Forget a read ahead that will not be used (after a skip or seek), once it finished. */
  private async dropAhead(): Promise<void> {
    const a = this.ahead;
    this.ahead = null;
    if (a) await a.done.catch(() => 0);
  }

  /** Like ensure, but throws ANALYSIS_TRUNCATED if fewer than n bytes remain. */
  async need(n: number, what = 'data'): Promise<void> {
    if ((await this.ensure(n)) < n) {
      throw new AnalysisError('ANALYSIS_TRUNCATED', `file ends inside ${what}`, this.pos);
    }
  }

  peek(i = 0): number {
    return this.idx + i < this.buf.length ? this.buf[this.idx + i]! : -1;
  }
  u8(): number {
    if (this.idx >= this.buf.length) throw new AnalysisError('ANALYSIS_TRUNCATED', 'read past the buffered data', this.pos);
    return this.buf[this.idx++]!;
  }
  u16be(): number { const a = this.u8(); return (a << 8) | this.u8(); }
  u16le(): number { const a = this.u8(); return a | (this.u8() << 8); }
  u32be(): number { return ((this.u16be() * 0x10000) + this.u16be()); }
  u32le(): number { const lo = this.u16le(); return lo + this.u16le() * 0x10000; }
  /** A view of the next n buffered bytes (valid until the next ensure); advances. */
  bytes(n: number): Uint8Array {
    if (this.available < n) throw new AnalysisError('ANALYSIS_TRUNCATED', 'read past the buffered data', this.pos);
    const out = this.buf.subarray(this.idx, this.idx + n);
    this.idx += n;
    return out;
  }
  /**
   * The buffered bytes from the current position on, without copying (valid until the next
   * ensure). Hot decoders (raster lines) work on this view with a local index, then skip().
   */
  view(): Uint8Array {
    return this.buf.subarray(this.idx);
  }
  /** Skip n bytes, possibly beyond the buffer (no read needed for what is skipped). */
  skip(n: number): void {
    if (n < 0) throw new AnalysisError('ANALYSIS_MALFORMED', 'negative skip', this.pos);
    if (n <= this.available) {
      this.idx += n;
      return;
    }
    const target = this.pos + n;
    this.buf = new Uint8Array(0);
    this.idx = 0;
    this.bufStart = target;
  }
  /** Jump to an absolute offset. */
  seek(offset: number): void {
    if (offset >= this.bufStart && offset <= this.bufStart + this.buf.length) {
      this.idx = offset - this.bufStart;
      return;
    }
    this.buf = new Uint8Array(0);
    this.idx = 0;
    this.bufStart = offset;
  }
}
