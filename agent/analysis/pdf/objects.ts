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

export class PdfDict {
  readonly map: Map<string, PdfObj>;
  constructor(map?: Map<string, PdfObj>) {
    this.map = map ?? new Map();
  }
  get(key: string): PdfObj | undefined {
    return this.map.get(key);
  }
  has(key: string): boolean {
    return this.map.has(key);
  }
}

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
