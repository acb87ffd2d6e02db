// The PDF object model as the parser sees it: numbers, booleans and null are plain JS
// values, arrays are JS arrays, and the other kinds are small classes so a `instanceof`
// tells them apart. Names are interned (one PdfName per spelling) so they compare by
// identity and cost nothing to keep in many dictionaries.

export class PdfName {
  readonly name: string;
  private constructor(name: string) {
    this.name = name;
  }
  private static readonly table = new Map<string, PdfName>();
  static of(name: string): PdfName {
    let n = PdfName.table.get(name);
    if (!n) {
      // The table only grows with distinct spellings; a hostile file with millions of
      // names would grow it, so past a bound new names are not interned (still correct,
      // since comparisons go through .name).
      n = new PdfName(name);
      if (PdfName.table.size < 100_000) PdfName.table.set(name, n);
    }
    return n;
  }
}

export class PdfString {
  bytes: Uint8Array;
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }
  /** Latin-1 reading, enough for the ASCII values we compare. */
  text(): string {
    let s = '';
    for (let i = 0; i < this.bytes.length && i < 4096; i++) s += String.fromCharCode(this.bytes[i]!);
    return s;
  }
}

export class PdfRef {
  readonly num: number;
  readonly gen: number;
  constructor(num: number, gen: number) {
    this.num = num;
    this.gen = gen;
  }
  get key(): string {
    return `${this.num} ${this.gen}`;
  }
}

/** Dictionaries with more keys than this are kept in a Map; smaller ones in one flat array. */
export const FLAT_KEYS_MAX = 32;

/**
 * A dictionary. Most have a handful of keys, and a Map each was the largest allocation of
 * a run (and a good share of the garbage collector's work): up to FLAT_KEYS_MAX keys live
 * in one exact-size array of keys and values interleaved, `[k0, v0, k1, v1, ...]`, keys
 * unique, searched linearly. Larger dictionaries, and any dictionary whose `map` has been
 * asked for, are backed by a Map; `map` stays a live view so that code which mutates it
 * keeps working.
 */
export class PdfDict {
  private kv: Array<string | PdfObj>;
  private ext: Map<string, PdfObj> | undefined;
  /** Over `map` (kept as the storage), else over `kv` (unique keys interleaved with their values; taken, not copied). */
  constructor(map?: Map<string, PdfObj>, kv?: Array<string | PdfObj>) {
    this.kv = map ? NO_ENTRIES : kv ?? [];
    this.ext = map;
  }
  get(key: string): PdfObj | undefined {
    const ext = this.ext;
    if (ext !== undefined) return ext.get(key);
    const kv = this.kv;
    for (let i = 0; i < kv.length; i += 2) if (kv[i] === key) return kv[i + 1] as PdfObj;
    return undefined;
  }
  has(key: string): boolean {
    return this.get(key) !== undefined;
  }
  /** Set or replace an entry (a replaced key keeps its place, as in a Map). */
  set(key: string, value: PdfObj): void {
    const ext = this.ext;
    if (ext !== undefined) { ext.set(key, value); return; }
    const kv = this.kv;
    for (let i = 0; i < kv.length; i += 2) if (kv[i] === key) { kv[i + 1] = value; return; }
    if (kv.length >= 2 * FLAT_KEYS_MAX) { this.map.set(key, value); return; }
    kv.push(key, value);
  }
  /** The number of entries. */
  get size(): number {
    return this.ext !== undefined ? this.ext.size : this.kv.length / 2;
  }
  /** Every entry in order (the order they were first set). */
  forEach(fn: (value: PdfObj, key: string) => void): void {
    if (this.ext !== undefined) { for (const [k, v] of this.ext) fn(v, k); return; }
    const kv = this.kv;
    for (let i = 0; i < kv.length; i += 2) fn(kv[i + 1] as PdfObj, kv[i] as string);
  }
  /** The values in order. */
  values(): PdfObj[] {
    if (this.ext !== undefined) return [...this.ext.values()];
    const out: PdfObj[] = [];
    for (let i = 1; i < this.kv.length; i += 2) out.push(this.kv[i] as PdfObj);
    return out;
  }
  /**
   * The entries as a Map that stays this dictionary's storage from now on (setting in it is
   * setting in the dictionary). For callers written against the Map-backed dictionary.
   */
  get map(): Map<string, PdfObj> {
    if (this.ext === undefined) {
      const m = new Map<string, PdfObj>();
      const kv = this.kv;
      for (let i = 0; i < kv.length; i += 2) m.set(kv[i] as string, kv[i + 1] as PdfObj);
      this.ext = m;
      this.kv = NO_ENTRIES;
    }
    return this.ext;
  }
}

const NO_ENTRIES: Array<string | PdfObj> = [];

/** A stream whose data has not been read yet: where it lies in the file and how long. */
export class PdfStream {
  readonly dict: PdfDict;
  /** Absolute offset of the first data byte (for streams inside object streams: never). */
  readonly start: number;
  /** Data length after verification against `endstream`. */
  readonly length: number;
  /** Object number and generation, needed for the per-object decryption key. */
  readonly num: number;
  readonly gen: number;
  constructor(dict: PdfDict, start: number, length: number, num: number, gen: number) {
    this.dict = dict;
    this.start = start;
    this.length = length;
    this.num = num;
    this.gen = gen;
  }
}

/** A content-stream operator (keyword) token. */
export class PdfOp {
  readonly op: string;
  constructor(op: string) {
    this.op = op;
  }
}

export type PdfObj = null | boolean | number | PdfName | PdfString | PdfRef | PdfDict | PdfStream | PdfObj[];

export function isName(o: unknown, name?: string): o is PdfName {
  return o instanceof PdfName && (name === undefined || o.name === name);
}
export function nameOf(o: unknown): string | undefined {
  return o instanceof PdfName ? o.name : undefined;
}
export function numOf(o: unknown): number | undefined {
  return typeof o === 'number' && Number.isFinite(o) ? o : undefined;
}
export function dictOf(o: unknown): PdfDict | undefined {
  if (o instanceof PdfDict) return o;
  if (o instanceof PdfStream) return o.dict;
  return undefined;
}
export function arrayOf(o: unknown): PdfObj[] | undefined {
  return Array.isArray(o) ? o : undefined;
}
/** A numeric array (non-numbers become NaN so callers can reject them). */
export function numbersOf(o: unknown): number[] | undefined {
  if (!Array.isArray(o)) return undefined;
  return o.map((v) => (typeof v === 'number' ? v : NaN));
}
