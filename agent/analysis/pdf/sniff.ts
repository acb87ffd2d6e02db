// The PDF sniff, in a module of its own so the detection table (registry.ts) can score a
// file without loading the PDF parser; the parser itself is imported only when chosen.

/** 100 for %PDF- at the start, 90 after junk in the first KiB, 20 for a headerless body. */
export function sniffPdf(head: Uint8Array, tail: Uint8Array): number {
  // Buffer views (no copy) for the native byte search.
  const h = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  const at = h.subarray(0, 1024).indexOf('%PDF-', 0, 'latin1');
  if (at === 0) return 100;
  if (at > 0) return 90; // junk (or a wrapper remnant) before the header
  const t = Buffer.from(tail.buffer, tail.byteOffset, tail.byteLength);
  if (t.lastIndexOf('%%EOF', undefined, 'latin1') >= 0 && h.indexOf(' obj', 0, 'latin1') >= 0) return 20;
  return 0;
}
