// A sequential, buffered reader over a Source that always knows its byte position.
// Parsers that walk a stream front to back (PCL, PCL XL, raster, PostScript) use it:
// `await ensure(n)` makes n bytes available (or fewer at the end), then the synchronous
// accessors read them without an await per byte.

import { AnalysisError } from './errors.ts';
import type { Source } from './source.ts';

const CHUNK = 1 << 20;

export class ByteReader {
  private readonly source: Source;
  private buf: Uint8Array = new Uint8Array(0);
  private bufStart = 0; // source offset of buf[0]
  private idx = 0; // index into buf
  private readonly chunk: number;

  constructor(source: Source, start = 0, chunk = CHUNK) {
    this.source = source;
    this.bufStart = start;
    this.chunk = chunk;
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
    const want = Math.max(n - keep.length, this.chunk);
    const fresh = await this.source.read(this.pos + keep.length, want);
    const next = new Uint8Array(keep.length + fresh.length);
    next.set(keep, 0);
    next.set(fresh, keep.length);
    this.bufStart = this.pos;
    this.buf = next;
    this.idx = 0;
    return this.available;
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
