// PCL 5 parser: sniffs PCL 5 escape sequences (after an optional UEL/PJL block), runs the
// interpreter over each PCL section of the job and summarises the pages: pages from form
// feeds and page-ejecting commands, colour from what each page paints, copies (ESC&l#X
// or PJL), duplex (ESC&l#S or PJL), paper size (ESC&l#A or PJL).

import type { AnalysisResult } from '../../../shared/analysis.ts';
import { pjlCopies, pjlPaperName, readPjl, type PjlSettings } from '../pjl.ts';
import { ByteReader } from '../reader.ts';
import type { Source } from '../source.ts';
import type { AnalyzeOptions, Parser } from '../types.ts';
import { Pcl5Interpreter, type Pcl5Page } from './interpreter.ts';
import { summarise } from './summary.ts';

const latin1 = new TextDecoder('latin1');

export const pcl5Parser: Parser = {
  format: 'pcl5',
  sniff(head: Uint8Array): number {
    try {
      const s = latin1.decode(head.subarray(0, 4096));
      if (/ HP-PCL XL/.test(s)) return 0;
      const enter = /@PJL\s+ENTER\s+LANGUAGE\s*=\s*([A-Za-z0-9]+)/i.exec(s);
      if (enter) return /^PCL5?[CE]?$/i.test(enter[1]!) ? 95 : 0;
      // Skip a UEL and PJL lines, then look at the first bytes of the payload.
      const body = s.replace(/^(\x1b%-12345X)?(@PJL[^\n]*\n|[\r\n])*/i, '');
      if (body.startsWith('\x1bE')) return 90;
      if (/^\x1b[&*()%][a-z]?[-+]?[0-9.]*[@-~]/.test(body)) return 70;
      return 0;
    } catch {
      return 0;
    }
  },
  analyze,
};

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
  const warnings = [...interp.warnings];
  let pages: Pcl5Page[] = interp.pages;
  const copiesSeen = new Set(pages.map((p) => p.copies));
  let copies = 1;
  if (copiesSeen.size === 1) copies = pages[0]!.copies;
  else if (copiesSeen.size > 1) {
    pages = pages.flatMap((p) => new Array<Pcl5Page>(p.copies).fill(p));
    warnings.push('PCL: pages ask for different copy counts; each copy counted as a page');
  }
  const pjlAsked = pjlCopies(pjl);
  if (copies === 1 && pjlAsked) copies = pjlAsked;
  if (pjl.grayscale && pages.some((p) => p.colour)) warnings.push('PJL RENDERMODE=GRAYSCALE: colour pages print gray');
  return summarise({
    format: 'pcl5',
    pages: pages.map((p) => ({ colour: p.colour && !pjl.grayscale, media: p.media ?? pjlPaperName(pjl) ?? null })),
    copies,
    duplex: pages.some((p) => p.duplex) || (pjl.duplex ?? false),
    method: 'pcl5-commands',
    warnings,
    recovered,
  });
}
