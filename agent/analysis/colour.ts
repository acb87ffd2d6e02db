// The colour rule for pixels, shared by the raster and image parsers.
//
// A pixel is gray when its chroma max(|R-G|, |G-B|, |R-B|) = max(R,G,B) - min(R,G,B) is at
// most GRAY_CHROMA (8 of 255). Other colour models are brought to that rule naively:
//   CMY:   the same differences as RGB (R = 255 - C ...), so the rule applies to C, M, Y as is;
//   CMYK:  R = 255 - min(255, C + K) ..., i.e. the rule on min(255, C+K), min(255, M+K), ...;
//   Lab:   gray when |a| and |b| are both at most GRAY_CHROMA (a, b in 8-bit units);
//   16-bit samples are judged on their high byte.
// Checks work on runs of packed "units" (one pixel for 8/16-bit data) and answer whether
// ANY unit in the run is colour, so a caller can stop at the first colour pixel.

export const GRAY_CHROMA = 8;

/** True when any of the `n` units starting at byte `off` is colour. */
export type UnitCheck = (buf: Uint8Array, off: number, n: number) => boolean;

/** The chroma rule on three 0..255 values. */
export function isColourRgb(r: number, g: number, b: number): boolean {
  const mx = r > g ? (r > b ? r : b) : g > b ? g : b;
  const mn = r < g ? (r < b ? r : b) : g < b ? g : b;
  return mx - mn > GRAY_CHROMA;
}

/**
 * A check for units of `stride` bytes whose channel bytes are at o0, o1, o2 (RGB or CMY
 * order does not matter for the rule), with an optional black at oK (-1: none).
 */
export function rgbLikeCheck(stride: number, o0: number, o1: number, o2: number, oK = -1): UnitCheck {
  if (oK < 0 && stride === 3 && o0 === 0 && o1 === 1 && o2 === 2) return rgb8Check;
  if (oK < 0) {
    return (buf, off, n) => {
      const end = off + n * stride;
      for (let p = off; p < end; p += stride) {
        const a = buf[p + o0]!, b = buf[p + o1]!, c = buf[p + o2]!;
        if (((a ^ b) | (b ^ c)) === 0) continue; // exact gray, the common case
        const mx = a > b ? (a > c ? a : c) : b > c ? b : c;
        const mn = a < b ? (a < c ? a : c) : b < c ? b : c;
        if (mx - mn > GRAY_CHROMA) return true;
      }
      return false;
    };
  }
  return (buf, off, n) => {
    const end = off + n * stride;
    for (let p = off; p < end; p += stride) {
      const k = buf[p + oK]!;
      if (k >= 255) continue; // full black covers everything
      let a = buf[p + o0]! + k, b = buf[p + o1]! + k, c = buf[p + o2]! + k;
      if (a > 255) a = 255;
      if (b > 255) b = 255;
      if (c > 255) c = 255;
      const mx = a > b ? (a > c ? a : c) : b > c ? b : c;
      const mn = a < b ? (a < c ? a : c) : b < c ? b : c;
      if (mx - mn > GRAY_CHROMA) return true;
    }
    return false;
  };
}

/** Packed 8-bit RGB, the most common raster layout: a dedicated loop the JIT keeps tight. */
function rgb8Check(buf: Uint8Array, off: number, n: number): boolean {
  const end = off + n * 3;
  for (let p = off; p < end; p += 3) {
    const r = buf[p]!, g = buf[p + 1]!, b = buf[p + 2]!;
    if (((r ^ g) | (g ^ b)) === 0) continue;
    const mx = r > g ? (r > b ? r : b) : g > b ? g : b;
    const mn = r < g ? (r < b ? r : b) : g < b ? g : b;
    if (mx - mn > GRAY_CHROMA) return true;
  }
  return false;
}

/** Lab with a and b stored offset by 128 (CUPS, URF 8-bit Lab): gray when both are near 128. */
export function labCheck(stride: number, oa: number, ob: number): UnitCheck {
  return (buf, off, n) => {
    const end = off + n * stride;
    for (let p = off; p < end; p += stride) {
      const a = buf[p + oa]! - 128, b = buf[p + ob]! - 128;
      if (a > GRAY_CHROMA || a < -GRAY_CHROMA || b > GRAY_CHROMA || b < -GRAY_CHROMA) return true;
    }
    return false;
  };
}

/** How the channels of a colour model map onto the rule. */
export type ColourModel =
  | { kind: 'gray' }
  | { kind: 'rgb'; ch: readonly [number, number, number] } // RGB or CMY channel indices
  | { kind: 'cmyk'; ch: readonly [number, number, number]; k: number }
  | { kind: 'lab'; a: number; b: number }
  | { kind: 'xyz' }
  | { kind: 'ink' }; // a single coloured ink (gold): any ink is colour

/** Judge one pixel given as channel values scaled to 0..255. */
export function pixelIsColour(model: ColourModel, v: ArrayLike<number>): boolean {
  switch (model.kind) {
    case 'gray': return false;
    case 'rgb': return isColourRgb(v[model.ch[0]]!, v[model.ch[1]]!, v[model.ch[2]]!);
    case 'cmyk': {
      const k = v[model.k]!;
      return isColourRgb(Math.min(255, v[model.ch[0]]! + k), Math.min(255, v[model.ch[1]]! + k), Math.min(255, v[model.ch[2]]! + k));
    }
    case 'lab': {
      const a = v[model.a]! - 128, b = v[model.b]! - 128;
      return Math.abs(a) > GRAY_CHROMA || Math.abs(b) > GRAY_CHROMA;
    }
    case 'xyz': {
      // Neutral colours have X:Y:Z in the D65 white's proportions (0.9505 : 1 : 1.089).
      const x = v[0]! / 0.9505, y = v[1]!, z = v[2]! / 1.089;
      return Math.max(x, y, z) - Math.min(x, y, z) > GRAY_CHROMA;
    }
    case 'ink': return v[0]! > 0;
  }
}

/**
 * A check for packed samples of any depth (1, 2, 4, 8, 16 bits), `channels` per pixel,
 * `pixelBits` per pixel (at least channels*bits; the channels sit in the low bits, MSB
 * first), in units of `unitBytes`. Slower than rgbLikeCheck; used for the rarer layouts.
 */
export function packedCheck(model: ColourModel, bits: number, channels: number, pixelBits: number, unitBytes: number, littleEndian16: boolean): UnitCheck {
  if (model.kind === 'gray') return () => false;
  const pixelsPerUnit = Math.max(1, Math.floor((unitBytes * 8) / pixelBits));
  const max = bits === 16 ? 65535 : (1 << bits) - 1;
  const v = new Array<number>(channels).fill(0);
  const readBits = (buf: Uint8Array, bitPos: number, count: number): number => {
    let out = 0;
    for (let i = 0; i < count; i++) {
      const p = bitPos + i;
      out = out * 2 + ((buf[p >> 3]! >> (7 - (p & 7))) & 1);
    }
    return out;
  };
  return (buf, off, n) => {
    for (let u = 0; u < n; u++) {
      const base = off + u * unitBytes;
      for (let px = 0; px < pixelsPerUnit; px++) {
        for (let c = 0; c < channels; c++) {
          let raw: number;
          if (bits === 16) {
            const p = base + px * (pixelBits >> 3) + c * 2;
            raw = littleEndian16 ? buf[p]! | (buf[p + 1]! << 8) : (buf[p]! << 8) | buf[p + 1]!;
          } else if (bits === 8) {
            raw = buf[base + px * (pixelBits >> 3) + c]!;
          } else {
            const bitPos = base * 8 + px * pixelBits + (pixelBits - channels * bits) + c * bits;
            raw = readBits(buf, bitPos, bits);
          }
          v[c] = Math.round((raw * 255) / max);
        }
        if (pixelIsColour(model, v)) return true;
      }
    }
    return false;
  };
}

/** The fastest check for a model and layout: byte-aligned 8/16-bit data gets rgbLikeCheck. */
export function unitCheckFor(model: ColourModel, bits: number, channels: number, pixelBits: number, unitBytes: number, littleEndian16: boolean): UnitCheck | null {
  if (model.kind === 'gray') return null;
  if ((bits === 8 || bits === 16) && pixelBits === channels * bits && unitBytes * 8 === pixelBits) {
    const w = bits / 8;
    const hi = (c: number) => c * w + (bits === 16 && littleEndian16 ? 1 : 0);
    if (model.kind === 'rgb') return rgbLikeCheck(unitBytes, hi(model.ch[0]), hi(model.ch[1]), hi(model.ch[2]));
    if (model.kind === 'cmyk') return rgbLikeCheck(unitBytes, hi(model.ch[0]), hi(model.ch[1]), hi(model.ch[2]), hi(model.k));
    if (model.kind === 'lab') return labCheck(unitBytes, hi(model.a), hi(model.b));
  }
  return packedCheck(model, bits, channels, pixelBits, unitBytes, littleEndian16);
}
