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
  // on-demand creation racing for one new user: created once, every job decided
  await s.setConfigValue('user.on-demand-creation', 'true');
  const fresh = await Promise.all(Array.from({ length: 20 }, (_, i) => s.authorize(agents[i % agents.length]!, job('newcomer', 1))));
  t.ok(fresh.every((r) => r.reasonCode !== 'UNKNOWN_USER'), 'nobody denied as unknown');
  t.equal((await s.listUsers({ limit: 1000 })).items.filter((u) => u.name === 'newcomer').length, 1);
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

forEachEngine(t, 'two service instances: events written by one wake a poll on the other', async (t, ctx) => {
  const s1 = await openService({ db: ctx.db, dataDir: ctx.dataDir, background: false });
  const s2 = await openService({ db: ctx.db, dataDir: ctx.dataDir, background: false, eventRecheckMs: 100 });
  t.teardown(async () => { await s1.close(); await s2.close(); });
  const { token } = await s1.createAgent('ps1');
  const a = await s1.authenticateAgent(token);
  t.same(await s2.authenticateAgent(token), a, 'the token works on either instance');
  await s1.createUser({ name: 'ann', balanceMinor: 100 }, 'admin');
  await s1.registerAgent(a, { printers: [{ queue: 'secure' }] });
  await s1.updatePrinter('ps1/secure', { releaseRequired: true });
  await new Promise((r) => setTimeout(r, 1100)); // s2's caches see the printer change
  const h = await s2.authorize(a, job('ann', 2, { queue: 'secure' }));
  t.equal(h.decision, 'HOLD', 'the printer change reached the other instance');
  const t0 = performance.now();
  const waiting = s2.pollEvents(a, 0, 10_000);
  await new Promise((r) => setTimeout(r, 50));
  await s1.releaseJob(h.jobId, 'admin');
  const ev = await waiting;
  t.same(ev.events.map((e) => e.kind), ['RELEASED']);
  t.ok(performance.now() - t0 < 3000, 'woken by the re-check, well before the wait ended');
});

forEachEngine(t, 'housekeeping and close', async (t, ctx) => {
  const { housekeeping } = await import('../../../server/service/housekeeping.ts');
  const s = await openService({ db: ctx.db, dataDir: ctx.dataDir, background: false });
  const a = await s.authenticateAgent((await s.createAgent('ps1')).token);
  await s.createUser({ name: 'ann', balanceMinor: 1000 }, 'admin');
  const old = await s.authorize(a, { ...job('ann', 1), offlineReplay: true, offlineAtMs: Date.UTC(2020, 0, 1) });
  const recent = await s.authorize(a, job('ann', 1));
  await s.setConfigValue('joblog.retention-days', '30');
  const core = { db: s.storage, clock: Date.now, caches: { get: async () => ({ settings: { retentionDays: 30 } }) } };
  const r = await housekeeping(core as never);
  t.equal(r.jobs, 1, 'the job past retention is deleted');
  await t.rejects(s.getJob(old.jobId), { code: 'UNKNOWN_JOB' });
  t.equal((await s.getJob(recent.jobId)).status, 'authorized', 'an unfinished job is kept');
  t.ok((await s.checkLedger()).ok, 'the ledger keeps its rows');
  await Promise.all([s.close(), s.close()]);
  await s.close();
  t.pass('close is idempotent');
});
