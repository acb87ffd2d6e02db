// Byte helpers shared by the PDF parser's modules: hex digits, Latin-1 text of a byte
// range, searching for an ASCII string forwards or backwards, and ASCII text as bytes.

export function hex(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

export function latin1(b: Uint8Array, s: number, e: number): string {
  if (e - s < 64) {
    let r = '';
    for (let i = s; i < e; i++) r += String.fromCharCode(b[i]!);
    return r;
  }
  return Buffer.from(b.buffer, b.byteOffset + s, e - s).toString('latin1');
}

/** Find `needle` (ASCII) in b from `from`; -1 if absent. */
export function indexOf(b: Uint8Array, needle: string, from = 0, to = b.length): number {
  const n = needle.length;
  const first = needle.charCodeAt(0);
  outer: for (let i = Math.max(0, from); i + n <= to; i++) {
    if (b[i] !== first) continue;
    for (let k = 1; k < n; k++) if (b[i + k] !== needle.charCodeAt(k)) continue outer;
    return i;
  }
  return -1;
}

/** Find the last `needle` in b before `to`; -1 if absent. */
export function lastIndexOf(b: Uint8Array, needle: string, to = b.length): number {
  const n = needle.length;
  outer: for (let i = Math.min(to, b.length) - n; i >= 0; i--) {
    for (let k = 0; k < n; k++) if (b[i + k] !== needle.charCodeAt(k)) continue outer;
    return i;
  }
  return -1;
}

/** The bytes of an ASCII string (the parser's load-time warm-ups). */
export function ascii(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}
