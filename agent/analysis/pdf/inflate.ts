// Synchronous zlib inflate with one native inflate state reused for every stream.
//
// `zlib.inflateSync` builds a whole Transform stream object (a native handle, its 32 KiB
// window, listeners, stream states) for every call, emits its output in 16 KiB Buffers and
// joins them. A PDF has thousands of small content streams (median 7 KB decoded), so
// that per-call cost was about half of all inflate time, and the Buffers fed the garbage
// collector. Here one `zlib.Inflate` is kept and its native handle driven directly
// (`_handle.writeSync` with the `_writeState` it reports through, `_handle.reset` between
// streams: the same calls `zlib.inflateSync` makes inside Node), writing into one output
// buffer that grows as needed and is reused. The handle is not a public API: when it is
// missing or changes shape (a future Node), `available` is false and callers use
// `zlib.inflateSync`. Measured on the 4,750 streams of the benchmark manuals: 63 ms
// instead of 103-127 ms, warm.

import * as zlib from 'node:zlib';

interface NativeHandle {
  writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void;
  reset(): void;
}

interface Internals {
  _handle: NativeHandle | null;
  _writeState: Uint32Array;
}

const FLUSH = zlib.constants.Z_SYNC_FLUSH;
/** Output buffer kept between streams; a bigger one (a rare huge stream) is dropped after use. */
const KEEP = 1 << 20;
const NONE = new Uint8Array(0);

export class Inflater {
  private stream: zlib.Inflate | undefined;
  private handle: NativeHandle | undefined;
  private state: Uint32Array | undefined;
  private failed = false;
  private out: Uint8Array = NONE;
  /** Input of the stream being inflated, and how much of it is still unread. */
  private input: Uint8Array = new Uint8Array(0);
  private inOff = 0;
  private inLen = 0;
  /** Where begin() copies input it was asked to copy. */
  private inCopy: Uint8Array = NONE;
  /** Bytes of output produced so far for the current stream (in `out`). */
  length = 0;
  /** The stream's end was reached (or its input ran out). */
  done = true;

  constructor() {
    // `out` is replaced as it grows: assigned twice here, V8 treats it as a variable field
    // from the start (code compiled treating it as a constant was thrown away at the first
    // growth).
    this.out = new Uint8Array(64 * 1024);
  }

  /** Whether the native handle can be driven (false: use zlib.inflateSync). */
  get available(): boolean {
    if (!this.handle && !this.failed) this.open();
    return this.handle !== undefined;
  }

  private open(): void {
    const s = zlib.createInflate() as zlib.Inflate & Partial<Internals>;
    const h = s._handle;
    const st = s._writeState;
    if (!h || typeof h.writeSync !== 'function' || typeof h.reset !== 'function' || !(st instanceof Uint32Array) || st.length < 2) {
      this.failed = true;
      s.destroy();
      return;
    }
    // A corrupt stream makes the handle report an error: Node destroys the stream and
    // emits 'error' later, which must not become an uncaught exception.
    s.on('error', () => {});
    this.stream = s;
    this.handle = h;
    this.state = st;
  }

  /**
   * Start inflating `input` (a zlib stream). `copy`: its bytes may change before the stream
   * has been inflated (a view into a block of the PDF reader), so they are copied first,
   * into a buffer kept for the next stream.
   */
  begin(input: Uint8Array, copy = false): void {
    if (!this.available) throw new Error('native inflate handle unavailable');
    this.handle!.reset();
    if (this.out.length > KEEP) this.out = new Uint8Array(64 * 1024);
    if (copy) {
      if (this.inCopy.length < input.length || this.inCopy.length > KEEP) this.inCopy = new Uint8Array(Math.max(input.length, 16 * 1024));
      this.inCopy.set(input);
      input = this.inCopy.subarray(0, input.length);
    }
    this.input = input;
    this.inOff = 0;
    this.inLen = input.length;
    this.length = 0;
    this.done = false;
  }

  /**
   * Inflate at least `want` more bytes (fewer at the end of the stream; Infinity: to the
   * end), growing the output buffer by doubling, never past `limit` bytes in all. Returns
   * false when the data is corrupt (what came out before the damage is in the output),
   * true otherwise; `done` tells whether the stream has ended. Throws RangeError when
   * the stream holds more than `limit` bytes.
   */
  more(want: number, limit: number): boolean {
    // One byte of room past the limit tells "exactly the limit" from "more than it".
    const cap = limit + 1;
    const target = Math.min(cap, this.length + Math.max(1, want));
    while (!this.done && this.length < target) {
      if (this.out.length - this.length < 4096) this.grow(cap);
      // Ask for no more than wanted (at least 1 KiB): the rest may never be needed.
      const room = Math.min(this.out.length - this.length, Math.max(1024, target - this.length));
      this.handle!.writeSync(FLUSH, this.input, this.inOff, this.inLen, this.out, this.length, room);
      if ((this.stream as unknown as Internals)._handle === null) {
        // The handle reported corrupt data and Node closed it: open a fresh one next time.
        this.handle = undefined;
        this.stream = undefined;
        this.done = true;
        return false;
      }
      const availOut = this.state![0]!;
      const availIn = this.state![1]!;
      this.length += room - availOut;
      this.inOff += this.inLen - availIn;
      this.inLen = availIn;
      // Output room left over means the input is used up or the stream ended.
      if (availOut > 0) this.done = true;
    }
    if (this.length > limit) throw new RangeError('inflated data exceeds the limit');
    return true;
  }

  private grow(cap: number): void {
    const size = Math.min(cap, this.out.length * 2);
    if (size <= this.out.length) return;
    const next = new Uint8Array(size);
    next.set(this.out.subarray(0, this.length));
    this.out = next;
  }

  /** The output so far, as a view valid until the next begin() or more(). */
  view(): Uint8Array {
    return this.out.subarray(0, this.length);
  }

  /** The output so far as its own copy; drops an oversized buffer. */
  take(): Uint8Array {
    const copy = this.out.slice(0, this.length);
    if (this.out.length > KEEP) this.out = new Uint8Array(64 * 1024);
    return copy;
  }
}
