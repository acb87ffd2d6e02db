// PCL XL (PCL 6) parser: sniffs the stream header, reads an optional UEL/PJL prefix,
// then runs the operator interpreter over each PCL XL section and summarises the pages:
// one page per EndPage, colour when the page painted non-neutral colour, copies from
// PageCopies (or PJL), duplex from BeginPage's DuplexPageMode (or PJL).

import type { AnalysisResult } from '../../../shared/analysis.ts';
import { AnalysisError } from '../errors.ts';
import { readPjl, type PjlSettings } from '../pjl.ts';
import { ByteReader } from '../reader.ts';
import type { Source } from '../source.ts';
import type { AnalyzeOptions, Parser } from '../types.ts';
import { summarisePrinted } from '../pcl5/summary.ts';
import { PxlInterpreter } from './interpreter.ts';
import { PxlLexer } from './lexer.ts';
import { PXL_MARK as MARK, sniffPclxl } from './sniff.ts';

export const pclxlParser: Parser = { format: 'pclxl', sniff: sniffPclxl, analyze };

async function analyze(source: Source, options: AnalyzeOptions): Promise<AnalysisResult> {
  const deadline = Date.now() + options.limits.maxMillis;
  const reader = new ByteReader(source);
  const pjl: PjlSettings = {};
  const interp = new PxlInterpreter(deadline, options.signal, options.limits.maxPages, options.limits.maxBufferBytes);
  let sections = 0;
  let recovered = false;
  for (;;) {
    await readPjl(reader, pjl);
    if (reader.eof) break;
    const le = await readHeader(reader);
    if (le === null) {
      if (sections === 0) throw new AnalysisError('ANALYSIS_MALFORMED', 'PCL XL: no stream header', reader.pos);
      interp.warnings.add('PCL XL: data after the last PCL XL section was not analysed');
      recovered = true;
      break;
    }
    sections++;
    const end = await interp.run(new PxlLexer(reader, le), reader);
    if (interp.openPage) {
      throw new AnalysisError('ANALYSIS_TRUNCATED', 'PCL XL: the stream ends inside a page', reader.pos);
    }
    if (end === 'eof') break;
  }
  return result(interp, pjl, recovered);
}

/** Read the header line; returns little-endian?, or null when there is no header here. */
async function readHeader(reader: ByteReader): Promise<boolean | null> {
  await reader.ensure(1024);
  const b = reader.peek(0);
  for (let i = 0; i < MARK.length; i++) if (reader.peek(1 + i) !== MARK.charCodeAt(i)) return null;
  if (b === 0x27) throw new AnalysisError('ANALYSIS_UNSUPPORTED', 'PCL XL: ASCII-bound streams are not supported', reader.pos);
  if (b !== 0x28 && b !== 0x29) return null;
  let n = 0;
  while (n < 1024 && reader.peek(n) !== 0x0a) {
    if (reader.peek(n) === -1) throw new AnalysisError('ANALYSIS_TRUNCATED', 'PCL XL: the file ends inside the stream header', reader.pos + n);
    n++;
  }
  if (n >= 1024) throw new AnalysisError('ANALYSIS_MALFORMED', 'PCL XL: stream header line too long', reader.pos);
  reader.skip(n + 1);
  return b === 0x29;
}

function result(interp: PxlInterpreter, pjl: PjlSettings, recovered: boolean): AnalysisResult {
  return summarisePrinted({
    format: 'pclxl',
    method: 'pclxl-operators',
    pages: interp.pages,
    pjl,
    warnings: interp.warnings,
    recovered,
    mixedCopiesWarning: 'PCL XL: pages ask for different PageCopies; each copy counted as a page',
  });
}
