// `printgate analyze [--json] FILE...`: run the analysis engine on spool files, one process
// for many files. With --json, one JSON object per line per file (the file name as given,
// the result fields, or `error: {code, message}`); without, a readable table. Exit 0 when
// every file was analysed, 1 when any failed, 2 on a usage error.

import { PrintgateError } from '../../shared/errors.ts';
import type { AnalysisResult } from '../../shared/analysis.ts';
import { EXIT_FAILED, EXIT_OK, parseCommandArgs, runCommand, UsageError } from '../../cli/usage.ts';
import { analyzeFile } from './engine.ts';

const USAGE = `usage: printgate analyze [--json] [--timeout SECONDS] [--no-ghostscript] FILE...

Count the pages of spool files and find which pages print in colour.
  --json           one JSON object per line per file
  --timeout S      time limit per file in seconds (default 60)
  --no-ghostscript never run Ghostscript (PostScript that needs interpreting
                   then reports its colour as unknown)
`;

export interface FileOutcome {
  file: string;
  result?: AnalysisResult;
  error?: { code: string; message: string; offset?: number };
}

/** The JSON line for one file: the result fields flat, or an error object. */
export function outcomeJson(o: FileOutcome): Record<string, unknown> {
  if (o.error) return { file: o.file, error: o.error };
  const r = o.result!;
  return {
    file: o.file,
    format: r.format,
    pages: r.pages,
    colorPages: r.colorPages,
    colorPageNumbers: r.colorPageNumbers,
    copies: r.copies,
    duplex: r.duplex,
    media: r.media,
    method: r.method,
    warnings: r.warnings,
    recovered: r.recovered,
  };
}

function errorOf(err: unknown): { code: string; message: string; offset?: number } {
  if (err instanceof PrintgateError) {
    const offset = typeof err.detail?.offset === 'number' ? err.detail.offset : undefined;
    return { code: err.code, message: err.message, ...(offset !== undefined ? { offset } : {}) };
  }
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT') return { code: 'NOT_FOUND', message: `no such file: ${e.path ?? ''}` };
  if (e?.code === 'EACCES' || e?.code === 'EISDIR' || e?.code === 'ENOTFILE') return { code: 'ANALYSIS_FAILED', message: e.message };
  return { code: 'ANALYSIS_FAILED', message: e?.message ?? String(err) };
}

function pageList(nums: number[] | null): string {
  if (nums === null) return '?';
  if (nums.length === 0) return '-';
  // Compress runs: 1-3,7,9-10
  const parts: string[] = [];
  let i = 0;
  while (i < nums.length) {
    let j = i;
    while (j + 1 < nums.length && nums[j + 1] === nums[j]! + 1) j++;
    parts.push(j > i ? `${nums[i]}-${nums[j]}` : `${nums[i]}`);
    i = j + 1;
  }
  const s = parts.join(',');
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

/** A readable table, one row per file, errors in place of figures. */
export function formatTable(outcomes: FileOutcome[]): string {
  const header = ['FILE', 'FORMAT', 'PAGES', 'COLOUR', 'COLOUR PAGES', 'COPIES', 'DUPLEX', 'MEDIA', 'NOTES'];
  const rows = outcomes.map((o) => {
    if (o.error) return [o.file, '-', '-', '-', '-', '-', '-', '-', `${o.error.code}: ${o.error.message}`];
    const r = o.result!;
    const notes = [r.method, r.recovered ? 'recovered' : '', ...r.warnings.slice(0, 1)].filter(Boolean).join('; ');
    return [
      o.file, r.format, r.pages === null ? '?' : String(r.pages), r.colorPages === null ? '?' : String(r.colorPages),
      pageList(r.colorPageNumbers), String(r.copies), r.duplex ? 'yes' : 'no',
      r.media.map((m) => `${m.name}x${m.pages}`).join(',') || '-', notes,
    ];
  });
  const widths = header.map((h, i) => Math.min(60, Math.max(h.length, ...rows.map((r) => r[i]!.length))));
  const fmt = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [fmt(header), ...rows.map(fmt)].join('\n') + '\n';
}

export async function run(argv: string[]): Promise<number> {
  return runCommand('analyze', USAGE, async () => {
    const { values, positionals } = parseCommandArgs(argv, {
      json: { type: 'boolean' },
      timeout: { type: 'string' },
      'no-ghostscript': { type: 'boolean' },
    });
    if (values.help) {
      process.stdout.write(USAGE);
      return EXIT_OK;
    }
    if (positionals.length === 0) throw new UsageError('no file given');
    let maxMillis: number | undefined;
    if (values.timeout !== undefined) {
      const s = Number(values.timeout);
      if (!(s > 0) || !Number.isFinite(s)) throw new UsageError(`--timeout must be a positive number of seconds, not "${values.timeout}"`);
      maxMillis = Math.round(s * 1000);
    }
    const outcomes: FileOutcome[] = [];
    let failed = false;
    // A reader that goes away (`printgate analyze --json *.pdf | head -1`) is not a crash:
    // the files it no longer wants are not analysed.
    let gone = false;
    process.stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
      gone = true;
    });
    for (const file of positionals) {
      if (gone) break;
      let outcome: FileOutcome;
      try {
        const result = await analyzeFile(file, { limits: maxMillis ? { maxMillis } : {}, allowGhostscript: !values['no-ghostscript'] });
        outcome = { file, result };
      } catch (err) {
        outcome = { file, error: errorOf(err) };
        failed = true;
      }
      if (values.json) process.stdout.write(`${JSON.stringify(outcomeJson(outcome))}\n`);
      else outcomes.push(outcome);
    }
    if (!values.json) process.stdout.write(formatTable(outcomes));
    return failed ? EXIT_FAILED : EXIT_OK;
  });
}
