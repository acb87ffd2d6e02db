// The PCL XL sniff, in a module of its own so the detection table (registry.ts) can score a
// file without loading the PCL XL parser; the parser itself is imported only when chosen.

/** The stream header after its binding character: "(" big-endian, ")" little-endian. */
export const PXL_MARK = ' HP-PCL XL';
const latin1 = new TextDecoder('latin1');

/** Offset of a PCL XL stream header in `bytes` (binding char + " HP-PCL XL"), or -1. */
function headerAt(bytes: Uint8Array): number {
  const s = latin1.decode(bytes.subarray(0, 4096));
  const i = s.indexOf(PXL_MARK);
  if (i < 1) return -1;
  const b = s.charCodeAt(i - 1);
  return b === 0x28 || b === 0x29 || b === 0x27 ? i - 1 : -1;
}

export function sniffPclxl(head: Uint8Array): number {
  try {
    const at = headerAt(head);
    if (at === 0) return 100;
    if (at > 0) {
      // After a PJL block the header must follow ENTER LANGUAGE or a line end.
      const before = latin1.decode(head.subarray(0, at));
      return /LANGUAGE\s*=\s*PCLXL/i.test(before) || /[\n\r]$/.test(before) ? 95 : 40;
    }
    return /@PJL\s+ENTER\s+LANGUAGE\s*=\s*PCLXL/i.test(latin1.decode(head)) ? 80 : 0;
  } catch {
    return 0;
  }
}
