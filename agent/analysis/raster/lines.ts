// Line data of the CUPS v2 / PWG / URF raster family: each line is a repeat byte (the line
// occurs n+1 times) then PackBits-like runs of whole colour values ("units"): a byte
// 0..127 repeats the next unit n+1 times, 129..255 introduces 257-n literal units, and 128
// is "fill the rest of the line with white" in URF (CUPS/PWG never write it; CUPS's reader
// takes it as 129 literal units, and so do we).
//
// Speed: colour is judged on runs, never on expanded pixels: a repeated run is one check,
// a literal run one pass over its bytes, a repeated line one check for all its repeats.
// Once a page has colour the runs are only walked (to find where the page ends).

import type { UnitCheck } from '../colour.ts';
import { AnalysisError, checkBudget } from '../errors.ts';
import type { ByteReader } from '../reader.ts';
import type { AnalyzeOptions } from '../types.ts';

export type Code128 = 'fill-white' | 'literal-129';

export interface LineLayout {
  /** Units (colour values) per line. */
  lineUnits: number;
  /** Bytes per unit. */
  unitBytes: number;
  code128: Code128;
}

/** Most bytes one compressed line can take: repeat byte + a run byte and a unit per unit. */
export function maxCompressedLine(l: LineLayout): number {
  return 1 + l.lineUnits * (1 + l.unitBytes);
}

const BUDGET_EVERY = 512;

/**
 * Walk `lines` compressed lines of a chunked page, judging runs with `check` (null: gray
 * colour space, walk only). Returns whether any unit was colour.
 */
export async function scanCompressed(reader: ByteReader, lines: number, layout: LineLayout, check: UnitCheck | null, options: AnalyzeOptions): Promise<boolean> {
  const { lineUnits, unitBytes, code128 } = layout;
  const maxLine = maxCompressedLine(layout);
  let colour = check === null;
  let done = 0;
  let sinceBudget = 0;
  while (done < lines) {
    checkBudget(options.signal, options.deadline, reader.pos);
    // Refill only when a worst-case line may not fit; then decode every line that surely
    // fits (or all that remain when the buffer reaches the end of the file) without awaiting.
    const avail = reader.available >= maxLine ? reader.available : await reader.ensure(Math.max(maxLine, 1 << 20));
    const v = reader.view();
    const base = reader.pos;
    const atEnd = base + avail >= reader.size;
    if (avail < 1) throw new AnalysisError('ANALYSIS_TRUNCATED', `file ends after ${done} of ${lines} lines of a page`, base);
    let p = 0;
    while (done < lines && (atEnd ? p < avail : avail - p >= maxLine)) {
      if (++sinceBudget >= BUDGET_EVERY) {
        sinceBudget = 0;
        checkBudget(options.signal, options.deadline, base + p);
      }
      const lineStart = p;
      const repeat = v[p++]! + 1;
      let units = 0;
      while (units < lineUnits) {
        if (p >= avail) throw new AnalysisError('ANALYSIS_TRUNCATED', 'file ends inside a raster line', base + p);
        const c = v[p++]!;
        if (c < 128) {
          const n = c + 1;
          if (units + n > lineUnits) throw new AnalysisError('ANALYSIS_MALFORMED', `run of ${n} overflows the line (${lineUnits - units} units left)`, base + p - 1);
          if (p + unitBytes > avail) throw new AnalysisError('ANALYSIS_TRUNCATED', 'file ends inside a raster line', base + p);
          if (!colour && check!(v, p, 1)) colour = true;
          p += unitBytes;
          units += n;
        } else if (c === 128 && code128 === 'fill-white') {
          units = lineUnits; // white is never colour
        } else {
          const n = 257 - c;
          if (units + n > lineUnits) throw new AnalysisError('ANALYSIS_MALFORMED', `literal run of ${n} overflows the line (${lineUnits - units} units left)`, base + p - 1);
          const bytes = n * unitBytes;
          if (p + bytes > avail) throw new AnalysisError('ANALYSIS_TRUNCATED', 'file ends inside a raster line', base + p);
          if (!colour && check!(v, p, n)) colour = true;
          p += bytes;
          units += n;
        }
      }
      done += repeat;
      if (done > lines) throw new AnalysisError('ANALYSIS_MALFORMED', `line repeat runs past the page's ${lines} lines`, base + lineStart);
    }
    reader.skip(p);
    if (p === 0 && done < lines) throw new AnalysisError('ANALYSIS_STALLED', 'raster line decoder made no progress', base);
  }
  return check !== null && colour;
}

/**
 * Decode one compressed line into `out` (lineUnits * unitBytes bytes). Returns how many
 * times the line repeats. `white` fills for code 128 in URF.
 */
export async function decodeCompressedLine(reader: ByteReader, layout: LineLayout, out: Uint8Array, white: number): Promise<number> {
  const { lineUnits, unitBytes, code128 } = layout;
  const avail = await reader.ensure(maxCompressedLine(layout));
  const v = reader.view();
  const lineStart = reader.pos;
  if (avail < 1) throw new AnalysisError('ANALYSIS_TRUNCATED', 'file ends before a raster line', lineStart);
  const repeat = v[0]! + 1;
  let p = 1;
  let units = 0;
  while (units < lineUnits) {
    if (p >= avail) throw new AnalysisError('ANALYSIS_TRUNCATED', 'file ends inside a raster line', lineStart + p);
    const c = v[p++]!;
    if (c < 128) {
      const n = c + 1;
      if (units + n > lineUnits) throw new AnalysisError('ANALYSIS_MALFORMED', `run of ${n} overflows the line`, lineStart + p - 1);
      if (p + unitBytes > avail) throw new AnalysisError('ANALYSIS_TRUNCATED', 'file ends inside a raster line', lineStart + p);
      for (let k = 0; k < n; k++) out.set(v.subarray(p, p + unitBytes), (units + k) * unitBytes);
      p += unitBytes;
      units += n;
    } else if (c === 128 && code128 === 'fill-white') {
      out.fill(white, units * unitBytes);
      units = lineUnits;
    } else {
      const n = 257 - c;
      if (units + n > lineUnits) throw new AnalysisError('ANALYSIS_MALFORMED', `literal run of ${n} overflows the line`, lineStart + p - 1);
      const bytes = n * unitBytes;
      if (p + bytes > avail) throw new AnalysisError('ANALYSIS_TRUNCATED', 'file ends inside a raster line', lineStart + p);
      out.set(v.subarray(p, p + bytes), units * unitBytes);
      p += bytes;
      units += n;
    }
  }
  reader.skip(p);
  return repeat;
}

/**
 * Scan `lines` uncompressed lines of `bytesPerLine`, judging the first `usedUnits` units of
 * each with `check`; stops reading at the first colour and skips the rest. Returns colour.
 */
export async function scanUncompressed(reader: ByteReader, lines: number, bytesPerLine: number, usedUnits: number, check: UnitCheck | null, options: AnalyzeOptions): Promise<boolean> {
  const total = lines * bytesPerLine;
  if (check === null) {
    if (reader.pos + total > reader.size) throw new AnalysisError('ANALYSIS_TRUNCATED', 'file ends inside a page', reader.size);
    reader.skip(total);
    return false;
  }
  let done = 0;
  while (done < lines) {
    checkBudget(options.signal, options.deadline, reader.pos);
    // Judge every whole line already buffered; refill only when not one line is left, so
    // what is kept across a refill is less than a line (streaming readers need that).
    let avail = reader.available;
    if (avail < bytesPerLine) avail = await reader.ensure(Math.max(bytesPerLine, 1 << 20));
    if (avail < bytesPerLine) throw new AnalysisError('ANALYSIS_TRUNCATED', `file ends after ${done} of ${lines} lines of a page`, reader.pos);
    const batch = Math.min(lines - done, Math.floor(avail / bytesPerLine));
    const need = batch * bytesPerLine;
    const v = reader.view();
    // A line identical to the one before it was already judged gray: a native memcmp
    // skips the white space and repeated rows that make up most of a page.
    const b = Buffer.from(v.buffer, v.byteOffset, need);
    for (let i = 0; i < batch; i++) {
      if (i > 0 && b.subarray(i * bytesPerLine, (i + 1) * bytesPerLine).equals(b.subarray((i - 1) * bytesPerLine, i * bytesPerLine))) continue;
      if (check(v, i * bytesPerLine, usedUnits)) {
        const rest = (lines - done) * bytesPerLine; // from the batch's start, where the reader is
        if (reader.pos + rest > reader.size) throw new AnalysisError('ANALYSIS_TRUNCATED', 'file ends inside a page', reader.size);
        reader.skip(rest);
        return true;
      }
    }
    reader.skip(need);
    done += batch;
  }
  return false;
}
