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
