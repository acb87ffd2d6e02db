// Ghostscript as a child process, for what only a PostScript interpreter can answer: the
// document (copied to a private temporary file, removed afterwards) is rendered by
// `gs -dSAFER -dBATCH -dNOPAUSE -sDEVICE=ppmraw` at a low resolution, and its pixel
// output is streamed through PpmPages (one page at a time, never held whole). The run is bounded by the analysis deadline and killed on the abort signal.
// A small prologue stops setpagedevice's NumCopies from repeating pages in the output, so
// the pages are the document's pages for one copy. The command can be overridden with the
// PRINTGATE_GHOSTSCRIPT environment variable (a path, or "none" to disable it).

import { spawn } from 'node:child_process';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AnalysisError, checkBudget } from '../errors.ts';
import type { Source } from '../source.ts';
import { PpmPages, type RenderedPage } from './ppm.ts';

/** Rendering resolution: enough for a 1-pixel trace of hairlines and small text. */
export const GS_DPI = 36;

const PROLOGUE =
  '/setpagedevice { dup type /dicttype eq { dup /NumCopies known ' +
  '{ dup length dict copy dup /NumCopies undef } if } if //setpagedevice } bind def';

const CHUNK = 1 << 20;

export interface GsRun {
  pages: RenderedPage[];
  /** Ghostscript's exit code (0: the program ran to its end). */
  exitCode: number | null;
  /** The start of its error output, for warnings. */
  stderr: string;
  /** The output stopped inside a page. */
  partial: boolean;
}

export function ghostscriptCommand(): string | null {
  const env = process.env.PRINTGATE_GHOSTSCRIPT;
  if (env === 'none') return null;
  return env && env !== '' ? env : 'gs';
}

const availability = new Map<string, Promise<boolean>>();

/** Whether the Ghostscript command runs (checked once per command). */
export function ghostscriptAvailable(): Promise<boolean> {
  const cmd = ghostscriptCommand();
  if (!cmd) return Promise.resolve(false);
  let p = availability.get(cmd);
  if (!p) {
    p = new Promise<boolean>((resolve) => {
      try {
        const child = spawn(cmd, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] });
        let out = '';
        child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
        child.on('error', () => resolve(false));
        child.on('close', (code) => resolve(code === 0 && /\d+\.\d+/.test(out)));
      } catch {
        resolve(false);
      }
    });
    availability.set(cmd, p);
  }
  return p;
}

/**
 * Render every page of the PostScript in `source`; resolves with the pages seen. The
 * document is copied to a private temporary file first: Ghostscript reads its standard
 * input (`-`) several times slower than a named file, far more than the copy costs.
 */
export async function renderPages(source: Source, deadline: number, signal: AbortSignal | undefined, dpi = GS_DPI): Promise<GsRun> {
  const cmd = ghostscriptCommand();
  if (!cmd) throw new AnalysisError('ANALYSIS_UNSUPPORTED', 'Ghostscript is disabled', 0);
  const dir = await mkdtemp(join(tmpdir(), 'printgate-ps-'));
  try {
    const file = join(dir, 'job.ps');
    await copyToFile(source, file, deadline, signal);
    // Each rendered page is real progress: a one-byte read tells the engine's stall guard
    // (which watches reads of the source) that the analysis is still advancing.
    const progress = (n: number) => { void source.read(n % Math.max(1, source.size), 1).catch(() => {}); };
    return await runGs(cmd, file, deadline, signal, dpi, progress);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function copyToFile(source: Source, file: string, deadline: number, signal: AbortSignal | undefined): Promise<void> {
  const out = await open(file, 'wx', 0o600);
  try {
    for (let off = 0; off < source.size; off += CHUNK) {
      checkBudget(signal, deadline, off);
      const chunk = await source.read(off, CHUNK);
      if (chunk.length === 0) break;
      await out.write(chunk);
    }
  } finally {
    await out.close();
  }
}

function runGs(cmd: string, file: string, deadline: number, signal: AbortSignal | undefined, dpi: number, progress: (pages: number) => void): Promise<GsRun> {
  return new Promise<GsRun>((resolve, reject) => {
    const ppm = new PpmPages();
    let stderr = '';
    let settled = false;
    const args = ['-q', '-dSAFER', '-dBATCH', '-dNOPAUSE', '-sDEVICE=ppmraw', '-sstdout=%stderr', `-r${dpi}`, '-sOutputFile=-', '-c', PROLOGUE, '-f', file];
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const finish = (err: Error | null, run?: GsRun) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      if (err) reject(err);
      else resolve(run!);
    };
    const onAbort = () => finish(new AnalysisError('ANALYSIS_ABORTED', 'analysis cancelled while Ghostscript ran', 0));
    const timer = setTimeout(
      () => finish(new AnalysisError('ANALYSIS_LIMIT', 'Ghostscript took longer than the time limit', 0)),
      Math.max(1, deadline - Date.now()),
    );
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });

    child.on('error', (e) => finish(new AnalysisError('ANALYSIS_FAILED', `Ghostscript could not be started: ${e.message}`, 0, { cause: e })));
    child.stdout.on('data', (chunk: Buffer) => {
      try {
        const before = ppm.pages.length;
        ppm.push(chunk);
        if (ppm.pages.length > before) progress(ppm.pages.length);
      } catch (e) {
        finish(e as Error);
      }
    });
    child.stderr.on('data', (d: Buffer) => {
      // The head holds the error name; the operand/dict dumps that follow do not matter.
      if (stderr.length < 8192) stderr = (stderr + d.toString('latin1')).slice(0, 8192);
    });
    child.on('close', (code) => {
      finish(null, { pages: ppm.pages, exitCode: code, stderr: stderr.trim(), partial: !ppm.complete });
    });
  });
}
