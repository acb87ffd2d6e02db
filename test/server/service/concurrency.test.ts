// Concurrency on both engines: many agents authorizing and completing at once never
// overdraw a prepaid account and keep every balance equal to the sum of its transactions;
// concurrent retries of one key charge once; two service instances on one database
// racing the quota scheduler credit each period exactly once.
import t from 'tap';
import { forEachEngine } from '../../helpers/engines.ts';
import { openService } from '../../../server/service/index.ts';
import { agent, job, service } from './fixtures.ts';

forEachEngine(t, 'concurrent jobs keep the ledger consistent', async (t, ctx) => {
  const s = await service(t, ctx);
  const agents = await Promise.all([agent(s, 'a1'), agent(s, 'a2'), agent(s, 'a3'), agent(s, 'a4')]);
  await s.createUser({ name: 'poor', balanceMinor: 1000 }, 'admin');   // 100 pages at 0.10
  await s.createUser({ name: 'rich', balanceMinor: 1_000_000 }, 'admin');
  await s.createUser({ name: 'post', billingMode: 'postpaid' }, 'admin');

  // 200 jobs of 3 pages from "poor": at most 33 fit (99 of 100 pages).
  const outcomes = ['PRINTED', 'CANCELLED', 'FAILED'] as const;
  let allowed = 0;
  await Promise.all(Array.from({ length: 200 }, async (_, i) => {
    const a = agents[i % agents.length]!;
    const r = await s.authorize(a, job('poor', 3));
    if (r.decision === 'ALLOW') allowed++;
    else t.equal(r.reasonCode, 'INSUFFICIENT_CREDIT');
  }));
  t.equal(allowed, 33, 'exactly as many as the credit allows');
  t.same(await s.getBalance('poor'), { user: 'poor', account: 'print', balanceMinor: 1000, reservedMinor: 990, availableMinor: 10 });

  // A mixed storm: authorize + complete pairs with retries, on several users at once.
  const users = ['rich', 'post', 'poor'];
  await Promise.all(Array.from({ length: 200 }, async (_, i) => {
    const a = agents[i % agents.length]!;
    const req = job(users[i % 3]!, 1 + (i % 5));
    const [r1, r2] = await Promise.all([s.authorize(a, req), s.authorize(a, req)]);
    t.equal(r1.jobId, r2.jobId, 'a concurrent retry gets the same answer');
    if (r1.decision !== 'ALLOW') return;
    const c = { idempotencyKey: `c-${req.idempotencyKey}`, jobId: r1.jobId, outcome: outcomes[i % 3]!, impressionsPrinted: i % 7 === 0 ? 1 : 0 };
    const [c1, c2] = await Promise.all([s.complete(a, c), s.complete(a, c)]);
    // A retried complete reports the job as settled (the balance is today's, not then's).
    t.same([c1.jobId, c1.costMinor, c1.account], [c2.jobId, c2.costMinor, c2.account], 'a concurrent complete retry agrees');
  }));
  const check = await s.checkLedger();
  t.ok(check.ok, `ledger consistent: ${JSON.stringify(check.mismatches)}`);
  const rich = await s.getBalance('rich');
  const charged = (await s.listTransactions({ user: 'rich', limit: 1000 })).items.filter((x) => x.kind === 'settle').reduce((n, x) => n - x.amountMinor, 0);
  t.equal(rich.balanceMinor, 1_000_000 - charged);
  t.equal(rich.reservedMinor, 0, 'every reservation settled or released');
  const settles = (await s.listTransactions({ limit: 1000 })).items.filter((x) => x.kind === 'settle');
  t.equal(new Set(settles.map((x) => x.jobId)).size, settles.length, 'one charge per job');
});

forEachEngine(t, 'two service instances: quotas exactly once', async (t, ctx) => {
  const s1 = await openService({ db: ctx.db, dataDir: ctx.dataDir, background: false });
  const s2 = await openService({ db: ctx.db, dataDir: ctx.dataDir, background: false });
  t.teardown(async () => { await s1.close(); await s2.close(); });
  await s1.createGroup({ name: 'g' });
  const names = Array.from({ length: 30 }, (_, i) => `u${i}`);
  for (const n of names) {
    await s1.createUser({ name: n, balanceMinor: 0 }, 'admin');
    await s1.addGroupMember('g', n);
  }
  await s1.setGroupQuota('g', { amountMinor: 100, period: 'monthly', maxAccumulationMinor: 10_000 });
  const now = Date.UTC(2026, 10, 20);
  const runs = await Promise.all([s1.runDueQuotas(now), s2.runDueQuotas(now), s1.runDueQuotas(now), s2.runDueQuotas(now)]);
  t.equal(runs.reduce((n, r) => n + r.applied, 0), 30, 'each member once in total');
  for (const n of names) t.equal((await s2.getBalance(n)).balanceMinor, 100, `${n} credited once`);
  t.same(await s2.runDueQuotas(now + 86_400_000), { applied: 0 }, 'same month on the other instance');
  t.ok((await s1.checkLedger()).ok);

  // a setting changed on one instance reaches the other within about a second
  await s1.setConfigValue('currency', 'CHF');
  await new Promise((r) => setTimeout(r, 1100));
  t.equal((await s2.moneyFormat()).currency, 'CHF');
});
