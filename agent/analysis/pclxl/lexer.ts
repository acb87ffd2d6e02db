// PCL XL (PCL 6) binary-stream lexer: turns the bytes after the stream header into
// values, attribute ids, operators and embedded-data blocks. It knows the data types and
// their sizes (ubyte ... real32, xy pairs, boxes, arrays with a tagged length) and the
// byte order chosen by the header's binding character, and nothing about meaning.
// Lengths are checked against the file before anything is allocated.

import { AnalysisError } from '../errors.ts';
import type { ByteReader } from '../reader.ts';

/** Tags from the PCL XL specification (Protocol Class 1.1 - 3.0). */
export const TAG = {
  attrUbyte: 0xf8,
  attrUint16: 0xf9,
  dataLength: 0xfa,
  dataLengthByte: 0xfb,
} as const;

/** Element sizes and kinds of the data-type tags 0xc0-0xe5. */
const ELEMENT_SIZE: Record<number, number> = { 0: 1, 1: 2, 2: 4, 3: 2, 4: 4, 5: 4 };

export type ValueShape = 'scalar' | 'xy' | 'box' | 'array';

export interface PxlValue {
  shape: ValueShape;
  /** Low nibble of the tag: 0 ubyte, 1 uint16, 2 uint32, 3 sint16, 4 sint32, 5 real32. */
  elem: number;
  /** The numbers (1 for a scalar, 2 for xy, 4 for a box, n for an array of <= 16). */
  v: number[];
  /** Raw bytes of a ubyte array of <= 1024 bytes (names such as MediaSize "A4", palettes). */
  bytes?: Uint8Array | undefined;
}

/**
 * One token. The lexer reuses a single Token and a single value object (a stream has
 * millions of tokens; allocating each was most of the time): copy what must outlive the
 * next call (copyValue).
 */
export interface Token {
  kind: 'value' | 'attr' | 'op' | 'data' | 'esc' | 'eof';
  at: number;
  /** op: the operator tag; attr: the attribute id; data: the data length in bytes. */
  n: number;
  /** For kind 'value': the value (valid until the next token). */
  value: PxlValue;
}

export function copyValue(v: PxlValue): PxlValue {
  return v.bytes ? { shape: v.shape, elem: v.elem, v: v.v.slice(), bytes: v.bytes.slice() } : { shape: v.shape, elem: v.elem, v: v.v.slice() };
}

/** Bytes kept buffered ahead of the lexer; refilled when fewer than LOW_WATER remain. */
const WINDOW = 256 * 1024;
const LOW_WATER = 4096;
/** Longest ubyte array kept (a 256-entry RGB palette is 768 bytes). */
const MAX_KEPT_BYTES = 1024;

export class PxlLexer {
  private readonly r: ByteReader;
  private readonly le: boolean;
  private readonly view = new DataView(new ArrayBuffer(4));
  private readonly val: PxlValue = { shape: 'scalar', elem: 0, v: [] };
  private readonly tok: Token = { kind: 'eof', at: 0, n: 0, value: this.val };

  constructor(reader: ByteReader, littleEndian: boolean) {
    this.r = reader;
    this.le = littleEndian;
  }

  get littleEndian(): boolean {
    return this.le;
  }

  /**
   * The next token without waiting when the window holds it (the common case), else null:
   * then call next(). Saves an await per token on the hot path.
   */
  tryNext(): Token | null {
    const r = this.r;
    if (r.available < LOW_WATER) return null;
    const t = r.peek(0);
    if (t >= 0xc8 && t <= 0xcd) return null;
    return this.scan();
  }

  /** Next token. Embedded data is NOT consumed: the caller reads or skips `length` bytes. */
  async next(): Promise<Token> {
    const r = this.r;
    // Keep a window buffered so that tokens are decoded without an await per byte; only
    // arrays longer than the window need a second read.
    if (r.available < LOW_WATER) await r.ensure(WINDOW);
    const t = r.peek(0);
    if (t >= 0xc8 && t <= 0xcd && r.available >= 2) {
      const size = ELEMENT_SIZE[t & 0x07] ?? 1;
      const lt = r.peek(1);
      const len = lt === 0xc0 ? r.peek(2) : lt === 0xc1 ? this.peek16(2) : 0;
      if (len * size + 8 > r.available) await r.ensure(len * size + 8);
    }
    return this.scan();
  }

  /** Decode one token from the buffered bytes. */
  private scan(): Token {
    const r = this.r;
    for (;;) {
      if (r.available < 1) return this.emit('eof', r.pos, 0);
      const at = r.pos;
      const t = r.peek(0);
      // White space between tokens (the specification allows these).
      if (t === 0x00 || t === 0x09 || t === 0x0a || t === 0x0b || t === 0x0c || t === 0x0d || t === 0x20) {
        r.skip(1);
        continue;
      }
      if (t === 0x1b) return this.emit('esc', at, 0);
      if (t >= 0x41 && t <= 0xbf) {
        r.skip(1);
        return this.emit('op', at, t);
      }
      if (t >= 0xc0 && t <= 0xef) {
        r.skip(1);
        this.value(t, at);
        return this.emit('value', at, 0);
      }
      if (t === TAG.attrUbyte) {
        this.have(2, 'an attribute id');
        r.skip(1);
        return this.emit('attr', at, r.u8());
      }
      if (t === TAG.attrUint16) {
        this.have(3, 'an attribute id');
        r.skip(1);
        return this.emit('attr', at, this.u16());
      }
      if (t === TAG.dataLength) {
        this.have(5, 'an embedded data length');
        r.skip(1);
        return this.emit('data', at, this.u32());
      }
      if (t === TAG.dataLengthByte) {
        this.have(2, 'an embedded data length');
        r.skip(1);
        return this.emit('data', at, r.u8());
      }
      throw new AnalysisError('ANALYSIS_MALFORMED', `PCL XL: unknown tag 0x${t.toString(16)}`, at);
    }
  }

  private emit(kind: Token['kind'], at: number, n: number): Token {
    const t = this.tok;
    t.kind = kind;
    t.at = at;
    t.n = n;
    return t;
  }

  /** The buffered bytes must hold n more (the window is filled, so fewer means the file ends). */
  private have(n: number, what: string): void {
    if (this.r.available < n) throw new AnalysisError('ANALYSIS_TRUNCATED', `file ends inside ${what}`, this.r.pos);
  }

  private peek16(i: number): number {
    const a = this.r.peek(i);
    const b = this.r.peek(i + 1);
    if (a < 0 || b < 0) return 0;
    return this.le ? a | (b << 8) : (a << 8) | b;
  }

  /** Decode a value into the reused `val`. */
  private value(tag: number, at: number): void {
    const r = this.r;
    const out = this.val;
    const elem = tag & 0x07;
    if ((tag & 0x0f) >= 0x0e || (tag & 0x0f) === 6 || (tag & 0x0f) === 7) throw new AnalysisError('ANALYSIS_MALFORMED', `PCL XL: unknown data type 0x${tag.toString(16)}`, at);
    const size = ELEMENT_SIZE[elem];
    if (size === undefined) throw new AnalysisError('ANALYSIS_MALFORMED', `PCL XL: unknown data type 0x${tag.toString(16)}`, at);
    out.elem = elem;
    out.v.length = 0;
    out.bytes = undefined;
    const group = tag & 0xf0;
    if (group === 0xc0 && (tag & 0x08) === 0) {
      this.have(size, 'a value');
      out.shape = 'scalar';
      out.v.push(this.elem(elem));
      return;
    }
    if (group === 0xd0 || group === 0xe0) {
      const count = group === 0xd0 ? 2 : 4;
      this.have(size * count, 'a value');
      out.shape = group === 0xd0 ? 'xy' : 'box';
      for (let i = 0; i < count; i++) out.v.push(this.elem(elem));
      return;
    }
    // An array: tag, then its length as a tagged ubyte or uint16 scalar, then the elements.
    out.shape = 'array';
    this.have(2, 'an array length');
    const lt = r.u8();
    let length: number;
    if (lt === 0xc0) length = r.u8();
    else if (lt === 0xc1) {
      this.have(2, 'an array length');
      length = this.u16();
    } else throw new AnalysisError('ANALYSIS_MALFORMED', `PCL XL: bad array length type 0x${lt.toString(16)}`, r.pos - 1);
    const bytes = length * size;
    if (r.pos + bytes > r.size) throw new AnalysisError('ANALYSIS_TRUNCATED', 'PCL XL: array runs past the end of the file', at);
    this.have(bytes, 'an array');
    // Only short arrays carry what the analysis reads (colours, palettes, paper and stream
    // names); long ones (text, glyph spacing, points) are passed over without copying.
    if (elem === 0) {
      if (bytes > MAX_KEPT_BYTES) {
        r.skip(bytes);
        out.bytes = new Uint8Array(0);
        return;
      }
      const raw = r.bytes(bytes);
      if (length <= 16) for (let i = 0; i < length; i++) out.v.push(raw[i]!);
      out.bytes = raw;
      return;
    }
    if (length > 16) {
      r.skip(bytes);
      return;
    }
    for (let i = 0; i < length; i++) out.v.push(this.elem(elem));
  }

  private elem(elem: number): number {
    switch (elem) {
      case 0: return this.r.u8();
      case 1: return this.u16();
      case 2: return this.u32();
      case 3: { const x = this.u16(); return x >= 0x8000 ? x - 0x10000 : x; }
      case 4: { const x = this.u32(); return x >= 0x80000000 ? x - 0x100000000 : x; }
      default: {
        const b = this.r.bytes(4);
        for (let i = 0; i < 4; i++) this.view.setUint8(i, b[i]!);
        const f = this.view.getFloat32(0, this.le);
        return Number.isFinite(f) ? f : 0;
      }
    }
  }

  u16(): number {
    return this.le ? this.r.u16le() : this.r.u16be();
  }
  u32(): number {
    return this.le ? this.r.u32le() : this.r.u32be();
  }
}
