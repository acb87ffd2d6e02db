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
  /** The numbers (1 for a scalar, 2 for xy, 4 for a box, n for an array). */
  v: number[];
  /** Raw bytes of a ubyte array (names such as MediaSize "A4", palettes). */
  bytes?: Uint8Array;
}

export type Token =
  | { kind: 'value'; value: PxlValue; at: number }
  | { kind: 'attr'; id: number; at: number }
  | { kind: 'op'; op: number; at: number }
  | { kind: 'data'; length: number; at: number }
  | { kind: 'esc'; at: number }
  | { kind: 'eof'; at: number };

/** Largest array the lexer decodes into numbers (the specification's arrays are <= 65535). */
const MAX_ARRAY = 65535;

export class PxlLexer {
  private readonly r: ByteReader;
  private readonly le: boolean;
  private readonly view = new DataView(new ArrayBuffer(4));

  constructor(reader: ByteReader, littleEndian: boolean) {
    this.r = reader;
    this.le = littleEndian;
  }

  get littleEndian(): boolean {
    return this.le;
  }

  /** Next token. Embedded data is NOT consumed: the caller reads or skips `length` bytes. */
  async next(): Promise<Token> {
    const r = this.r;
    for (;;) {
      if ((await r.ensure(1)) < 1) return { kind: 'eof', at: r.pos };
      const at = r.pos;
      const t = r.peek(0);
      // White space between tokens (the specification allows these).
      if (t === 0x00 || t === 0x09 || t === 0x0a || t === 0x0b || t === 0x0c || t === 0x0d || t === 0x20) {
        r.skip(1);
        continue;
      }
      if (t === 0x1b) return { kind: 'esc', at };
      if (t >= 0x41 && t <= 0xbf) {
        r.skip(1);
        return { kind: 'op', op: t, at };
      }
      if (t >= 0xc0 && t <= 0xef) {
        r.skip(1);
        return { kind: 'value', value: await this.value(t, at), at };
      }
      if (t === TAG.attrUbyte) {
        await r.need(2, 'an attribute id');
        r.skip(1);
        return { kind: 'attr', id: r.u8(), at };
      }
      if (t === TAG.attrUint16) {
        await r.need(3, 'an attribute id');
        r.skip(1);
        return { kind: 'attr', id: this.u16(), at };
      }
      if (t === TAG.dataLength) {
        await r.need(5, 'an embedded data length');
        r.skip(1);
        const length = this.u32();
        return { kind: 'data', length, at };
      }
      if (t === TAG.dataLengthByte) {
        await r.need(2, 'an embedded data length');
        r.skip(1);
        return { kind: 'data', length: r.u8(), at };
      }
      throw new AnalysisError('ANALYSIS_MALFORMED', `PCL XL: unknown tag 0x${t.toString(16)}`, at);
    }
  }

  private async value(tag: number, at: number): Promise<PxlValue> {
    const r = this.r;
    const elem = tag & 0x07;
    if ((tag & 0x0f) >= 0x0e || (tag & 0x0f) === 6 || (tag & 0x0f) === 7) throw new AnalysisError('ANALYSIS_MALFORMED', `PCL XL: unknown data type 0x${tag.toString(16)}`, at);
    const size = ELEMENT_SIZE[elem];
    if (size === undefined) throw new AnalysisError('ANALYSIS_MALFORMED', `PCL XL: unknown data type 0x${tag.toString(16)}`, at);
    const group = tag & 0xf0;
    if (group === 0xc0 && (tag & 0x08) === 0) {
      await r.need(size, 'a value');
      return { shape: 'scalar', elem, v: [this.elem(elem)] };
    }
    if (group === 0xd0 || group === 0xe0) {
      const count = group === 0xd0 ? 2 : 4;
      await r.need(size * count, 'a value');
      const v: number[] = [];
      for (let i = 0; i < count; i++) v.push(this.elem(elem));
      return { shape: group === 0xd0 ? 'xy' : 'box', elem, v };
    }
    // An array: tag, then its length as a tagged ubyte or uint16 scalar, then the elements.
    await r.need(2, 'an array length');
    const lt = r.u8();
    let length: number;
    if (lt === 0xc0) length = r.u8();
    else if (lt === 0xc1) {
      await r.need(2, 'an array length');
      length = this.u16();
    } else if (lt === 0xc2) {
      await r.need(4, 'an array length');
      length = this.u32();
    } else throw new AnalysisError('ANALYSIS_MALFORMED', `PCL XL: bad array length type 0x${lt.toString(16)}`, r.pos - 1);
    if (length > MAX_ARRAY) throw new AnalysisError('ANALYSIS_LIMIT', `PCL XL: array of ${length} elements`, at);
    const bytes = length * size;
    if (r.pos + bytes > r.size) throw new AnalysisError('ANALYSIS_TRUNCATED', 'PCL XL: array runs past the end of the file', at);
    await r.need(bytes, 'an array');
    if (elem === 0) {
      const raw = r.bytes(bytes).slice();
      return { shape: 'array', elem, v: Array.from(raw), bytes: raw };
    }
    const v: number[] = new Array(length);
    for (let i = 0; i < length; i++) v[i] = this.elem(elem);
    return { shape: 'array', elem, v };
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
