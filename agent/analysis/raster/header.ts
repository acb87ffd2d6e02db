// The 1796-byte page header shared by CUPS raster v1/v2/v3 and PWG raster, decoded and
// checked. Field offsets follow the CUPS Raster Format specification (cups_page_header2_t);
// PWG raster (PWG 5102.4) uses the same layout, always big-endian, with "PwgRaster" in the
// first field. Values are never trusted: sizes are bounded before anything is allocated.

import { mediaName, normaliseMediaName } from '../../../shared/analysis.ts';
import type { ColourModel } from '../colour.ts';
import { AnalysisError } from '../errors.ts';

export const HEADER_BYTES = 1796;

export interface RasterHeader {
  mediaClass: string;
  duplex: boolean;
  hwResolution: [number, number];
  numCopies: number;
  pageSizePt: [number, number];
  width: number;
  height: number;
  bitsPerColor: number;
  bitsPerPixel: number;
  bytesPerLine: number;
  colorOrder: number; // 0 chunked, 1 banded, 2 planar
  colorSpace: number;
  numColors: number;
  /** PWG TotalPageCount (cupsInteger[0]); 0 when unknown. */
  totalPageCount: number;
  pageSizeName: string;
}

function cString(bytes: Uint8Array, off: number, len: number): string {
  let end = off;
  while (end < off + len && bytes[end] !== 0) end++;
  let s = '';
  for (let i = off; i < end; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

/** Colour channels and the colour model of a cupsColorSpace value. */
export function colourSpaceInfo(space: number, bitsPerColor: number): { channels: number; model: ColourModel } | null {
  switch (space) {
    case 0: case 3: case 12: case 14: case 18: return { channels: 1, model: { kind: 'gray' } }; // W, K, white, silver, sGray
    case 13: return { channels: 1, model: { kind: 'ink' } }; // gold
    case 1: case 19: case 20: return { channels: 3, model: { kind: 'rgb', ch: [0, 1, 2] } };
    case 2: case 17: return { channels: 4, model: { kind: 'rgb', ch: [0, 1, 2] } }; // RGBA, RGBW
    case 4: return { channels: 3, model: { kind: 'rgb', ch: [0, 1, 2] } }; // CMY
    case 5: return { channels: 3, model: { kind: 'rgb', ch: [2, 1, 0] } }; // YMC
    case 6: return { channels: 4, model: { kind: 'cmyk', ch: [0, 1, 2], k: 3 } };
    case 7: return { channels: 4, model: { kind: 'cmyk', ch: [2, 1, 0], k: 3 } }; // YMCK
    case 8: return { channels: 4, model: { kind: 'cmyk', ch: [1, 2, 3], k: 0 } }; // KCMY
    case 9: // KCMYcm: six 1-bit inks; deeper it is KCMY. Light inks judged with their full ones.
      return bitsPerColor === 1 ? { channels: 6, model: { kind: 'cmyk', ch: [1, 2, 3], k: 0 } } : { channels: 4, model: { kind: 'cmyk', ch: [1, 2, 3], k: 0 } };
    case 10: return { channels: 4, model: { kind: 'cmyk', ch: [2, 1, 0], k: 3 } }; // GMCK, gold as yellow
    case 11: return { channels: 4, model: { kind: 'rgb', ch: [2, 1, 0] } }; // GMCS
    case 15: return { channels: 3, model: { kind: 'xyz' } };
    case 16: return { channels: 3, model: { kind: 'lab', a: 1, b: 2 } };
    default:
      if (space >= 32 && space <= 46) { // ICC1..ICCF: Lab-based
        const n = space - 31;
        return n === 1 ? { channels: 1, model: { kind: 'gray' } } : { channels: n, model: { kind: 'lab', a: 1, b: Math.min(2, n - 1) } };
      }
      if (space >= 48 && space <= 62) { // Device1..DeviceF: N colorants of unknown kind
        const n = space - 47;
        if (n === 1) return { channels: 1, model: { kind: 'gray' } };
        if (n === 2) return { channels: 2, model: { kind: 'rgb', ch: [0, 1, 1] } };
        if (n === 3) return { channels: 3, model: { kind: 'rgb', ch: [0, 1, 2] } };
        return { channels: n, model: { kind: 'cmyk', ch: [0, 1, 2], k: 3 } };
      }
      return null;
  }
}

/** Decode and validate a page header that starts at file offset `at`. */
export function parseHeader(h: Uint8Array, littleEndian: boolean, version: 1 | 2 | 3, at: number, maxLineBytes: number): RasterHeader {
  const dv = new DataView(h.buffer, h.byteOffset, h.byteLength);
  const u32 = (o: number) => dv.getUint32(o, littleEndian);
  const f32 = (o: number) => dv.getFloat32(o, littleEndian);
  const bad = (what: string, o: number) => new AnalysisError('ANALYSIS_MALFORMED', `raster page header: ${what}`, at + o);

  const hdr: RasterHeader = {
    mediaClass: cString(h, 0, 64),
    duplex: u32(272) !== 0,
    hwResolution: [u32(276), u32(280)],
    numCopies: u32(340),
    pageSizePt: [u32(352), u32(356)],
    width: u32(372),
    height: u32(376),
    bitsPerColor: u32(384),
    bitsPerPixel: u32(388),
    bytesPerLine: u32(392),
    colorOrder: u32(396),
    colorSpace: u32(400),
    numColors: version >= 2 ? u32(420) : 0,
    totalPageCount: version >= 2 ? u32(452) : 0,
    pageSizeName: version >= 2 ? cString(h, 1732, 64) : '',
  };
  if (version >= 2) {
    const w = f32(428), l = f32(432);
    if (w > 0 && l > 0 && Number.isFinite(w) && Number.isFinite(l)) hdr.pageSizePt = [w, l];
  }
  if (hdr.width < 1 || hdr.width > 1_000_000) throw bad(`width ${hdr.width} pixels`, 372);
  if (hdr.height > 10_000_000) throw bad(`height ${hdr.height} lines`, 376);
  if (![1, 2, 4, 8, 16].includes(hdr.bitsPerColor)) throw bad(`${hdr.bitsPerColor} bits per colour`, 384);
  if (hdr.bitsPerPixel < 1 || hdr.bitsPerPixel > 240) throw bad(`${hdr.bitsPerPixel} bits per pixel`, 388);
  if (hdr.colorOrder > 2) throw bad(`colour order ${hdr.colorOrder}`, 396);
  const info = colourSpaceInfo(hdr.colorSpace, hdr.bitsPerColor);
  if (!info) throw bad(`unknown colour space ${hdr.colorSpace}`, 400);
  if (hdr.numColors === 0 || hdr.numColors > 15) hdr.numColors = info.channels;
  if (hdr.bytesPerLine < 1 || hdr.bytesPerLine > maxLineBytes) throw bad(`${hdr.bytesPerLine} bytes per line`, 392);
  // The line must hold the pixels it claims.
  const bandBytes = Math.ceil((hdr.width * hdr.bitsPerColor) / 8);
  const need = hdr.colorOrder === 0 ? Math.ceil((hdr.width * hdr.bitsPerPixel) / 8) : hdr.colorOrder === 1 ? bandBytes * hdr.numColors : bandBytes;
  if (hdr.bytesPerLine < need) throw bad(`${hdr.bytesPerLine} bytes per line cannot hold ${hdr.width} pixels`, 392);
  if (hdr.colorOrder === 0 && hdr.bitsPerPixel < hdr.numColors * hdr.bitsPerColor && hdr.bitsPerColor >= 8) {
    throw bad(`${hdr.bitsPerPixel} bits per pixel for ${hdr.numColors} colours of ${hdr.bitsPerColor} bits`, 388);
  }
  return hdr;
}

/** Paper size name of a page: the header's name when it is a PWG name, else from the size. */
export function headerMedia(hdr: RasterHeader): string {
  if (/^[a-z0-9]+_[a-z0-9.-]+_[0-9.]+x[0-9.]+(mm|in)$/i.test(hdr.pageSizeName)) return normaliseMediaName(hdr.pageSizeName);
  let [w, l] = hdr.pageSizePt;
  if (!(w > 0 && l > 0) && hdr.hwResolution[0] > 0 && hdr.hwResolution[1] > 0) {
    w = (hdr.width * 72) / hdr.hwResolution[0];
    l = (hdr.height * 72) / hdr.hwResolution[1];
  }
  return mediaName(w, l);
}
