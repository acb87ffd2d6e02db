// Seeded mutations of spool files for fuzzing (the suite's fuzz test, the parsers' mini-fuzz
// in pcl5/helpers.ts and `npm run fuzz`):
// bit flips, truncations, duplicated or deleted chunks, random bytes written over or
// inserted, and large numbers planted where lengths usually live. Deterministic for a seed.

/** mulberry32: a small, fast, deterministic PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const MUTATIONS = ['bitflip', 'truncate', 'duplicate', 'delete', 'overwrite', 'insert', 'bignum', 'random'] as const;
export type Mutation = (typeof MUTATIONS)[number];

/** One mutated copy of `input`; `kind` chosen by the PRNG unless given. */
export function mutate(input: Uint8Array, rnd: () => number, kind?: Mutation): { bytes: Uint8Array; kind: Mutation } {
  const k = kind ?? MUTATIONS[Math.floor(rnd() * MUTATIONS.length)]!;
  const n = input.length;
  const at = (max = n) => Math.floor(rnd() * Math.max(1, max));
  // Header bytes matter most: aim half of the edits at the first 2 KiB.
  const pos = () => (rnd() < 0.5 ? at(Math.min(n, 2048)) : at());
  let out: Uint8Array;
  switch (k) {
    case 'bitflip': {
      out = input.slice();
      const flips = 1 + at(8);
      for (let i = 0; i < flips && n > 0; i++) { const p = pos(); out[p] = out[p]! ^ (1 << at(8)); }
      break;
    }
    case 'truncate':
      out = input.slice(0, at(n));
      break;
    case 'duplicate': {
      const s = pos(), len = 1 + at(Math.min(4096, n - s));
      const piece = input.slice(s, s + len);
      const p = pos();
      out = concat(input.subarray(0, p), piece, input.subarray(p));
      break;
    }
    case 'delete': {
      const s = pos(), len = 1 + at(Math.min(4096, n - s));
      out = concat(input.subarray(0, s), input.subarray(s + len));
      break;
    }
    case 'overwrite': {
      out = input.slice();
      const s = pos(), len = 1 + at(64);
      for (let i = s; i < Math.min(n, s + len); i++) out[i] = at(256);
      break;
    }
    case 'insert': {
      const p = pos(), len = 1 + at(256);
      const junk = new Uint8Array(len).map(() => at(256));
      out = concat(input.subarray(0, p), junk, input.subarray(p));
      break;
    }
    case 'bignum': {
      out = input.slice();
      const p = pos();
      const v = [0xff, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00][at(4) * 4];
      for (let i = 0; i < 4 && p + i < n; i++) out[p + i] = i === 0 ? v! : rnd() < 0.5 ? 0xff : 0x00;
      break;
    }
    case 'random':
      // keep the first 4 to 16 bytes (the magic) and randomise the rest of a short file
      out = concat(input.subarray(0, 4 + at(13)), new Uint8Array(at(4096)).map(() => at(256)));
      break;
  }
  return { bytes: out, kind: k };
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
