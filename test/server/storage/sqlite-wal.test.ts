// The SQLite WAL stays bounded under sustained writes (storage/sqlite.ts): PASSIVE
// checkpoints alone never let it start over while commits keep landing, so past
// walRestartBytes the checkpoint worker makes it restart; past 4x that bound the batches
// checkpoint themselves (the backstop for a worker starved of CPU); once writes stop the
// worker truncates it. How far the WAL gets between two restarts depends on how much CPU
// the worker gets (a loaded CI machine), so nothing here asserts a throughput or a size
// relative to it: only what the mechanism guarantees whatever the timing. The restarts
// happen (waited for, with a generous deadline), every acknowledged row is there, the file
// never passes the hard bound by more than one batch's pages, and it goes back under the
// bound after the writes. A few MB are written in all.
import t from 'tap';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteStorage } from '../../../server/storage/sqlite.ts';
import { scratchDir } from '../../helpers/engines.ts';

/** The hard bound is this multiple of walRestartBytes (WAL_HARD_FACTOR in sqlite.ts). */
const HARD_FACTOR = 4;
/** One batch here is at most 8 transactions of 4 rows of 2 KB: about 20 pages of 4 KB. */
const ONE_BATCH = 512 * 1024;
const PAD = 'x'.repeat(2000);

function walSize(path: string): number {
  return statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0;
}

/** Eight writers, each committing 4 rows (8 KB) as soon as its last transaction is answered,
 *  until `enough()`; commits never pause long enough for a PASSIVE pass to catch up.
 *  With `paced()` true, each writer waits 10 ms after each commit (see the first test). */
async function write(s: SqliteStorage, path: string, enough: () => boolean, paced: () => boolean = () => false): Promise<{ rows: number; largest: number }> {
  let rows = 0;
  let largest = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (!enough()) {
      await s.transaction(async (tx) => {
        for (let i = 0; i < 4; i++) await tx.run('INSERT INTO t (pad) VALUES (?)', [PAD]);
      });
      rows += 4;
      largest = Math.max(largest, walSize(path));
      if (paced()) await new Promise((r) => setTimeout(r, 10));
    }
  }));
  return { rows, largest: Math.max(largest, walSize(path)) };
}

async function count(s: SqliteStorage): Promise<number> {
  return (await s.get<{ n: number }>('SELECT COUNT(*) AS n FROM t'))!.n;
}

t.test('sustained writes: the worker restarts the WAL, and truncates it once writes stop', async (t) => {
  const bound = 256 * 1024;
  const path = join(scratchDir(t), 'x.db');
  const s = new SqliteStorage({ path, checkpointEveryMs: 10, walRestartBytes: bound });
  t.teardown(() => s.close());
  await s.run('CREATE TABLE t (id INTEGER PRIMARY KEY, pad TEXT NOT NULL)');

  // Until the worker made the WAL start over three times (a deadline and a volume cap only
  // keep a broken worker from running the test forever). The first 2,000 commits come back
  // to back; on a loaded machine the worker's thread may get too little CPU in the third of
  // a second they take (CI once saw one restart and 17 backstops there), so after them the
  // writers go on at a commit per writer every 10 ms (still no pause a PASSIVE pass could
  // finish in), up to 6,000 commits (48 MB) in all.
  const deadline = performance.now() + 30_000;
  let transactions = 0;
  const out = await write(s, path, () => s.walRestarts >= 3 || performance.now() > deadline || transactions++ >= 6000, () => transactions > 2000);
  t.ok(s.walRestarts >= 3, `the worker restarted the WAL under sustained writes (${s.walRestarts} times, ${(out.rows * PAD.length / 1e6).toFixed(1)} MB written, ${s.walBackstops} backstops)`);
  t.equal(await count(s), out.rows, 'every acknowledged row is there');
  t.ok(out.largest <= HARD_FACTOR * bound + ONE_BATCH, `the WAL file stayed within the hard bound and one batch (largest ${(out.largest / 1024).toFixed(0)} KiB)`);

  // Then one last transaction of 600 KB, past the bound (not the hard one) before any
  // restart could rewind it, and no more writes: the worker's next pass copies everything
  // and truncates the file (a RESTART would leave it at its size, restarting it every pass).
  await s.transaction(async (tx) => {
    for (let i = 0; i < 300; i++) await tx.run('INSERT INTO t (pad) VALUES (?)', [PAD]);
  });
  const until = performance.now() + 10_000;
  while (walSize(path) > bound && performance.now() < until) await new Promise((r) => setTimeout(r, 20));
  t.ok(walSize(path) <= bound, `the WAL went back under the bound after the writes (${walSize(path)} bytes)`);
});

t.test('a worker that never gets to run: the batches checkpoint themselves past the hard bound', async (t) => {
  const bound = 128 * 1024;
  const path = join(scratchDir(t), 'x.db');
  // The worker's first pass would come in an hour: as if it never got the CPU.
  const s = new SqliteStorage({ path, checkpointEveryMs: 3_600_000, walRestartBytes: bound });
  t.teardown(() => s.close());
  await s.run('CREATE TABLE t (id INTEGER PRIMARY KEY, pad TEXT NOT NULL)');

  // 3 MB of rows: without the backstop the WAL grows to more than that.
  let transactions = 0;
  const out = await write(s, path, () => transactions++ >= 384);
  t.equal(s.walRestarts, 0, 'the worker never checkpointed');
  t.ok(s.walBackstops >= 2, `the batches checkpointed themselves (${s.walBackstops} times)`);
  t.equal(await count(s), out.rows, 'every acknowledged row is there');
  t.ok(out.largest <= HARD_FACTOR * bound + ONE_BATCH, `the WAL file stayed within the hard bound and one batch (largest ${(out.largest / 1024).toFixed(0)} KiB)`);
});
