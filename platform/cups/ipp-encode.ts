// IPP encoder (RFC 8010 §3): an IppMessage to bytes. Values are checked against their tag
// before anything is written, so a wrong value is a TypeError naming the attribute, never
// a malformed request on the wire.

import { GroupTag, ValueTag, isOutOfBand, tagName } from './ipp-tags.ts';
import type { IppAttribute, IppDateTime, IppLangString, IppMessage, IppPlain, IppRange, IppResolution } from './ipp-message.ts';

const MAX_SHORT = 0xffff;
const MAX_DEPTH = 16;

/** A growable byte buffer. */
class Writer {
  buf = new Uint8Array(256);
  view = new DataView(this.buf.buffer);
  length = 0;

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.ensure(1);
    this.view.setUint8(this.length, v);
    this.length += 1;
  }

  u16(v: number): void {
    this.ensure(2);
    this.view.setUint16(this.length, v);
    this.length += 2;
  }

  i32(v: number): void {
    this.ensure(4);
    this.view.setInt32(this.length, v);
    this.length += 4;
  }

  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.length, v);
    this.length += 4;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  /** A 2-byte length followed by the bytes. */
  short(b: Uint8Array, what: string): void {
    if (b.length > MAX_SHORT) throw new TypeError(`${what}: ${b.length} bytes do not fit a 2-byte length`);
    this.u16(b.length);
    this.bytes(b);
  }

  result(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

const utf8 = new TextEncoder();

function bad(name: string, tag: number, value: IppPlain): never {
  throw new TypeError(`attribute "${name}": value ${JSON.stringify(value)} does not fit ${tagName(tag)}`);
}

/** The value field (without its length) of a non-collection value. */
function valueBytes(name: string, tag: number, value: IppPlain): Uint8Array {
  if (isOutOfBand(tag)) return new Uint8Array(0);
  const w = new Writer();
  switch (tag) {
    case ValueTag.integer:
    case ValueTag.enum:
      if (typeof value !== 'number' || !Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) bad(name, tag, value);
      w.i32(value);
      return w.result();
    case ValueTag.boolean:
      if (typeof value !== 'boolean') bad(name, tag, value);
      w.u8(value ? 1 : 0);
      return w.result();
    case ValueTag.dateTime: {
      const d = value as IppDateTime;
      if (!d || typeof d !== 'object' || typeof d.year !== 'number') bad(name, tag, value);
      w.u16(d.year);
      for (const part of [d.month, d.day, d.hours, d.minutes, d.seconds, d.deciSeconds]) w.u8(part);
      w.u8(d.utcDirection === '-' ? 0x2d : 0x2b);
      w.u8(d.utcHours);
      w.u8(d.utcMinutes);
      return w.result();
    }
    case ValueTag.resolution: {
      const r = value as IppResolution;
      if (!r || typeof r !== 'object' || typeof r.x !== 'number' || typeof r.units !== 'number') bad(name, tag, value);
      w.i32(r.x);
      w.i32(r.y);
      w.u8(r.units);
      return w.result();
    }
    case ValueTag.rangeOfInteger: {
      const r = value as IppRange;
      if (!r || typeof r !== 'object' || typeof r.lower !== 'number' || typeof r.upper !== 'number') bad(name, tag, value);
      w.i32(r.lower);
      w.i32(r.upper);
      return w.result();
    }
    case ValueTag.textWithLanguage:
    case ValueTag.nameWithLanguage: {
      const l = value as IppLangString;
      if (!l || typeof l !== 'object' || typeof l.lang !== 'string' || typeof l.text !== 'string') bad(name, tag, value);
      w.short(utf8.encode(l.lang), name);
      w.short(utf8.encode(l.text), name);
      return w.result();
    }
  }
  // Character strings (0x40–0x5f) take a string; every other tag (octetString, unknown
  // octet-like tags, extension 0x7f) takes raw bytes, or a string as UTF-8.
  if (typeof value === 'string') return utf8.encode(value);
  if (value instanceof Uint8Array && !(tag >= 0x40 && tag <= 0x5f)) return value;
  return bad(name, tag, value);
}

function writeValue(w: Writer, name: string, tag: number, value: IppPlain, depth: number): void {
  w.u8(tag);
  w.short(utf8.encode(name), 'attribute name');
  if (tag === ValueTag.begCollection) {
    if (!Array.isArray(value)) bad(name, tag, value);
    if (depth >= MAX_DEPTH) throw new TypeError(`attribute "${name}": collections nested deeper than ${MAX_DEPTH}`);
    w.u16(0);
    for (const member of value) {
      w.u8(ValueTag.memberAttrName);
      w.u16(0);
      w.short(utf8.encode(member.name), 'member name');
      if (member.values.length === 0) throw new TypeError(`member "${member.name}" of "${name}" has no value`);
      for (const v of member.values) writeValue(w, '', v.tag, v.value, depth + 1);
    }
    w.u8(ValueTag.endCollection);
    w.u16(0);
    w.u16(0);
    return;
  }
  w.short(valueBytes(name, tag, value), `attribute "${name}"`);
}

function writeAttribute(w: Writer, a: IppAttribute): void {
  if (a.values.length === 0) throw new TypeError(`attribute "${a.name}" has no value`);
  if (a.name === '') throw new TypeError('attribute without a name');
  a.values.forEach((v, i) => writeValue(w, i === 0 ? a.name : '', v.tag, v.value, 0));
}

/** Encode a message: header, groups, end-of-attributes, then the data. */
export function encode(msg: IppMessage): Uint8Array {
  const w = new Writer();
  w.u8(msg.version[0]);
  w.u8(msg.version[1]);
  w.u16(msg.code);
  w.u32(msg.requestId);
  for (const g of msg.groups) {
    if (g.tag < 0x01 || g.tag > 0x0f || g.tag === GroupTag.endOfAttributes) throw new TypeError(`bad group tag 0x${g.tag.toString(16)}`);
    w.u8(g.tag);
    for (const a of g.attributes) writeAttribute(w, a);
  }
  w.u8(GroupTag.endOfAttributes);
  w.bytes(msg.data);
  return w.result();
}
