// The IPP message model shared by the encoder and the decoder, with small builders for
// requests and accessors for responses. Every value keeps its own tag (IPP allows a
// 1setOf to mix tags, e.g. integer and rangeOfInteger), octetString values stay bytes,
// and collections are lists of member attributes, so a decoded message re-encodes to the
// same bytes.

import { GroupTag, ValueTag } from './ipp-tags.ts';

export interface IppDateTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hours: number;
  readonly minutes: number;
  readonly seconds: number;
  readonly deciSeconds: number;
  readonly utcDirection: '+' | '-';
  readonly utcHours: number;
  readonly utcMinutes: number;
}

export interface IppResolution {
  readonly x: number;
  readonly y: number;
  /** 3 = dots per inch, 4 = dots per cm. */
  readonly units: number;
}

export interface IppRange {
  readonly lower: number;
  readonly upper: number;
}

export interface IppLangString {
  readonly lang: string;
  readonly text: string;
}

/** The JavaScript shape of one value; which one depends on the tag. */
export type IppPlain =
  | number
  | boolean
  | string
  | Uint8Array
  | IppDateTime
  | IppResolution
  | IppRange
  | IppLangString
  | IppAttribute[]
  | null;

export interface IppValue {
  readonly tag: number;
  readonly value: IppPlain;
}

export interface IppAttribute {
  readonly name: string;
  readonly values: IppValue[];
}

export interface IppGroup {
  readonly tag: number;
  readonly attributes: IppAttribute[];
}

export interface IppMessage {
  /** [major, minor], e.g. [2, 0]. */
  readonly version: readonly [number, number];
  /** Operation id in a request, status code in a response. */
  readonly code: number;
  readonly requestId: number;
  readonly groups: IppGroup[];
  /** Bytes after end-of-attributes (document data); empty when none. */
  readonly data: Uint8Array;
}

// ---------------------------------------------------------------- builders

/** One attribute whose values all share a tag. */
export function attr(name: string, tag: number, ...values: IppPlain[]): IppAttribute {
  return { name, values: values.map((value) => ({ tag, value })) };
}

export const a = {
  keyword: (name: string, ...v: string[]) => attr(name, ValueTag.keyword, ...v),
  name: (name: string, ...v: string[]) => attr(name, ValueTag.nameWithoutLanguage, ...v),
  text: (name: string, ...v: string[]) => attr(name, ValueTag.textWithoutLanguage, ...v),
  uri: (name: string, ...v: string[]) => attr(name, ValueTag.uri, ...v),
  mime: (name: string, ...v: string[]) => attr(name, ValueTag.mimeMediaType, ...v),
  integer: (name: string, ...v: number[]) => attr(name, ValueTag.integer, ...v),
  enumeration: (name: string, ...v: number[]) => attr(name, ValueTag.enum, ...v),
  boolean: (name: string, ...v: boolean[]) => attr(name, ValueTag.boolean, ...v),
  octets: (name: string, ...v: Uint8Array[]) => attr(name, ValueTag.octetString, ...v),
  range: (name: string, ...v: IppRange[]) => attr(name, ValueTag.rangeOfInteger, ...v),
  collection: (name: string, ...v: IppAttribute[][]) => attr(name, ValueTag.begCollection, ...v),
  outOfBand: (name: string, tag: number) => attr(name, tag, null),
};

/** The operation-attributes every request starts with (charset, language, then the rest). */
export function operationGroup(...rest: IppAttribute[]): IppGroup {
  return {
    tag: GroupTag.operation,
    attributes: [attr('attributes-charset', ValueTag.charset, 'utf-8'), attr('attributes-natural-language', ValueTag.naturalLanguage, 'en'), ...rest],
  };
}

export function request(operation: number, requestId: number, groups: IppGroup[], data: Uint8Array = new Uint8Array(0)): IppMessage {
  return { version: [2, 0], code: operation, requestId, groups, data };
}

// ---------------------------------------------------------------- accessors

/** All groups with this tag, in order. */
export function groupsOf(msg: IppMessage, tag: number): IppGroup[] {
  return msg.groups.filter((g) => g.tag === tag);
}

export function find(attrs: readonly IppAttribute[], name: string): IppAttribute | undefined {
  return attrs.find((x) => x.name === name);
}

/** First value of an attribute as a string ('' when absent or not a string). */
export function str(attrs: readonly IppAttribute[], name: string): string {
  const v = find(attrs, name)?.values[0]?.value;
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && 'text' in v) return v.text;
  return '';
}

/** All string values of an attribute. */
export function strs(attrs: readonly IppAttribute[], name: string): string[] {
  return (find(attrs, name)?.values ?? []).map((x) => x.value).filter((v): v is string => typeof v === 'string');
}

/** First value as a number, or `fallback`. */
export function num(attrs: readonly IppAttribute[], name: string, fallback?: number): number | undefined {
  const v = find(attrs, name)?.values[0]?.value;
  return typeof v === 'number' ? v : fallback;
}

export function bool(attrs: readonly IppAttribute[], name: string): boolean | undefined {
  const v = find(attrs, name)?.values[0]?.value;
  return typeof v === 'boolean' ? v : undefined;
}

/** IPP dateTime to a JavaScript Date (UTC offset applied). */
export function toDate(d: IppDateTime): Date {
  const offsetMin = (d.utcDirection === '-' ? -1 : 1) * (d.utcHours * 60 + d.utcMinutes);
  const local = Date.UTC(d.year, d.month - 1, d.day, d.hours, d.minutes, d.seconds, d.deciSeconds * 100);
  return new Date(local - offsetMin * 60_000);
}

/** A JavaScript Date as an IPP dateTime in UTC. */
export function fromDate(date: Date): IppDateTime {
  return {
    year: date.getUTCFullYear(),
    month: date.getUTCMonth() + 1,
    day: date.getUTCDate(),
    hours: date.getUTCHours(),
    minutes: date.getUTCMinutes(),
    seconds: date.getUTCSeconds(),
    deciSeconds: Math.floor(date.getUTCMilliseconds() / 100),
    utcDirection: '+',
    utcHours: 0,
    utcMinutes: 0,
  };
}
