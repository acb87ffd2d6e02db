// Streaming reader of Ghostscript's ppmraw output (a sequence of binary P6 images, one
// per page): fed chunks of any size, it reports each page's size in pixels and whether
// any pixel is non-neutral by the chroma rule, holding at most one header and two bytes
// of a split pixel, never a page. Pure.

import { isColourRgb } from '../pclxl/raster.ts';
import { AnalysisError } from '../errors.ts';

export interface RenderedPage {
  width: number;
  height: number;
  colour: boolean;
}

const MAX_HEADER = 256;
const MAX_PIXELS = 1 << 28;

export class PpmPages {
  readonly pages: RenderedPage[] = [];
  private header = '';
  private remaining = 0; // pixel bytes left in the current page
  private current: RenderedPage | null = null;
  private carry = new Uint8Array(3);
  private carried = 0;
  private consumed = 0;

  /** Feed the next chunk of the stream. */
  push(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.current) {
        const n = Math.min(this.remaining, chunk.length - i);
        this.pixels(chunk, i, n);
        i += n;
        this.remaining -= n;
        if (this.remaining === 0) {
          this.pages.push(this.current);
          this.current = null;
          this.header = '';
        }
        continue;
      }
      // Header: "P6" whitespace width whitespace height whitespace maxval, one whitespace byte.
      this.header += String.fromCharCode(chunk[i]!);
      i++;
      if (this.header.length > MAX_HEADER) throw new AnalysisError('ANALYSIS_FAILED', 'Ghostscript output: bad image header', this.consumed + i);
      const m = /^\s*P6\s+(?:#[^\n]*\n\s*)*(\d+)\s+(\d+)\s+(\d+)\s$/.exec(this.header);
      if (m) {
        const w = Number(m[1]);
        const h = Number(m[2]);
        if (Number(m[3]) !== 255 || w * h > MAX_PIXELS) throw new AnalysisError('ANALYSIS_FAILED', 'Ghostscript output: unexpected image format', this.consumed + i);
        this.current = { width: w, height: h, colour: false };
        this.remaining = w * h * 3;
        this.carried = 0;
        if (this.remaining === 0) {
          this.pages.push(this.current);
          this.current = null;
          this.header = '';
        }
      } else if (this.header.trimStart().length >= 2 && !this.header.trimStart().startsWith('P6')) {
        throw new AnalysisError('ANALYSIS_FAILED', 'Ghostscript output is not a PPM stream', this.consumed + i);
      }
    }
    this.consumed += chunk.length;
  }

  /** Whether the stream ended between pages. */
  get complete(): boolean {
    return this.current === null && this.header.trim() === '';
  }

  private pixels(chunk: Uint8Array, start: number, n: number): void {
    const page = this.current!;
    let i = start;
    const end = start + n;
    // Finish a pixel split across chunks.
    while (this.carried > 0 && i < end) {
      this.carry[this.carried++] = chunk[i++]!;
      if (this.carried === 3) {
        if (isColourRgb(this.carry[0]!, this.carry[1]!, this.carry[2]!)) page.colour = true;
        this.carried = 0;
      }
    }
    if (page.colour) return;
    const whole = end - ((end - i) % 3);
    for (; i < whole; i += 3) {
      const r = chunk[i]!, g = chunk[i + 1]!, b = chunk[i + 2]!;
      if (r !== g || g !== b) {
        if (isColourRgb(r, g, b)) {
          page.colour = true;
          return;
        }
      }
    }
    for (; i < end; i++) this.carry[this.carried++] = chunk[i]!;
  }
}
