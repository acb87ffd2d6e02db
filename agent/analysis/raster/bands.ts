// Colour checks for banded and planar raster lines: the line holds one band per colour
// (CCC MMM YYY KKK), so a pixel's channels sit in different places. Planar pages are brought
// to the same shape (one line of every plane side by side) before the check.
// 1-bit bands (dithered drivers) are judged eight pixels at a time with bit operations.

import { pixelIsColour, type ColourModel } from '../colour.ts';

export type LineCheck = (line: Uint8Array) => boolean;

export function bandCheck(model: ColourModel, bits: number, channels: number, width: number, bandBytes: number, littleEndian16: boolean): LineCheck | null {
  if (model.kind === 'gray') return null;
  if (bits === 1 && (model.kind === 'rgb' || model.kind === 'cmyk' || model.kind === 'ink')) {
    const full = width >> 3;
    const tailMask = (0xff << (8 - (width & 7))) & 0xff;
    return (line) => {
      for (let i = 0; i <= full && i < bandBytes; i++) {
        let m: number;
        if (model.kind === 'ink') m = line[i]!;
        else {
          const a = line[model.ch[0] * bandBytes + i]!, b = line[model.ch[1] * bandBytes + i]!, c = line[model.ch[2] * bandBytes + i]!;
          m = (a ^ b) | (b ^ c);
          if (model.kind === 'cmyk') m &= ~line[model.k * bandBytes + i]!;
        }
        if (i === full) m &= tailMask;
        if (m & 0xff) return true;
      }
      return false;
    };
  }
  const max = bits === 16 ? 65535 : (1 << bits) - 1;
  const v = new Array<number>(channels).fill(0);
  const sample = (line: Uint8Array, c: number, x: number): number => {
    const base = c * bandBytes;
    if (bits === 8) return line[base + x]!;
    if (bits === 16) {
      const p = base + 2 * x;
      return littleEndian16 ? line[p]! | (line[p + 1]! << 8) : (line[p]! << 8) | line[p + 1]!;
    }
    const bit = x * bits;
    return (line[base + (bit >> 3)]! >> (8 - bits - (bit & 7))) & max;
  };
  return (line) => {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) v[c] = bits === 8 ? sample(line, c, x) : Math.round((sample(line, c, x) * 255) / max);
      if (pixelIsColour(model, v)) return true;
    }
    return false;
  };
}
