// Bench of the gate: what printgate adds to a print job, on one private CUPS rig.
//
//   npm run bench:gate [-- --jobs 60 --idle-seconds 30 --json --built]
//
// --built runs the agent from dist/ (run `npm run build` first), as an installed package
// does; otherwise from the TypeScript sources (the same RSS once Node's compile cache is
// warm; on a cold cache the type stripper's WebAssembly heap adds ~14 MB).
//
// Two queues on the same ippeveprinter virtual printer: `open` (plain CUPS) and `lab`
// (attached to printgate: the job waits at the gate until the agent, after analysing the
// document and asking a real `printgate server`, moves it to the release queue). For a
// 10-page PDF, one job at a time, the latency is measured from `lp` returning to the
// virtual printer's hook having the document (the hook writes its own millisecond clock).
// Added latency = lab - open, at p50 and p99. Then the agent's idle cost: RSS, and CPU
// time from /proc/<pid>/stat (utime+stime) over --idle-seconds with no jobs.

import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { startCupsRig } from '../test/helpers/cups-rig.ts';
import { startServer, startAgent, rssBytes, cpuTicks, privateBytes } from '../test/helpers/agent-stack.ts';
import { CupsClient } from '../platform/cups/client.ts';
import { attach, releaseQueueName } from '../platform/cups/attach.ts';
import { getJobs } from '../platform/cups/ops.ts';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '5' },
    'idle-seconds': { type: 'string', default: '30' },
    json: { type: 'boolean', default: false },
    built: { type: 'boolean', default: false },
  },
});
const JOBS = Number(values.jobs);
const WARMUP = Number(values.warmup);
const IDLE_S = Number(values['idle-seconds']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * What the agent's resident memory is made of, in MB, from /proc/<pid>/smaps: pages of the
 * node executable (file-backed, shared with every other node process; they count in VmRSS
 * all the same), anonymous memory (the V8 heap, malloc arenas, thread stacks), glibc's
 * main heap ([heap]) and everything else (shared libraries).
 */
function rssParts(pid: number): { nodeBinaryMB: number; anonymousMB: number; mallocHeapMB: number; otherMB: number } {
  const kb = { bin: 0, anon: 0, heap: 0, other: 0 };
  let name = '';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) { name = head[1]!; continue; }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (!rss) continue;
    const n = Number(rss[1]);
    if (name === process.execPath || name.endsWith('/bin/node')) kb.bin += n;
    else if (name === '') kb.anon += n;
    else if (name === '[heap]') kb.heap += n;
    else kb.other += n;
  }
  const mb = (k: number) => Math.round((k / 1024) * 10) / 10;
  return { nodeBinaryMB: mb(kb.bin), anonymousMB: mb(kb.anon), mallocHeapMB: mb(kb.heap), otherMB: mb(kb.other) };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

async function tenPages(): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let i = 0; i < 10; i++) {
    const page = doc.addPage([595.28, 841.89]);
    for (let l = 0; l < 40; l++) page.drawText(`Page ${i + 1}, line ${l + 1}: the quick brown fox jumps over the lazy dog.`, { x: 50, y: 800 - l * 18, size: 10, font });
  }
  return doc.save();
}

async function main(): Promise<void> {
  const rig = await startCupsRig({ queues: ['open', 'lab'] });
  const stops: Array<() => Promise<unknown>> = [() => rig.stop()];
  try {
    const admin = new CupsClient({ server: rig.env.CUPS_SERVER, stateDir: rig.env.CUPS_STATEDIR, user: 'root' });
    await attach({ client: admin, stateDir: join(rig.base, 'pgstate') }, 'lab');
    stops.push(async () => admin.close());

    const server = await startServer(join(rig.base, 'server-data'));
    stops.unshift(() => server.stop());
    const { token } = await server.admin<{ token: string }>('POST', '/agents', { name: 'bench' });
    await server.admin('POST', '/users', { name: 'alice', balance: '1000000.00' });
    const agent = await startAgent({
      server: server.url, token, stateDir: join(rig.base, 'agent-state'), spoolDir: rig.spoolDir, cupsEnv: rig.env, name: 'bench',
      built: values.built,
      ...(process.env.BENCH_AGENT_NODE_OPTIONS ? { env: { NODE_OPTIONS: process.env.BENCH_AGENT_NODE_OPTIONS } } : {}),
    });
    stops.unshift(() => agent.stop());
    await server.admin('PUT', `/printers/${encodeURIComponent('bench/lab')}/cost`, { simple: '0.01' }).catch(() => undefined);

    const file = join(rig.base, 'ten.pdf');
    await writeFile(file, await tenPages());
    let received = 0;
    // Each job starts on an idle system: CUPS's ipp backend keeps a queue busy until the
    // printer reports the previous job done, which would otherwise land in the next sample.
    const idle = async () => {
      const deadline = Date.now() + 30_000;
      for (const q of ['open', 'lab', releaseQueueName('lab')]) {
        while ((await getJobs(admin, q, 'not-completed', ['job-id'])).length > 0) {
          if (Date.now() > deadline) throw new Error(`queue ${q} stays busy`);
          await sleep(20);
        }
      }
    };
    const once = async (queue: string): Promise<number> => {
      await idle();
      await rig.lp(['-d', queue, file], 'alice');
      const returned = Date.now();
      const got = await rig.waitForReceived(received + 1, 30_000);
      received = got.length;
      return got.at(-1)!.at - returned;
    };
    const samples: Record<string, number[]> = { open: [], lab: [] };
    for (let i = 0; i < WARMUP; i++) { await once('open'); await once('lab'); }
    // Interleaved, so that drift of the machine affects both alike.
    for (let i = 0; i < JOBS; i++) {
      samples.open!.push(await once('open'));
      samples.lab!.push(await once('lab'));
    }
    const open = [...samples.open!].sort((a, b) => a - b);
    const lab = [...samples.lab!].sort((a, b) => a - b);
    // Each printgate job ran right after a plain one: their difference is the added
    // latency with the machine's drift in common.
    const paired = samples.lab!.map((v, i) => v - samples.open![i]!).sort((a, b) => a - b);

    // Where the agent's time goes, from its own log lines (analysis, fsync of the journal
    // record, the spooler's release), and the whole arrival-to-release span.
    const lines = agent.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const med = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
    const arrivedAt = new Map<string, number>();
    const spans: number[] = [];
    for (const l of lines) {
      if (l.queue !== 'lab') continue;
      if (l.msg === 'job arrived') arrivedAt.set(String(l.job), Date.parse(String(l.time)));
      if (l.msg === 'released' && arrivedAt.has(String(l.job))) spans.push(Date.parse(String(l.time)) - arrivedAt.get(String(l.job))!);
    }
    const steps = {
      analysisMs: med(lines.filter((l) => l.msg === 'analysed').map((l) => Number(l.ms))),
      journalFsyncMs: med(lines.filter((l) => l.msg === 'released').map((l) => Number(l.journalMs))),
      spoolerReleaseMs: med(lines.filter((l) => l.msg === 'released').map((l) => Number(l.spoolerMs))),
      arrivedToReleasedMs: med(spans),
    };

    // Idle: let the last job's completion settle, then watch the agent do nothing.
    await sleep(3000);
    const rss = rssBytes(agent.pid);
    const t0 = cpuTicks(agent.pid);
    await sleep(IDLE_S * 1000);
    const ticks = cpuTicks(agent.pid) - t0;
    const rssAfter = rssBytes(agent.pid);
    const priv = privateBytes(agent.pid);
    const parts = rssParts(agent.pid);

    const result = {
      jobs: JOBS,
      document: '10-page PDF',
      plainCupsMs: { p50: percentile(open, 50), p99: percentile(open, 99) },
      printgateMs: { p50: percentile(lab, 50), p99: percentile(lab, 99) },
      addedMs: { p50: percentile(lab, 50) - percentile(open, 50), p99: percentile(lab, 99) - percentile(open, 99) },
      addedPairedMs: { p50: percentile(paired, 50), p99: percentile(paired, 99) },
      agentStepsMedianMs: steps,
      loadAverage: (await import('node:os')).loadavg()[0],
      agentRunsFrom: values.built ? 'dist (built)' : 'sources (type stripping)',
      agentIdle: { rssMB: Math.round((Math.max(rss, rssAfter) / 1048576) * 10) / 10, privateMB: Math.round((priv / 1048576) * 10) / 10, cpuTicks: ticks, cpuSeconds: ticks / 100, overSeconds: IDLE_S, ...parts },
    };
    if (values.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    else {
      process.stdout.write([
        `gate bench: ${JOBS} jobs per queue (10-page PDF), lp returned -> document at the virtual printer`,
        `  plain CUPS   p50 ${result.plainCupsMs.p50} ms   p99 ${result.plainCupsMs.p99} ms`,
        `  printgate    p50 ${result.printgateMs.p50} ms   p99 ${result.printgateMs.p99} ms`,
        `  added        p50 ${result.addedMs.p50} ms   p99 ${result.addedMs.p99} ms   (targets: 25 / 100)`,
        `  added/paired p50 ${result.addedPairedMs.p50} ms   p99 ${result.addedPairedMs.p99} ms   (per pair of consecutive jobs)`,
        `  agent steps  (medians) analysis ${steps.analysisMs} ms, journal fsync ${steps.journalFsyncMs} ms, spooler release ${steps.spoolerReleaseMs} ms; job seen -> released ${steps.arrivedToReleasedMs} ms`,
        `  load average ${result.loadAverage.toFixed(2)} at the end (other work on the machine makes the figures noisy)`,
        `  agent from   ${result.agentRunsFrom}`,
        `  agent idle   RSS ${result.agentIdle.rssMB} MB (target <= 80; private ${result.agentIdle.privateMB} MB)   CPU ${result.agentIdle.cpuTicks} ticks over ${IDLE_S} s`,
        `  RSS parts    node binary ${parts.nodeBinaryMB} MB, anonymous ${parts.anonymousMB} MB, malloc [heap] ${parts.mallocHeapMB} MB, other ${parts.otherMB} MB`,
        '',
      ].join('\n'));
    }
  } finally {
    for (const stop of stops) await stop().catch(() => undefined);
  }
}

await main();
