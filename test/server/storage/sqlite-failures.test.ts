// The SQLite engine after something went wrong (a crash, another process holding the
// lock, a full disk): failures reach callers as STORAGE_UNAVAILABLE (503, retried by
// agents) rather than bare SQLite errors (500), and the connection keeps working after
// each of them: no batch, lock or transaction left behind wedges later calls.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { SqliteStorage } from '../../../server/storage/sqlite.ts';
import { PrintgateError } from '../../../shared/errors.ts';
import { scratchDir } from '../../helpers/engines.ts';

const unavailable = (errcode: number) => (e: unknown) =>
  e instanceof PrintgateError && e.code === 'STORAGE_UNAVAILABLE' && e.status === 503 && ((e.cause as { errcode?: number })?.errcode ?? 0) % 256 === errcode;

/** Passes when `p` rejects with STORAGE_UNAVAILABLE caused by SQLite result `errcode`. */
async function rejectsUnavailable(t: Test, p: Promise<unknown>, errcode: number, what: string): Promise<void> {
  const error = await p.then(() => null, (e: unknown) => e);
  t.ok(unavailable(errcode)(error), `${what}: ${(error as Error | null)?.message ?? 'resolved'}`);
}

async function storage(t: Test, busyTimeoutMs = 100): Promise<{ s: SqliteStorage; path: string }> {
  const path = join(scratchDir(t), 'x.db');
  const s = new SqliteStorage({ path, busyTimeoutMs, checkpointWorker: false });
  t.teardown(() => s.close());
  await s.run('CREATE TABLE t (x TEXT)');
  return { s, path };
}

t.test('a write lock held elsewhere past the budget: STORAGE_UNAVAILABLE, then work again', async (t) => {
  const { s, path } = await storage(t);
  const other = new DatabaseSync(path, { timeout: 0 });
  t.teardown(() => other.close());
  other.exec('BEGIN IMMEDIATE');
  await rejectsUnavailable(t, s.run("INSERT INTO t VALUES ('a')"), 5, 'a statement');
  const batch = [1, 2, 3].map((i) => s.transaction((tx) => tx.run('INSERT INTO t VALUES (?)', [`b${i}`])));
  for (const p of batch) await rejectsUnavailable(t, p, 5, 'every transaction of the batch');
  other.exec('ROLLBACK');
  await s.transaction((tx) => tx.run("INSERT INTO t VALUES ('c')"));
  await s.run("INSERT INTO t VALUES ('d')");
  t.same((await s.all<{ x: string }>('SELECT x FROM t')).map((r) => r.x), ['c', 'd'], 'nothing of the failed calls, everything after');
});

t.test('a lock released within the budget is waited for', async (t) => {
  const { s, path } = await storage(t, 5000);
  const other = new DatabaseSync(path, { timeout: 0 });
  t.teardown(() => other.close());
  other.exec('BEGIN IMMEDIATE');
  setTimeout(() => other.exec('COMMIT'), 150);
  await s.transaction((tx) => tx.run("INSERT INTO t VALUES ('a')"));
  t.equal((await s.get<{ n: number }>('SELECT COUNT(*) AS n FROM t'))!.n, 1);
});

t.test('a full disk in the middle of a batch fails the batch with its cause; the next one commits', async (t) => {
  const { s } = await storage(t);
  const pages = (await s.get<{ page_count: number }>('PRAGMA page_count'))!.page_count;
  await s.run(`PRAGMA max_page_count = ${pages}`);
  const big = 'x'.repeat(100_000);
  const results = await Promise.allSettled([
    s.transaction((tx) => tx.run("INSERT INTO t VALUES ('a')")),
    s.transaction((tx) => tx.run('INSERT INTO t VALUES (?)', [big])),
    s.transaction((tx) => tx.run("INSERT INTO t VALUES ('b')")),
  ]);
  for (const r of results) t.ok(r.status === 'rejected' && unavailable(13)(r.reason), `SQLITE_FULL as STORAGE_UNAVAILABLE: ${r.status === 'rejected' ? (r.reason as Error).message : 'fulfilled'}`);
  await s.run('PRAGMA max_page_count = 1000000');
  await s.transaction((tx) => tx.run("INSERT INTO t VALUES ('c')"));
  t.same((await s.all<{ x: string }>('SELECT x FROM t')).map((r) => r.x), ['c'], 'all or nothing per batch');
});

t.test('a transaction left open on the connection does not wedge the next ones', async (t) => {
  const { s } = await storage(t);
  // What a failed ROLLBACK would leave behind.
  await s.run('BEGIN');
  await s.run("INSERT INTO t VALUES ('left')");
  await s.transaction((tx) => tx.run("INSERT INTO t VALUES ('a')"));
  await s.transaction((tx) => tx.run("INSERT INTO t VALUES ('b')"));
  t.same((await s.all<{ x: string }>('SELECT x FROM t')).map((r) => r.x), ['a', 'b']);
});

t.test('opening while another process still holds the lock (a restart racing the old process) waits for it', async (t) => {
  const path = join(scratchDir(t), 'x.db');
  const holder = spawn(process.execPath, ['-e', `
    const { DatabaseSync } = require('node:sqlite');
    const db = new DatabaseSync(${JSON.stringify(path)});
    db.exec('CREATE TABLE t (x TEXT)');
    db.exec('BEGIN EXCLUSIVE');
    db.exec("INSERT INTO t VALUES ('old')");
    process.stdout.write('locked\\n');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 400);
    db.exec('COMMIT');
  `], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((r) => holder.once('exit', r));
  await new Promise<void>((resolve) => holder.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('locked')) resolve(); }));
  const s = new SqliteStorage({ path, busyTimeoutMs: 5000, checkpointWorker: false });
  t.teardown(() => s.close());
  t.same((await s.all<{ x: string }>('SELECT x FROM t')).map((r) => r.x), ['old']);
  await exited;
});
