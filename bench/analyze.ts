// `npm run bench:analyze -- [--runs N] [--raster-mb MB] [--rss-mb MB] [--no-gs]`
//
// Side by side, in one run, on the same files:
//   printgate: `printgate analyze --json FILE...` (one process, every file of a set);
//   gs inkcov: `gs -q -o - -sDEVICE=inkcov FILE...` (one process, default resolution);
//   pdfinfo:   page counts of the PDFs (one process per file, as it works).
// Sets: the fixtures; real PDF manuals installed under /usr/share/doc (install more with
// `apt-get install --no-install-recommends r-doc-pdf gnuplot-doc`); man pages typeset to
// PostScript by groff (`man -t`); big PWG, CUPS v3 and URF rasters made by Ghostscript from
// a real manual and repeated to --raster-mb. Peak RSS: a child analyses a --rss-mb CUPS
// raster spool file and reports process.resourceUsage().maxRSS. Generated files live in
// bench/.cache/analyze (not committed). Times are medians of --runs runs.

import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, realpathSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { loadCase, ROOT, truthFiles } from '../test/agent/analysis/fixtures.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    'raster-mb': { type: 'string', default: '300' },
    'rss-mb': { type: 'string', default: '500' },
    'no-gs': { type: 'boolean', default: false },
  },
});
const RUNS = Math.max(1, Number(values.runs));
const CACHE = join(ROOT, 'bench', '.cache', 'analyze');
mkdirSync(CACHE, { recursive: true });
const CLI = join(ROOT, 'bin', 'printgate.js');
const log = (s: string) => process.stderr.write(`${s}\n`);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}
function timed(cmd: string, args: string[]): { ms: number; stdout: string; status: number | null } {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  return { ms: performance.now() - t0, stdout: r.stdout ?? '', status: r.status };
}
const size = (files: string[]) => files.reduce((s, f) => s + statSync(f).size, 0);

// ---- gathering ----------------------------------------------------------------------

function realPdfs(): string[] {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) { walk(p); continue; }
      if (!/\.pdf(\.gz)?$/.test(e.name)) continue;
      let real: string;
      try { real = realpathSync(p); } catch { continue; }
      if (statSync(real).size > 40 * 1024 * 1024) continue;
      if (real.endsWith('.gz')) {
        const dest = join(CACHE, `${basename(real, '.gz')}`);
        if (!existsSync(dest)) writeFileSync(dest, gunzipSync(readFileSync(real)));
        out.set(real, dest);
      } else out.set(real, real);
    }
  };
  if (existsSync('/usr/share/doc')) walk('/usr/share/doc');
  // Only files pdfinfo can read count as real documents.
  return [...out.values()].filter((f) => spawnSync('pdfinfo', [f], { stdio: 'ignore' }).status === 0).sort();
}

function manPostScript(): string[] {
  if (!have('man') || !have('groff')) return [];
  const out: string[] = [];
  for (const page of ['bash', 'gs', 'groff', 'tar', 'find']) {
    const dest = join(CACHE, `man-${page}.ps`);
    if (!existsSync(dest)) {
      const r = spawnSync('man', ['-t', page], { maxBuffer: 1 << 28 });
      if (r.status !== 0 || r.stdout.length === 0) continue;
      writeFileSync(dest, r.stdout);
    }
    out.push(dest);
  }
  return out;
}

/** Write `sync` then the page data of `src` (after its `skip`-byte file header) `times` times. */
function repeatRaster(src: string, dest: string, skip: number, header: Uint8Array, targetBytes: number): void {
  const body = readFileSync(src).subarray(skip);
  const fd = openSync(dest, 'w');
  writeSync(fd, header);
  for (let written = header.length; written < targetBytes; written += body.length) writeSync(fd, body);
  closeSync(fd);
}

function bigRasters(sourcePdf: string | undefined, targetMb: number, rssMb: number): { pwg: string; cups: string; urf: string; rss: string } | null {
  if (!sourcePdf || !have('gs')) return null;
  const pwg = join(CACHE, `big-${targetMb}mb.pwg`), cups = join(CACHE, `big-${targetMb}mb-v3.ras`), urf = join(CACHE, `big-${targetMb}mb.urf`);
  const rss = join(CACHE, `spool-${rssMb}mb-v3.ras`);
  const gs = (device: string, extra: string[], out: string) =>
    spawnSync('gs', ['-q', '-dSAFER', '-dBATCH', '-dNOPAUSE', '-dFirstPage=1', '-dLastPage=12', '-r300', `-sDEVICE=${device}`, ...extra, '-o', out, sourcePdf], { stdio: 'ignore' });
  const target = targetMb * 1024 * 1024;
  if (!existsSync(pwg)) {
    log(`making ${pwg}`);
    gs('pwgraster', ['-dcupsColorSpace=19', '-dcupsBitsPerColor=8'], join(CACHE, 'src.pwg'));
    repeatRaster(join(CACHE, 'src.pwg'), pwg, 4, new TextEncoder().encode('RaS2'), target);
  }
  if (!existsSync(urf)) {
    log(`making ${urf}`);
    gs('appleraster', ['-dcupsColorSpace=19', '-dcupsBitsPerColor=8'], join(CACHE, 'src.urf'));
    const h = new Uint8Array(12);
    h.set(new TextEncoder().encode('UNIRAST\0'));
    repeatRaster(join(CACHE, 'src.urf'), urf, 12, h, target);
  }
  if (!existsSync(cups) || !existsSync(rss)) {
    log(`making ${cups} and ${rss}`);
    spawnSync('gs', ['-q', '-dSAFER', '-dBATCH', '-dNOPAUSE', '-dFirstPage=1', '-dLastPage=6', '-r150', '-sDEVICE=cups', '-dcupsColorSpace=1', '-dcupsBitsPerColor=8', '-o', join(CACHE, 'src.ras'), sourcePdf], { stdio: 'ignore' });
    const sync = readFileSync(join(CACHE, 'src.ras')).subarray(0, 4);
    repeatRaster(join(CACHE, 'src.ras'), cups, 4, sync, target);
    repeatRaster(join(CACHE, 'src.ras'), rss, 4, sync, rssMb * 1024 * 1024);
  }
  return { pwg, cups, urf, rss };
}

// ---- measuring ----------------------------------------------------------------------

interface Row { set: string; tool: string; files: number; pages: number; colorPages: number | null; ms: number; mb: number; /** Whole CLI process, start-up included. */ wallMs?: number }

/** Times the engine over `files` in one child process (after its start-up), and the CLI. */
function runPrintgate(set: string, files: string[]): Row {
  const script = `import { analyzeFile } from ${JSON.stringify(join(ROOT, 'agent/analysis/engine.ts'))};
let pages = 0, colour = 0, failed = 0;
const t0 = performance.now();
for (const f of process.argv.slice(1)) {
  try { const r = await analyzeFile(f); pages += r.pages ?? 0; colour += r.colorPages ?? 0; } catch { failed++; }
}
console.log(JSON.stringify({ ms: performance.now() - t0, pages, colour, failed }));`;
  const engine: number[] = [];
  const wall: number[] = [];
  let pages = 0, colour = 0, failed = 0;
  for (let i = 0; i < RUNS; i++) {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, ...files], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const o = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}');
    engine.push(o.ms);
    ({ pages, colour, failed } = { pages: o.pages, colour: o.colour, failed: o.failed });
    wall.push(timed(process.execPath, [CLI, 'analyze', '--json', ...files]).ms);
  }
  if (failed) log(`printgate: ${failed} file(s) of ${set} failed`);
  return { set, tool: 'printgate analyze', files: files.length, pages, colorPages: colour, ms: median(engine), wallMs: median(wall), mb: size(files) / 1e6 };
}

function runInkcov(set: string, files: string[]): Row {
  const times: number[] = [];
  let pages = 0, colour = 0;
  for (let i = 0; i < RUNS; i++) {
    const r = timed('gs', ['-q', '-dSAFER', '-dNOPAUSE', '-dBATCH', '-o', '-', '-sDEVICE=inkcov', ...files]);
    times.push(r.ms);
    pages = 0; colour = 0;
    for (const line of r.stdout.split('\n')) {
      const m = /^\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+CMYK OK/.exec(line);
      if (!m) continue;
      pages++;
      if (Number(m[1]) > 0 || Number(m[2]) > 0 || Number(m[3]) > 0) colour++;
    }
  }
  return { set, tool: 'gs inkcov', files: files.length, pages, colorPages: colour, ms: median(times), mb: size(files) / 1e6 };
}

function runPdfinfo(set: string, files: string[]): Row {
  const times: number[] = [];
  let pages = 0;
  for (let i = 0; i < RUNS; i++) {
    let ms = 0;
    pages = 0;
    for (const f of files) {
      const r = timed('pdfinfo', [f]);
      ms += r.ms;
      pages += Number(/^Pages:\s+(\d+)/m.exec(r.stdout)?.[1] ?? 0);
    }
    times.push(ms);
  }
  return { set, tool: 'pdfinfo (pages only)', files: files.length, pages, colorPages: null, ms: median(times), mb: size(files) / 1e6 };
}

function peakRss(file: string): { rssMb: number; ms: number; pages: number } {
  const script = `import { analyzeFile } from ${JSON.stringify(join(ROOT, 'agent/analysis/engine.ts'))};
const t0 = performance.now(); const r = await analyzeFile(${JSON.stringify(file)});
console.log(JSON.stringify({ pages: r.pages, ms: performance.now() - t0, maxRss: process.resourceUsage().maxRSS }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  const o = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}');
  return { rssMb: o.maxRss / 1024, ms: o.ms, pages: o.pages };
}

// ---- main ---------------------------------------------------------------------------

const fixtures = truthFiles().map(loadCase).filter((c) => c.file && !c.truth.error).map((c) => c.file!);
const pdfs = realPdfs();
const ps = manPostScript();
const rasters = bigRasters(pdfs.find((f) => /R-intro|gnuplot/.test(f)) ?? pdfs[0], Number(values['raster-mb']), Number(values['rss-mb']));
const fixturePdfPs = fixtures.filter((f) => /\.(pdf|ps|eps)$/i.test(f));
log(`fixtures ${fixtures.length}, real PDFs ${pdfs.length}, PostScript ${ps.length}, rasters ${rasters ? 'yes' : 'no'}; ${RUNS} runs each`);

const rows: Row[] = [];
rows.push(runPrintgate('fixtures (all formats)', fixtures));
if (!values['no-gs'] && have('gs')) rows.push(runInkcov('fixtures (PDF + PS)', fixturePdfPs), runPrintgate('fixtures (PDF + PS)', fixturePdfPs));
if (pdfs.length) {
  rows.push(runPrintgate('real PDFs', pdfs));
  if (!values['no-gs'] && have('gs')) rows.push(runInkcov('real PDFs', pdfs));
  if (have('pdfinfo')) rows.push(runPdfinfo('real PDFs', pdfs));
}
if (ps.length) {
  rows.push(runPrintgate('man pages (PostScript)', ps));
  if (!values['no-gs'] && have('gs')) rows.push(runInkcov('man pages (PostScript)', ps));
}
if (rasters) {
  rows.push(runPrintgate('PWG raster (300 dpi sRGB)', [rasters.pwg]));
  rows.push(runPrintgate('CUPS raster v3 (150 dpi RGB)', [rasters.cups]));
  rows.push(runPrintgate('URF (300 dpi sRGB)', [rasters.urf]));
}

const out: string[] = [];
const load = (await import('node:os')).loadavg()[0]!.toFixed(1);
out.push(`Measured ${new Date().toISOString().slice(0, 10)} (load average ${load} at the end) on ${process.platform}/${process.arch}, ${(await import('node:os')).cpus().length} CPUs, Node ${process.version}, ${spawnSync('gs', ['--version'], { encoding: 'utf8' }).stdout.trim() ? `Ghostscript ${spawnSync('gs', ['--version'], { encoding: 'utf8' }).stdout.trim()}` : 'no Ghostscript'}; medians of ${RUNS} runs.`);
out.push('');
out.push('printgate: time of the engine over all files in one process (after start-up); the CLI column is the whole `printgate analyze --json` process. gs and pdfinfo: whole processes.');
out.push('');
out.push('| set | tool | files | MB | pages | colour pages | time (s) | pages/s | MB/s | CLI wall (s) |');
out.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  out.push(`| ${r.set} | ${r.tool} | ${r.files} | ${r.mb.toFixed(1)} | ${r.pages} | ${r.colorPages ?? '-'} | ${(r.ms / 1000).toFixed(2)} | ${(r.pages / (r.ms / 1000)).toFixed(0)} | ${(r.mb / (r.ms / 1000)).toFixed(0)} | ${r.wallMs !== undefined ? (r.wallMs / 1000).toFixed(2) : '-'} |`);
}
const ratio = (set: string) => {
  const p = rows.find((r) => r.set === set && r.tool === 'printgate analyze');
  const g = rows.find((r) => r.set === set && r.tool === 'gs inkcov');
  if (!p || !g) return null;
  const cli = p.wallMs ? `; whole CLI process ${(p.pages / (p.wallMs / 1000)).toFixed(0)} pages/s = ${((p.pages / p.wallMs) / (g.pages / g.ms)).toFixed(1)}x` : '';
  return `${set}: printgate engine ${(p.pages / (p.ms / 1000)).toFixed(0)} pages/s vs gs inkcov ${(g.pages / (g.ms / 1000)).toFixed(0)} pages/s = ${((p.pages / p.ms) / (g.pages / g.ms)).toFixed(1)}x${cli}`;
};
out.push('');
for (const s of ['fixtures (PDF + PS)', 'real PDFs', 'man pages (PostScript)']) { const r = ratio(s); if (r) out.push(`- ${r}`); }
if (rasters) {
  const rss = [0, 1, 2].map(() => peakRss(rasters.rss));
  out.push(`- peak RSS analysing a ${(statSync(rasters.rss).size / 1048576).toFixed(0)} MiB CUPS raster spool file (${rss[0]!.pages} pages): median ${median(rss.map((r) => r.rssMb)).toFixed(0)} MiB (process.resourceUsage().maxRSS of a child process; ${median(rss.map((r) => r.ms)).toFixed(0)} ms)`);
}
process.stdout.write(`${out.join('\n')}\n`);
