// Benchmark of the application server over real HTTP with protobuf (issue 2, Performance):
//   (1) throughput of authorize+complete pairs with 64 concurrent closed-loop simulated
//       agents (each its own agent token, printer and keep-alive connection);
//   (2) latency per call at a steady 1,000 pairs/s, open loop (pairs start on schedule
//       whether or not earlier ones finished), p50/p99 per call.
// The server runs as a separate process (`printgate server`) so the load generator does
// not share its event loop; each run uses a fresh database. Medians of --runs runs.
// The simulated agents speak HTTP/1.1 with protobuf bodies through http-client.ts (lean:
// one write per request, every answer framed, decoded and checked; `--client node` uses
// node:http instead); each has its own agent token, printer and keep-alive connections.
// Each run also says how much of the time the server's main thread was runnable but
// waiting for a CPU (from /proc/<pid>/schedstat): on a machine shared with other work,
// that, not the server, is what the latency tail shows. There, `chrt -f 5 npm run
// bench:server ...` (root; the server and its threads inherit the policy) keeps the
// other work from preempting the server and the load generator, a stand-in for a quiet
// machine; the reported wait says whether it did (another real-time process defeats it).
//
//   npm run bench:server -- [--engine sqlite|postgres|both] [--runs 3] [--seconds 10]
//                           [--pg-url postgres://...] [--pg-durable] [--json]
//                           [--only throughput|latency] [--server-flags="--cpu-prof ..."]
// --server-flags are Node options for the server process (e.g. a CPU profile of it).
// Without --pg-url, PostgreSQL runs in a private cluster started here (PRINTGATE_BENCH_PG_URL
// or PRINTGATE_TEST_PG_URL are used when set), with synchronous_commit=off to match the
// SQLite default's durability (see pg-cluster.ts); --pg-durable flushes every commit.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pb } from '../shared/protocol/index.ts';
import { freshDatabase, startCluster, type Cluster } from './pg-cluster.ts';
import { AgentHttp } from './http-client.ts';

const ROOT = resolve(import.meta.dirname, '..');
const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';
const AGENTS = 64;
/** Keep-alive connections per simulated agent, at most. */
const MAX_CONNECTIONS = 4;
const USERS = 256;

const { values: opts } = parseArgs({
  options: {
    engine: { type: 'string', default: 'both' },
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '10' },
    rate: { type: 'string', default: '1000' },
    only: { type: 'string', default: 'both' },
    client: { type: 'string', default: 'lean' },
    'server-flags': { type: 'string', default: '' },
    'pg-url': { type: 'string' },
    'pg-durable': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const RUNS = Number(opts.runs);
const SECONDS = Number(opts.seconds);
const RATE = Number(opts.rate);

// ---- the server process -----------------------------------------------------------------

interface Server {
  readonly port: number;
  /** CPU seconds (user + system) the server process has used so far. */
  cpuSeconds(): number;
  /** Milliseconds the server's main thread has waited, runnable, for a CPU so far (Linux). */
  cpuWaitMs(): number;
  stop(): Promise<void>;
}

/** CPU time of a process from /proc (Linux), in seconds; NaN elsewhere. */
function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Time a thread spent runnable but waiting for a CPU, from /proc (Linux), in ms; NaN elsewhere. */
function runDelayMs(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e6;
  } catch {
    return NaN;
  }
}

async function startServer(db: string, dataDir: string): Promise<Server> {
  const flags = opts['server-flags'].split(' ').filter((f) => f !== '');
  const child: ChildProcess = spawn(process.execPath, [...flags, join(ROOT, 'bin/printgate.js'), 'server', '--port', '0', '--data', dataDir, '--db', db], {
    env: { ...process.env, PRINTGATE_ADMIN_TOKEN: ADMIN_TOKEN, PRINTGATE_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolvePort, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on https?:\/\/[^\s]+:(\d+)/.exec(out);
      if (m) resolvePort(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
  return {
    port,
    cpuSeconds: () => processCpuSeconds(child.pid!),
    cpuWaitMs: () => runDelayMs(child.pid!),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

// ---- HTTP ---------------------------------------------------------------------------------

function request(agent: http.Agent, port: number, path: string, headers: Record<string, string>, body: Buffer, method = 'POST'): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolveReq, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, agent, headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolveReq({ status: res.statusCode ?? 0, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function admin(port: number, method: string, path: string, body?: unknown): Promise<any> {
  const agent = new http.Agent({ keepAlive: false });
  const payload = body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(body));
  const headers: Record<string, string> = { authorization: `Bearer ${ADMIN_TOKEN}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await request(agent, port, `/api/admin/v1${path}`, headers, payload, method);
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.body.toString()}`);
  return res.body.length ? JSON.parse(res.body.toString()) : null;
}

// ---- simulated agents -----------------------------------------------------------------------

interface SimAgent {
  readonly name: string;
  /** The agent's HTTP side: its own token and its own keep-alive connections. */
  readonly http: AgentTransport;
  seq: number;
}

interface AgentTransport {
  post(path: string, body: Uint8Array): Promise<{ status: number; body: Buffer }>;
  destroy(): void;
}

/** node:http (`--client node`), kept to compare the lean client against. */
function nodeTransport(port: number, token: string): AgentTransport {
  const agent = new http.Agent({ keepAlive: true, maxSockets: MAX_CONNECTIONS });
  const headers = { 'content-type': 'application/x-protobuf', authorization: `Bearer ${token}` };
  return {
    post: (path, body) => request(agent, port, path, headers, Buffer.from(body.buffer, body.byteOffset, body.byteLength)),
    destroy: () => agent.destroy(),
  };
}

async function setUp(port: number): Promise<SimAgent[]> {
  for (let i = 0; i < USERS; i++) await admin(port, 'POST', '/users', { name: `u${i}`, balance: '1000000.00' });
  const agents: SimAgent[] = [];
  for (let i = 0; i < AGENTS; i++) {
    const { name, token } = await admin(port, 'POST', '/agents', { name: `a${i}` });
    // A few connections per agent, as a real one would use; beyond them requests queue in
    // the client and that wait counts in their latency.
    const a: SimAgent = { name, http: opts.client === 'node' ? nodeTransport(port, token) : new AgentHttp(port, token, MAX_CONNECTIONS), seq: 0 };
    const reg = pb.RegisterRequest.encode({ hostname: `host${i}`, version: 'bench', platform: 'folder', printers: [{ queue: 'q' }] }).finish();
    const res = await a.http.post('/api/agent/v1/register', reg);
    if (res.status !== 200) throw new Error(`register: ${res.status}`);
    if (pb.RegisterResponse.decode(res.body).agent !== name) throw new Error('register: another agent answered');
    await admin(port, 'PUT', `/printers/${encodeURIComponent(`${name}/q`)}/cost`, { simple: '0.05' });
    agents.push(a);
  }
  return agents;
}

interface PairTimes { authorizeMs: number; completeMs: number }

/** What each pair costs: 3 pages at 0.05 (the printers' price set in setUp), in minor units. */
const PAIR_COST = 15;

/** One job: authorize (unique key), then complete as printed; every answer decoded and checked. */
async function pair(a: SimAgent, user: number): Promise<PairTimes> {
  const key = `${a.name}-${a.seq++}`;
  const auth = pb.AuthorizeRequest.encode({
    idempotencyKey: key,
    job: { queue: 'q', spoolerJobId: key, user: `u${user}`, host: 'ws1', title: 'report.pdf', copies: 1, documentFormat: 'application/pdf' },
    analysis: { format: 'pdf', pagesKnown: true, pages: 3, colorKnown: true, colorPages: 0, method: 'bench' },
  }).finish();
  const t0 = performance.now();
  const r1 = await a.http.post('/api/agent/v1/authorize', auth);
  const t1 = performance.now();
  if (r1.status !== 200) throw new Error(`authorize: ${r1.status} ${pb.ErrorBody.decode(r1.body).message}`);
  const decided = pb.AuthorizeResponse.decode(r1.body);
  if (decided.decision !== pb.Decision.ALLOW) throw new Error(`authorize: ${decided.reasonCode} ${decided.message}`);
  if (Number(decided.cost) !== PAIR_COST || decided.jobId === '') throw new Error(`authorize: cost ${String(decided.cost)}, job "${decided.jobId}"`);
  const done = pb.CompleteRequest.encode({ idempotencyKey: `${key}-c`, jobId: decided.jobId, outcome: pb.Outcome.PRINTED }).finish();
  const t2 = performance.now();
  const r2 = await a.http.post('/api/agent/v1/complete', done);
  const t3 = performance.now();
  if (r2.status !== 200) throw new Error(`complete: ${r2.status} ${pb.ErrorBody.decode(r2.body).message}`);
  const settled = pb.CompleteResponse.decode(r2.body);
  if (settled.jobId !== decided.jobId || Number(settled.cost) !== PAIR_COST) throw new Error(`complete: job "${settled.jobId}" cost ${String(settled.cost)}`);
  return { authorizeMs: t1 - t0, completeMs: t3 - t2 };
}

/** (1) closed loop: every agent runs pairs back to back; pairs per second, and the
 *  server's CPU milliseconds per pair (a figure that other load on the machine disturbs less). */
async function throughput(server: Server, agents: SimAgent[], seconds: number): Promise<{ pairsPerSecond: number; serverCpuMsPerPair: number; clientCpuMsPerPair: number; serverWaitShare: number }> {
  let user = 0;
  let count = 0;
  let counting = false;
  let cpuAtStart = NaN;
  let waitAtStart = NaN;
  let clientAtStart = process.cpuUsage();
  const warmUpUntil = performance.now() + 2000;
  const endAt = warmUpUntil + seconds * 1000;
  let startedAt = 0;
  await Promise.all(agents.map(async (a) => {
    while (performance.now() < endAt) {
      await pair(a, user++ % USERS);
      if (!counting && performance.now() >= warmUpUntil) { counting = true; startedAt = performance.now(); count = 0; cpuAtStart = server.cpuSeconds(); waitAtStart = server.cpuWaitMs(); clientAtStart = process.cpuUsage(); }
      if (counting) count++;
    }
  }));
  const cpu = server.cpuSeconds() - cpuAtStart;
  const waited = server.cpuWaitMs() - waitAtStart;
  const client = process.cpuUsage(clientAtStart);
  const elapsedMs = performance.now() - startedAt;
  return {
    serverWaitShare: waited / elapsedMs,
    pairsPerSecond: count / (elapsedMs / 1000),
    serverCpuMsPerPair: (cpu * 1000) / count,
    clientCpuMsPerPair: (client.user + client.system) / 1000 / count,
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** (2) open loop at `rate` pairs/s: per-call latency percentiles, after 2 s of warm-up
 *  at the same rate whose latencies are not recorded. */
async function latency(server: Server, agents: SimAgent[], seconds: number, rate: number) {
  const auth: number[] = [];
  const complete: number[] = [];
  let user = 0;
  let started = 0;
  let late = 0;
  const inflight = new Set<Promise<void>>();
  const t0 = performance.now();
  const warmUp = Math.round(2 * rate);
  const total = warmUp + Math.round(seconds * rate);
  let measuredFrom = t0;
  let waitAtStart = NaN;
  while (started < total) {
    if (started >= warmUp && measuredFrom === t0) {
      measuredFrom = performance.now();
      waitAtStart = server.cpuWaitMs();
    }
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
    if (due - started > rate / 100) late++;
    while (started < due) {
      const a = agents[started % agents.length]!;
      const record = started >= warmUp;
      const p: Promise<void> = pair(a, user++ % USERS).then((t) => {
        if (record) { auth.push(t.authorizeMs); complete.push(t.completeMs); }
      });
      const tracked = p.finally(() => inflight.delete(tracked));
      inflight.add(tracked);
      started++;
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(inflight);
  const elapsed = (performance.now() - measuredFrom) / 1000;
  const serverWaitShare = (server.cpuWaitMs() - waitAtStart) / (elapsed * 1000);
  auth.sort((x, y) => x - y);
  complete.sort((x, y) => x - y);
  const all = [...auth, ...complete].sort((x, y) => x - y);
  return {
    achievedRate: auth.length / elapsed,
    serverWaitShare,
    p50: percentile(all, 50), p99: percentile(all, 99),
    authorizeP50: percentile(auth, 50), authorizeP99: percentile(auth, 99),
    completeP50: percentile(complete, 50), completeP99: percentile(complete, 99),
    schedulerLateTicks: late,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

async function benchEngine(engine: 'sqlite' | 'postgres', pgUrl: string | null) {
  const pairsPerSecond: number[] = [];
  const cpuPerPair: number[] = [];
  const clientCpuPerPair: number[] = [];
  const lat: Array<Awaited<ReturnType<typeof latency>>> = [];
  const throughputWait: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    for (const kind of (['throughput', 'latency'] as const).filter((k) => opts.only === 'both' || opts.only === k)) {
      const dataDir = mkdtempSync(join(tmpdir(), 'printgate-bench-'));
      const db = engine === 'sqlite' ? join(dataDir, 'printgate.db') : await freshDatabase(pgUrl!, `bench_${process.pid}_${run}_${kind}`);
      const server = await startServer(db, dataDir);
      try {
        const agents = await setUp(server.port);
        if (kind === 'throughput') {
          const { pairsPerSecond: pps, serverCpuMsPerPair, clientCpuMsPerPair, serverWaitShare } = await throughput(server, agents, SECONDS);
          pairsPerSecond.push(pps);
          throughputWait.push(serverWaitShare);
          cpuPerPair.push(serverCpuMsPerPair);
          clientCpuPerPair.push(clientCpuMsPerPair);
          if (!opts.json) process.stderr.write(`${engine} run ${run + 1}: ${pps.toFixed(0)} pairs/s, CPU per pair: server ${serverCpuMsPerPair.toFixed(3)} ms, load generator ${clientCpuMsPerPair.toFixed(3)} ms; server waited for a CPU ${pct(serverWaitShare)} of the time\n`);
        } else {
          const l = await latency(server, agents, SECONDS, RATE);
          lat.push(l);
          if (!opts.json) process.stderr.write(`${engine} run ${run + 1}: ${l.achievedRate.toFixed(0)} pairs/s, p50 ${l.p50.toFixed(2)} ms, p99 ${l.p99.toFixed(2)} ms; server waited for a CPU ${pct(l.serverWaitShare)} of the time\n`);
        }
        for (const a of agents) a.http.destroy();
      } finally {
        await server.stop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    }
  }
  return {
    engine,
    runs: RUNS,
    seconds: SECONDS,
    throughputPairsPerSecond: Math.round(median(pairsPerSecond)),
    throughputRuns: pairsPerSecond.map(Math.round),
    serverCpuMsPerPair: +median(cpuPerPair).toFixed(3),
    clientCpuMsPerPair: +median(clientCpuPerPair).toFixed(3),
    latencyAtRate: RATE,
    p50Ms: +median(lat.map((l) => l.p50)).toFixed(2),
    p99Ms: +median(lat.map((l) => l.p99)).toFixed(2),
    authorizeP99Ms: +median(lat.map((l) => l.authorizeP99)).toFixed(2),
    completeP99Ms: +median(lat.map((l) => l.completeP99)).toFixed(2),
    achievedRate: Math.round(median(lat.map((l) => l.achievedRate))),
    p99Runs: lat.map((l) => +l.p99.toFixed(2)),
    serverCpuWaitShareThroughput: throughputWait.map((w) => +w.toFixed(3)),
    serverCpuWaitShareLatency: lat.map((l) => +l.serverWaitShare.toFixed(3)),
  };
}

/** A share as a percentage for the progress lines. */
const pct = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : 'n/a');

const loadAtStart = (await import('node:os')).loadavg();

async function main(): Promise<void> {
  const engines = opts.engine === 'both' ? ['sqlite', 'postgres'] as const : [opts.engine as 'sqlite' | 'postgres'];
  const results = [];
  let cluster: Cluster | null = null;
  try {
    for (const engine of engines) {
      let pgUrl: string | null = null;
      if (engine === 'postgres') {
        pgUrl = opts['pg-url'] ?? process.env.PRINTGATE_BENCH_PG_URL ?? process.env.PRINTGATE_TEST_PG_URL ?? null;
        if (!pgUrl) {
          cluster = await startCluster(opts['pg-durable']);
          pgUrl = cluster.url;
        }
      }
      results.push(await benchEngine(engine, pgUrl));
    }
  } finally {
    await cluster?.stop();
  }
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ loadAverageAtStart: loadAtStart, results }, null, 2)}\n`);
    return;
  }
  const os = await import('node:os');
  process.stdout.write(`\nserver bench: ${AGENTS} agents, medians of ${RUNS} runs of ${SECONDS} s (Node ${process.version}, ${os.cpus().length} CPUs, load average at start ${loadAtStart.map((l) => l.toFixed(1)).join(' ')}, at end ${os.loadavg().map((l) => l.toFixed(1)).join(' ')})\n`);
  process.stdout.write(`engine     pairs/s (closed loop)  server CPU/pair   at ${RATE} pairs/s: p50 / p99 per call (authorize p99, complete p99)\n`);
  for (const r of results) {
    process.stdout.write(`${r.engine.padEnd(10)} ${String(r.throughputPairsPerSecond).padStart(8)}               ${r.serverCpuMsPerPair.toFixed(3)} ms         ${r.p50Ms} ms / ${r.p99Ms} ms (${r.authorizeP99Ms}, ${r.completeP99Ms}) at ${r.achievedRate}/s\n`);
    process.stdout.write(`${''.padEnd(10)} runs: ${r.throughputRuns.join(', ')} pairs/s; p99 ${r.p99Runs.join(', ')} ms\n`);
  }
}

await main();
