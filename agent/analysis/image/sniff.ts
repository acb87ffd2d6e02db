// The image sniffs (PNG, TIFF, JPEG), in a module of their own so the detection table
// (registry.ts) can score a file without loading the image parsers; the chosen parser is
// imported only then.

export const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function sniffPng(head: Uint8Array): number {
  return PNG_SIGNATURE.every((b, i) => head[i] === b) ? 100 : 0;
}

/** II*\0 (little-endian) or MM\0* (big-endian). */
export function sniffTiff(head: Uint8Array): number {
  if (head.length < 4) return 0;
  if (head[0] === 0x49 && head[1] === 0x49 && head[2] === 42 && head[3] === 0) return 100;
  if (head[0] === 0x4d && head[1] === 0x4d && head[2] === 0 && head[3] === 42) return 100;
  return 0;
}

export function sniffJpeg(head: Uint8Array): number {
  return head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff ? 100 : 0;
}
