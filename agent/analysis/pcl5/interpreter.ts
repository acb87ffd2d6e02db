// PCL 5 interpreter: gives the lexer's commands their meaning for billing. Pages end on
// form feed, on ESC E / page size / paper source / orientation / duplex changes when the
// page has marks, and at the end of the job when marks remain. Colour comes from what is
// painted: text and rules in the foreground colour, raster rows through the palette or as
// direct pixels, HP-GL/2 drawing with a colour pen, macros (and overlays) by what their
// definition painted. Binary data blocks are skipped by their stated length (checked
// against the file) unless their pixels must be looked at.

import { AnalysisError, checkBudget } from '../errors.ts';
import type { ByteReader } from '../reader.ts';
import { HpglScanner } from './hpgl.ts';
import { Pcl5Lexer, type Pcl5Token } from './lexer.ts';
import { Palette } from './palette.ts';
import { RasterDecoder } from './raster.ts';

/** ESC&l#A page size codes -> names (PCL 5 Technical Reference). */
const PAGE_SIZES: Record<number, string> = {
  1: 'Executive', 2: 'Letter', 3: 'Legal', 6: 'Tabloid', 25: 'A5', 26: 'A4', 27: 'A3', 45: 'B5', 46: 'B4',
  80: 'EnvMonarch', 81: 'Env10', 90: 'EnvDL', 91: 'EnvC5', 100: 'EnvB5',
};

export interface Pcl5Page {
  colour: boolean;
  media: string | null;
  copies: number;
  duplex: boolean;
}

/** Largest data block read into memory for a pixel check (also bounded by maxBufferBytes). */
const MAX_BLOCK = 16 * 1024 * 1024;

export class Pcl5Interpreter {
  readonly pages: Pcl5Page[] = [];
  readonly warnings = new Set<string>();
  /** A UEL ended the PCL section (what follows is PJL or another language). */
  sawUel = false;
  private marks = false;
  private colour = false;
  private media: string | null = null;
  private copies = 1;
  private duplex = false;
  private palette = Palette.mono();
  private readonly paletteStack: Palette[] = [];
  private foreground = false;
  private rasterOn = false;
  private readonly raster = new RasterDecoder(() => this.palette);
  private hpgl: HpglScanner | null = null;
  private readonly hpglScanner: HpglScanner;
  /** Macros (ESC&f#Y id, ESC&f#X control): what each one paints, not its commands. */
  private readonly macros = new Map<number, { marks: boolean; colour: boolean }>();
  private macroId = 0;
  private defining: { id: number; marks: boolean; colour: boolean } | null = null;
  private overlay: { marks: boolean; colour: boolean } | null = null;
  private vA = 0;
  private vB = 0;
  private vC = 0;
  private readonly deadline: number;
  private readonly signal: AbortSignal | undefined;
  private readonly maxPages: number;
  private readonly maxBlock: number;

  constructor(deadline: number, signal: AbortSignal | undefined, maxPages: number, maxBufferBytes = MAX_BLOCK) {
    this.deadline = deadline;
    this.signal = signal;
    this.maxPages = maxPages;
    this.maxBlock = Math.min(MAX_BLOCK, maxBufferBytes);
    this.hpglScanner = new HpglScanner({
      palette: () => this.palette,
      setPalette: (p) => { this.palette = p; },
      mark: (colour) => this.mark(colour),
    });
  }

  /**
   * PCL XL PassThrough: run a snippet of PCL 5 on the XL page with this interpreter's state
   * kept between snippets, and return what it painted. Its page ejects are ignored (the
   * XL page is the page); a snippet cut inside a command ends early with a warning.
   */
  async snippet(reader: ByteReader): Promise<{ marks: boolean; colour: boolean }> {
    try {
      await this.run(reader, false);
    } catch (err) {
      if (!(err instanceof AnalysisError) || err.code !== 'ANALYSIS_TRUNCATED') throw err;
      this.warnings.add('PCL XL PassThrough: a PCL snippet ends inside a command');
    }
    const out = { marks: this.marks || this.pages.length > 0, colour: this.colour || this.pages.some((p) => p.colour) };
    this.marks = false;
    this.colour = false;
    this.pages.length = 0;
    return out;
  }

  /** Run until the end of the file or a UEL. */
  async run(reader: ByteReader, endOfJob = true): Promise<void> {
    const lexer = new Pcl5Lexer(reader);
    let steps = 0;
    let lastPos = -1;
    for (;;) {
      if ((++steps & 0xff) === 0) checkBudget(this.signal, this.deadline, reader.pos);
      const tok = await lexer.next();
      if (tok.kind === 'eof') break;
      if (reader.pos === lastPos && tok.kind !== 'cmd') throw new AnalysisError('ANALYSIS_STALLED', 'PCL: no progress', reader.pos);
      lastPos = reader.pos;
      if (tok.kind === 'text') {
        if (this.hpgl) this.hpgl.feed(tok.bytes);
        else this.text(tok.bytes);
        continue;
      }
      if (tok.kind === 'esc2') {
        if (tok.c === 'E') this.reset();
        continue;
      }
      if (tok.p === '%' && tok.t === 'X') {
        // UEL (ESC%-12345X): the end of this PCL job.
        this.sawUel = true;
        break;
      }
      await this.command(tok, reader);
    }
    if (endOfJob) this.endJob();
  }

  private text(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (b === 0x0c) this.eject(true);
      else if (b > 0x20 && b !== 0x7f) this.mark(this.foreground);
    }
  }

  private mark(colour: boolean): void {
    if (this.defining) {
      // Inside a macro definition nothing is printed yet: remember it for the macro.
      this.defining.marks = true;
      if (colour) this.defining.colour = true;
      return;
    }
    this.marks = true;
    if (colour) this.colour = true;
  }

  /** End the current page: always for FF, only when marked for the other ejecting commands. */
  private eject(always: boolean): void {
    if (this.defining) return;
    if (!always && !this.marks) return;
    if (this.overlay?.colour) this.colour = true;
    this.pages.push({ colour: this.colour, media: this.media, copies: this.copies, duplex: this.duplex });
    if (this.pages.length > this.maxPages) throw new AnalysisError('ANALYSIS_LIMIT', `more than ${this.maxPages} pages`, 0);
    this.marks = false;
    this.colour = false;
  }

  private endJob(): void {
    this.eject(false);
  }

  /** ESC E: print a marked page, then back to the power-on state (copies and media stay the job's). */
  private reset(): void {
    this.eject(false);
    this.palette = Palette.mono();
    this.paletteStack.length = 0;
    this.foreground = false;
    this.rasterOn = false;
    this.raster.compression = 0;
    this.raster.width = null;
    this.raster.encoding = { kind: 'index-plane', planes: 1 };
    this.hpgl = null;
    this.overlay = null;
    this.defining = null;
  }

  /** ESC&f#X: 0 start / 1 stop a definition, 2 execute, 3 call, 4/5 overlay on/off, 6-8 delete. */
  private macroControl(v: number): void {
    switch (v) {
      case 0:
        this.defining = { id: this.macroId, marks: false, colour: false };
        return;
      case 1:
        if (this.defining) this.macros.set(this.defining.id, { marks: this.defining.marks, colour: this.defining.colour });
        this.defining = null;
        return;
      case 2:
      case 3: {
        const m = this.macros.get(this.macroId);
        if (m?.marks) this.mark(m.colour);
        return;
      }
      case 4:
        this.overlay = this.macros.get(this.macroId) ?? null;
        return;
      case 5:
        this.overlay = null;
        return;
      case 6:
      case 7:
        this.macros.clear();
        return;
      case 8:
        this.macros.delete(this.macroId);
        return;
    }
  }

  private async command(c: Extract<Pcl5Token, { kind: 'cmd' }>, reader: ByteReader): Promise<void> {
    const key = c.p + c.g + c.t;
    if (c.data) {
      await this.data(key, c, reader);
      return;
    }
    const v = c.v;
    switch (key) {
      case '%B': // enter HP-GL/2
        this.hpgl = this.hpglScanner;
        this.hpgl.enter();
        return;
      case '&fY':
        this.macroId = Math.floor(v);
        return;
      case '&fX':
        this.macroControl(Math.floor(v));
        return;
      case '%A': // back to PCL
        this.hpgl = null;
        return;
      case '&lA': {
        const name = PAGE_SIZES[v] ?? null;
        this.eject(false);
        this.media = name;
        if (!name && v !== 101) this.warnings.add(`PCL: unknown page size code ${v}`);
        return;
      }
      case '&lH':
        // Paper source (0: eject the page): a blank page is not ejected (drivers send
        // FF then ESC&l0H to flush a duplex sheet).
        this.eject(false);
        return;
      case '&lO':
        this.eject(false);
        return;
      case '&lS':
        this.eject(false);
        this.duplex = v === 1 || v === 2;
        return;
      case '&aG':
        this.eject(false);
        return;
      case '&lX':
        if (v >= 1) this.copies = Math.min(Math.floor(v), 9999);
        return;
      case '*rU':
        this.palette = Palette.simple(v);
        this.raster.encoding = { kind: 'index-plane', planes: Math.max(1, Math.abs(Math.trunc(v))) };
        this.foreground = false;
        return;
      case '*vA': this.vA = v; return;
      case '*vB': this.vB = v; return;
      case '*vC': this.vC = v; return;
      case '*vI':
        this.palette = this.palette.clone();
        this.palette.set(v, this.vA, this.vB, this.vC);
        return;
      case '*vS':
        this.foreground = this.palette.isColour(v);
        return;
      case '*pP':
        if (v === 0 && this.paletteStack.length < 64) this.paletteStack.push(this.palette.clone());
        else if (v === 1) this.palette = this.paletteStack.pop() ?? this.palette;
        return;
      case '*rA':
        this.rasterOn = true;
        this.raster.resetSeeds();
        return;
      case '*rB':
      case '*rC':
        this.rasterOn = false;
        return;
      case '*rS':
        this.raster.width = v > 0 ? Math.floor(v) : null;
        return;
      case '*bM':
        this.raster.compression = Math.floor(v);
        return;
      case '*bY':
        this.raster.resetSeeds();
        return;
      case '*cP':
        // Rectangle fill: 1 is white (erase); the others paint in the foreground colour.
        if (v !== 1) this.mark(this.foreground);
        return;
    }
  }

  /** A command followed by `v` bytes of data. */
  private async data(key: string, c: Extract<Pcl5Token, { kind: 'cmd' }>, reader: ByteReader): Promise<void> {
    const n = Math.max(0, Math.floor(c.v));
    if (reader.pos + n > reader.size) {
      throw new AnalysisError('ANALYSIS_TRUNCATED', `PCL: ESC${c.p}${c.g}${c.v}${c.t} data runs past the end of the file`, c.at);
    }
    if (key === '&pX') {
      // Transparent print data: printed as characters.
      if (n > 0) await this.textData(reader, n);
      return;
    }
    if (key === '*vW') {
      await reader.need(Math.min(n, 18), 'configure image data');
      const cid = reader.bytes(Math.min(n, 18));
      reader.skip(n - cid.length);
      this.configureImageData(cid);
      return;
    }
    if (key === '*bW' || key === '*bV') {
      if (n > 0) this.mark(false);
      if (!this.rasterOn) this.rasterOn = true; // implicit start of raster graphics
      const look = !this.colour && this.rasterCanBeColour();
      if (!look || n > this.maxBlock) {
        if (look) {
          this.warnings.add('PCL: a raster row larger than the buffer limit was not checked; counted as colour');
          this.mark(true);
        }
        reader.skip(n);
        return;
      }
      await reader.need(n, 'raster data');
      const found = this.raster.plane(reader.bytes(n), key === '*bW');
      if (this.raster.unsupported !== null) {
        this.warnings.add(`PCL: raster compression method ${this.raster.unsupported} not decoded; its rows counted as colour`);
        this.raster.unsupported = null;
        this.mark(true);
      }
      if (found) this.mark(true);
      return;
    }
    reader.skip(n);
  }

  private async textData(reader: ByteReader, n: number): Promise<void> {
    let left = n;
    while (left > 0) {
      const k = Math.min(left, 64 * 1024);
      await reader.need(k, 'transparent data');
      const bytes = reader.bytes(k);
      for (let i = 0; i < bytes.length; i++) if (bytes[i]! > 0x20) this.mark(this.foreground);
      left -= k;
    }
  }

  private rasterCanBeColour(): boolean {
    const e = this.raster.encoding;
    if (e.kind === 'direct-pixel' || e.kind === 'direct-plane') return true;
    return this.palette.anyColour;
  }

  /** ESC*v#W: colour space, pixel encoding mode, bits per index, bits per primary. */
  private configureImageData(cid: Uint8Array): void {
    if (cid.length < 6) {
      this.warnings.add('PCL: short Configure Image Data block ignored');
      return;
    }
    const space = cid[0]!;
    const mode = cid[1]!;
    const bitsIndex = Math.max(1, Math.min(8, cid[2]!));
    const bitsPrimary = Math.max(1, Math.min(16, cid[3]!));
    if (space > 1) this.warnings.add(`PCL: colour space ${space} judged on its raw component values`);
    this.palette = Palette.sized(bitsIndex);
    this.palette.maxPrimary = (1 << Math.min(bitsPrimary, 16)) - 1;
    this.foreground = false;
    switch (mode) {
      case 0: this.raster.encoding = { kind: 'index-plane', planes: bitsIndex }; break;
      case 1: this.raster.encoding = { kind: 'index-pixel', bits: bitsIndex }; break;
      case 2: this.raster.encoding = { kind: 'direct-plane' }; break;
      default: this.raster.encoding = { kind: 'direct-pixel', bits: bitsPrimary };
    }
  }
}
