// The plain-text sniff, in a module of its own so the detection table (registry.ts) can
// score a file without loading the text parser; the parser itself is imported only when chosen.

export function sniffText(head: Uint8Array): number {
  if (head.length === 0) return 0;
  let odd = 0;
  for (let i = 0; i < head.length; i++) {
    const b = head[i]!;
    if (b === 0) return 0; // text never holds NUL; binary formats nearly always do
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c && b !== 0x08 && b !== 0x0b && b !== 0x1b) odd++;
  }
  // Low on purpose: any language with a real signature outranks "looks like text".
  return odd * 50 <= head.length ? 15 : 0;
}
