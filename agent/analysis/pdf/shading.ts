// Shadings (the `sh` operator and shading patterns): colour iff some colour the shading
// can produce is non-neutral. Function-based shadings (types 1-3, and meshes with a
// /Function) are sampled: 65 points over a 1-input domain plus every stitching bound, or a
// 9x9 grid over a 2-input domain. Mesh shadings without a function (types 4-7) have their
// vertex colours read from the stream and each one checked.

import { AnalysisError } from '../errors.ts';
import { isColour, loadColorSpace, type ColorSpace } from './colorspace.ts';
import type { PdfDocument } from './document.ts';
import { loadFunction, type PdfFunction } from './functions.ts';
import { dictOf, numbersOf, numOf, PdfStream, type PdfDict, type PdfObj } from './objects.ts';

export async function shadingIsColour(doc: PdfDocument, obj: PdfObj | undefined, res: PdfDict | undefined): Promise<boolean> {
  const v = await doc.resolve(obj);
  const d = dictOf(v);
  if (!d) return false;
  let cs: ColorSpace;
  try {
    cs = await loadColorSpace(doc, d.get('ColorSpace'), res);
  } catch (e) {
    if (!(e instanceof AnalysisError) || e.code !== 'ANALYSIS_MALFORMED') throw e;
    doc.warn('shading with an unusable colour space; treated as colour');
    return true;
  }
  if (cs.neutral) return false;
  const type = numOf(d.get('ShadingType')) ?? 0;
  const fnObj = d.get('Function');
  let fn: PdfFunction | undefined;
  if (fnObj !== undefined && fnObj !== null) {
    try {
      fn = await loadFunction(doc, fnObj);
    } catch (e) {
      if (!(e instanceof AnalysisError) || (e.code !== 'ANALYSIS_MALFORMED' && e.code !== 'ANALYSIS_UNSUPPORTED')) throw e;
      doc.warn('shading with an unusable function; treated as colour');
      return true;
    }
  }
  if (fn) {
    if (type === 1) {
      const dom = numbersOf(await doc.resolve(d.get('Domain'))) ?? [0, 1, 0, 1];
      for (let i = 0; i <= 8; i++) {
        for (let j = 0; j <= 8; j++) {
          const x = dom[0]! + ((dom[1]! - dom[0]!) * i) / 8;
          const y = dom[2]! + ((dom[3]! - dom[2]!) * j) / 8;
          if (isColour(cs, fn.eval([x, y]))) return true;
        }
      }
      return false;
    }
    // Axial/radial: the shading's /Domain (t0 t1); meshes: the function's own domain.
    const dom = type === 2 || type === 3 ? numbersOf(await doc.resolve(d.get('Domain'))) ?? [0, 1] : fn.domain;
    const t0 = dom[0] ?? 0, t1 = dom[1] ?? 1;
    const points = [...fn.bounds];
    for (let i = 0; i <= 64; i++) points.push(t0 + ((t1 - t0) * i) / 64);
    for (const t of points) if (isColour(cs, fn.eval([t]))) return true;
    return false;
  }
  if (type >= 4 && type <= 7 && v instanceof PdfStream) return meshIsColour(doc, v, type, cs);
  doc.warn(`shading type ${type} without a usable function; treated as colour`);
  return true;
}

/** Read the vertex colours of a free-form, lattice or patch mesh. */
async function meshIsColour(doc: PdfDocument, s: PdfStream, type: number, cs: ColorSpace): Promise<boolean> {
  const d = s.dict;
  const bpc = numOf(d.get('BitsPerCoordinate')) ?? 0;
  const bpk = numOf(d.get('BitsPerComponent')) ?? 0;
  const bpf = type === 5 ? 0 : numOf(d.get('BitsPerFlag')) ?? 0;
  const decode = numbersOf(await doc.resolve(d.get('Decode'))) ?? [];
  const n = cs.n;
  const ok = (b: number) => [1, 2, 4, 8, 12, 16, 24, 32].includes(b);
  if (!ok(bpc) || !ok(bpk) || decode.length < 4 + 2 * n || n === 0) {
    doc.warn('mesh shading with bad parameters; treated as colour');
    return true;
  }
  const { data } = await doc.streamData(s);
  let bit = 0;
  const total = data.length * 8;
  const read = (bits: number): number => {
    let v = 0;
    for (let i = 0; i < bits; i++, bit++) v = v * 2 + ((data[bit >> 3]! >> (7 - (bit & 7))) & 1);
    return v;
  };
  const kmax = Math.pow(2, bpk) - 1;
  const colour = (): boolean => {
    const c: number[] = [];
    for (let k = 0; k < n; k++) c.push(decode[4 + 2 * k]! + (read(bpk) * (decode[5 + 2 * k]! - decode[4 + 2 * k]!)) / kmax);
    return isColour(cs, c);
  };
  const align = () => { bit = (bit + 7) & ~7; };
  while (bit < total) {
    doc.budget(s.start);
    if (type === 4 || type === 5) {
      if (bit + bpf + 2 * bpc + n * bpk > total) break;
      read(bpf); read(bpc); read(bpc);
      if (colour()) return true;
      if (type === 4) align();
    } else {
      if (bit + bpf > total) break;
      const flag = read(bpf);
      const pts = (type === 6 ? 12 : 16) - (flag === 0 ? 0 : 4);
      const cols = flag === 0 ? 4 : 2;
      if (bit + pts * 2 * bpc + cols * n * bpk > total) break;
      for (let i = 0; i < pts; i++) { read(bpc); read(bpc); }
      for (let i = 0; i < cols; i++) if (colour()) return true;
      align();
    }
  }
  return false;
}
