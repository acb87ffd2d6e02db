// The PostgreSQL engine's use of its pool: an SQL error that the service expects and
// handles (a unique violation, the authorize guard's division by zero, a NOT NULL guard)
// leaves the connection in the pool, so the next call does not pay for a new backend;
// only a failure of the connection itself discards it (postgres-failures.test.ts).
import t from 'tap';
import { PostgresStorage } from '../../../server/storage/postgres.ts';
import { needs } from '../../helpers/system.ts';
import { freshPgDatabase, pgAvailable } from '../../helpers/postgres.ts';

t.test('an SQL error keeps the connection', { skip: needs('postgresql', pgAvailable()) }, async (t) => {
  const url = await freshPgDatabase(t);
  const s = new PostgresStorage({ url, poolSize: 1 });
  t.teardown(() => s.close());
  await s.run('CREATE TABLE t (x INTEGER PRIMARY KEY, y INTEGER NOT NULL)');
  await s.run('INSERT INTO t VALUES (1, 1)');
  const pid = async () => (await s.get<{ pid: number }>('SELECT pg_backend_pid() AS pid'))!.pid;
  const before = await pid();
  const failures: Array<[string, string]> = [
    ['INSERT INTO t VALUES (1, 2)', '23505'],
    ['SELECT 1 / (SELECT COUNT(*) FROM t WHERE x = 2) AS guard', '22012'],
    ['INSERT INTO t VALUES (3, NULL)', '23502'],
  ];
  for (const [sql, code] of failures) {
    const e = await s.run(sql).then(() => null, (err: unknown) => err);
    t.equal((e as { code?: string } | null)?.code, code, `${code} reaches the caller unchanged`);
    t.equal(await pid(), before, `after ${code}: the same backend serves the next statement`);
  }
  // The same inside a transaction that rolls back.
  const e = await s.transaction((tx) => tx.run('INSERT INTO t VALUES (1, 3)')).then(() => null, (err: unknown) => err);
  t.equal((e as { code?: string } | null)?.code, '23505');
  t.equal(await pid(), before, 'after a rolled-back transaction: the same backend');
  t.same(await s.all('SELECT x, y FROM t ORDER BY x'), [{ x: 1, y: 1 }], 'nothing of the failed statements was written');
});

t.test('statements outside a transaction run concurrently on several connections', { skip: needs('postgresql', pgAvailable()) }, async (t) => {
  const url = await freshPgDatabase(t);
  const s = new PostgresStorage({ url, poolSize: 4 });
  t.teardown(() => s.close());
  // Four sleeps of 200 ms at once take about 200 ms on four connections, not 800 ms.
  const started = performance.now();
  const pids = await Promise.all([0, 1, 2, 3].map(async () => (await s.get<{ pid: number }>('SELECT pg_backend_pid() AS pid, pg_sleep(0.2)'))!.pid));
  const took = performance.now() - started;
  t.equal(new Set(pids).size, 4, 'four backends');
  t.ok(took < 700, `took ${took.toFixed(0)} ms`);
});

t.test('idle connections are kept, not closed and reopened', { skip: needs('postgresql', pgAvailable()) }, async (t) => {
  const url = await freshPgDatabase(t);
  const s = new PostgresStorage({ url, poolSize: 3, idleTimeoutMs: 50 });
  t.teardown(() => s.close());
  const burst = async () => new Set(await Promise.all([0, 1, 2].map(async () => (await s.get<{ pid: number }>('SELECT pg_backend_pid() AS pid, pg_sleep(0.05)'))!.pid)));
  const first = await burst();
  t.equal(first.size, 3);
  await new Promise((r) => setTimeout(r, 300));   // six idle time-outs
  t.same([...await burst()].sort(), [...first].sort(), 'the same three backends serve the next burst');
});
