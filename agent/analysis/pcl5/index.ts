// PCL 5 parser: sniffs PCL 5 escape sequences (after an optional UEL/PJL block), runs the
// interpreter over each PCL section of the job and summarises the pages: pages from form
// feeds and page-ejecting commands, colour from what each page paints, copies (ESC&l#X
// or PJL), duplex (ESC&l#S or PJL), paper size (ESC&l#A or PJL).

import type { AnalysisResult } from '../../../shared/analysis.ts';
import { readPjl, type PjlSettings } from '../pjl.ts';
import { ByteReader } from '../reader.ts';
import type { Source } from '../source.ts';
import type { AnalyzeOptions, Parser } from '../types.ts';
import { Pcl5Interpreter } from './interpreter.ts';
import { sniffPcl5 } from './sniff.ts';
import { summarisePrinted } from './summary.ts';

export const pcl5Parser: Parser = { format: 'pcl5', sniff: sniffPcl5, analyze };

async function analyze(source: Source, options: AnalyzeOptions): Promise<AnalysisResult> {
  const deadline = Date.now() + options.limits.maxMillis;
  const reader = new ByteReader(source);
  const pjl: PjlSettings = {};
  const interp = new Pcl5Interpreter(deadline, options.signal, options.limits.maxPages, options.limits.maxBufferBytes);
  let recovered = false;
  for (;;) {
    pjl.language = undefined;
    await readPjl(reader, pjl);
    if (reader.eof) break;
    if (pjl.language && !/^PCL5?[CE]?$/.test(pjl.language)) {
      interp.warnings.add(`PJL: a ${pjl.language} section was not analysed`);
      recovered = true;
      break;
    }
    interp.sawUel = false;
    await interp.run(reader);
    if (!interp.sawUel) break;
  }
  return result(interp, pjl, recovered);
}

function result(interp: Pcl5Interpreter, pjl: PjlSettings, recovered: boolean): AnalysisResult {
  return summarisePrinted({
    format: 'pcl5',
    method: 'pcl5-commands',
    pages: interp.pages,
    pjl,
    warnings: interp.warnings,
    recovered,
    mixedCopiesWarning: 'PCL: pages ask for different copy counts; each copy counted as a page',
  });
}
