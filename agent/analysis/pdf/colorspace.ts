// Colour spaces reduced to one question: do these component values put non-neutral colour
// on paper? Every space converts to RGB (0..1) and the chroma rule decides: gray iff
// max(|R-G|, |G-B|, |R-B|) <= 8/255. CMYK uses the naive conversion R = 1 - min(1, C+K)
// (so pure K and C=M=Y are gray); Lab goes through XYZ (D50) to sRGB; ICCBased spaces use
// /Alternate or their /N; Indexed looks the index up in its palette; Separation and DeviceN
// run the tint transform (a separation named Black, Gray or All is neutral, None paints
// nothing); Pattern is handled by the content interpreter.

import { AnalysisError } from '../errors.ts';
import type { PdfDocument } from './document.ts';
import { loadFunction, type PdfFunction } from './functions.ts';
import { arrayOf, dictOf, nameOf, numbersOf, numOf, PdfDict, PdfName, PdfStream, PdfString, type PdfObj } from './objects.ts';

export const CHROMA_LIMIT = 8 / 255;

export function chromaOf(r: number, g: number, b: number): number {
  return Math.max(Math.abs(r - g), Math.abs(g - b), Math.abs(r - b));
}

export type Kind = 'gray' | 'rgb' | 'cmyk' | 'lab' | 'indexed' | 'separation' | 'devicen' | 'pattern';

export interface ColorSpace {
  readonly kind: Kind;
  /** Number of colour components (for Pattern: of the underlying space, 0 if none). */
  readonly n: number;
  /** True when no component values can give colour (gray spaces, Black separations). */
  readonly neutral: boolean;
  /** Initial colour when the space is selected with cs/CS. */
  readonly initial: number[];
  /** RGB in 0..1 for component values. */
  toRgb(c: ArrayLike<number>): [number, number, number];
  /** Indexed: the base space and palette; Pattern: the underlying space. */
  readonly base?: ColorSpace | undefined;
  readonly hival?: number;
  readonly lookup?: Uint8Array;
}

export function isColour(cs: ColorSpace, c: ArrayLike<number>): boolean {
  if (cs.neutral) return false;
  const [r, g, b] = cs.toRgb(c);
  return chromaOf(r, g, b) > CHROMA_LIMIT;
}

const c01 = (v: number | undefined): number => (v === undefined || !Number.isFinite(v) ? 0 : v < 0 ? 0 : v > 1 ? 1 : v);

/** isColour(RGB, c) without the intermediate array (rg/RG are the commonest colour operators). */
export function rgbIsColour(c: Float64Array): boolean {
  return chromaOf(c01(c[0]), c01(c[1]), c01(c[2])) > CHROMA_LIMIT;
}

/** isColour(CMYK, c) without the intermediate array. */
export function cmykIsColour(c: Float64Array): boolean {
  const k = c01(c[3]);
  return chromaOf(1 - Math.min(1, c01(c[0]) + k), 1 - Math.min(1, c01(c[1]) + k), 1 - Math.min(1, c01(c[2]) + k)) > CHROMA_LIMIT;
}

export const GRAY: ColorSpace = { kind: 'gray', n: 1, neutral: true, initial: [0], toRgb: (c) => { const v = c01(c[0]); return [v, v, v]; } };
export const RGB: ColorSpace = { kind: 'rgb', n: 3, neutral: false, initial: [0, 0, 0], toRgb: (c) => [c01(c[0]), c01(c[1]), c01(c[2])] };
export const CMYK: ColorSpace = {
  kind: 'cmyk', n: 4, neutral: false, initial: [0, 0, 0, 1],
  toRgb: (c) => {
    const k = c01(c[3]);
    return [1 - Math.min(1, c01(c[0]) + k), 1 - Math.min(1, c01(c[1]) + k), 1 - Math.min(1, c01(c[2]) + k)];
  },
};
export const PATTERN: ColorSpace = { kind: 'pattern', n: 0, neutral: false, initial: [], toRgb: () => [0, 0, 0] };

function lab(range: number[]): ColorSpace {
  const [amin, amax, bmin, bmax] = [range[0] ?? -100, range[1] ?? 100, range[2] ?? -100, range[3] ?? 100];
  return {
    kind: 'lab', n: 3, neutral: false, initial: [0, Math.max(amin, Math.min(0, amax)), Math.max(bmin, Math.min(0, bmax))],
    toRgb: (c) => labToRgb(c[0] ?? 0, Math.max(amin, Math.min(amax, c[1] ?? 0)), Math.max(bmin, Math.min(bmax, c[2] ?? 0))),
  };
}

/** CIE L*a*b* (D50) to sRGB 0..1 through XYZ with a Bradford D50->D65 adaptation. */
export function labToRgb(L: number, a: number, b: number): [number, number, number] {
  const fy = (L + 16) / 116, fx = fy + a / 500, fz = fy - b / 200;
  const inv = (t: number) => (t > 6 / 29 ? t * t * t : 3 * (6 / 29) * (6 / 29) * (t - 4 / 29));
  const X = 0.9642 * inv(fx), Y = inv(fy), Z = 0.8249 * inv(fz);
  // XYZ(D50) -> linear sRGB (D65), matrix including chromatic adaptation.
  const r = 3.1339 * X - 1.6169 * Y - 0.4906 * Z;
  const g = -0.9788 * X + 1.9161 * Y + 0.0335 * Z;
  const bl = 0.0719 * X - 0.2290 * Y + 1.4052 * Z;
  const gam = (v: number) => c01(v <= 0.0031308 ? 12.92 * v : 1.055 * Math.pow(v, 1 / 2.4) - 0.055);
  return [gam(r), gam(g), gam(bl)];
}

const NEUTRAL_COLORANTS = new Set(['Black', 'Gray', 'Grey', 'All', 'None']);

function tinted(kind: 'separation' | 'devicen', n: number, names: string[], alt: ColorSpace, fn: PdfFunction | undefined): ColorSpace {
  const neutral = alt.neutral || names.every((x) => NEUTRAL_COLORANTS.has(x));
  return {
    kind, n, neutral, initial: new Array<number>(n).fill(1),
    toRgb: (c) => {
      if (!fn) return [0, 0, 0];
      return alt.toRgb(fn.eval(Array.from({ length: n }, (_, i) => c01(c[i]))));
    },
  };
}

function byComponents(n: number): ColorSpace {
  return n === 1 ? GRAY : n === 4 ? CMYK : RGB;
}

/**
 * Resolve a colour space object: a device name, a resource name (looked up in the
 * resources' /ColorSpace), or an array such as [/ICCBased 5 0 R].
 */
export async function loadColorSpace(doc: PdfDocument, o: PdfObj | undefined, resources: PdfDict | undefined, depth = 0): Promise<ColorSpace> {
  if (depth > 8) throw new AnalysisError('ANALYSIS_MALFORMED', 'colour spaces nested too deeply', 0);
  const v = await doc.resolve(o);
  if (v instanceof PdfName) {
    switch (v.name) {
      case 'DeviceGray': case 'G': case 'CalGray': return GRAY;
      case 'DeviceRGB': case 'RGB': case 'CalRGB': return RGB;
      case 'DeviceCMYK': case 'CMYK': return CMYK;
      case 'Pattern': return PATTERN;
      case 'Indexed': case 'I': return RGB;
      default: {
        const table = dictOf(await doc.resolve(resources?.get('ColorSpace')));
        const named = table?.get(v.name);
        if (named === undefined) throw new AnalysisError('ANALYSIS_MALFORMED', `unknown colour space /${v.name}`, 0);
        return loadColorSpace(doc, named, undefined, depth + 1);
      }
    }
  }
  const arr = arrayOf(v);
  if (!arr || arr.length === 0) throw new AnalysisError('ANALYSIS_MALFORMED', 'bad colour space', 0);
  const family = nameOf(arr[0]);
  switch (family) {
    case 'DeviceGray': case 'CalGray': case 'G': return GRAY;
    case 'DeviceRGB': case 'CalRGB': case 'RGB': return RGB;
    case 'DeviceCMYK': case 'CMYK': return CMYK;
    case 'Lab': {
      const d = dictOf(await doc.resolve(arr[1]));
      return lab(numbersOf(await doc.resolve(d?.get('Range'))) ?? [-100, 100, -100, 100]);
    }
    case 'ICCBased': {
      const s = await doc.resolve(arr[1]);
      const d = s instanceof PdfStream ? s.dict : dictOf(s);
      const n = numOf(await doc.resolve(d?.get('N'))) ?? 3;
      const alt = d?.get('Alternate');
      if (alt !== undefined) {
        try {
          const a = await loadColorSpace(doc, alt, resources, depth + 1);
          if (a.n === n && a.kind !== 'pattern') return a;
        } catch (e) {
          if (!(e instanceof AnalysisError)) throw e;
        }
      }
      return byComponents(n);
    }
    case 'Indexed': case 'I': {
      const base = await loadColorSpace(doc, arr[1], resources, depth + 1);
      const hival = Math.max(0, Math.min(255, Math.floor(numOf(await doc.resolve(arr[2])) ?? 0)));
      const lk = await doc.resolve(arr[3]);
      let lookup: Uint8Array;
      if (lk instanceof PdfString) lookup = lk.bytes;
      else if (lk instanceof PdfStream) lookup = (await doc.streamData(lk, 1 << 20)).data;
      else throw new AnalysisError('ANALYSIS_MALFORMED', 'Indexed colour space without a lookup table', 0);
      const bn = base.n;
      return {
        kind: 'indexed', n: 1, neutral: base.neutral, initial: [0], base, hival, lookup,
        toRgb: (c) => {
          const i = Math.max(0, Math.min(hival, Math.round(c[0] ?? 0)));
          const comps: number[] = [];
          for (let k = 0; k < bn; k++) comps.push((lookup[i * bn + k] ?? 0) / 255);
          // Lab bases take their ranges, not 0..1; scale L and a/b roughly.
          if (base.kind === 'lab') { comps[0] = comps[0]! * 100; comps[1] = comps[1]! * 255 - 128; comps[2] = comps[2]! * 255 - 128; }
          return base.toRgb(comps);
        },
      };
    }
    case 'Separation': {
      const name = nameOf(arr[1]) ?? '';
      if (name === 'All' || name === 'None') return tinted('separation', 1, [name], GRAY, undefined);
      const alt = await loadColorSpace(doc, arr[2], resources, depth + 1);
      if (NEUTRAL_COLORANTS.has(name) || alt.neutral) return tinted('separation', 1, [name], alt, undefined);
      const fn = await loadFunction(doc, arr[3]);
      return tinted('separation', 1, [name], alt, fn);
    }
    case 'DeviceN': {
      const names = (arrayOf(await doc.resolve(arr[1])) ?? []).map((x) => nameOf(x) ?? '');
      const alt = await loadColorSpace(doc, arr[2], resources, depth + 1);
      const n = Math.max(1, Math.min(32, names.length));
      if (names.every((x) => NEUTRAL_COLORANTS.has(x)) || alt.neutral) return tinted('devicen', n, names, alt, undefined);
      const fn = await loadFunction(doc, arr[3]);
      return tinted('devicen', n, names, alt, fn);
    }
    case 'Pattern': {
      if (arr.length < 2) return PATTERN;
      const under = await loadColorSpace(doc, arr[1], resources, depth + 1);
      return { ...PATTERN, base: under, n: under.n };
    }
    default:
      throw new AnalysisError('ANALYSIS_MALFORMED', `unknown colour space family /${family ?? '?'}`, 0);
  }
}
