// The PCL 5c colour palette as the analysis needs it: per palette index, whether that
// entry is non-neutral (chroma rule), plus the palette's primaries for entries set by
// ESC*v#A/B/C + ESC*v#I. Simple colour (ESC*r#U), Configure Image Data (ESC*v#W) and
// HP-GL/2 (IN, NP, PC) all create or change the one palette, as on a PCL 5c printer.

import { isColourRgb } from '../pclxl/raster.ts';

/** 0 and 7 neutral (white, black), 1-6 the primaries and secondaries: RGB and CMY alike. */
const EIGHT = [false, true, true, true, true, true, true, false];

export class Palette {
  /** Per index: non-neutral? */
  flags: boolean[];
  /** Largest primary value (white reference) for ESC*v#A/B/C values. */
  maxPrimary = 255;

  private constructor(flags: boolean[]) {
    this.flags = flags;
  }

  /** The power-on palette: two entries, white and black. */
  static mono(): Palette {
    return new Palette([false, false]);
  }

  /** ESC*r#U: 1 (K), 3 (RGB), -3 (CMY), -4 (KCMY). */
  static simple(mode: number): Palette {
    if (mode === 3 || mode === -3) return new Palette(EIGHT.slice());
    if (mode === -4) {
      // Index bits: K (bit 0), C, M, Y: colour when C, M, Y are not all equal.
      const flags: boolean[] = [];
      for (let i = 0; i < 16; i++) {
        const c = (i >> 1) & 1, m = (i >> 2) & 1, y = (i >> 3) & 1;
        flags.push(!(c === m && m === y));
      }
      return new Palette(flags);
    }
    return Palette.mono();
  }

  /** A palette of 2^bits entries with PCL's defaults (the eight basic colours, then black). */
  static sized(bits: number): Palette {
    const n = 1 << Math.max(1, Math.min(8, bits));
    if (n === 2) return new Palette([false, false]);
    const flags = new Array<boolean>(n).fill(false);
    for (let i = 0; i < Math.min(8, n); i++) flags[i] = EIGHT[i]!;
    return new Palette(flags);
  }

  /** HP-GL/2's default pens for a palette of n entries: 0 white, 1 black, 2-7 colours. */
  static hpgl(n: number): Palette {
    const size = Math.max(2, Math.min(256, n));
    const flags = new Array<boolean>(size).fill(false);
    for (let i = 2; i < Math.min(8, size); i++) flags[i] = true;
    return new Palette(flags);
  }

  get size(): number {
    return this.flags.length;
  }

  isColour(index: number): boolean {
    if (!Number.isFinite(index) || index < 0) return false;
    return this.flags[Math.floor(index) % this.flags.length] ?? false;
  }

  /** Set entry `index` (modulo the size) from three primaries in 0..maxPrimary. */
  set(index: number, a: number, b: number, c: number): void {
    if (!Number.isFinite(index) || index < 0) return;
    const s = 255 / (this.maxPrimary || 255);
    this.flags[Math.floor(index) % this.flags.length] = isColourRgb(a * s, b * s, c * s);
  }

  clone(): Palette {
    const p = new Palette(this.flags.slice());
    p.maxPrimary = this.maxPrimary;
    return p;
  }

  get anyColour(): boolean {
    return this.flags.some(Boolean);
  }
}
