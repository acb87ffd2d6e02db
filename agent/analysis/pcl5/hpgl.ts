// HP-GL/2 inside PCL 5 (between ESC%#B and ESC%#A): a streaming scanner of two-letter
// mnemonics and their parameters that tracks the selected pen and the palette (IN, NP,
// PC, SP) and reports whether something was drawn, and whether it was drawn with a pen
// whose colour is non-neutral. Drawing is judged per instruction, not per pixel: a
// colour pen that draws anything (PD with points, PE, CI, wedges, rectangles, fills,
// labels, arcs, Béziers) makes the page colour; clipping and white-on-white are ignored.

import { Palette } from './palette.ts';

/** Instructions that put marks on the page when the pen is down or always. */
const ALWAYS_DRAWS = new Set(['CI', 'EA', 'ER', 'EP', 'EW', 'FP', 'RA', 'RR', 'WG', 'LB', 'PE']);
const DRAWS_WHEN_DOWN = new Set(['PA', 'PR', 'AA', 'AR', 'AT', 'RT', 'BZ', 'BR']);
/** Upper bound on one instruction's parameter text (labels can be long; the rest is skipped). */
const MAX_PARAMS = 4096;

export interface HpglHost {
  palette(): Palette;
  setPalette(p: Palette): void;
  mark(colour: boolean): void;
}

export class HpglScanner {
  private name = '';
  private params = '';
  private inParams = false;
  private pen = 1;
  private penDown = false;
  private labelTerm = 0x03;
  private readonly host: HpglHost;

  constructor(host: HpglHost) {
    this.host = host;
  }

  /** Entering HP-GL/2 again keeps pen and palette; a fresh instruction starts. */
  enter(): void {
    this.name = '';
    this.params = '';
    this.inParams = false;
  }

  /** Feed bytes (never containing ESC: the PCL lexer stops there). */
  feed(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (this.inParams) {
        if (this.name === 'LB') {
          if (b === this.labelTerm) this.finish();
          else if (this.params.length < MAX_PARAMS) this.params += String.fromCharCode(b);
          continue;
        }
        const letter = (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
        if (b === 0x3b /* ; */ || (letter && this.name !== 'PE' && this.name !== 'DT' && this.name !== 'SM')) {
          this.finish();
          if (b === 0x3b) continue;
        } else {
          if (this.params.length < MAX_PARAMS) this.params += String.fromCharCode(b);
          continue;
        }
      }
      const letter = (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
      if (!letter) continue; // separators, white space, stray bytes
      this.name += String.fromCharCode(b & 0xdf);
      if (this.name.length === 2) {
        this.inParams = true;
        this.params = '';
      }
    }
  }

  private finish(): void {
    const name = this.name;
    const raw = this.params;
    this.name = '';
    this.params = '';
    this.inParams = false;
    const nums = raw.split(/[\s,]+/).filter((s) => s !== '').map(Number).filter(Number.isFinite);
    const host = this.host;
    switch (name) {
      case 'IN':
        host.setPalette(Palette.hpgl(Math.max(8, host.palette().size)));
        this.pen = 1;
        this.penDown = false;
        this.labelTerm = 0x03;
        return;
      case 'NP':
        host.setPalette(Palette.hpgl(nums[0] ?? 8));
        return;
      case 'PC': {
        const pal = host.palette().clone();
        const n = nums[0];
        if (n === undefined) {
          host.setPalette(Palette.hpgl(pal.size));
        } else if (nums.length >= 4) {
          pal.maxPrimary = 255;
          pal.set(n, nums[1]!, nums[2]!, nums[3]!);
          host.setPalette(pal);
        } else {
          pal.flags[Math.floor(n) % pal.size] = Palette.hpgl(8).isColour(n % 8);
          host.setPalette(pal);
        }
        return;
      }
      case 'SP':
        this.pen = nums[0] ?? 0;
        return;
      case 'DT':
        this.labelTerm = raw.length > 0 ? raw.charCodeAt(0) : 0x03;
        return;
      case 'PU':
        this.penDown = false;
        return;
      case 'PD':
        this.penDown = true;
        if (nums.length >= 2) this.draw();
        return;
    }
    if (ALWAYS_DRAWS.has(name) || (DRAWS_WHEN_DOWN.has(name) && this.penDown && nums.length > 0)) {
      if (name === 'LB' && raw.trim() === '') return;
      this.draw();
    }
  }

  private draw(): void {
    // Pen 0 is white (no toner); other pens take their palette entry.
    if (this.pen <= 0) return;
    this.host.mark(this.host.palette().isColour(this.pen));
  }
}
