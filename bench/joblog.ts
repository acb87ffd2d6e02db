// Job-log benchmark (issue 2, Performance (3)): one user's last 50 jobs out of a
// 1,000,000-row job log, through the service's listJobs (the admin API's query), on
// SQLite and PostgreSQL. The log is filled by one set-based INSERT ... SELECT per batch
// (rows generated inside the database), 1,000 users on 50 printers over a year.
// The SQLite file is cached in bench/.cache/ (not committed) and reused when complete.
//
//   node bench/joblog.ts [--engine sqlite|postgres|both] [--rows 1000000] [--queries 200]
//                        [--pg-url postgres://...] [--json]
// Without --pg-url, PostgreSQL is PRINTGATE_BENCH_PG_URL / PRINTGATE_TEST_PG_URL when set,
// else a private cluster started here (bench/pg-cluster.ts).

import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { openService } from '../server/service/index.ts';
import type { PrintService } from '../server/service/types.ts';
import type { Storage } from '../server/storage/port.ts';
import { freshDatabase, startCluster, type Cluster } from './pg-cluster.ts';

const { values: opts } = parseArgs({
  options: {
    engine: { type: 'string', default: 'both' },
    rows: { type: 'string', default: '1000000' },
    queries: { type: 'string', default: '200' },
    'pg-url': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const ROWS = Number(opts.rows);
const USERS = 1000;
const PRINTERS = 50;
const BATCH = 100_000;
const YEAR_MS = 365 * 86_400_000;
const START = Date.UTC(2025, 10, 1);
const CACHE = resolve(import.meta.dirname, '.cache');

type Service = PrintService & { readonly storage: Storage };

async function populate(s: Service, log: (m: string) => void): Promise<void> {
  const db = s.storage;
  const have = Number((await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM jobs'))?.n ?? 0);
  if (have >= ROWS) {
    log(`job log already holds ${have} rows`);
    return;
  }
  if (have > 0) throw new Error(`the database has ${have} jobs, fewer than ${ROWS}: remove it and start again`);
  const agent = await s.authenticateAgent((await s.createAgent('bench')).token);
  await s.registerAgent(agent, { printers: Array.from({ length: PRINTERS }, (_, i) => ({ queue: `q${i}` })) });
  for (let i = 0; i < USERS; i++) await s.createUser({ name: `user${i}`, balanceMinor: 0 }, 'bench');
  const ids = async (sql: string) => (await db.all<{ id: number }>(sql)).map((r) => Number(r.id));
  const users = await ids("SELECT id FROM users WHERE name LIKE 'user%' ORDER BY id");
  const accounts = await ids("SELECT id FROM accounts WHERE kind = 'personal' ORDER BY user_id");
  const printers = await ids('SELECT id FROM printers ORDER BY id');
  // Contiguous ids let the generator compute them from the row number.
  const contiguous = (xs: number[]) => xs.every((x, i) => x === xs[0]! + i);
  if (!contiguous(users) || !contiguous(accounts) || !contiguous(printers)) throw new Error('ids are not contiguous; use an empty database');
  const [u0, a0, p0] = [users[0]!, accounts[0]!, printers[0]!];
  const pg = db.dialect.engine === 'postgres';
  for (let from = 1; from <= ROWS; from += BATCH) {
    const to = Math.min(ROWS, from + BATCH - 1);
    const series = pg ? `generate_series(CAST(${from} AS BIGINT), ${to}) AS s(n)` : `s`;
    const cte = pg ? '' : `WITH RECURSIVE s(n) AS (SELECT ${from} UNION ALL SELECT n + 1 FROM s WHERE n < ${to}) `;
    await db.transaction((tx) => tx.run(`INSERT INTO jobs (user_id, user_name, account_id, printer_id, agent_id, host, title,
        spooler_job_id, pages, color_pages, copies, duplex, media, impressions, color_impressions, sheets, cost, decision,
        status, method, created_at, completed_at, idem_key, request_hash, quoted_cost)
      ${cte}SELECT ${u0} + n % ${USERS}, 'user' || (n % ${USERS}), ${a0} + n % ${USERS}, ${p0} + n % ${PRINTERS}, ${agent.id},
        'pc' || (n % 300), 'document ' || n, '' || n, 1 + n % 20, n % 3, 1, n % 2, 'A4', 1 + n % 20, n % 3, 1 + n % 20,
        10 * (1 + n % 20), 'ALLOW', 'printed', 'pdf-content', ${START} + n * ${Math.floor(YEAR_MS / ROWS)},
        ${START} + n * ${Math.floor(YEAR_MS / ROWS)} + 5000, 'bench-' || n, 'x', 10 * (1 + n % 20)
      FROM ${series}`));
    log(`  ${to} rows`);
  }
  if (pg) await db.run('ANALYZE jobs');
  else await db.run('ANALYZE');
}

async function measure(s: Service, queries: number): Promise<{ median: number; p99: number; rows: number }> {
  const times: number[] = [];
  let rows = 0;
  for (let i = 0; i < queries + 20; i++) {
    const user = `user${(i * 7919) % USERS}`;
    const t0 = performance.now();
    const page = await s.listJobs({ user, limit: 50 });
    const ms = performance.now() - t0;
    if (i >= 20) times.push(ms); // the first 20 warm the caches
    rows = page.items.length;
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)]!, p99: times[Math.floor(times.length * 0.99)]!, rows };
}

const results: Record<string, { median: number; p99: number; rows: number }> = {};
const log = (m: string) => { if (!opts.json) console.log(m); };
const engines = opts.engine === 'both' ? ['sqlite', 'postgres'] : [opts.engine!];
for (const engine of engines) {
  let cluster: Cluster | null = null;
  let db: string;
  if (engine === 'sqlite') {
    mkdirSync(CACHE, { recursive: true });
    db = join(CACHE, `joblog-${ROWS}.db`);
    log(`sqlite: ${existsSync(db) ? 'reusing' : 'filling'} ${db}`);
  } else {
    const url = opts['pg-url'] ?? process.env.PRINTGATE_BENCH_PG_URL ?? process.env.PRINTGATE_TEST_PG_URL;
    if (!url) cluster = await startCluster();
    db = await freshDatabase(url ?? cluster!.url, 'printgate_bench_joblog');
    log(`postgres: filling ${db.replace(/\/\/[^@]*@/, '//')}`);
  }
  const s = (await openService({ db, dataDir: CACHE, background: false })) as Service;
  try {
    const t0 = performance.now();
    await populate(s, log);
    log(`  ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    results[engine] = await measure(s, Number(opts.queries));
    log(`${engine}: one user's last 50 jobs of ${ROWS}: median ${results[engine].median.toFixed(2)} ms, p99 ${results[engine].p99.toFixed(2)} ms (${results[engine].rows} rows per page)`);
  } finally {
    await s.close();
    await cluster?.stop();
  }
}
if (opts.json) console.log(JSON.stringify({ rows: ROWS, results }));
