// IPP decoder (RFC 8010 §3): bytes to an IppMessage. It never trusts a length: every read
// is checked against the end of the buffer, every loop consumes at least one byte, and
// collections nest at most MAX_DEPTH deep. Bad input is an IppDecodeError carrying the
// byte offset where it went wrong. Document data after end-of-attributes stays bytes
// (a view, not a copy), as do octetString values.

import { PrintgateError } from '../../shared/errors.ts';
import { GroupTag, ValueTag, isOutOfBand, tagName } from './ipp-tags.ts';
import type { IppAttribute, IppGroup, IppMessage, IppPlain, IppValue } from './ipp-message.ts';

const MAX_DEPTH = 16;

export class IppDecodeError extends PrintgateError {
  readonly offset: number;

  constructor(message: string, offset: number) {
    super('IPP_MALFORMED', `${message} at byte ${offset}`, { offset });
    this.name = 'IppDecodeError';
    this.offset = offset;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

class Reader {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  pos = 0;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  need(n: number, what: string): void {
    if (this.pos + n > this.bytes.length) throw new IppDecodeError(`truncated ${what}: need ${n} bytes, ${this.bytes.length - this.pos} left`, this.pos);
  }

  u8(what: string): number {
    this.need(1, what);
    return this.view.getUint8(this.pos++);
  }

  u16(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }

  take(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

/** One item: a value tag, a name (maybe empty) and the raw value field. */
interface Item {
  readonly at: number;
  readonly tag: number;
  readonly name: string;
  readonly raw: Uint8Array;
}

function readItem(r: Reader, tag: number, at: number): Item {
  const nameLen = r.u16('name length');
  const name = utf8.decode(r.take(nameLen, 'attribute name'));
  const valueLen = r.u16('value length');
  // Extension values (tag 0x7f, a 4-byte type code then the value) stay raw bytes.
  const raw = r.take(valueLen, `value of ${name || 'additional value'}`);
  return { at, tag, name, raw };
}

function fixedLength(item: Item, n: number): void {
  if (item.raw.length !== n) throw new IppDecodeError(`${tagName(item.tag)} "${item.name}" has length ${item.raw.length}, expected ${n}`, item.at);
}

/** Decode the value field of a non-collection item. */
function plainValue(item: Item): IppPlain {
  const { tag, raw } = item;
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (isOutOfBand(tag)) return null;
  switch (tag) {
    case ValueTag.integer:
    case ValueTag.enum:
      fixedLength(item, 4);
      return v.getInt32(0);
    case ValueTag.boolean:
      fixedLength(item, 1);
      return raw[0] !== 0;
    case ValueTag.dateTime:
      fixedLength(item, 11);
      return {
        year: v.getUint16(0),
        month: raw[2]!,
        day: raw[3]!,
        hours: raw[4]!,
        minutes: raw[5]!,
        seconds: raw[6]!,
        deciSeconds: raw[7]!,
        utcDirection: raw[8] === 0x2d ? '-' : '+',
        utcHours: raw[9]!,
        utcMinutes: raw[10]!,
      };
    case ValueTag.resolution:
      fixedLength(item, 9);
      return { x: v.getInt32(0), y: v.getInt32(4), units: raw[8]! };
    case ValueTag.rangeOfInteger:
      fixedLength(item, 8);
      return { lower: v.getInt32(0), upper: v.getInt32(4) };
    case ValueTag.textWithLanguage:
    case ValueTag.nameWithLanguage: {
      const sub = new Reader(raw);
      try {
        const lang = utf8.decode(sub.take(sub.u16('language length'), 'language'));
        const text = utf8.decode(sub.take(sub.u16('text length'), 'text'));
        if (sub.pos !== raw.length) throw new IppDecodeError('trailing bytes in a string with language', sub.pos);
        return { lang, text };
      } catch (err) {
        if (err instanceof IppDecodeError) throw new IppDecodeError(`${tagName(tag)} "${item.name}": ${err.message}`, item.at);
        throw err;
      }
    }
  }
  // Character strings become text; octetString and unknown tags keep their bytes (a
  // copy, so the value outlives the response buffer without pinning it).
  if (tag >= 0x40 && tag <= 0x5f) return utf8.decode(raw);
  return raw.slice();
}

/**
 * Read the members of a collection whose begCollection item was just read, up to and
 * including its endCollection.
 */
function readCollection(r: Reader, depth: number, openedAt: number): IppAttribute[] {
  if (depth > MAX_DEPTH) throw new IppDecodeError(`collections nested deeper than ${MAX_DEPTH}`, openedAt);
  const members: IppAttribute[] = [];
  let current: IppAttribute | undefined;
  for (;;) {
    const at = r.pos;
    if (r.pos >= r.bytes.length) throw new IppDecodeError('collection not closed', openedAt);
    const tag = r.u8('value tag');
    if (tag <= 0x0f) throw new IppDecodeError(`group tag 0x${tag.toString(16)} inside a collection`, at);
    const item = readItem(r, tag, at);
    if (item.name !== '') throw new IppDecodeError(`named attribute "${item.name}" inside a collection`, at);
    if (tag === ValueTag.endCollection) {
      if (current && current.values.length === 0) throw new IppDecodeError(`member "${current.name}" has no value`, at);
      return members;
    }
    if (tag === ValueTag.memberAttrName) {
      if (current && current.values.length === 0) throw new IppDecodeError(`member "${current.name}" has no value`, at);
      current = { name: utf8.decode(item.raw), values: [] };
      members.push(current);
      continue;
    }
    if (!current) throw new IppDecodeError('collection value before any member name', at);
    const value: IppValue = tag === ValueTag.begCollection ? { tag, value: readCollection(r, depth + 1, at) } : { tag, value: plainValue(item) };
    current.values.push(value);
  }
}

/** Decode a whole IPP message (request or response). */
export function decode(bytes: Uint8Array): IppMessage {
  const r = new Reader(bytes);
  r.need(8, 'header');
  const version: [number, number] = [r.u8('version'), r.u8('version')];
  const code = r.u16('operation or status');
  r.need(4, 'request id');
  const requestId = r.view.getUint32(r.pos);
  r.pos += 4;
  const groups: IppGroup[] = [];
  let group: IppGroup | undefined;
  let last: IppAttribute | undefined;
  for (;;) {
    const at = r.pos;
    if (r.pos >= bytes.length) throw new IppDecodeError('missing end-of-attributes', at);
    const tag = r.u8('tag');
    if (tag === GroupTag.endOfAttributes) break;
    if (tag <= 0x0f) {
      if (tag === 0x00) throw new IppDecodeError('reserved tag 0x00', at);
      group = { tag, attributes: [] };
      groups.push(group);
      last = undefined;
      continue;
    }
    if (!group) throw new IppDecodeError(`value tag ${tagName(tag)} before any group`, at);
    const item = readItem(r, tag, at);
    if (tag === ValueTag.endCollection || tag === ValueTag.memberAttrName) throw new IppDecodeError(`${tagName(tag)} outside a collection`, at);
    const value: IppValue = tag === ValueTag.begCollection ? { tag, value: readCollection(r, 1, at) } : { tag, value: plainValue(item) };
    if (item.name === '') {
      if (!last) throw new IppDecodeError('additional value without an attribute', at);
      last.values.push(value);
    } else {
      last = { name: item.name, values: [value] };
      group.attributes.push(last);
    }
  }
  return { version, code, requestId, groups, data: bytes.subarray(r.pos) };
}
