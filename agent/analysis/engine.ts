// The analysis engine: one entry point for the agent, the CLI and `printgate replay`.
//
//   file -> size limit -> peel PJL/UEL -> detect (scored table) -> parser under limits
//        -> checked result -> PJL job settings applied
//
// Limits: the file size (limits.maxBytes) is checked before anything is read; the time
// limit is a deadline handed to the parser (checkBudget) and an abort signal that also ends
// the wait for a parser that forgets to look; the stall guard aborts when the parser has read
// no new bytes for limits.stallMillis. Any exception that is not an AnalysisError becomes
// ANALYSIS_FAILED carrying the furthest offset read, so every failure has a code and offset.
// Memory: sources are read in ranges; nothing here holds more than a few KiB of the file.

import { normaliseMediaName, type AnalysisResult } from '../../shared/analysis.ts';
import { PrintgateError } from '../../shared/errors.ts';
import { detect, formatForPjlLanguage, type DetectionEntry } from './detect.ts';
import { AnalysisError } from './errors.ts';
import { peelWrappers, pjlCopies, type PjlSettings } from './pjl.ts';
import { REGISTRY } from './registry.ts';
import { FileSource, type Source } from './source.ts';
import { DEFAULT_LIMITS, type AnalyzeLimits, type AnalyzeOptions } from './types.ts';

export interface EngineOptions {
  limits?: Partial<AnalyzeLimits>;
  signal?: AbortSignal;
  /** Let parsers run Ghostscript (when installed) for what needs interpreting; default true. */
  allowGhostscript?: boolean;
  /** The detection table; the registry by default (tests pass their own). */
  table?: readonly DetectionEntry[];
}

const SNIFF_BYTES = 4096;
const DEFAULT_STALL_MS = 15_000;

/** Watches reads so the stall guard and error offsets know how far the parser got. */
class WatchedSource implements Source {
  readonly size: number;
  private readonly base: Source;
  furthest = 0;
  lastProgress = Date.now();
  constructor(base: Source) {
    this.base = base;
    this.size = base.size;
    this.readIntoSync = base.readIntoSync ? (offset, target) => this.watchedIntoSync(offset, target) : undefined;
  }
  async read(offset: number, length: number): Promise<Uint8Array> {
    const end = offset + Math.max(0, length);
    if (offset !== this.lastOffset || end > this.furthest) this.lastProgress = Date.now();
    this.lastOffset = offset;
    if (end > this.furthest) this.furthest = Math.min(end, this.size);
    return this.base.read(offset, length);
  }
  async readInto(offset: number, target: Uint8Array): Promise<number> {
    const end = offset + target.length;
    if (offset !== this.lastOffset || end > this.furthest) this.lastProgress = Date.now();
    this.lastOffset = offset;
    if (end > this.furthest) this.furthest = Math.min(end, this.size);
    if (this.base.readInto) return this.base.readInto(offset, target);
    const part = await this.base.read(offset, target.length);
    target.set(part);
    return part.length;
  }
  /** Present only when the base source has it (set in the constructor). */
  readonly readIntoSync: ((offset: number, target: Uint8Array) => number) | undefined;
  private watchedIntoSync(offset: number, target: Uint8Array): number {
    const end = offset + target.length;
    if (offset !== this.lastOffset || end > this.furthest) this.lastProgress = Date.now();
    this.lastOffset = offset;
    if (end > this.furthest) this.furthest = Math.min(end, this.size);
    return this.base.readIntoSync!(offset, target);
  }
  private lastOffset = -1;
  async close(): Promise<void> {}
}

function resolveLimits(partial: Partial<AnalyzeLimits> | undefined): AnalyzeLimits {
  const limits: AnalyzeLimits = { ...DEFAULT_LIMITS, ...(partial ?? {}) };
  limits.stallMillis = Math.min(limits.stallMillis ?? DEFAULT_STALL_MS, limits.maxMillis);
  return limits;
}

/** Check a parser's result against the invariants every consumer relies on. */
function checkResult(r: AnalysisResult, limits: AnalyzeLimits): AnalysisResult {
  const bad = (what: string) => new AnalysisError('ANALYSIS_FAILED', `parser returned an inconsistent result: ${what}`, 0);
  if (r.pages !== null && (!Number.isSafeInteger(r.pages) || r.pages < 0)) throw bad('pages');
  if (r.pages !== null && r.pages > limits.maxPages) {
    throw new AnalysisError('ANALYSIS_LIMIT', `document has ${r.pages} pages, more than the limit of ${limits.maxPages}`, 0);
  }
  if ((r.colorPages === null) !== (r.colorPageNumbers === null)) throw bad('colorPages and colorPageNumbers disagree on null');
  if (r.colorPageNumbers !== null) {
    if (r.colorPageNumbers.length !== r.colorPages) throw bad('colorPages is not the length of colorPageNumbers');
    let prev = 0;
    for (const n of r.colorPageNumbers) {
      if (!Number.isSafeInteger(n) || n <= prev || (r.pages !== null && n > r.pages)) throw bad('colorPageNumbers');
      prev = n;
    }
  }
  if (!Number.isSafeInteger(r.copies) || r.copies < 1) throw bad('copies');
  return r;
}

/** Apply the PJL job settings the payload parser could not see. */
export function applyPjl(result: AnalysisResult, settings: PjlSettings): AnalysisResult {
  const out: AnalysisResult = { ...result, warnings: [...result.warnings], media: result.media.map((m) => ({ ...m })) };
  // The document's own copies (PCL &lX, PostScript #copies) win over the job header's,
  // as they do on the printer; PJL only fills in when the document says nothing.
  const copies = pjlCopies(settings);
  if (copies !== undefined && out.copies === 1) out.copies = copies;
  if (settings.duplex === true) out.duplex = true;
  // RENDERMODE=GRAYSCALE: the printer prints every page in gray, so nothing is billed as
  // colour, whatever colour the document holds. Said in a warning so it is not a mystery.
  if (settings.grayscale === true && out.colorPages !== null && out.colorPages > 0) {
    out.warnings.push(`PJL RENDERMODE=GRAYSCALE: ${out.colorPages} colour page(s) will print in gray and are counted as gray`);
    out.colorPages = 0;
    out.colorPageNumbers = [];
    for (const m of out.media) m.colorPages = 0;
  }
  if (settings.paper !== undefined && out.media.length === 0 && out.pages !== null && out.pages > 0) {
    out.media = [{ name: normaliseMediaName(settings.paper), pages: out.pages, colorPages: out.colorPages ?? 0 }];
  }
  return out;
}

/** Analyse an open source (which stays open: the caller closes it). */
export async function analyzeSource(source: Source, opts: EngineOptions = {}): Promise<AnalysisResult> {
  const limits = resolveLimits(opts.limits);
  if (source.size > limits.maxBytes) {
    throw new AnalysisError('ANALYSIS_LIMIT', `file is ${source.size} bytes, more than the limit of ${limits.maxBytes}`, 0);
  }
  if (source.size === 0) throw new AnalysisError('ANALYSIS_MALFORMED', 'the file is empty', 0);

  const watched = new WatchedSource(source);
  const controller = new AbortController();
  const started = Date.now();
  const deadline = started + limits.maxMillis;
  const abort = (err: AnalysisError) => { if (!controller.signal.aborted) controller.abort(err); };
  const onOuterAbort = () => abort(new AnalysisError('ANALYSIS_ABORTED', 'analysis cancelled', watched.furthest));
  if (opts.signal?.aborted) onOuterAbort();
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const timer = setTimeout(() => abort(new AnalysisError('ANALYSIS_LIMIT', `analysis took longer than ${limits.maxMillis} ms`, watched.furthest)), limits.maxMillis);
  const stallMs = limits.stallMillis ?? DEFAULT_STALL_MS;
  const watchdog = setInterval(() => {
    if (Date.now() - watched.lastProgress > stallMs) {
      abort(new AnalysisError('ANALYSIS_STALLED', `the parser read nothing new for ${stallMs} ms`, watched.furthest));
    }
  }, Math.max(50, Math.min(1000, stallMs / 4)));
  const aborted = new Promise<never>((_, reject) => {
    const fail = () => reject(controller.signal.reason);
    if (controller.signal.aborted) fail();
    else controller.signal.addEventListener('abort', fail, { once: true });
  });
  aborted.catch(() => {}); // observed below through the race

  try {
    const work = (async () => {
      const peeled = await peelWrappers(watched);
      const payload = peeled.payload;
      if (payload.size === 0) throw new AnalysisError('ANALYSIS_MALFORMED', 'the PJL job holds no document', peeled.start);
      const head = await payload.read(0, Math.min(SNIFF_BYTES, payload.size));
      const tailLen = Math.min(SNIFF_BYTES, payload.size);
      const tail = await payload.read(payload.size - tailLen, tailLen);
      const hint = formatForPjlLanguage(peeled.settings.language);
      const found = detect(opts.table ?? REGISTRY, head, tail, hint);
      if (!found) throw new AnalysisError('ANALYSIS_UNSUPPORTED', 'the document format was not recognised', peeled.start);
      // From here on, "furthest" is how far the parser itself got (for error offsets).
      watched.furthest = peeled.start;
      const options: AnalyzeOptions = { limits, signal: controller.signal, deadline, allowGhostscript: opts.allowGhostscript ?? true };
      let result: AnalysisResult;
      try {
        result = await found.parser.analyze(payload, options);
      } catch (err) {
        // Offsets inside the payload are offsets in the file plus the wrapper's length.
        if (err instanceof AnalysisError && peeled.start > 0) {
          throw new AnalysisError(err.code as ConstructorParameters<typeof AnalysisError>[0], err.message.replace(/ \(at byte \d+\)$/, ''), err.offset + peeled.start, { cause: err });
        }
        throw err;
      }
      result = checkResult(result, limits);
      if (peeled.wrapped) {
        result = applyPjl(result, peeled.settings);
        result.warnings.unshift(...peeled.warnings);
      }
      return result;
    })();
    // A parser that lost the race may still fail later (its source gets closed): observed.
    work.catch(() => {});
    return await Promise.race([work, aborted]);
  } catch (err) {
    throw toAnalysisError(err, watched.furthest);
  } finally {
    clearTimeout(timer);
    clearInterval(watchdog);
    opts.signal?.removeEventListener('abort', onOuterAbort);
    if (!controller.signal.aborted) controller.abort(new AnalysisError('ANALYSIS_ABORTED', 'analysis finished', watched.furthest));
  }
}

/** Map anything thrown into an AnalysisError (typed, with an offset). */
export function toAnalysisError(err: unknown, offset: number): AnalysisError {
  if (err instanceof AnalysisError) return err;
  if (err instanceof RangeError && /allocation|Invalid array length|Invalid typed array length|too large/i.test(err.message)) {
    return new AnalysisError('ANALYSIS_LIMIT', `memory limit: ${err.message}`, offset, { cause: err });
  }
  if (err instanceof PrintgateError && err.code.startsWith('ANALYSIS_')) {
    return new AnalysisError(err.code as ConstructorParameters<typeof AnalysisError>[0], err.message, offset, { cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new AnalysisError('ANALYSIS_FAILED', `parser failure: ${message}`, offset, { cause: err });
}

/** Analyse a file by path. The file is read in ranges, never whole. */
export async function analyzeFile(path: string, opts: EngineOptions = {}): Promise<AnalysisResult> {
  const source = await FileSource.open(path);
  try {
    return await analyzeSource(source, opts);
  } finally {
    await source.close();
  }
}
