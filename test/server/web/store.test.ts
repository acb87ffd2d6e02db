// The web store and the dashboard's SQL on both engines: passwords upsert; sessions are
// found by id (stored hashed) until they expire; a card batch's codes each work exactly
// once, also when redeemed concurrently, with one 'card' ledger row and the ledger still
// balanced; the dashboard aggregates printed jobs by day in the `timezone` setting's zone
// (UTC and zones far from it, around midnight).

import t from 'tap';
import { forEachEngine } from '../../helpers/engines.ts';
import { openService } from '../../../server/service/index.ts';
import { normaliseCode, sha256, WebStore } from '../../../server/web/store.ts';
import { dashboard, environment, pagesChart } from '../../../server/web/dashboard.ts';

forEachEngine(t, 'web store', async (t, { db, dataDir }) => {
  let now = Date.parse('2026-11-18T10:00:00Z'); // a Wednesday
  const service = await openService({ db, dataDir, background: false, clock: () => now });
  t.teardown(() => service.close());
  const store = new WebStore(service.storage, () => now);

  await store.setPassword('user', 'alice', 'scrypt$one');
  await store.setPassword('user', 'alice', 'scrypt$two');
  t.equal(await store.passwordHash('user', 'alice'), 'scrypt$two', 'upserted');
  t.equal(await store.passwordHash('admin', 'alice'), null, 'kinds are separate');
  t.equal(await store.hasAnyAdminPassword(), false);

  const { id, session } = await store.createSession('user', 'alice', 60_000, '127.0.0.1');
  t.equal((await store.findSession(id))?.csrf, session.csrf);
  t.equal(await store.findSession(id.slice(0, -1) + (id.endsWith('A') ? 'B' : 'A')), null, 'another id finds nothing');
  const row = await service.storage.get('SELECT id_hash FROM web_sessions');
  t.equal(row?.id_hash, sha256(id), 'stored as its hash');
  now += 60_001;
  t.equal(await store.findSession(id), null, 'expired');
  t.equal(await store.deleteExpiredSessions(), 1);

  await service.createUser({ name: 'alice', balanceMinor: 100 }, 'test');
  await service.createUser({ name: 'bob', balanceMinor: 0 }, 'test');
  const { batch, codes } = await store.createCardBatch('term 1', 3, 500, 'admin:admin');
  t.equal(codes.length, 3);
  t.match(codes[0], /^[2-9A-HJKMNP-Z]{4}(-[2-9A-HJKMNP-Z]{4}){3}$/, 'readable codes');
  t.equal(new Set(codes).size, 3);
  const cards = await service.storage.all('SELECT code_hash FROM cards ORDER BY code_hash');
  t.notOk(cards.some((c) => codes.includes(String(c.code_hash))), 'codes are not stored in clear');

  // Lower case with spaces works; concurrent redemptions of one code: exactly one wins.
  const typed = codes[0]!.toLowerCase().replaceAll('-', ' ');
  t.equal(normaliseCode(typed), codes[0]!.replaceAll('-', ''));
  const results = await Promise.allSettled([store.redeemCard(typed, 'alice'), store.redeemCard(codes[0]!, 'alice'), store.redeemCard(codes[0]!, 'alice')]);
  t.equal(results.filter((r) => r.status === 'fulfilled').length, 1, 'one redemption');
  t.ok(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason.code === 'CARD_INVALID'), 'the others CARD_INVALID');
  await t.rejects(store.redeemCard('AAAA-BBBB-CCCC-DDDD', 'alice'), { code: 'CARD_INVALID' });
  await t.rejects(store.redeemCard(codes[1]!, 'nobody'), { code: 'UNKNOWN_USER' });
  t.equal((await store.listCardBatches())[0]?.redeemed, 1, 'the unknown user did not use up a card');
  const r = await store.redeemCard(codes[1]!, 'bob');
  t.equal(r.amountMinor, 500);
  t.equal(r.balanceAfterMinor, 500);
  const txs = await service.listTransactions({ user: 'bob' });
  t.equal(txs.items.filter((x) => x.kind === 'card').length, 1, 'a card ledger row');
  t.ok((await service.checkLedger()).ok, 'the ledger balances');
  t.same((await store.listCardBatches()).map((b) => [b.id, b.redeemed]), [[batch.id, 2]]);

  // Dashboard: nothing printed yet, then the SQL still runs on this engine.
  const d = await dashboard(service.storage, now);
  t.equal(d.perDay.length, 14);
  t.equal(d.perDay.at(-1)!.day, '2026-11-18');
  t.same(d.today, { jobs: 0, pages: 0, colorPages: 0, sheets: 0, costMinor: 0 });
  t.match(pagesChart(d.perDay).value, /<svg class="chart"[^>]*role="img"/);

  // Two printed jobs (one yesterday, one today with a colour page), one denied.
  const { token } = await service.createAgent('a1');
  const agent = await service.authenticateAgent(token);
  await service.registerAgent(agent, { printers: [{ queue: 'q' }] });
  await service.updatePrinter('a1/q', { costModel: { type: 'simple', perPageMinor: 10 } });
  const print = async (key: string, pages: number, colorPages: number) => {
    const a = await service.authorize(agent, { idempotencyKey: key, job: { queue: 'q', user: 'bob', title: key }, analysis: { pagesKnown: true, pages, colorKnown: true, colorPages } });
    if (a.decision === 'ALLOW') await service.complete(agent, { idempotencyKey: `c${key}`, jobId: a.jobId, outcome: 'PRINTED' });
    return a;
  };
  now -= 86_400_000;
  await print('y1', 2, 0);
  now += 86_400_000;
  await print('t1', 3, 1);
  t.equal((await print('big', 100, 0)).decision, 'DENY');
  const d2 = await dashboard(service.storage, now);
  t.same(d2.today, { jobs: 1, pages: 3, colorPages: 1, sheets: 3, costMinor: 30 }, 'today: printed jobs only');
  t.same(d2.week, { jobs: 2, pages: 5, colorPages: 1, sheets: 5, costMinor: 50 }, 'this week');
  t.same(d2.perDay.slice(-2).map((x) => [x.day, x.pages, x.colorPages]), [['2026-11-17', 2, 0], ['2026-11-18', 3, 1]], 'per UTC day');
  t.same(d2.topUsers, [{ name: 'bob', pages: 5, costMinor: 50 }]);
  t.same(d2.topPrinters, [{ name: 'a1/q', pages: 5, costMinor: 50 }]);

  // Days in a zone: one page a second before 10:00 UTC, which is midnight in Kiritimati
  // (UTC+14), and one on Sunday 10:30 UTC, Monday 00:30 there.
  const at = async (ms: number, key: string) => {
    const saved = now;
    now = ms;
    await print(key, 1, 0);
    now = saved;
  };
  await at(Date.parse('2026-11-18T09:59:59Z'), 'late');
  await at(Date.parse('2026-11-15T10:30:00Z'), 'sun');
  const pages = (d: typeof d2, n: number) => d.perDay.slice(-n).map((x) => [x.day, x.pages]);
  const utc = await dashboard(service.storage, now, 'UTC');
  t.equal(utc.today.pages, 4, 'UTC: today has the late page');
  t.equal(utc.week.pages, 6, 'UTC: Sunday is last week');
  t.same(pages(utc, 4), [['2026-11-15', 1], ['2026-11-16', 0], ['2026-11-17', 2], ['2026-11-18', 4]]);
  const kiritimati = await dashboard(service.storage, now, 'Pacific/Kiritimati');
  t.equal(kiritimati.timeZone, 'Pacific/Kiritimati');
  t.same(kiritimati.today, { jobs: 1, pages: 3, colorPages: 1, sheets: 3, costMinor: 30 }, 'UTC+14: a new day began at 10:00 UTC');
  t.equal(kiritimati.week.pages, 7, 'UTC+14: Sunday 10:30 UTC is this Monday');
  t.same(pages(kiritimati, 5), [['2026-11-15', 0], ['2026-11-16', 1], ['2026-11-17', 0], ['2026-11-18', 3], ['2026-11-19', 3]]);
  t.equal(kiritimati.perDay.length, 14);
  const pagoPago = await dashboard(service.storage, now, 'Pacific/Pago_Pago');
  t.equal(pagoPago.perDay.at(-1)!.day, '2026-11-17', 'UTC-11: still yesterday');
  t.equal(pagoPago.today.pages, 4);
  t.same(pages(pagoPago, 4), [['2026-11-14', 1], ['2026-11-15', 0], ['2026-11-16', 2], ['2026-11-17', 4]], 'UTC-11: Sunday 10:30 UTC is Saturday night');
});

t.test('dashboard arithmetic', async (t) => {
  const e = environment(8333);
  t.equal(e.trees, 1);
  t.equal(e.co2Kg.toFixed(4), '105.8291');
});
