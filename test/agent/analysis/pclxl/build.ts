// A tiny PCL XL writer for tests (little-endian binding): values, attributes, operators
// and embedded data as byte arrays, so each test states its stream token by token.

export const HEADER = ') HP-PCL XL;2;0;test\n';

export type Bytes = number[];
export const ub = (v: number): Bytes => [0xc0, v & 0xff];
export const u16 = (v: number): Bytes => [0xc1, v & 0xff, (v >> 8) & 0xff];
export const u16xy = (x: number, y: number): Bytes => [0xd1, x & 0xff, x >> 8, y & 0xff, y >> 8];
export const ubArray = (b: number[]): Bytes => [0xc8, 0xc0, b.length, ...b];
export const real32xy = (x: number, y: number): Bytes => {
  const b = Buffer.alloc(8);
  b.writeFloatLE(x, 0);
  b.writeFloatLE(y, 4);
  return [0xd5, ...b];
};
export const attr = (id: number): Bytes => [0xf8, id];
export const data = (d: number[] | Uint8Array): Bytes => {
  const n = d.length;
  return [0xfa, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff, ...d];
};

export const OP = {
  BeginSession: 0x41, EndSession: 0x42, BeginPage: 0x43, EndPage: 0x44, BeginStream: 0x5b, ReadStream: 0x5c,
  EndStream: 0x5d, ExecStream: 0x5e, SetBrushSource: 0x63, SetColorSpace: 0x6a, SetPenSource: 0x79, SetROP: 0x7b,
  Rectangle: 0xa0, Text: 0xa8, BeginImage: 0xb0, ReadImage: 0xb1, EndImage: 0xb2, BeginRastPattern: 0xb3,
  ReadRastPattern: 0xb4, EndRastPattern: 0xb5,
} as const;

export const AT = {
  PaletteDepth: 2, ColorSpace: 3, NullBrush: 4, NullPen: 5, PaletteData: 6, PatternSelectID: 8, GrayLevel: 9, RGBColor: 11,
  MediaSize: 37, ROP3: 44, CustomMediaSize: 47, CustomMediaSizeUnits: 48, PageCopies: 49, DuplexPageMode: 53,
  BoundingBox: 66, ColorDepth: 98, BlockHeight: 99, ColorMapping: 100, CompressMode: 101, DestinationSize: 103,
  PatternPersistence: 104, PatternDefineID: 105, SourceHeight: 107, SourceWidth: 108, StartLine: 109, PadBytesMultiple: 110,
  StreamName: 139, TextData: 171,
} as const;

export const session = (...body: Bytes[]): Bytes => [...u16xy(600, 600), ...attr(137), ...ub(0), ...attr(134), OP.BeginSession, ...body.flat(), OP.EndSession];
export const page = (...body: Bytes[]): Bytes => [...ub(2), ...attr(AT.MediaSize), OP.BeginPage, ...body.flat(), OP.EndPage];
export const rgbSpace: Bytes = [...ub(2), ...attr(AT.ColorSpace), OP.SetColorSpace];
export const graySpace: Bytes = [...ub(1), ...attr(AT.ColorSpace), OP.SetColorSpace];
export const brushRgb = (r: number, g: number, b: number): Bytes => [...ubArray([r, g, b]), ...attr(AT.RGBColor), OP.SetBrushSource];
export const rect: Bytes = [0xe1, 0, 0, 0, 0, 100, 0, 100, 0, ...attr(AT.BoundingBox), OP.Rectangle];

/** An image: BeginImage (8-bit direct or indexed), one ReadImage block, EndImage. */
export function image(opts: { width: number; height: number; bits?: number; indexed?: boolean; compress?: number; payload: number[] | Uint8Array }): Bytes {
  const depth = opts.bits === 1 ? 0 : opts.bits === 4 ? 1 : 2;
  return [
    ...ub(depth), ...attr(AT.ColorDepth), ...ub(opts.indexed ? 1 : 0), ...attr(AT.ColorMapping),
    ...u16(opts.width), ...attr(AT.SourceWidth), ...u16(opts.height), ...attr(AT.SourceHeight),
    ...u16xy(opts.width, opts.height), ...attr(AT.DestinationSize), OP.BeginImage,
    ...u16(0), ...attr(AT.StartLine), ...u16(opts.height), ...attr(AT.BlockHeight), ...ub(opts.compress ?? 0), ...attr(AT.CompressMode),
    OP.ReadImage, ...data(opts.payload), OP.EndImage,
  ];
}

export function stream(...parts: Bytes[]): Buffer {
  return Buffer.concat([Buffer.from(HEADER, 'latin1'), Buffer.from(parts.flat())]);
}
