// PCL XL operator interpreter: keeps just enough graphics state (colour space, palette,
// brush, pen, raster patterns, the gsave stack) to decide whether each page paints
// non-neutral colour, and records the page-level settings (media, duplex, copies).
// Operators that paint (PaintPath, Rectangle, Text, ScanLineRel, ReadImage...) mark the
// page colour when the paint they use is colour; images are decoded row by row until a
// colour pixel is found. The lexer supplies tokens; this file gives them meaning.

import { mediaName } from '../../../shared/analysis.ts';
import { AnalysisError, checkBudget } from '../errors.ts';
import { ByteReader } from '../reader.ts';
import { BufferSource } from '../source.ts';
import { PxlLexer, copyValue, type PxlValue } from './lexer.ts';
import { Pcl5Interpreter } from '../pcl5/interpreter.ts';
import { jpegIsColour } from '../pdf/jpeg.ts';
import { DeltaRows, PlainRows, RleRows, isColourRgb, jpegComponents, rowBytes, rowHasColour, type ImageFormat, type RowDecoder } from './raster.ts';

// Attribute ids (PCL XL Feature Reference).
const A = {
  PaletteDepth: 2, ColorSpace: 3, NullBrush: 4, NullPen: 5, PaletteData: 6, PatternSelectID: 8,
  GrayLevel: 9, RGBColor: 11, PrimaryArray: 14, PrimaryDepth: 15, MediaSize: 37, Orientation: 40,
  CustomMediaSize: 47, CustomMediaSizeUnits: 48, PageCopies: 49, SimplexPageMode: 52, DuplexPageMode: 53,
  DuplexPageSide: 54, ROP3: 44, ColorDepth: 98, BlockHeight: 99, ColorMapping: 100, CompressMode: 101,
  PatternPersistence: 104, PatternDefineID: 105, SourceHeight: 107, SourceWidth: 108, PadBytesMultiple: 110,
  StreamName: 139,
} as const;

// Operator tags.
const OP = {
  BeginSession: 0x41, EndSession: 0x42, BeginPage: 0x43, EndPage: 0x44,
  BeginStream: 0x5b, ReadStream: 0x5c, EndStream: 0x5d, ExecStream: 0x5e,
  PopGS: 0x60, PushGS: 0x61, SetBrushSource: 0x63, SetColorSpace: 0x6a, SetDefaultGS: 0x57, SetPenSource: 0x79,
  SetROP: 0x7b, PaintPath: 0x86, Chord: 0x96, Ellipse: 0x98, Pie: 0x9d, Rectangle: 0xa0, RoundRectangle: 0xa2, Text: 0xa8,
  BeginImage: 0xb0, ReadImage: 0xb1, EndImage: 0xb2, BeginRastPattern: 0xb3, ReadRastPattern: 0xb4,
  EndRastPattern: 0xb5, BeginScan: 0xb6, EndScan: 0xb8, ScanLineRel: 0xb9, PassThrough: 0xbf,
} as const;

/** Attributes the analysis reads; the values of all others are dropped as they are met. */
const KEPT = new Set<number>(Object.values(A));

/** Operators that fill with the brush and stroke with the pen. */
const PAINTS = new Set<number>([OP.PaintPath, OP.Chord, OP.Ellipse, OP.Pie, OP.Rectangle, OP.RoundRectangle]);

/** MediaSize enumeration -> our names. */
const MEDIA_ENUM = ['Letter', 'Legal', 'A4', 'Executive', 'Tabloid', 'A3', 'Env10', 'EnvMonarch', 'EnvC5', 'EnvDL',
  'B4', 'B5', 'EnvB5', 'B5', 'JPostcard', 'JDoublePostcard', 'A5', 'A6', 'JB6'];
const MEDIA_NAMES: Record<string, string> = {
  LETTER: 'Letter', LEGAL: 'Legal', A4: 'A4', EXEC: 'Executive', EXECUTIVE: 'Executive', LEDGER: 'Tabloid',
  A3: 'A3', A5: 'A5', A6: 'A6', COM10: 'Env10', DL: 'EnvDL', C5: 'EnvC5', B5: 'B5', JISB4: 'B4', JISB5: 'B5',
};

/** A paint source: nothing, a colour known to be colour or not, or a raster pattern. */
type Paint = { kind: 'null' } | { kind: 'solid'; colour: boolean } | { kind: 'pattern'; id: number };

interface GState {
  rgb: boolean; // colour space can hold colour (eRGB / eSRGB)
  palette: boolean[] | null; // per palette index: colour?
  brush: Paint;
  pen: Paint;
  /** Current raster operation (ROP3); the brush and pen are the texture T. */
  rop: number;
}

export interface PxlPage {
  colour: boolean;
  media: string | null;
  copies: number;
  duplex: boolean;
}

export interface PxlRun {
  pages: PxlPage[];
  warnings: string[];
}

const MAX_GS_DEPTH = 256;
const MAX_STREAM_BYTES = 16 * 1024 * 1024;
const MAX_STREAM_DEPTH = 8;

export class PxlInterpreter {
  readonly pages: PxlPage[] = [];
  readonly warnings = new Set<string>();
  private gs: GState = freshGState();
  private readonly stack: GState[] = [];
  private readonly patterns = new Map<number, { colour: boolean; persistence: number }>();
  private readonly streams = new Map<string, Uint8Array[]>();
  private page: PxlPage | null = null;
  private pageColour = false;
  private image: { format: ImageFormat; colourSpaceGray: boolean; seed: Uint8Array } | null = null;
  private pattern: { format: ImageFormat; id: number; persistence: number; colour: boolean; seed: Uint8Array } | null = null;
  private streamBeingDefined: { name: string; chunks: Uint8Array[]; bytes: number } | null = null;
  private streamBytes = 0;
  private pcl: Pcl5Interpreter | null = null;
  private readonly deadline: number;
  private readonly signal: AbortSignal | undefined;
  private readonly maxPages: number;
  private readonly maxBuffer: number;

  constructor(deadline: number, signal: AbortSignal | undefined, maxPages: number, maxBuffer = 64 * 1024 * 1024) {
    this.deadline = deadline;
    this.signal = signal;
    this.maxPages = maxPages;
    this.maxBuffer = maxBuffer;
  }

  /** Whether a page was begun and not ended (a truncated stream). */
  get openPage(): boolean {
    return this.page !== null;
  }

  /**
   * Run the token stream from `lexer` until its end or an escape byte (a UEL that ends the
   * PCL XL section). Returns 'esc' or 'eof'.
   */
  async run(lexer: PxlLexer, reader: ByteReader, depth = 0): Promise<'esc' | 'eof'> {
    const attrs = new Map<number, PxlValue>();
    let pending = false;
    let lastOp = -1;
    let steps = 0;
    for (;;) {
      if ((++steps & 0x3ff) === 0) checkBudget(this.signal, this.deadline, reader.pos);
      const tok = lexer.tryNext() ?? (await lexer.next());
      switch (tok.kind) {
        case 'eof':
          return 'eof';
        case 'esc':
          return 'esc';
        case 'value':
          pending = true;
          break;
        case 'attr':
          if (!pending) throw new AnalysisError('ANALYSIS_MALFORMED', 'PCL XL: attribute id without a value', tok.at);
          // Only the attributes the analysis reads are kept (copied: the lexer reuses its value).
          if (KEPT.has(tok.n)) attrs.set(tok.n, copyValue(tok.value));
          pending = false;
          break;
        case 'op':
          lastOp = tok.n;
          if (tok.n === OP.ExecStream) await this.execStream(streamName(attrs.get(A.StreamName)), lexer.littleEndian, depth, tok.at);
          else this.operator(tok.n, attrs, tok.at);
          if (attrs.size > 0) attrs.clear();
          pending = false;
          break;
        case 'data': {
          const length = tok.n;
          if (reader.pos + length > reader.size) {
            throw new AnalysisError('ANALYSIS_TRUNCATED', `PCL XL: embedded data of ${length} bytes runs past the end of the file`, tok.at);
          }
          await this.data(lastOp, length, reader, tok.at);
          break;
        }
      }
    }
  }

  private operator(op: number, attrs: Map<number, PxlValue>, at: number): void {
    const gs = this.gs;
    switch (op) {
      case OP.BeginSession:
      case OP.EndSession:
        this.gs = freshGState();
        this.stack.length = 0;
        if (op === OP.EndSession) {
          this.patterns.clear();
          this.pcl = null;
        }
        return;
      case OP.BeginPage: {
        if (this.page) this.warnings.add('PCL XL: BeginPage inside a page (EndPage missing)');
        this.page = { colour: false, media: media(attrs), copies: 1, duplex: attrs.has(A.DuplexPageMode) };
        this.pageColour = false;
        this.gs = freshGState();
        this.stack.length = 0;
        return;
      }
      case OP.EndPage: {
        const page = this.page ?? { colour: false, media: null, copies: 1, duplex: false };
        if (!this.page) this.warnings.add('PCL XL: EndPage without BeginPage');
        const copies = num(attrs.get(A.PageCopies));
        if (copies !== null && copies >= 1) page.copies = Math.min(Math.floor(copies), 9999);
        page.colour = this.pageColour;
        this.pages.push(page);
        this.page = null;
        for (const [id, p] of this.patterns) if (p.persistence < 2) this.patterns.delete(id);
        if (this.pages.length > this.maxPages) throw new AnalysisError('ANALYSIS_LIMIT', `more than ${this.maxPages} pages`, at);
        return;
      }
      case OP.SetColorSpace: {
        const cs = num(attrs.get(A.ColorSpace));
        if (cs !== null) gs.rgb = cs === 2 || cs === 6;
        const pal = attrs.get(A.PaletteData);
        gs.palette = pal ? paletteColours(pal, gs.rgb) : null;
        return;
      }
      case OP.SetBrushSource:
        gs.brush = this.paint(attrs);
        return;
      case OP.SetPenSource:
        gs.pen = this.paint(attrs);
        return;
      case OP.PushGS:
        if (this.stack.length >= MAX_GS_DEPTH) throw new AnalysisError('ANALYSIS_LIMIT', 'PCL XL: graphics state stack too deep', at);
        this.stack.push({ ...gs });
        return;
      case OP.PopGS:
        this.gs = this.stack.pop() ?? gs;
        return;
      case OP.SetDefaultGS:
        this.gs = freshGState();
        return;
      case OP.SetROP: {
        const rop = num(attrs.get(A.ROP3));
        if (rop !== null) gs.rop = rop & 0xff;
        return;
      }
      case OP.Text:
      case OP.ScanLineRel:
        if (ropUsesTexture(gs.rop) && this.paintIsColour(gs.brush)) this.markColour();
        return;
      case OP.BeginImage:
        this.image = this.withSeed({ format: this.imageFormat(attrs), colourSpaceGray: !gs.rgb });
        return;
      case OP.ReadImage:
        // Masks and images are combined with the brush through the ROP (text is often
        // drawn as a 1-bit image whose black pixels let a colour brush through).
        if (ropUsesTexture(gs.rop) && this.paintIsColour(gs.brush)) this.markColour();
        this.noteReadAttrs(attrs);
        return;
      case OP.ReadRastPattern:
        this.noteReadAttrs(attrs);
        return;
      case OP.EndImage:
        this.image = null;
        return;
      case OP.BeginRastPattern: {
        const id = num(attrs.get(A.PatternDefineID)) ?? 0;
        const persistence = num(attrs.get(A.PatternPersistence)) ?? 0;
        this.pattern = this.withSeed({ format: this.imageFormat(attrs), id, persistence, colour: false });
        return;
      }
      case OP.EndRastPattern:
        if (this.pattern) this.patterns.set(this.pattern.id, { colour: this.pattern.colour, persistence: this.pattern.persistence });
        this.pattern = null;
        return;
      case OP.BeginStream: {
        const name = streamName(attrs.get(A.StreamName));
        this.streamBeingDefined = { name, chunks: [], bytes: 0 };
        return;
      }
      case OP.EndStream:
        if (this.streamBeingDefined) this.streams.set(this.streamBeingDefined.name, this.streamBeingDefined.chunks);
        this.streamBeingDefined = null;
        return;
      default:
        if (PAINTS.has(op) && ropUsesTexture(gs.rop) && (this.paintIsColour(gs.brush) || this.paintIsColour(gs.pen))) this.markColour();
    }
  }

  /** Embedded data after an operator: images and patterns are checked, streams kept, the rest skipped. */
  private async data(op: number, length: number, reader: ByteReader, at: number): Promise<void> {
    if (op === OP.PassThrough) {
      await this.passThrough(length, reader);
      return;
    }
    if (op === OP.ReadStream && this.streamBeingDefined) {
      const d = this.streamBeingDefined;
      this.streamBytes += length;
      if (this.streamBytes > MAX_STREAM_BYTES) throw new AnalysisError('ANALYSIS_LIMIT', 'PCL XL: user-defined streams too large', at);
      await reader.need(length, 'stream data');
      d.chunks.push(reader.bytes(length).slice());
      return;
    }
    const target = op === OP.ReadImage ? this.image : op === OP.ReadRastPattern ? this.pattern : null;
    const skip = !target || (op === OP.ReadImage && (this.pageColour || this.image!.colourSpaceGray)) || (op === OP.ReadRastPattern && this.pattern!.colour);
    if (skip) {
      reader.skip(length);
      return;
    }
    const colour = await this.checkPixels(target.format, target.seed, length, reader);
    if (colour) {
      if (op === OP.ReadImage) this.markColour();
      else this.pattern!.colour = true;
    }
  }

  /** Attributes of the ReadImage/ReadRastPattern just seen are not needed beyond compression. */
  private lastCompress = 0;
  private lastPad = 4;

  /**
   * PassThrough data is PCL 5, run by a PCL 5 interpreter whose state lasts the session
   * (as in the printer); what it paints marks this page. Bounded like user streams.
   */
  private async passThrough(length: number, reader: ByteReader): Promise<void> {
    if (this.pageColour || length === 0) {
      reader.skip(length);
      return;
    }
    if (length > this.maxBuffer) {
      reader.skip(length);
      this.warnings.add('PCL XL PassThrough: a PCL snippet larger than the buffer limit counted as colour');
      this.markColour();
      return;
    }
    await reader.need(length, 'PassThrough data');
    const bytes = reader.bytes(length).slice();
    this.pcl ??= new Pcl5Interpreter(this.deadline, this.signal, Number.MAX_SAFE_INTEGER, this.maxBuffer);
    const painted = await this.pcl.snippet(new ByteReader(new BufferSource(bytes)));
    for (const w of this.pcl.warnings) this.warnings.add(w);
    if (painted.colour) this.markColour();
  }

  /** A delta-row seed for an image or pattern (rows are capped: a bigger one is not kept). */
  private withSeed<T extends { format: ImageFormat }>(t: T): T & { seed: Uint8Array } {
    const n = rowBytes(t.format);
    return { ...t, seed: new Uint8Array(n <= this.maxBuffer ? n : 0) };
  }

  private async checkPixels(format: ImageFormat, seed: Uint8Array, length: number, reader: ByteReader): Promise<boolean> {
    if (!format.indexColour && format.components !== 3) {
      reader.skip(length);
      return false;
    }
    if (format.indexColour && !format.indexColour.some(Boolean)) {
      reader.skip(length);
      return false;
    }
    let found = false;
    const onRow = (row: Uint8Array): boolean => (found = rowHasColour(format, row));
    const perRow = rowBytes(format);
    let decoder: RowDecoder;
    switch (this.lastCompress) {
      case 0: decoder = new PlainRows(perRow, this.lastPad, onRow); break;
      case 1: decoder = new RleRows(perRow, this.lastPad, onRow); break;
      case 3: decoder = new DeltaRows(perRow, onRow, seed); break;
      case 2:
        return this.checkJpeg(length, reader);
      default:
        this.warnings.add(`PCL XL: unknown image compression ${this.lastCompress}; counted as colour`);
        reader.skip(length);
        return true;
    }
    let left = length;
    while (left > 0) {
      const want = Math.min(left, 256 * 1024);
      await reader.need(want, 'image data');
      const chunk = reader.bytes(want);
      left -= want;
      if (decoder.push(chunk) || found) {
        reader.skip(left);
        return true;
      }
    }
    return found;
  }

  /**
   * A JPEG block: one component is gray; otherwise the DC coefficients of each 8x8 block
   * are decoded (agent/analysis/pdf/jpeg.ts) and the chroma rule applied to the block
   * averages. Undecodable or oversized JPEGs count as colour, with a warning.
   */
  private async checkJpeg(length: number, reader: ByteReader): Promise<boolean> {
    const at = reader.pos;
    await reader.ensure(Math.min(length, 64 * 1024));
    const components = jpegComponents(reader.bytes(Math.min(length, reader.available, 64 * 1024)));
    reader.seek(at);
    if (components === 1) {
      reader.skip(length);
      return false;
    }
    if (length > this.maxBuffer) {
      reader.skip(length);
      this.warnings.add('PCL XL: JPEG image larger than the buffer limit counted as colour');
      return true;
    }
    await reader.need(length, 'JPEG data');
    const verdict = jpegIsColour(reader.bytes(length), at);
    if (verdict === 'unknown') this.warnings.add('PCL XL: JPEG image that could not be decoded counted as colour');
    return verdict !== 'gray';
  }

  /** Remember ReadImage/ReadRastPattern attributes before their data arrives. */
  noteReadAttrs(attrs: Map<number, PxlValue>): void {
    this.lastCompress = num(attrs.get(A.CompressMode)) ?? 0;
    this.lastPad = num(attrs.get(A.PadBytesMultiple)) ?? 4;
  }

  private imageFormat(attrs: Map<number, PxlValue>): ImageFormat {
    const depth = num(attrs.get(A.ColorDepth)) ?? 2;
    const bits = depth === 0 ? 1 : depth === 1 ? 4 : 8;
    const indexed = num(attrs.get(A.ColorMapping)) === 1;
    const width = Math.max(0, Math.min(num(attrs.get(A.SourceWidth)) ?? 0, 1 << 20));
    if (indexed) {
      // An index beyond the palette paints black in practice; count it as gray.
      const table = (this.gs.palette ?? []).slice(0, 1 << bits);
      return { width, bits, components: 1, indexColour: table };
    }
    return { width, bits, components: this.gs.rgb ? 3 : 1, indexColour: null };
  }

  private paint(attrs: Map<number, PxlValue>): Paint {
    if (attrs.has(A.NullBrush) || attrs.has(A.NullPen)) return { kind: 'null' };
    const pat = num(attrs.get(A.PatternSelectID));
    if (pat !== null) return { kind: 'pattern', id: pat };
    const gray = attrs.get(A.GrayLevel);
    const rgb = attrs.get(A.RGBColor) ?? attrs.get(A.PrimaryArray);
    const gs = this.gs;
    if (gs.palette) {
      const v = gray ?? rgb;
      const idx = v ? Math.floor(v.v[0] ?? 0) : 0;
      return { kind: 'solid', colour: gs.palette[idx] ?? false };
    }
    if (gray || !rgb || !gs.rgb) return { kind: 'solid', colour: false };
    const scale = rgb.elem === 5 ? 255 : rgb.elem === 0 ? 1 : 255 / ((1 << (num(attrs.get(A.PrimaryDepth)) === 1 ? 16 : 8)) - 1);
    const [r = 0, g = 0, b = 0] = rgb.v.map((x) => x * scale);
    return { kind: 'solid', colour: isColourRgb(r, g, b) };
  }

  private paintIsColour(p: Paint): boolean {
    if (p.kind === 'solid') return p.colour;
    if (p.kind === 'pattern') return this.patterns.get(p.id)?.colour ?? false;
    return false;
  }

  private markColour(): void {
    this.pageColour = true;
  }

  private async execStream(name: string, le: boolean, depth: number, at: number): Promise<void> {
    const chunks = this.streams.get(name);
    if (!chunks) {
      this.warnings.add('PCL XL: ExecStream of an undefined stream');
      return;
    }
    if (depth >= MAX_STREAM_DEPTH) throw new AnalysisError('ANALYSIS_LIMIT', 'PCL XL: streams nested too deeply', at);
    const total = chunks.reduce((n, c) => n + c.length, 0);
    const bytes = new Uint8Array(total);
    let o = 0;
    for (const c of chunks) { bytes.set(c, o); o += c.length; }
    const sub = new ByteReader(new BufferSource(bytes));
    await sub.ensure(256);
    // A stream may start with its own header line; skip it.
    if (sub.peek(1) === 0x20 && (sub.peek(0) === 0x28 || sub.peek(0) === 0x29)) {
      let n = 0;
      while (n < 256 && sub.peek(n) !== 0x0a && sub.peek(n) !== -1) n++;
      sub.skip(n + 1);
    }
    await this.run(new PxlLexer(sub, le), sub, depth + 1);
  }
}

function freshGState(): GState {
  return { rgb: false, palette: null, brush: { kind: 'solid', colour: false }, pen: { kind: 'solid', colour: false }, rop: 252 };
}

/** Whether a ROP3 result depends on the texture (brush/pen): bits with T=1 differ from T=0. */
function ropUsesTexture(rop: number): boolean {
  return (((rop >> 4) ^ rop) & 0x0f) !== 0;
}

function num(v: PxlValue | undefined): number | null {
  if (!v || v.v.length === 0) return null;
  const x = v.v[0]!;
  return Number.isFinite(x) ? x : null;
}

function streamName(v: PxlValue | undefined): string {
  return v ? (v.bytes ? Array.from(v.bytes).join(',') : v.v.join(',')) : '';
}

/** Per palette entry, whether it is colour: RGB triples in an RGB space, gray otherwise. */
function paletteColours(v: PxlValue, rgb: boolean): boolean[] {
  const bytes = v.bytes ?? v.v;
  if (!rgb) return new Array<boolean>(bytes.length).fill(false);
  const out: boolean[] = [];
  for (let i = 0; i + 2 < bytes.length; i += 3) out.push(isColourRgb(bytes[i]!, bytes[i + 1]!, bytes[i + 2]!));
  return out;
}

/** The page's paper size from MediaSize (enumeration or name) or CustomMediaSize. */
function media(attrs: Map<number, PxlValue>): string | null {
  const ms = attrs.get(A.MediaSize);
  if (ms) {
    if (ms.shape === 'array' && ms.bytes) {
      const name = new TextDecoder('latin1').decode(ms.bytes).replace(/\0+$/, '').trim().toUpperCase();
      return MEDIA_NAMES[name] ?? name;
    }
    const e = num(ms);
    if (e !== null && MEDIA_ENUM[e]) return MEDIA_ENUM[e];
    return null;
  }
  const custom = attrs.get(A.CustomMediaSize);
  if (custom && custom.v.length >= 2) {
    const units = num(attrs.get(A.CustomMediaSizeUnits)) ?? 0;
    const toPt = units === 0 ? 72 : units === 1 ? 72 / 25.4 : 72 / 254;
    return mediaName(custom.v[0]! * toPt, custom.v[1]! * toPt);
  }
  return null;
}
