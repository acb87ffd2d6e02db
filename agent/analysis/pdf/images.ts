// Image colour: an image is colour iff one of its pixels is. Gray colour spaces (and
// Black separations) decide without reading the data; an Indexed image whose palette has
// no colour entry too. Otherwise the samples are decoded (Flate, LZW, ... with /Decode
// applied) and scanned until the first colour pixel. JPEG (DCTDecode) data is not fully
// decoded: one component is gray, and for three or four the DC coefficients (the 8x8
// block averages) are read, see jpeg.ts. JPEG 2000 is judged by its component count.
// /SMask is ignored: a soft mask shapes, it does not colour.

import { AnalysisError } from '../errors.ts';
import { chromaOf, CHROMA_LIMIT, isColour, loadColorSpace, type ColorSpace } from './colorspace.ts';
import type { PdfDocument } from './document.ts';
import type { Decoded } from './filters.ts';
import { jpegIsColour } from './jpeg.ts';
import { indexOf } from './lexer.ts';
import { numbersOf, numOf, type PdfDict } from './objects.ts';

export async function imageIsColour(
  doc: PdfDocument, dict: PdfDict, getData: () => Promise<Decoded>, res: PdfDict | undefined, offset: number, inline = false,
): Promise<boolean> {
  const csObj = dict.get('ColorSpace');
  let cs: ColorSpace | undefined;
  if (csObj !== undefined && csObj !== null) {
    try {
      // Inline images name their colour space in the resources, like `cs` does.
      cs = await loadColorSpace(doc, csObj, res);
    } catch (e) {
      if (!(e instanceof AnalysisError) || e.code !== 'ANALYSIS_MALFORMED') throw e;
      doc.warn('image with an unusable colour space; treated as colour');
      return true;
    }
    if (cs.neutral) return false;
    if (cs.kind === 'indexed' && !paletteHasColour(cs)) return false;
  }
  void inline;
  const decoded = await getData();
  const w = Math.max(0, Math.floor(numOf(await doc.resolve(dict.get('Width'))) ?? 0));
  const h = Math.max(0, Math.floor(numOf(await doc.resolve(dict.get('Height'))) ?? 0));
  if (decoded.codec === 'DCTDecode' || decoded.codec === 'DCT') {
    const verdict = jpegIsColour(decoded.data, offset);
    if (verdict === 'gray') return false;
    if (verdict === 'colour') return true;
    doc.warn('a JPEG image could not be read; treated as colour');
    return true;
  }
  if (decoded.codec === 'JPXDecode') {
    const nc = jpxComponents(decoded.data);
    if (nc !== undefined && nc < 3 && !cs) return false;
    if (cs && cs.kind === 'indexed') return true; // palette has colour (checked above)
    doc.warn('a JPEG 2000 image was not decoded; treated as colour');
    return true;
  }
  if (!cs) return false; // no colour space and not JPX: a mask or junk
  if (decoded.codec) {
    // CCITT / JBIG2 are 1-bit: colour only through an Indexed palette (checked above) or
    // a 1-component colour space such as a Separation.
    if (cs.n === 1) return isColour(cs, [0]) || isColour(cs, [1]);
    doc.warn(`image filter /${decoded.codec} not decoded; treated as colour`);
    return true;
  }
  const bpc = numOf(await doc.resolve(dict.get('BitsPerComponent'))) ?? 8;
  if (![1, 2, 4, 8, 16].includes(bpc)) throw new AnalysisError('ANALYSIS_MALFORMED', `image with ${bpc} bits per component`, offset);
  const decode = numbersOf(await doc.resolve(dict.get('Decode')));
  return scanPixels(doc, decoded.data, w, h, bpc, cs, decode, offset);
}

function paletteHasColour(cs: ColorSpace): boolean {
  for (let i = 0; i <= (cs.hival ?? 0); i++) if (isColour(cs, [i])) return true;
  return false;
}

/** Scan decoded samples for the first colour pixel. */
export function scanPixels(
  doc: PdfDocument | undefined, data: Uint8Array, w: number, h: number, bpc: number, cs: ColorSpace, decode: number[] | undefined, offset: number,
): boolean {
  const n = cs.n;
  const rowBytes = Math.ceil((w * n * bpc) / 8);
  const rows = Math.min(h, rowBytes > 0 ? Math.floor(data.length / rowBytes) : 0);
  const limit = (CHROMA_LIMIT * 255) + 1e-9;
  // Fast paths: 8-bit RGB / CMYK without /Decode.
  if (bpc === 8 && !decode && (cs.kind === 'rgb' || cs.kind === 'cmyk')) {
    for (let r = 0; r < rows; r++) {
      if ((r & 63) === 0) doc?.budget(offset);
      let p = r * rowBytes;
      for (let x = 0; x < w; x++, p += n) {
        let R: number, G: number, B: number;
        if (n === 3) { R = data[p]!; G = data[p + 1]!; B = data[p + 2]!; }
        else {
          const k = data[p + 3]!;
          R = 255 - Math.min(255, data[p]! + k); G = 255 - Math.min(255, data[p + 1]! + k); B = 255 - Math.min(255, data[p + 2]! + k);
        }
        if (chromaOf(R, G, B) > limit) return true;
      }
    }
    return false;
  }
  // General path: unpack samples, apply /Decode, convert; memoise per sample tuple.
  const max = Math.pow(2, bpc) - 1;
  const dmin: number[] = [];
  const dmax: number[] = [];
  for (let k = 0; k < n; k++) {
    const def = cs.kind === 'indexed' ? [0, max] : cs.kind === 'lab' ? [[0, 100], [-100, 100], [-100, 100]][k]! : [0, 1];
    dmin.push(decode?.[2 * k] ?? def[0]!);
    dmax.push(decode?.[2 * k + 1] ?? def[1]!);
  }
  const memo = new Map<number, boolean>();
  const comps = new Array<number>(n).fill(0);
  for (let r = 0; r < rows; r++) {
    if ((r & 63) === 0) doc?.budget(offset);
    let bit = r * rowBytes * 8;
    for (let x = 0; x < w; x++) {
      let key = 0;
      for (let k = 0; k < n; k++) {
        let v: number;
        if (bpc === 8) v = data[bit >> 3]!;
        else if (bpc === 16) v = (data[bit >> 3]! << 8) | data[(bit >> 3) + 1]!;
        else v = (data[bit >> 3]! >> (8 - bpc - (bit & 7))) & max;
        bit += bpc;
        key = key * (max + 1) + v;
        comps[k] = dmin[k]! + (v * (dmax[k]! - dmin[k]!)) / max;
      }
      let c = memo.get(key);
      if (c === undefined) {
        c = isColour(cs, comps);
        if (memo.size < 65536) memo.set(key, c);
      }
      if (c) return true;
    }
  }
  return false;
}

/** Number of components from a JP2 'ihdr' box or a raw codestream SIZ marker. */
function jpxComponents(d: Uint8Array): number | undefined {
  const ihdr = indexOf(d, 'ihdr', 0, Math.min(d.length, 4096));
  if (ihdr >= 0 && ihdr + 14 <= d.length) return (d[ihdr + 12]! << 8) | d[ihdr + 13]!;
  if (d[0] === 0xff && d[1] === 0x4f && d[2] === 0xff && d[3] === 0x51 && d.length > 42) return (d[40]! << 8) | d[41]!;
  return undefined;
}
