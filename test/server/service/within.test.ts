// A Core bound to an open transaction (server/service/within.ts), on both engines: reads
// see the transaction's own writes; a nested transaction that fails is undone alone (a
// savepoint) and the outer one goes on, also on PostgreSQL where the failed statement
// would otherwise abort it; cache reloads inside go through the transaction; notifier
// events wait for committed() and are dropped on rollback; the process's cache sees a
// change only after the commit.
import t from 'tap';
import { EventEmitter } from 'node:events';
import { forEachEngine } from '../../helpers/engines.ts';
import { openStorage } from '../../../server/storage/open.ts';
import { Caches } from '../../../server/service/cache.ts';
import type { Core } from '../../../server/service/core.ts';
import { bindToTransaction } from '../../../server/service/within.ts';

async function makeCore(t: Tap, db: string): Promise<Core> {
  const storage = await openStorage(db);
  t.teardown(() => storage.close());
  return {
    db: storage, clock: Date.now, caches: new Caches(storage), notifier: new EventEmitter(),
    eventRecheckMs: 1000, closing: new AbortController().signal,
  };
}
interface Tap { teardown(fn: () => unknown): void }

const groupNames = async (core: Core) => [...(await core.caches.get()).groups.values()].map((g) => g.name).sort();
const addGroup = (core: Core, name: string) => core.db.run("INSERT INTO user_groups (name, billing_mode, restrictions, created_at) VALUES (?, NULL, '{}', 0)", [name]);

forEachEngine(t, 'an operation runs inside the caller\'s transaction', async (t, ctx) => {
  const core = await makeCore(t, ctx.db);
  await addGroup(core, 'before');
  const woken: string[] = [];
  core.notifier.on('agent:1', () => woken.push('agent:1'));

  const snapshot = await core.caches.get();
  let bound: ReturnType<typeof bindToTransaction> | null = null;
  await core.db.transaction(async (tx) => {
    bound = bindToTransaction(core, tx, snapshot);
    const inner = bound.core;
    // Nested transactions: one commits into the outer, one fails and is undone alone.
    await inner.db.transaction(async (n) => { await n.run("INSERT INTO user_groups (name, billing_mode, restrictions, created_at) VALUES ('kept', NULL, '{}', 0)"); });
    await t.rejects(inner.db.transaction(async (n) => {
      await n.run("INSERT INTO user_groups (name, billing_mode, restrictions, created_at) VALUES ('undone', NULL, '{}', 0)");
      await n.run("INSERT INTO user_groups (name, billing_mode, restrictions, created_at) VALUES ('kept', NULL, '{}', 0)"); // unique violation
    }), 'the nested failure reaches the caller');
    // Nested transactions started together run one after the other: one failing does not
    // undo the other's writes.
    const insert = (n: { run: typeof inner.db.run }, name: string) => n.run("INSERT INTO user_groups (name, billing_mode, restrictions, created_at) VALUES (?, NULL, '{}', 0)", [name]);
    const both = await Promise.allSettled([
      inner.db.transaction(async (n) => { await insert(n, 'slow-1'); await new Promise((r) => setTimeout(r, 20)); await insert(n, 'slow-2'); }),
      inner.db.transaction(async (n) => { await insert(n, 'failing'); throw new Error('refused'); }),
    ]);
    t.same(both.map((b) => b.status), ['fulfilled', 'rejected']);
    t.equal((await inner.db.run("DELETE FROM user_groups WHERE name IN ('slow-1', 'slow-2', 'failing')")).changes, 2, 'both writes of the one that succeeded, none of the other');
    // The outer transaction is still usable (PostgreSQL: the savepoint cleared the abort).
    const rows = await inner.db.all<{ name: string }>('SELECT name FROM user_groups ORDER BY name');
    t.same(rows.map((r) => r.name), ['before', 'kept'], 'own writes visible, the failed nested ones gone');
    t.same(await groupNames(inner), ['before'], 'the cache starts from the process snapshot');
    inner.caches.invalidate();
    t.same(await groupNames(inner), ['before', 'kept'], 'after a change it reloads through the transaction');
    inner.notifier.emit('agent:1');
    t.same(woken, [], 'no agent woken before the commit');
  });
  t.same(await groupNames(core), ['before'], 'the process cache has not reloaded yet (it checks once a second)');
  bound!.committed();
  t.same(woken, ['agent:1'], 'the held event is delivered after the commit');
  t.same(await groupNames(core), ['before', 'kept'], 'committed() made the process cache reload');
});

forEachEngine(t, 'a rolled-back operation leaves nothing and wakes nobody', async (t, ctx) => {
  const core = await makeCore(t, ctx.db);
  const woken: string[] = [];
  core.notifier.on('agent:2', () => woken.push('agent:2'));
  const snapshot = await core.caches.get();
  await t.rejects(core.db.transaction(async (tx) => {
    const inner = bindToTransaction(core, tx, snapshot).core;
    await inner.db.transaction(async (n) => { await n.run("INSERT INTO user_groups (name, billing_mode, restrictions, created_at) VALUES ('gone', NULL, '{}', 0)"); });
    inner.notifier.emit('agent:2');
    throw new Error('refused');
  }), { message: 'refused' });
  t.same(woken, []);
  t.same((await core.db.all<{ name: string }>('SELECT name FROM user_groups')).map((r) => r.name), []);
  await t.rejects(core.db.transaction(async (tx) => bindToTransaction(core, tx, snapshot).core.db.close()), { code: 'INTERNAL' });
});
