// An object stream (PDF 1.5) once decoded: its data and the header of N pairs "number
// offset" in two arrays. The page walk of a large manual decodes hundreds of them (about
// 150 objects each) and looks objects up in them thousands of times: a Map of offsets per
// stream, and the general lexer for the header, were a measurable share of opening them.
// (Plain arrays, not Float64Arrays: measured, a few hundred small typed arrays cost more.)
// Lookups answer exactly as that Map did (the last of repeated numbers wins), through the
// xref's index when it is right.

import { blockCheck } from './blocks.ts';
import { idleDrop } from './idle.ts';
import { Inflater } from './inflate.ts';
import type { Lexer } from './lexer.ts';

export class ObjStm {
  readonly data: Uint8Array;
  /** Header pairs read (fewer than /N when the header ends early). */
  readonly count: number;
  private readonly nums: number[];
  private readonly offs: number[];
  /**
   * Number -> offset, only when a number repeats in the header (the last occurrence
   * counts); otherwise lookups go by the xref's index, or search `nums`.
   */
  private readonly byNum: Map<number, number> | undefined;
  /** `data` came from inflateObjStm's pool (and goes back to it through recycle). */
  readonly pooled: boolean;

  private constructor(data: Uint8Array, count: number, nums: number[], offs: number[], byNum: Map<number, number> | undefined, pooled: boolean) {
    this.data = data;
    this.pooled = pooled;
    this.count = count;
    this.nums = nums;
    this.offs = offs;
    this.byNum = byNum;
  }

  /**
   * Read the header of decoded object stream `data`: up to `n` pairs of numbers, stopping
   * at the first token that is not a number (as the general lexer reads them); offsets are
   * relative to `first`.
   */
  static parse(data: Uint8Array, first: number, n: number, lx: Lexer, pooled = false): ObjStm {
    // A pair takes at least 4 bytes ("1 2 "): a hostile /N cannot size the arrays.
    const max = Math.max(0, Math.min(n, (data.length >> 2) + 1));
    // Sized for the pairs the bytes before `first` can hold (a hostile /N must not size
    // them: the stream stays cached), and grown past that only if the header goes on.
    // Grown from empty, they were 2.7 MB of the run's allocations (each growth a copy).
    const cap = Math.max(1, Math.min(max, (Math.max(0, first) >> 2) + 1));
    const nums: number[] = new Array<number>(cap);
    const offs: number[] = new Array<number>(cap);
    let count = plainPairs(data, first, max, nums, offs);
    if (nums.length > count) { nums.length = count; offs.length = count; }
    if (count < max) {
      // The rest as the general lexer reads it, from the first pair not in the plain form.
      lx.reset(data, 0, true);
      lx.pos = stoppedAt;
      for (; count < max; count++) {
        const on = headerNumber(lx);
        if (on === undefined) break;
        const oo = headerNumber(lx);
        if (oo === undefined) break;
        nums.push(on);
        offs.push(first + oo);
      }
    }
    // Writers list objects in any order; a Map is needed only when a number repeats.
    let byNum: Map<number, number> | undefined;
    if (repeats(nums, count)) {
      byNum = new Map();
      for (let i = 0; i < count; i++) byNum.set(nums[i]!, offs[i]!);
    }
    return new ObjStm(data, count, nums, offs, byNum, pooled);
  }

  /**
   * The stream is no longer kept (evicted, or its document done): its buffer goes back to
   * the pool, so `data` must not be read after this.
   */
  recycle(): void {
    if (!this.pooled) return;
    const buf = new Uint8Array(this.data.buffer);
    if (blockCheck.poison) { buf.fill(0xff); return; } // tests: a stale view reads junk
    const c = Math.log2(buf.length);
    if (!Number.isInteger(c) || c < MIN_CLASS || c > MAX_CLASS || freeBytes + buf.length > FREE_BYTES) return;
    (FREE[c] ??= []).push(buf);
    freeBytes += buf.length;
    freeLater();
  }

  /** The object number the header gives at `index`; undefined past the header. */
  numberAt(index: number): number | undefined {
    return index >= 0 && index < this.count ? this.nums[index] : undefined;
  }

  /** Offset in `data` of object `num` (`index`: where the xref says it is), undefined when absent. */
  offsetOf(num: number, index: number): number | undefined {
    if (this.byNum !== undefined) return this.byNum.get(num);
    const nums = this.nums;
    if (index >= 0 && index < this.count && nums[index] === num) return this.offs[index];
    // The xref's index is wrong (a damaged file): search.
    for (let i = 0; i < this.count; i++) if (nums[i] === num) return this.offs[i];
    return undefined;
  }
}

// repeats() marks the numbers it has seen with a stamp per call, so the table is never
// cleared; numbers beyond it (rare) are checked in a Set.
const SEEN_SIZE = 1 << 16;
const seen = new Int32Array(SEEN_SIZE);
let stamp = 0;

/** Whether a number occurs twice among the first `count` of `nums`. */
function repeats(nums: number[], count: number): boolean {
  if (++stamp === 0x7fffffff) { seen.fill(0); stamp = 1; }
  let far: Set<number> | undefined;
  for (let i = 0; i < count; i++) {
    const v = nums[i]!;
    if (v >= 0 && v < SEEN_SIZE && Number.isInteger(v)) { // -0 lands on 0, one key as in a Map
      if (seen[v] === stamp) return true;
      seen[v] = stamp;
    } else {
      far ??= new Set();
      if (far.has(v)) return true;
      far.add(v);
    }
  }
  return false;
}

/** Where plainPairs stopped (a module variable rather than an object per call). */
let stoppedAt = 0;

/**
 * Header pairs in the usual form, "digits spaces digits" separated by spaces or line ends,
 * into nums/offs from the start of `b`, up to `max`; stops at the first pair in any other
 * form (leaving its start in stoppedAt). A plain loop for V8's mid tier: no calls, no
 * typed-array reads past the end. Returns the number of pairs read.
 */
function plainPairs(b: Uint8Array, first: number, max: number, nums: number[], offs: number[]): number {
  const len = b.length;
  let p = 0;
  let count = 0;
  while (count < max) {
    while (p < len && isSpace(b[p]!)) p++;
    const s1 = p;
    let on = 0;
    while (p < len) {
      const c = b[p]!;
      if (c < 0x30 || c > 0x39) break;
      on = on * 10 + (c - 0x30);
      p++;
    }
    if (p === s1 || p - s1 >= 15 || p >= len || !isSpace(b[p]!)) { p = s1; break; }
    while (p < len && isSpace(b[p]!)) p++;
    const s2 = p;
    let oo = 0;
    while (p < len) {
      const c = b[p]!;
      if (c < 0x30 || c > 0x39) break;
      oo = oo * 10 + (c - 0x30);
      p++;
    }
    if (p === s2 || p - s2 >= 15 || p >= len || !isSpace(b[p]!)) { p = s1; break; }
    nums[count] = on;
    offs[count] = first + oo;
    count++;
  }
  stoppedAt = p;
  return count;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d;
}

/** The next token if it is a number (what `Lexer.next(false)` returns for it), else undefined. */
function headerNumber(lx: Lexer): number | undefined {
  if (!lx.skipSpace()) return undefined;
  const c = lx.buf[lx.pos]!;
  if (c === 0x2b || c === 0x2d || c === 0x2e || (c >= 0x30 && c <= 0x39)) return lx.readNumber();
  return undefined;
}

// Decoded object streams are kept a while (document.ts) and were each a new buffer: fresh
// memory whose pages the kernel clears on first touch (perf: 1.5 % of the main thread's
// CPU over the 17 manuals, under the inflater's copy). Plain Flate object streams are
// inflated into buffers of power-of-two sizes from 16 KiB, which go back to a pool when
// the stream is evicted or its document done, for the next one (of this document or the
// next): a copy into memory already in use instead.
const MIN_CLASS = 14;
/** Larger streams (rare) get buffers of their own size, not pooled. */
const MAX_CLASS = 22;
const FREE: Uint8Array[][] = [];
let freeBytes = 0;
const FREE_BYTES = 8 * 1024 * 1024;
const freeLater = idleDrop(() => { FREE.length = 0; freeBytes = 0; });
const inflater = new Inflater();

/**
 * Object stream data `raw`, a plain zlib stream, inflated into a pooled buffer (the view
 * of its length); undefined when it is not what the general path (filters.ts) would read
 * cleanly: corrupt, more than `limit`, or no native inflater. The caller then takes that
 * path, which reads it as before.
 */
export function inflateObjStm(raw: Uint8Array, limit: number): Uint8Array | undefined {
  if (!inflater.available) return undefined;
  // Synchronous to the end: `raw` (a view into a block) does not change meanwhile.
  inflater.begin(raw);
  try {
    if (!inflater.more(Infinity, Math.max(1, limit))) return undefined;
  } catch (e) {
    if (e instanceof RangeError) return undefined;
    throw e;
  }
  const n = inflater.length;
  let c = MIN_CLASS;
  while (c <= MAX_CLASS && (1 << c) < n) c++;
  if (c > MAX_CLASS) return inflater.take();
  let buf = FREE[c]?.pop();
  if (buf === undefined) buf = new Uint8Array(1 << c);
  else freeBytes -= buf.length;
  const out = buf.subarray(0, n);
  out.set(inflater.view());
  return out;
}
