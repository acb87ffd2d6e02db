// PrintService.idempotent, deterministically, on both engines: a second attempt that
// arrives while the first is still inside its transaction does not run; it waits and gets
// the first answer (also from a second service instance on the same database, where the
// wait is PostgreSQL's unique-index wait or SQLite's write lock). When the first attempt
// fails instead, the waiting one runs. The operation's effects and the answer commit
// together.
import t from 'tap';
import { forEachEngine } from '../../helpers/engines.ts';
import { openService } from '../../../server/service/index.ts';
import type { PrintService } from '../../../server/service/types.ts';
import { service } from './fixtures.ts';

function gate(): { open: () => void; wait: Promise<void> } {
  let open!: () => void;
  const wait = new Promise<void>((r) => { open = r; });
  return { open, wait };
}

const settled = async (p: Promise<unknown>, ms = 300): Promise<boolean> => {
  const timeout = new Promise<false>((r) => setTimeout(() => r(false), ms));
  return Promise.race([p.then(() => true, () => true), timeout]);
};

async function race(t: Tap, first: PrintService, second: PrintService, failFirst: boolean): Promise<void> {
  const k = failFirst ? 'fail-first' : 'ok-first';
  const runs: string[] = [];
  const inside = gate();
  const release = gate();
  const a = first.idempotent('admin', k, { add: 100 }, async (s) => {
    runs.push('a');
    const r = await s.adjustUserBalance('ann', { amountMinor: 100, comment: k }, 'admin');
    inside.open();
    await release.wait;
    if (failFirst) throw new Error('the first attempt fails after its writes');
    return r;
  });
  await inside.wait;
  const b = second.idempotent('admin', k, { add: 100 }, async (s) => {
    runs.push('b');
    return s.adjustUserBalance('ann', { amountMinor: 100, comment: k }, 'admin');
  });
  t.equal(await settled(b), false, 'the second attempt waits while the first is open');
  t.same(runs, ['a'], 'and has not run');
  release.open();
  if (failFirst) {
    await t.rejects(a, { message: 'the first attempt fails after its writes' });
    const rb = await b;
    t.same(runs, ['a', 'b'], 'the first failed: the second ran');
    t.equal((await first.listTransactions({ user: 'ann' })).items.filter((x) => x.comment === k).length, 1, 'only the second one\'s row');
    t.same(await second.idempotent('admin', k, { add: 100 }, async () => { throw new Error('must not run'); }), rb);
  } else {
    const [ra, rb] = await Promise.all([a, b]);
    t.same(rb, ra, 'the second gets the first answer');
    t.same(runs, ['a'], 'the operation ran once');
    t.equal((await first.listTransactions({ user: 'ann' })).items.filter((x) => x.comment === k).length, 1, 'one ledger row');
  }
}
type Tap = Parameters<Parameters<typeof forEachEngine>[2]>[0];

forEachEngine(t, 'a second attempt waits for the first and never runs twice', async (t, ctx) => {
  const s = await service(t, ctx);
  await s.createUser({ name: 'ann' }, 'admin');
  await race(t, s, s, false);
  await race(t, s, s, true);
  t.equal((await s.getBalance('ann')).balanceMinor, 200);
  t.ok((await s.checkLedger()).ok);
});

forEachEngine(t, 'the same across two service instances on one database', async (t, ctx) => {
  const s = await service(t, ctx);
  const other = await openService({ db: ctx.db, dataDir: ctx.dataDir, background: false });
  t.teardown(() => other.close());
  await s.createUser({ name: 'ann' }, 'admin');
  await race(t, s, other, false);
  await race(t, s, other, true);
  t.equal((await other.getBalance('ann')).balanceMinor, 200);
  t.ok((await s.checkLedger()).ok);
});
