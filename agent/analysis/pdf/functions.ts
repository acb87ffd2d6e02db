// PDF functions (types 0 sampled, 2 exponential, 3 stitching, 4 PostScript calculator),
// evaluated to decide what colour a tint or a shading parameter produces. Evaluation is
// bounded: sampled tables are capped in size, calculator programs in operations.

import { AnalysisError } from '../errors.ts';
import type { PdfDocument } from './document.ts';
import { Lexer } from './lexer.ts';
import { arrayOf, dictOf, numbersOf, numOf, PdfOp, PdfStream, type PdfObj } from './objects.ts';

export interface PdfFunction {
  readonly nIn: number;
  /** Input domain pairs [min0, max0, ...]. */
  readonly domain: number[];
  /** Break points of stitching functions (sampled too, so sampling never misses a piece). */
  readonly bounds: number[];
  eval(input: number[]): number[];
}

const MAX_SAMPLES = 1 << 20;

function clip(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** Load one function, or an array of 1-output functions combined into one. */
export async function loadFunction(doc: PdfDocument, o: PdfObj | undefined, depth = 0): Promise<PdfFunction> {
  if (depth > 8) throw new AnalysisError('ANALYSIS_MALFORMED', 'functions nested too deeply', 0);
  const v = await doc.resolve(o);
  if (Array.isArray(v)) {
    const parts = await Promise.all(v.map((x) => loadFunction(doc, x, depth + 1)));
    if (parts.length === 0) throw new AnalysisError('ANALYSIS_MALFORMED', 'empty function array', 0);
    const f0 = parts[0]!;
    return { nIn: f0.nIn, domain: f0.domain, bounds: f0.bounds, eval: (x) => parts.flatMap((p) => p.eval(x)) };
  }
  const d = dictOf(v);
  if (!d) throw new AnalysisError('ANALYSIS_MALFORMED', 'function is not a dictionary', 0);
  const type = numOf(d.get('FunctionType'));
  const domain = numbersOf(await doc.resolve(d.get('Domain'))) ?? [0, 1];
  const range = numbersOf(await doc.resolve(d.get('Range')));
  const nIn = Math.max(1, Math.floor(domain.length / 2));
  const clipOut = (out: number[]): number[] =>
    range ? out.map((y, i) => (2 * i + 1 < range.length ? clip(y, range[2 * i]!, range[2 * i + 1]!) : y)) : out;
  const clipIn = (x: number[]): number[] => x.map((xi, i) => clip(Number.isFinite(xi) ? xi : 0, domain[2 * i] ?? 0, domain[2 * i + 1] ?? 1));
  switch (type) {
    case 2: {
      const c0 = numbersOf(await doc.resolve(d.get('C0'))) ?? [0];
      const c1 = numbersOf(await doc.resolve(d.get('C1'))) ?? [1];
      const n = numOf(d.get('N')) ?? 1;
      return {
        nIn, domain, bounds: [],
        eval: (x) => {
          const t = clipIn(x)[0]!;
          const p = Math.pow(t, n);
          return clipOut(c0.map((a, i) => a + (Number.isFinite(p) ? p : 0) * ((c1[i] ?? 0) - a)));
        },
      };
    }
    case 3: {
      const fns = await Promise.all((arrayOf(await doc.resolve(d.get('Functions'))) ?? []).map((x) => loadFunction(doc, x, depth + 1)));
      const bounds = numbersOf(await doc.resolve(d.get('Bounds'))) ?? [];
      const encode = numbersOf(await doc.resolve(d.get('Encode'))) ?? [];
      if (fns.length === 0) throw new AnalysisError('ANALYSIS_MALFORMED', 'stitching function without functions', 0);
      const d0 = domain[0] ?? 0, d1 = domain[1] ?? 1;
      return {
        nIn: 1, domain, bounds,
        eval: (x) => {
          const t = clipIn(x)[0]!;
          let k = 0;
          while (k < bounds.length && t >= bounds[k]!) k++;
          k = Math.min(k, fns.length - 1);
          const lo = k === 0 ? d0 : bounds[k - 1]!;
          const hi = k >= bounds.length ? d1 : bounds[k]!;
          const e0 = encode[2 * k] ?? 0, e1 = encode[2 * k + 1] ?? 1;
          const u = hi > lo ? e0 + ((t - lo) * (e1 - e0)) / (hi - lo) : e0;
          return clipOut(fns[k]!.eval([u]));
        },
      };
    }
    case 0: {
      if (!(v instanceof PdfStream) || !range) throw new AnalysisError('ANALYSIS_MALFORMED', 'sampled function without data or /Range', 0);
      const size = (numbersOf(await doc.resolve(d.get('Size'))) ?? []).map((s) => Math.max(1, Math.floor(s)));
      const bps = numOf(d.get('BitsPerSample')) ?? 8;
      const nOut = Math.floor(range.length / 2);
      const total = size.reduce((a, b) => a * b, 1) * nOut;
      if (size.length < nIn || total > MAX_SAMPLES || ![1, 2, 4, 8, 12, 16, 24, 32].includes(bps)) {
        throw new AnalysisError('ANALYSIS_MALFORMED', 'unusable sampled function', v.start);
      }
      const encode = numbersOf(await doc.resolve(d.get('Encode'))) ?? size.flatMap((s) => [0, s - 1]);
      const decode = numbersOf(await doc.resolve(d.get('Decode'))) ?? range;
      const { data } = await doc.streamData(v);
      const max = Math.pow(2, bps) - 1;
      const sample = (idx: number): number => {
        const bit = idx * bps;
        let val = 0;
        for (let b = 0; b < bps; b++) {
          const byte = data[(bit + b) >> 3] ?? 0;
          val = val * 2 + ((byte >> (7 - ((bit + b) & 7))) & 1);
        }
        return val;
      };
      return {
        nIn, domain, bounds: [],
        eval: (x) => {
          const xi = clipIn(x);
          // Nearest sample (enough to tell colour from gray).
          let idx = 0, mul = 1;
          for (let i = 0; i < nIn; i++) {
            const d0 = domain[2 * i]!, d1 = domain[2 * i + 1]!;
            const e = (encode[2 * i] ?? 0) + ((xi[i]! - d0) * ((encode[2 * i + 1] ?? 0) - (encode[2 * i] ?? 0))) / (d1 - d0 || 1);
            idx += clip(Math.round(e), 0, size[i]! - 1) * mul;
            mul *= size[i]!;
          }
          const out: number[] = [];
          for (let j = 0; j < nOut; j++) {
            const s = sample(idx * nOut + j);
            out.push((decode[2 * j] ?? 0) + (s * ((decode[2 * j + 1] ?? 1) - (decode[2 * j] ?? 0))) / max);
          }
          return clipOut(out);
        },
      };
    }
    case 4: {
      if (!(v instanceof PdfStream)) throw new AnalysisError('ANALYSIS_MALFORMED', 'calculator function is not a stream', 0);
      const { data } = await doc.streamData(v, 1 << 20);
      const prog = parseCalculator(new Lexer(data, v.start, true));
      return { nIn, domain, bounds: [], eval: (x) => clipOut(runCalculator(prog, clipIn(x))) };
    }
    default:
      throw new AnalysisError('ANALYSIS_MALFORMED', `unknown function type ${String(type)}`, 0);
  }
}

type Calc = Array<number | boolean | string | Calc>;

function parseCalculator(lx: Lexer, depth = 0): Calc {
  if (depth > 32) throw new AnalysisError('ANALYSIS_MALFORMED', 'calculator nested too deeply', lx.offset);
  const out: Calc = [];
  // The outer program is itself wrapped in { }.
  if (depth === 0) {
    const open = lx.next(false);
    if (!(open instanceof PdfOp) || open.op !== '{') throw new AnalysisError('ANALYSIS_MALFORMED', 'calculator without {', lx.offset);
  }
  for (;;) {
    const t = lx.next(false);
    if (t === undefined) throw new AnalysisError('ANALYSIS_MALFORMED', 'unterminated calculator function', lx.offset);
    if (t instanceof PdfOp) {
      if (t.op === '}') return out;
      if (t.op === '{') out.push(parseCalculator(lx, depth + 1));
      else out.push(t.op);
    } else if (typeof t === 'number' || typeof t === 'boolean') out.push(t);
  }
}

const MAX_OPS = 100_000;

export function runCalculator(prog: Calc, input: number[]): number[] {
  const st: Array<number | boolean> = [...input];
  let ops = 0;
  const num = (): number => { const v = st.pop(); return typeof v === 'number' ? v : v ? 1 : 0; };
  const run = (p: Calc): void => {
    for (let i = 0; i < p.length; i++) {
      if (++ops > MAX_OPS || st.length > 1000) throw new AnalysisError('ANALYSIS_LIMIT', 'calculator function runs too long', 0);
      const t = p[i]!;
      if (typeof t === 'number' || typeof t === 'boolean') { st.push(t); continue; }
      if (Array.isArray(t)) {
        // Procedures are only operands of if / ifelse.
        const next = p[i + 1];
        const next2 = p[i + 2];
        if (next === 'if') { if (st.pop()) run(t); i += 1; }
        else if (Array.isArray(next) && next2 === 'ifelse') { run(st.pop() ? t : next); i += 2; }
        continue;
      }
      switch (t) {
        case 'add': { const b = num(), a = num(); st.push(a + b); break; }
        case 'sub': { const b = num(), a = num(); st.push(a - b); break; }
        case 'mul': { const b = num(), a = num(); st.push(a * b); break; }
        case 'div': { const b = num(), a = num(); st.push(b === 0 ? 0 : a / b); break; }
        case 'idiv': { const b = num(), a = num(); st.push(b === 0 ? 0 : Math.trunc(a / b)); break; }
        case 'mod': { const b = num(), a = num(); st.push(b === 0 ? 0 : a % b); break; }
        case 'neg': st.push(-num()); break;
        case 'abs': st.push(Math.abs(num())); break;
        case 'ceiling': st.push(Math.ceil(num())); break;
        case 'floor': st.push(Math.floor(num())); break;
        case 'round': st.push(Math.round(num())); break;
        case 'truncate': case 'cvi': st.push(Math.trunc(num())); break;
        case 'cvr': break;
        case 'sqrt': st.push(Math.sqrt(Math.max(0, num()))); break;
        case 'sin': st.push(Math.sin((num() * Math.PI) / 180)); break;
        case 'cos': st.push(Math.cos((num() * Math.PI) / 180)); break;
        case 'atan': { const b = num(), a = num(); let r = (Math.atan2(a, b) * 180) / Math.PI; if (r < 0) r += 360; st.push(r); break; }
        case 'exp': { const b = num(), a = num(); const r = Math.pow(a, b); st.push(Number.isFinite(r) ? r : 0); break; }
        case 'ln': { const a = num(); st.push(a > 0 ? Math.log(a) : 0); break; }
        case 'log': { const a = num(); st.push(a > 0 ? Math.log10(a) : 0); break; }
        case 'eq': { const b = st.pop(), a = st.pop(); st.push(a === b); break; }
        case 'ne': { const b = st.pop(), a = st.pop(); st.push(a !== b); break; }
        case 'gt': { const b = num(), a = num(); st.push(a > b); break; }
        case 'ge': { const b = num(), a = num(); st.push(a >= b); break; }
        case 'lt': { const b = num(), a = num(); st.push(a < b); break; }
        case 'le': { const b = num(), a = num(); st.push(a <= b); break; }
        case 'and': case 'or': case 'xor': {
          const b = st.pop(), a = st.pop();
          if (typeof a === 'boolean' || typeof b === 'boolean') {
            st.push(t === 'and' ? Boolean(a && b) : t === 'or' ? Boolean(a || b) : Boolean(a) !== Boolean(b));
          } else {
            const x = Number(a) | 0, y = Number(b) | 0;
            st.push(t === 'and' ? x & y : t === 'or' ? x | y : x ^ y);
          }
          break;
        }
        case 'not': { const a = st.pop(); st.push(typeof a === 'boolean' ? !a : ~(Number(a) | 0)); break; }
        case 'bitshift': { const s = num(), a = num() | 0; st.push(s >= 0 ? a << s : a >> -s); break; }
        case 'true': st.push(true); break;
        case 'false': st.push(false); break;
        case 'pop': st.pop(); break;
        case 'dup': st.push(st[st.length - 1] ?? 0); break;
        case 'exch': { const b = st.pop() ?? 0, a = st.pop() ?? 0; st.push(b, a); break; }
        case 'copy': { const n = num(); if (n > 0 && n <= st.length) st.push(...st.slice(st.length - n)); break; }
        case 'index': { const n = num(); st.push(st[st.length - 1 - n] ?? 0); break; }
        case 'roll': {
          const j = num(), n = num();
          if (n > 0 && n <= st.length) {
            const part = st.splice(st.length - n, n);
            const k = ((j % n) + n) % n;
            st.push(...part.slice(n - k), ...part.slice(0, n - k));
          }
          break;
        }
        default: break; // unknown operator: ignored
      }
    }
  };
  run(prog);
  return st.map((v) => (typeof v === 'number' ? v : v ? 1 : 0));
}
