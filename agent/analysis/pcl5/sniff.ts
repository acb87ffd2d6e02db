// The PCL 5 sniff, in a module of its own so the detection table (registry.ts) can score a
// file without loading the PCL 5 parser; the parser itself is imported only when chosen.

import { sniffPjl } from '../pjl.ts';

const latin1 = new TextDecoder('latin1');

export function sniffPcl5(head: Uint8Array): number {
  try {
    const s = latin1.decode(head.subarray(0, 4096));
    if (/ HP-PCL XL/.test(s)) return 0;
    // After a UEL and PJL lines, look at the first bytes of the payload.
    const { language, body } = sniffPjl(s);
    if (language !== undefined) return /^PCL5?[CE]?$/.test(language) ? 95 : 0;
    if (body.startsWith('\x1bE')) return 90;
    if (/^\x1b[&*()%][a-z]?[-+]?[0-9.]*[@-~]/.test(body)) return 70;
    return 0;
  } catch {
    return 0;
  }
}
