// The cross-reference table in typed arrays: a file with a million objects costs three
// flat arrays instead of a million small objects (which mostly fed the garbage collector).
// Object numbers beyond a sane array size (hostile files) go to a Map instead.

/** type 0 free; 1 at byte offset a (generation b); 2 in object stream a at index b. */
export interface XrefEntry {
  type: 0 | 1 | 2;
  a: number;
  b: number;
}

const ARRAY_MAX = 1 << 20; // 13 MiB of arrays at most

export class XrefTable {
  // kind: 0 = no entry, else type + 1.
  private kind = new Uint8Array(64);
  private a = new Float64Array(64);
  private b = new Uint32Array(64);
  private readonly far = new Map<number, XrefEntry>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  has(n: number): boolean {
    if (n >= 0 && n < this.kind.length) return this.kind[n] !== 0;
    return this.far.has(n);
  }

  get(n: number): XrefEntry | undefined {
    if (n >= 0 && n < this.kind.length) {
      const k = this.kind[n]!;
      return k === 0 ? undefined : { type: (k - 1) as 0 | 1 | 2, a: this.a[n]!, b: this.b[n]! };
    }
    return this.far.get(n);
  }

  // The fields of an entry without an object for it (the hot path of every object read).
  /** The type of object n's entry (0, 1, 2), -1 when it has none. */
  typeOf(n: number): number {
    if (n >= 0 && n < this.kind.length) return this.kind[n]! - 1;
    const e = this.far.get(n);
    return e === undefined ? -1 : e.type;
  }
  /** Field a of object n's entry (byte offset, or object stream number); NaN when it has none. */
  aOf(n: number): number {
    if (n >= 0 && n < this.kind.length) return this.kind[n] === 0 ? NaN : this.a[n]!;
    const e = this.far.get(n);
    return e === undefined ? NaN : e.a;
  }
  /** Field b of object n's entry (generation, or index in the object stream); NaN when it has none. */
  bOf(n: number): number {
    if (n >= 0 && n < this.kind.length) return this.kind[n] === 0 ? NaN : this.b[n]!;
    const e = this.far.get(n);
    return e === undefined ? NaN : e.b;
  }

  /** Set (or replace) the entry of object n. */
  put(n: number, type: 0 | 1 | 2, a: number, b: number): void {
    if (!Number.isInteger(n) || n < 0) return;
    if (n < ARRAY_MAX) {
      if (n >= this.kind.length) this.grow(n);
      if (this.kind[n] === 0) this.count++;
      this.kind[n] = type + 1;
      this.a[n] = a;
      this.b[n] = b >>> 0;
      return;
    }
    if (!this.far.has(n)) this.count++;
    this.far.set(n, { type, a, b });
  }

  /**
   * `count` records of an xref stream from data[pos] (field widths w0, w1, w2; a missing
   * type field means type 1) for objects startNum, startNum + 1, ...; entries already
   * present (from newer sections) win, unknown types are skipped. Returns the position
   * after the records read. One call per subsection, the fields read inline: this runs
   * once per file, mostly before V8 has compiled it, where every call per record counts.
   */
  putRecords(data: Uint8Array, w0: number, w1: number, w2: number, startNum: number, count: number, pos: number): number {
    const rec = w0 + w1 + w2;
    const end = data.length;
    const last = startNum + Math.min(count, Math.floor((end - pos) / rec)) - 1;
    if (last >= this.kind.length && last < ARRAY_MAX) this.grow(last);
    for (let k = 0; k < count && pos + rec <= end; k++) {
      let p = pos;
      let type = 1;
      if (w0 !== 0) {
        type = 0;
        for (const e = p + w0; p < e; p++) type = type * 256 + data[p]!;
      }
      let a = 0;
      for (const e = p + w1; p < e; p++) a = a * 256 + data[p]!;
      let b = 0;
      for (const e = p + w2; p < e; p++) b = b * 256 + data[p]!;
      pos += rec;
      if (type !== 0 && type !== 1 && type !== 2) continue;
      const n = startNum + k;
      if (n >= 0 && n < this.kind.length && Number.isInteger(n)) {
        if (this.kind[n] !== 0) continue;
        this.count++;
        this.kind[n] = type + 1;
        this.a[n] = a;
        this.b[n] = b >>> 0;
      } else if (!this.has(n)) {
        this.put(n, type, a, b);
      }
    }
    return pos;
  }

  private grow(n: number): void {
    const len = Math.min(ARRAY_MAX, Math.max(n + 1, this.kind.length * 2));
    const k = new Uint8Array(len); k.set(this.kind); this.kind = k;
    const a = new Float64Array(len); a.set(this.a); this.a = a;
    const b = new Uint32Array(len); b.set(this.b); this.b = b;
  }

  *[Symbol.iterator](): IterableIterator<[number, XrefEntry]> {
    for (let n = 0; n < this.kind.length; n++) {
      if (this.kind[n] !== 0) yield [n, this.get(n)!];
    }
    yield* this.far;
  }
}
