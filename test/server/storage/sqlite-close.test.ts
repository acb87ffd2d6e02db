// SqliteStorage.close() (storage/sqlite.ts) lets every call made before it finish: a batch
// still waiting for its setImmediate, batches and statements queued behind the running
// one. Closing under them used to fail each with node:sqlite's raw "database is not open"
// (a 500). Calls made after close() began fail with STORAGE_UNAVAILABLE (a 503).
import t, { type Test } from 'tap';
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { SqliteStorage } from '../../../server/storage/sqlite.ts';
import { scratchDir } from '../../helpers/engines.ts';

async function open(t: Test, checkpointWorker: boolean): Promise<{ s: SqliteStorage; path: string }> {
  const path = join(scratchDir(t), 'x.db');
  const s = new SqliteStorage({ path, checkpointWorker });
  t.teardown(() => s.close());
  await s.run('CREATE TABLE t (x INTEGER PRIMARY KEY)');
  return { s, path };
}

/** The rows as another connection sees them once the storage is closed. */
function rows(path: string): number[] {
  const db = new DatabaseSync(path);
  try {
    return (db.prepare('SELECT x FROM t ORDER BY x').all() as Array<{ x: number }>).map((r) => r.x);
  } finally {
    db.close();
  }
}

const outcome = (r: PromiseSettledResult<unknown>): string =>
  r.status === 'fulfilled' ? 'ok' : `${(r.reason as { code?: string }).code}: ${(r.reason as Error).message}`;

for (const checkpointWorker of [false, true]) {
  t.test(`close() before the batch started [checkpointWorker ${checkpointWorker}]`, async (t) => {
    const { s, path } = await open(t, checkpointWorker);
    // Requested in this turn: their batch waits for setImmediate when close() is called.
    const pending = [1, 2, 3].map((i) => s.transaction((tx) => tx.run('INSERT INTO t VALUES (?)', [i])));
    await s.close();
    t.same((await Promise.allSettled(pending)).map(outcome), ['ok', 'ok', 'ok'], 'every transaction requested before close() committed');
    t.same(rows(path), [1, 2, 3]);
  });

  t.test(`close() while a batch runs, with more queued behind it [checkpointWorker ${checkpointWorker}]`, async (t) => {
    const { s, path } = await open(t, checkpointWorker);
    const pending: Array<Promise<unknown>> = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    let running!: () => void;
    const started = new Promise<void>((r) => { running = r; });
    pending.push(s.transaction(async (tx) => {
      await tx.run('INSERT INTO t VALUES (1)');
      // Arriving while this batch runs: the next batch, and a read (queued behind the running
      // batch, so before the next one, which is queued when the running one ends).
      pending.push(s.transaction((tx2) => tx2.run('INSERT INTO t VALUES (10)')));
      pending.push(s.transaction((tx2) => tx2.run('INSERT INTO t VALUES (11)')));
      pending.push(s.get('SELECT COUNT(*) AS n FROM t'));
      running();
      await gate;
      return tx.run('INSERT INTO t VALUES (2)');
    }));
    await started;
    const closed = s.close();
    t.equal(s.close(), closed, 'a second close() waits for the same end');
    release();
    await closed;
    const settled = await Promise.allSettled(pending);
    t.same(settled.map(outcome), ['ok', 'ok', 'ok', 'ok'], 'the running batch, the one behind it and the read all finished');
    t.same((settled[3] as PromiseFulfilledResult<unknown>).value, { n: 2 }, 'the read ran after the running batch committed');
    t.same(rows(path), [1, 2, 10, 11]);
  });
}

t.test('calls made after close() began fail with STORAGE_UNAVAILABLE', async (t) => {
  const { s } = await open(t, false);
  const first = s.transaction((tx) => tx.run('INSERT INTO t VALUES (1)'));
  const closed = s.close();
  await t.rejects(s.transaction((tx) => tx.run('INSERT INTO t VALUES (2)')), { code: 'STORAGE_UNAVAILABLE' });
  await t.rejects(s.run('INSERT INTO t VALUES (3)'), { code: 'STORAGE_UNAVAILABLE' });
  await t.rejects(s.get('SELECT 1'), { code: 'STORAGE_UNAVAILABLE' });
  await closed;
  await first;
  await t.rejects(s.all('SELECT 1'), { code: 'STORAGE_UNAVAILABLE' });
});
