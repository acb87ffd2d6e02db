// In-process throughput of authorize+complete pairs through the service (no HTTP), with N
// concurrent closed-loop simulated agents, on SQLite or PostgreSQL. It shows how much of
// the HTTP benchmark's budget the core itself uses.
//   node bench/service-pairs.ts [--db FILE|postgres://...] [--agents 64] [--seconds 5]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openService } from '../server/service/index.ts';

const { values } = parseArgs({ options: { db: { type: 'string' }, agents: { type: 'string', default: '64' }, seconds: { type: 'string', default: '5' } } });
const dir = mkdtempSync(join(tmpdir(), 'printgate-bench-'));
// The scratch database can reach hundreds of MB: removed however the run ends (also when
// stdout is a closed pipe, e.g. `| head -1`).
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
process.stdout.on('error', () => {});
const s = await openService({ db: values.db ?? join(dir, 'bench.db'), dataDir: dir, background: false });
const n = Number(values.agents);
const agents = [];
for (let i = 0; i < n; i++) agents.push(await s.authenticateAgent((await s.createAgent(`bench${Date.now()}-${i}`)).token));
const users: string[] = [];
for (let i = 0; i < 100; i++) users.push((await s.createUser({ name: `bench-user-${Date.now()}-${i}`, balanceMinor: 1_000_000_000 }, 'bench')).name);
const cpu0 = process.cpuUsage();
const deadline = performance.now() + Number(values.seconds) * 1000;
let pairs = 0;
const lat: number[] = [];
await Promise.all(agents.map(async (agent, a) => {
  for (let i = 0; performance.now() < deadline; i++) {
    const t0 = performance.now();
    const key = `${a}-${i}-${Math.random()}`;
    const r = await s.authorize(agent, {
      idempotencyKey: key,
      job: { queue: 'q', user: users[(a * 7 + i) % users.length]!, title: 'bench', copies: 1 },
      analysis: { pagesKnown: true, pages: 3, colorKnown: true, colorPageNumbers: [2] },
    });
    await s.complete(agent, { idempotencyKey: `${key}-c`, jobId: r.jobId, outcome: 'PRINTED' });
    lat.push(performance.now() - t0);
    pairs++;
  }
}));
lat.sort((x, y) => x - y);
const cpu = process.cpuUsage(cpu0);
console.log(`${values.db?.startsWith('postgres') ? 'postgres' : 'sqlite'}: ${(pairs / Number(values.seconds)).toFixed(0)} pairs/s with ${n} agents; pair p50 ${lat[Math.floor(lat.length / 2)]!.toFixed(2)} ms, p99 ${lat[Math.floor(lat.length * 0.99)]!.toFixed(2)} ms; ${pairs} pairs, this process ${((cpu.user + cpu.system) / pairs).toFixed(0)} µs CPU per pair`);
console.log('ledger ok:', (await s.checkLedger()).ok);

await s.close();
