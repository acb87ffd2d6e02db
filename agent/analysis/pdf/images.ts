// Image colour: an image is colour iff one of its pixels is. Gray colour spaces (and
// Black separations) decide without reading the data; an Indexed image whose palette has
// no colour entry too. Otherwise the samples are decoded (Flate, LZW, ... with /Decode
// applied) and scanned until the first colour pixel; large Flate images are read from
// the file and inflated as a stream, and dropped at the first colour row, so a large
// photo costs little time and its size does not show in memory. JPEG (DCTDecode) data is
// not fully decoded: one component is gray, and for three or four the DC coefficients
// (the 8x8 block averages) are read, see jpeg.ts. JPEG 2000 is judged by its component
// count.
// /SMask is ignored: a soft mask shapes, it does not colour.

import { AnalysisError } from '../errors.ts';
import { isColour, loadColorSpace, type ColorSpace } from './colorspace.ts';
import type { PdfDocument } from './document.ts';
import { decodeFilters, filterChain } from './filters.ts';
import { jpegIsColour } from './jpeg.ts';
import { indexOf } from './lexer.ts';
import { numbersOf, numOf, type PdfDict } from './objects.ts';
import { inflateChunks, PixelScanner, RowAssembler, type ChunkReader } from './pixels.ts';

/** Decoded sizes above this are inflated as a stream. */
const STREAM_ABOVE = 1 << 20;

export async function imageIsColour(
  doc: PdfDocument, dict: PdfDict, getRaw: () => Promise<Uint8Array>, res: PdfDict | undefined, offset: number,
  getChunks?: () => Promise<ChunkReader | undefined>,
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
  const w = Math.max(0, Math.floor(numOf(await doc.resolve(dict.get('Width'))) ?? 0));
  const h = Math.max(0, Math.floor(numOf(await doc.resolve(dict.get('Height'))) ?? 0));
  const bpc = numOf(await doc.resolve(dict.get('BitsPerComponent'))) ?? 8;
  const decode = numbersOf(await doc.resolve(dict.get('Decode')));
  const chain = filterChain(dict);
  // The common case, a Flate image: a large one is inflated as a stream and dropped at the
  // first colour row; small ones (most of them) are cheaper to inflate in one call.
  const isFlate = chain.length === 1 && (chain[0]!.name === 'FlateDecode' || chain[0]!.name === 'Fl');
  const decodedSize = Math.ceil((w * (cs?.n ?? 1) * bpc) / 8) * h;
  if (cs && isFlate && decodedSize > STREAM_ABOVE) {
    if (![1, 2, 4, 8, 16].includes(bpc)) throw new AnalysisError('ANALYSIS_MALFORMED', `image with ${bpc} bits per component`, offset);
    const scanner = new PixelScanner(w, bpc, cs, decode);
    const parms = chain[0]!.parms;
    const type = numOf(parms?.get('Predictor')) ?? 1;
    const pColors = numOf(parms?.get('Colors')) ?? 1;
    const pBpc = numOf(parms?.get('BitsPerComponent')) ?? 8;
    const pred = { type, bpp: Math.max(1, Math.ceil((pColors * pBpc) / 8)) };
    const rows = new RowAssembler(scanner.rowBytes, pred);
    let found = false;
    let n = 0;
    // Read from the file piece by piece when the stream allows it (not encrypted).
    const input = (await getChunks?.()) ?? (await getRaw());
    await inflateChunks(input, (chunk) => {
      if ((++n & 15) === 0) doc.budget(offset);
      found = rows.push(chunk, (row) => rows.rows > h || scanner.row(row, 0));
      return found;
    });
    return found && rows.rows <= h;
  }
  const decoded = decodeFilters(await getRaw(), dict, doc.limits.maxBufferBytes, offset);
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
  if (![1, 2, 4, 8, 16].includes(bpc)) throw new AnalysisError('ANALYSIS_MALFORMED', `image with ${bpc} bits per component`, offset);
  return scanPixels(doc, decoded.data, w, h, bpc, cs, decode, offset);
}

function paletteHasColour(cs: ColorSpace): boolean {
  for (let i = 0; i <= (cs.hival ?? 0); i++) if (isColour(cs, [i])) return true;
  return false;
}

/** Scan fully decoded samples for the first colour pixel. */
export function scanPixels(
  doc: PdfDocument | undefined, data: Uint8Array, w: number, h: number, bpc: number, cs: ColorSpace, decode: number[] | undefined, offset: number,
): boolean {
  const scanner = new PixelScanner(w, bpc, cs, decode);
  const rb = scanner.rowBytes;
  const rows = Math.min(h, rb > 0 ? Math.floor(data.length / rb) : 0);
  for (let r = 0; r < rows; r++) {
    if ((r & 63) === 0) doc?.budget(offset);
    if (scanner.row(data, r * rb)) return true;
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
