// PostScript parser: DSC first, Ghostscript where the program has to be interpreted.
//
//   method 'dsc'              pages from trusted DSC comments; colour only when the DSC
//                             says so exactly (%%DocumentProcessColors: Black and no
//                             custom colours: every page gray), otherwise unknown (null)
//   method 'dsc+ghostscript'  pages from trusted DSC, confirmed by the rendering; colour
//                             per page from Ghostscript's pixels
//   method 'ghostscript'      pages and colour from the rendering (DSC absent, not
//                             trusted, or contradicted by the interpreter)
//
// Without Ghostscript (not installed, or options.allowGhostscript === false) untrusted DSC
// gives pages: null rather than a guess. Copies and duplex come from DSC %%Requirements,
// setpagedevice (/NumCopies, /Duplex), #copies and PJL; paper from setpagedevice PageSize,
// %%PageMedia / %%DocumentMedia, or the rendered page size.

import { mediaName, type AnalysisResult } from '../../../shared/analysis.ts';
import { AnalysisError } from '../errors.ts';
import { summarise, type PageFact } from '../pcl5/summary.ts';
import { pjlCopies, pjlPaperName, readPjl, type PjlSettings } from '../pjl.ts';
import { ByteReader } from '../reader.ts';
import { SliceSource, type Source } from '../source.ts';
import type { AnalyzeOptions, Parser } from '../types.ts';
import { scanDsc, type DscInfo } from './dsc.ts';
import { GS_DPI, ghostscriptAvailable, renderPages, type GsRun } from './ghostscript.ts';
import { sniffPostscript } from './sniff.ts';

export const postscriptParser: Parser = { format: 'postscript', sniff: sniffPostscript, analyze };

async function analyze(source: Source, options: AnalyzeOptions): Promise<AnalysisResult> {
  const deadline = Date.now() + options.limits.maxMillis;
  const signal = options.signal;
  // A UEL/PJL wrapper the engine did not peel, or a Ctrl-D from a Windows driver.
  const pre = new ByteReader(source);
  const pjl: PjlSettings = {};
  await readPjl(pre, pjl);
  await pre.ensure(1);
  if (pre.peek(0) === 0x04) pre.skip(1);
  const body = pre.pos > 0 ? new SliceSource(source, pre.pos, source.size - pre.pos) : source;

  const dsc = await scanDsc(new ByteReader(body), deadline, signal);
  const trusted = dsc.distrust.length === 0;
  const warnings = [...dsc.warnings];
  const copies = dsc.copies > 1 ? dsc.copies : (pjlCopies(pjl) ?? 1);
  const duplex = dsc.duplex || (pjl.duplex ?? false);
  const base = { copies, duplex };

  if (trusted && dscSaysAllBlack(dsc)) {
    return summarise({ format: 'postscript', pages: dscPages(dsc, pjl, () => false), ...base, method: 'dsc', warnings, recovered: false });
  }
  const gsAllowed = options.allowGhostscript !== false && (await ghostscriptAvailable());
  if (!gsAllowed) {
    const why = options.allowGhostscript === false ? 'Ghostscript not allowed' : 'Ghostscript not installed';
    if (trusted) {
      warnings.push(`PostScript colour is unknown: it needs the program interpreted (${why})`);
      return summarise({ format: 'postscript', pages: dscPages(dsc, pjl, () => false), ...base, method: 'dsc', warnings, recovered: false, colourUnknown: true });
    }
    warnings.push(`DSC cannot be trusted (${dsc.distrust.join('; ')}) and ${why}: pages unknown`);
    return unknownPages(base, warnings);
  }

  const run = await renderPages(body, deadline, signal, GS_DPI);
  let rendered = run.pages;
  let recovered = false;
  if (run.exitCode !== 0 || run.partial) {
    const last = /Error: [^\n]*/.exec(run.stderr)?.[0] ?? run.stderr.split('\n').find((l) => l.trim() !== '') ?? '';
    if (rendered.length === 0) {
      throw new AnalysisError('ANALYSIS_MALFORMED', `PostScript error before the first page: ${last || `Ghostscript exit code ${run.exitCode}`}`, 0);
    }
    warnings.push(`PostScript error after ${rendered.length} page(s); counted what prints before it: ${last}`);
    recovered = true;
  }
  rendered = foldHashCopies(rendered, dsc, warnings);
  let method: string;
  if (!trusted) {
    warnings.push(`DSC not trusted (${dsc.distrust.join('; ')}): pages from Ghostscript`);
    method = 'ghostscript';
  } else if (rendered.length !== dsc.pages.length) {
    warnings.push(`DSC has ${dsc.pages.length} pages but the program prints ${rendered.length}: pages from Ghostscript`);
    method = 'ghostscript';
  } else {
    method = 'dsc+ghostscript';
  }
  const pages: PageFact[] = rendered.map((p) => ({ colour: p.colour, media: mediaName((p.width * 72) / GS_DPI, (p.height * 72) / GS_DPI) }));
  return summarise({ format: 'postscript', pages, ...base, method, warnings, recovered });
}

/** %%DocumentProcessColors: Black (and no custom colours): the document declares no colour. */
function dscSaysAllBlack(dsc: DscInfo): boolean {
  const process = dsc.processColors;
  if (!process || process.length === 0 || !process.every((c) => c === 'Black')) return false;
  const custom = dsc.customColors;
  return !custom || custom.length === 0 || custom.every((c) => c === '(none)');
}

function dscPages(dsc: DscInfo, pjl: PjlSettings, colour: (i: number) => boolean): PageFact[] {
  return dsc.pages.map((p, i) => ({ colour: colour(i), media: p.media ?? dsc.defaultMedia ?? pjlPaperName(pjl) ?? null }));
}

/** `/#copies n def` makes Ghostscript output each page n times in a row: keep one. */
function foldHashCopies(pages: GsRun['pages'], dsc: DscInfo, warnings: string[]): GsRun['pages'] {
  const n = dsc.hashCopies;
  if (n <= 1) return pages;
  if (pages.length % n !== 0) {
    warnings.push(`#copies is ${n} but ${pages.length} pages were rendered; not folded`);
    return pages;
  }
  const out: GsRun['pages'] = [];
  for (let i = 0; i < pages.length; i += n) out.push({ ...pages[i]!, colour: pages.slice(i, i + n).some((p) => p.colour) });
  return out;
}

function unknownPages(base: { copies: number; duplex: boolean }, warnings: string[]): AnalysisResult {
  return {
    format: 'postscript', pages: null, colorPages: null, colorPageNumbers: null, ...base,
    media: [], method: 'dsc', warnings, recovered: false,
  };
}
