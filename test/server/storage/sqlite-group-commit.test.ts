// SQLite group commit (storage/sqlite.ts): transactions requested in one turn of the event
// loop, also from separate callbacks with microtasks run between them (as an HTTP server
// reads each request), share one SQLite transaction and one COMMIT; each still commits or
// rolls back alone; a caller hears of its transaction only once it is committed, so another
// connection sees its rows at that moment.
import t, { type Test } from 'tap';
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { SqliteStorage } from '../../../server/storage/sqlite.ts';
import { scratchDir } from '../../helpers/engines.ts';

async function storage(t: Test): Promise<{ s: SqliteStorage; other: DatabaseSync }> {
  const path = join(scratchDir(t), 'x.db');
  const s = new SqliteStorage({ path, checkpointWorker: false });
  t.teardown(() => s.close());
  await s.run('CREATE TABLE t (x TEXT PRIMARY KEY)');
  // A second connection, as another process would see the file.
  const other = new DatabaseSync(path, { timeout: 1000 });
  t.teardown(() => other.close());
  return { s, other };
}

const rows = (db: DatabaseSync): string[] => (db.prepare('SELECT x FROM t ORDER BY x').all() as Array<{ x: string }>).map((r) => r.x);

t.test('transactions requested from separate callbacks of one loop turn share one batch', async (t) => {
  const { s } = await storage(t);
  const before = { ...s.batchStats };
  // Five immediates queued together run in one check phase as separate callbacks, with the
  // microtask queue drained after each (as an HTTP server's requests in one poll phase): a
  // batch started as a microtask would hold only the first. (Timers would not do: each
  // reads the clock afresh, so under load they can fall into different loop turns.)
  const done = await new Promise<Array<Promise<unknown>>>((resolve) => {
    const started: Array<Promise<unknown>> = [];
    for (let i = 0; i < 5; i++) {
      setImmediate(() => {
        started.push(s.transaction((tx) => tx.run('INSERT INTO t VALUES (?)', [`a${i}`])));
        if (started.length === 5) resolve(started);
      });
    }
  });
  await Promise.all(done);
  t.equal(s.batchStats.batches - before.batches, 1, 'one batch');
  t.equal(s.batchStats.transactions - before.transactions, 5, 'of five transactions');
});

t.test('a caller is answered only after its batch committed', async (t) => {
  const { s, other } = await storage(t);
  const seen: string[][] = [];
  await Promise.all(Array.from({ length: 10 }, (_, i) => s.transaction(async (tx) => {
    await tx.run('INSERT INTO t VALUES (?)', [`b${i}`]);
    // Inside the batch, nothing is visible to another connection yet.
    t.same(rows(other), [], `b${i} not visible before the commit`);
    return i;
  }).then(() => {
    // Synchronously on resolution: the other connection already sees the whole batch.
    seen.push(rows(other));
  })));
  const all = Array.from({ length: 10 }, (_, i) => `b${i}`).sort();
  t.equal(seen.length, 10);
  for (const s of seen) t.same(s, all);
});

t.test('a failing transaction in a batch is rolled back alone; the others commit', async (t) => {
  const { s, other } = await storage(t);
  const before = s.batchStats.batches;
  const results = await Promise.allSettled([0, 1, 2, 3, 4].map((i) => s.transaction(async (tx) => {
    await tx.run('INSERT INTO t VALUES (?)', [`c${i}`]);
    await tx.run('INSERT INTO t VALUES (?)', [`c${i}-second`]);
    if (i === 2) throw new Error('this one fails after writing');
    if (i === 3) await tx.run('INSERT INTO t VALUES (?)', ['c0']); // a constraint violation
    return i;
  })));
  t.equal(s.batchStats.batches - before, 1, 'they shared one batch');
  t.same(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected', 'rejected', 'fulfilled']);
  t.same(rows(other), ['c0', 'c0-second', 'c1', 'c1-second', 'c4', 'c4-second'], 'nothing of the failed ones, all of the others');
});

t.test('a lone failing transaction is rolled back and leaves the connection usable', async (t) => {
  const { s, other } = await storage(t);
  await t.rejects(s.transaction(async (tx) => {
    await tx.run("INSERT INTO t VALUES ('d')");
    throw new Error('fails alone');
  }), /fails alone/);
  t.same(rows(other), []);
  await s.transaction((tx) => tx.run("INSERT INTO t VALUES ('e')"));
  await s.run("INSERT INTO t VALUES ('f')");
  t.same(rows(other), ['e', 'f']);
});

t.test('a read issued before the batch starts runs at once, on committed rows only', async (t) => {
  const { s } = await storage(t);
  const write = s.transaction((tx) => tx.run("INSERT INTO t VALUES ('g')"));
  t.equal(await s.get("SELECT x FROM t WHERE x = 'g'"), undefined, 'not yet written');
  await write;
  t.same(await s.get("SELECT x FROM t WHERE x = 'g'"), { x: 'g' });
});
