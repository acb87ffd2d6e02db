// The raster sniffs (CUPS raster, PWG raster, Apple URF) and the sync words they share with
// the parsers, in a module of their own so the detection table (registry.ts) can score a file
// without loading the raster parsers; the chosen parser is imported only then.

/** CUPS raster sync words: version and byte order. */
export const SYNCS: Readonly<Record<string, { version: 1 | 2 | 3; le: boolean }>> = {
  RaSt: { version: 1, le: false }, tSaR: { version: 1, le: true },
  RaS2: { version: 2, le: false }, '2SaR': { version: 2, le: true },
  RaS3: { version: 3, le: false }, '3SaR': { version: 3, le: true },
};

export function ascii(bytes: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let i = from; i < Math.min(to, bytes.length); i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

export function isPwg(head: Uint8Array): boolean {
  return ascii(head, 0, 4) === 'RaS2' && ascii(head, 4, 14) === 'PwgRaster\0';
}

export function sniffPwg(head: Uint8Array): number {
  return isPwg(head) ? 100 : 0;
}

/** A PWG file is also a valid CUPS v2 stream: scored lower so the PWG entry wins. */
export function sniffCupsRaster(head: Uint8Array): number {
  return SYNCS[ascii(head, 0, 4)] ? (isPwg(head) ? 90 : 95) : 0;
}

const URF_MAGIC = 'UNIRAST\0';

export function sniffUrf(head: Uint8Array): number {
  if (head.length < 8) return 0;
  for (let i = 0; i < 8; i++) if (head[i] !== URF_MAGIC.charCodeAt(i)) return 0;
  return 100;
}
