// JPEG colour from DC coefficients only. A 1-component JPEG is gray. For 3 or 4
// components the entropy-coded data is Huffman-decoded (baseline/extended sequential: DC
// and AC symbols, AC values skipped; progressive: the DC-first scans only), giving each
// 8x8 block's average per component, with no inverse DCT. Each chroma block is converted
// (YCbCr -> RGB with the block's luma, or RGB/CMY directly per the Adobe marker) and the
// chroma rule applied. Limits: colour confined inside one block (a thin coloured line on
// gray) averages out and can be missed; 4-component data is judged by its C, M, Y
// averages, ignoring black clipping (which can only make a colour look grayer).
// Arithmetic-coded and lossless JPEGs answer 'unknown'.

import { AnalysisError } from '../errors.ts';

export type JpegVerdict = 'gray' | 'colour' | 'unknown';

interface Comp { id: number; h: number; v: number; tq: number; bw: number; bh: number; rw: number; rh: number; dc: Int16Array }
interface Huff {
  maxcode: Int32Array; valptr: Int32Array; mincode: Int32Array; vals: Uint8Array;
  /** By the next 8 bits: (code length << 8) | symbol for codes of up to 8 bits, else 0. */
  fast: Uint16Array;
}
interface ScanComp { c: Comp; td: number; ta: number }

// DC values fit 16 bits; 8M blocks per component (a 23000x23000 4:4:4 image) is 16 MiB.
const MAX_BLOCKS = 1 << 23;

export function jpegIsColour(d: Uint8Array, offset: number): JpegVerdict {
  try {
    return decide(d);
  } catch (e) {
    if (e instanceof AnalysisError && e.code === 'ANALYSIS_LIMIT') throw new AnalysisError('ANALYSIS_LIMIT', e.message, offset);
    if (e instanceof RangeError || e instanceof AnalysisError) return 'unknown';
    throw e;
  }
}

function decide(d: Uint8Array): JpegVerdict {
  if (d[0] !== 0xff || d[1] !== 0xd8) return 'unknown';
  const q: number[] = [1, 1, 1, 1];
  const dcT: Array<Huff | undefined> = [];
  const acT: Array<Huff | undefined> = [];
  let comps: Comp[] = [];
  let progressive = false;
  let adobe = -1;
  let restart = 0;
  let mcusX = 0, mcusY = 0, hmax = 1, vmax = 1;
  let p = 2;
  while (p + 4 <= d.length) {
    if (d[p] !== 0xff) { p++; continue; }
    const m = d[p + 1]!;
    if (m === 0xff) { p++; continue; }
    if (m === 0xd8 || (m >= 0xd0 && m <= 0xd7) || m === 0x01) { p += 2; continue; }
    if (m === 0xd9) break;
    const len = (d[p + 2]! << 8) | d[p + 3]!;
    const s = p + 4;
    const e = p + 2 + len;
    if (len < 2 || e > d.length) return 'unknown';
    switch (m) {
      case 0xc0: case 0xc1: case 0xc2: {
        progressive = m === 0xc2;
        const hgt = (d[s + 1]! << 8) | d[s + 2]!;
        const wid = (d[s + 3]! << 8) | d[s + 4]!;
        const nf = d[s + 5]!;
        if (nf === 1) return 'gray';
        if (nf !== 3 && nf !== 4) return 'unknown';
        const raw = [];
        for (let i = 0; i < nf; i++) raw.push({ id: d[s + 6 + 3 * i]!, h: d[s + 7 + 3 * i]! >> 4, v: d[s + 7 + 3 * i]! & 15, tq: d[s + 8 + 3 * i]! & 3 });
        hmax = Math.max(...raw.map((c) => c.h)); vmax = Math.max(...raw.map((c) => c.v));
        if (hmax < 1 || vmax < 1 || wid === 0 || hgt === 0) return 'unknown';
        mcusX = Math.ceil(wid / (8 * hmax)); mcusY = Math.ceil(hgt / (8 * vmax));
        comps = raw.map((c) => {
          const bw = mcusX * c.h, bh = mcusY * c.v;
          if (bw * bh > MAX_BLOCKS) throw new RangeError('JPEG too large for the DC grid');
          // Real block counts (without MCU padding), used by non-interleaved scans.
          const rw = Math.ceil(Math.ceil((wid * c.h) / hmax) / 8), rh = Math.ceil(Math.ceil((hgt * c.v) / vmax) / 8);
          return { ...c, bw, bh, rw, rh, dc: new Int16Array(bw * bh) };
        });
        break;
      }
      case 0xc3: case 0xc5: case 0xc6: case 0xc7: case 0xc9: case 0xca: case 0xcb: case 0xcd: case 0xce: case 0xcf:
        return 'unknown'; // lossless, hierarchical or arithmetic coding
      case 0xdb: {
        for (let i = s; i < e;) {
          const pq = d[i]! >> 4, tq = d[i]! & 3;
          q[tq] = pq ? (d[i + 1]! << 8) | d[i + 2]! : d[i + 1]!;
          i += 1 + (pq ? 128 : 64);
        }
        break;
      }
      case 0xc4: {
        for (let i = s; i < e;) {
          const tc = d[i]! >> 4, th = d[i]! & 3;
          const counts = d.subarray(i + 1, i + 17);
          let total = 0;
          for (const c of counts) total += c;
          const h = buildHuff(counts, d.subarray(i + 17, i + 17 + total));
          if (tc === 0) dcT[th] = h; else acT[th] = h;
          i += 17 + total;
        }
        break;
      }
      case 0xdd: restart = (d[s]! << 8) | d[s + 1]!; break;
      case 0xee:
        if (d[s] === 0x41 && d[s + 1] === 0x64 && d[s + 2] === 0x6f && d[s + 3] === 0x62 && d[s + 4] === 0x65) adobe = d[s + 11] ?? -1;
        break;
      case 0xda: {
        const ns = d[s]!;
        if (ns < 1 || ns > 4) return 'unknown'; // a scan has 1 to 4 components
        const sc: ScanComp[] = [];
        for (let i = 0; i < ns; i++) {
          const c = comps.find((x) => x.id === d[s + 1 + 2 * i]);
          if (!c) return 'unknown';
          sc.push({ c, td: d[s + 2 + 2 * i]! >> 4, ta: d[s + 2 + 2 * i]! & 15 });
        }
        const ss = d[s + 1 + 2 * ns]!, se = d[s + 2 + 2 * ns]!, ahal = d[s + 3 + 2 * ns]!;
        const dcFirst = ss === 0 && (ahal >> 4) === 0;
        const useful = progressive ? dcFirst : true;
        let end = e;
        if (useful) {
          end = scan(d, e, sc, dcT, acT, progressive, ahal & 15, se, restart, mcusX, mcusY);
        }
        // Skip the entropy-coded data to the next real marker.
        p = nextMarker(d, end);
        continue;
      }
      default: break;
    }
    p = e;
  }
  if (comps.length < 3) return 'unknown';
  return judge(comps, q, adobe, hmax, vmax);
}

function nextMarker(d: Uint8Array, from: number): number {
  for (let i = from; i + 1 < d.length; i++) {
    if (d[i] === 0xff && d[i + 1] !== 0 && !(d[i + 1]! >= 0xd0 && d[i + 1]! <= 0xd7) && d[i + 1] !== 0xff) return i;
  }
  return d.length;
}

function buildHuff(counts: Uint8Array, vals: Uint8Array): Huff {
  const maxcode = new Int32Array(18).fill(-1);
  const mincode = new Int32Array(17);
  const valptr = new Int32Array(17);
  let code = 0, k = 0;
  for (let l = 1; l <= 16; l++) {
    valptr[l] = k;
    mincode[l] = code;
    code += counts[l - 1]!;
    k += counts[l - 1]!;
    maxcode[l] = counts[l - 1] ? code - 1 : -1;
    code <<= 1;
  }
  maxcode[17] = 0x7fffffff;
  // The decoding loop (Bits.decode) run ahead of time for every 8-bit prefix, so a short
  // code is one lookup; the same loop, so even a damaged table decodes as it did bit by bit.
  const fast = new Uint16Array(256);
  for (let p = 0; p < 256; p++) {
    for (let l = 1; l <= 8; l++) {
      const c = p >> (8 - l);
      if (c <= maxcode[l]!) { fast[p] = (l << 8) | (vals[valptr[l]! + c - mincode[l]!] ?? 0); break; }
    }
  }
  return { maxcode, mincode, valptr, vals, fast };
}

/**
 * The entropy-coded bits of a scan, most significant first: stuffed FF 00 pairs give FF,
 * and from a marker (or the end of the data) on, every bit is 0. Bytes are taken a few
 * ahead of the bits used (never past a marker), so a Huffman code can be looked up by its
 * first 8 bits instead of being read a bit at a time.
 */
class Bits {
  private readonly d: Uint8Array;
  pos: number;
  /** The last `n` bits taken from the data (the low bits of `buf`). */
  private buf = 0;
  private n = 0;
  private marker = false;
  constructor(d: Uint8Array, pos: number) {
    this.d = d;
    this.pos = pos;
  }

  /** Buffer at least `need` (at most 16) bits. */
  private fill(need: number): void {
    const d = this.d;
    while (this.n < need) {
      let b = 0;
      if (!this.marker && this.pos < d.length) {
        b = d[this.pos]!;
        if (b === 0xff) {
          if (d[this.pos + 1] === 0) this.pos += 2;
          else { this.marker = true; b = 0; }
        } else this.pos++;
      }
      this.buf = ((this.buf << 8) | b) & 0xffffff;
      this.n += 8;
    }
  }

  /** The next k bits (k <= 16) as an unsigned number. */
  get(k: number): number {
    if (this.n < k) this.fill(k);
    this.n -= k;
    return (this.buf >>> this.n) & ((1 << k) - 1);
  }

  /** The next `t` bits, as many as a (possibly damaged) DC category asks for. */
  receive(t: number): number {
    if (t <= 16) return this.get(t);
    let v = 0;
    for (let i = 0; i < t; i++) v = (v << 1) | this.get(1);
    return v;
  }

  /** One Huffman symbol: the shortest code length l whose first l bits are <= maxcode[l]. */
  decode(h: Huff | undefined): number {
    if (!h) throw new AnalysisError('ANALYSIS_MALFORMED', 'missing Huffman table', this.pos);
    if (this.n < 16) this.fill(16);
    const e = h.fast[(this.buf >>> (this.n - 8)) & 0xff]!;
    if (e !== 0) {
      this.n -= e >> 8;
      return e & 0xff;
    }
    for (let l = 9; l <= 16; l++) {
      const code = (this.buf >>> (this.n - l)) & ((1 << l) - 1);
      if (code <= h.maxcode[l]!) {
        this.n -= l;
        return h.vals[h.valptr[l]! + code - h.mincode[l]!] ?? 0;
      }
    }
    throw new AnalysisError('ANALYSIS_MALFORMED', 'bad Huffman code', this.pos);
  }

  /** At a restart interval: drop the buffered bits and move past the next RSTn marker. */
  restart(): void {
    const d = this.d;
    this.buf = 0;
    this.n = 0;
    this.marker = false;
    let pos = this.pos;
    while (pos + 1 < d.length && !(d[pos] === 0xff && d[pos + 1]! >= 0xd0 && d[pos + 1]! <= 0xd7)) pos++;
    this.pos = pos + 2;
  }
}

function extend(v: number, n: number): number {
  return n === 0 ? 0 : v < 1 << (n - 1) ? v - (1 << n) + 1 : v;
}

/** One 8x8 block of component i: its DC difference into the grid, its AC values skipped. */
function block(
  r: Bits, s: ScanComp, preds: number[], i: number, bx: number, by: number,
  dcT: Array<Huff | undefined>, acT: Array<Huff | undefined>, progressive: boolean, al: number, se: number,
): void {
  const c = s.c;
  const t = r.decode(dcT[s.td]);
  preds[i]! += extend(r.receive(t), t);
  if (bx < c.bw && by < c.bh) c.dc[by * c.bw + bx] = preds[i]! * (1 << al);
  if (!progressive) {
    const ac = acT[s.ta];
    for (let k = 1; k <= se;) {
      const rs = r.decode(ac);
      const run = rs >> 4, size = rs & 15;
      if (size === 0) { if (run === 15) { k += 16; continue; } break; }
      k += run; r.get(size); k++;
    }
  }
}

/** Decode one scan's DC values into the components' grids; returns the end position. */
function scan(
  d: Uint8Array, start: number, sc: ScanComp[], dcT: Array<Huff | undefined>, acT: Array<Huff | undefined>,
  progressive: boolean, al: number, se: number, restart: number, mcusX: number, mcusY: number,
): number {
  const r = new Bits(d, start);
  const preds = sc.map(() => 0);
  const single = sc.length === 1;
  const c0 = sc[0]!.c;
  const total = single ? c0.rw * c0.rh : mcusX * mcusY;
  const perRow = single ? c0.rw : mcusX;
  for (let u = 0; u < total; u++) {
    if (restart > 0 && u > 0 && u % restart === 0) {
      // Expect an RSTn marker: realign and reset predictions.
      r.restart();
      preds.fill(0);
    }
    const mx = u % perRow, my = Math.floor(u / perRow);
    if (single) block(r, sc[0]!, preds, 0, mx, my, dcT, acT, progressive, al, se);
    else {
      for (let i = 0; i < sc.length; i++) {
        const s = sc[i]!;
        const c = s.c;
        for (let v = 0; v < c.v; v++) for (let h = 0; h < c.h; h++) block(r, s, preds, i, mx * c.h + h, my * c.v + v, dcT, acT, progressive, al, se);
      }
    }
  }
  return r.pos;
}

function judge(comps: Comp[], q: number[], adobe: number, hmax: number, vmax: number): JpegVerdict {
  const [a, b, c] = comps as [Comp, Comp, Comp];
  const val = (x: Comp, bx: number, by: number): number => {
    // Component block covering this chroma position, scaled by its sampling factors.
    const X = Math.min(x.bw - 1, Math.floor((bx * x.h) / hmax));
    const Y = Math.min(x.bh - 1, Math.floor((by * x.v) / vmax));
    return (x.dc[Y * x.bw + X]! * q[x.tq]!) / 8;
  };
  const ycc = comps.length === 3 ? adobe !== 0 && !(a.id === 82 && b.id === 71 && c.id === 66) : adobe === 2;
  // Walk a grid at the coarsest sampling (the component with the fewest blocks).
  const gw = Math.min(a.bw, b.bw, c.bw) * (hmax / Math.min(a.h, b.h, c.h));
  const gh = Math.min(a.bh, b.bh, c.bh) * (vmax / Math.min(a.v, b.v, c.v));
  const stepX = hmax / Math.min(a.h, b.h, c.h), stepY = vmax / Math.min(a.v, b.v, c.v);
  for (let by = 0; by < gh; by += stepY) {
    for (let bx = 0; bx < gw; bx += stepX) {
      const v0 = val(a, bx, by), v1 = val(b, bx, by), v2 = val(c, bx, by);
      let R: number, G: number, B: number;
      if (ycc) {
        const Y = v0 + 128;
        R = Y + 1.402 * v2; G = Y - 0.344136 * v1 - 0.714136 * v2; B = Y + 1.772 * v1;
        if (comps.length === 3) { R = clamp(R); G = clamp(G); B = clamp(B); }
      } else { R = v0; G = v1; B = v2; }
      if (Math.max(Math.abs(R - G), Math.abs(G - B), Math.abs(R - B)) > 8) return 'colour';
    }
  }
  return 'gray';
}

function clamp(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}
