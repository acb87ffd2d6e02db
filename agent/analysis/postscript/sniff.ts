// The PostScript sniff, in a module of its own so the detection table (registry.ts) can
// score a file without loading the PostScript parser; the parser is imported only when chosen.

import { sniffPjl } from '../pjl.ts';

const latin1 = new TextDecoder('latin1');

export function sniffPostscript(head: Uint8Array): number {
  try {
    const s = latin1.decode(head.subarray(0, 4096));
    // A Windows driver's Ctrl-D may come before the UEL.
    const { language, body } = sniffPjl(s.startsWith('\x04') ? s.slice(1) : s);
    if (language !== undefined) return language === 'POSTSCRIPT' ? 95 : 0;
    if (body.startsWith('%!PS-Adobe-')) return 100;
    if (body.startsWith('%!')) return 90;
    if (body.startsWith('\x04%!')) return 90;
    // DOS EPS binary header (C5 D0 D3 C6).
    if (head[0] === 0xc5 && head[1] === 0xd0 && head[2] === 0xd3 && head[3] === 0xc6) return 80;
    return 0;
  } catch {
    return 0;
  }
}
