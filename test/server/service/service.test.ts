// The service's operations on both engines: agents, users and balances, authorize and
// complete (charges, reservations, idempotency, denials), holds and events, refunds,
// printers, settings, the job log, shared accounts, bad input with nothing half-written.
import t from 'tap';
import { forEachEngine } from '../../helpers/engines.ts';
import { agent, fakeClock, job, service } from './fixtures.ts';

forEachEngine(t, 'agents and users', async (t, ctx) => {
  const s = await service(t, ctx);
  const { name, token } = await s.createAgent('ps1');
  t.equal(name, 'ps1');
  t.ok(token.length >= 43, 'a 32-byte token');
  t.match(token, /^pga_[A-Za-z0-9_-]{43}$/, 'prefixed, so it never starts with "-" on a command line');
  const a = await s.authenticateAgent(token);
  t.equal(a.name, 'ps1');
  await t.rejects(s.authenticateAgent(token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A')), { code: 'INVALID_TOKEN' });
  await t.rejects(s.authenticateAgent(''), { code: 'INVALID_TOKEN' });
  await t.rejects(s.createAgent('ps1'), { code: 'ALREADY_EXISTS' });
  await t.rejects(s.createAgent('a/b'), { code: 'INVALID_ARGUMENT' });
  const reg = await s.registerAgent(a, { hostname: 'h', version: '1', platform: 'cups', printers: [{ queue: 'office' }, { queue: 'lab' }] });
  t.same(reg.printers.map((p) => p.printer).sort(), ['ps1/lab', 'ps1/office']);
  t.equal((await s.listAgents())[0]!.hostname, 'h');
  t.ok((await s.listAgents())[0]!.lastContactAt);

  const u = await s.createUser({ name: 'ann', fullName: 'Ann A', balanceMinor: 1000 }, 'admin');
  t.same([u.name, u.restricted, u.billingMode, u.accounts], ['ann', true, 'prepaid', [{ name: 'print', balanceMinor: 1000, isDefault: true }]]);
  await t.rejects(s.createUser({ name: 'ann' }, 'admin'), { code: 'ALREADY_EXISTS' });
  await t.rejects(s.getUser('nobody'), { code: 'UNKNOWN_USER' });
  t.equal(await s.findUser('nobody'), null);
  t.equal((await s.adjustUserBalance('ann', { amountMinor: -150, comment: 'copy' }, 'admin')).balanceMinor, 850);
  t.equal((await s.setUserBalance('ann', { balanceMinor: 2000 }, 'admin')).balanceMinor, 2000);
  for (const bad of [0, 1.5, -1e15, NaN]) {
    await t.rejects(s.adjustUserBalance('ann', { amountMinor: bad }, 'admin'), { code: 'INVALID_AMOUNT' }, `adjust ${bad}`);
  }
  await t.rejects(s.adjustUserBalance('ann', { amountMinor: 5, account: 'nope' }, 'admin'), { code: 'UNKNOWN_ACCOUNT' });
  await t.rejects(s.adjustUserBalance('zed', { amountMinor: 5 }, 'admin'), { code: 'UNKNOWN_USER' });
  await t.rejects(s.createUser({ name: '' }, 'admin'), { code: 'INVALID_ARGUMENT' });
  // a balance pushed out of range is refused and nothing is written
  await s.setUserBalance('ann', { balanceMinor: 9_000_000_000_000 }, 'admin');
  await t.rejects(s.adjustUserBalance('ann', { amountMinor: 9_000_000_000_000 }, 'admin'), { code: 'INVALID_AMOUNT' });
  await t.rejects(s.setUserBalance('ann', { balanceMinor: 1e14 }, 'admin'), { code: 'INVALID_AMOUNT' });
  t.equal((await s.getBalance('ann')).balanceMinor, 9_000_000_000_000, 'unchanged');
  await s.setUserBalance('ann', { balanceMinor: 2000 }, 'admin');
  const txs = await s.listTransactions({ user: 'ann' });
  t.same(txs.items.map((x) => [x.kind, x.amountMinor, x.balanceAfterMinor, x.actor]), [
    ['set', -8_999_999_998_000, 2000, 'admin'], ['set', 8_999_999_998_000, 9_000_000_000_000, 'admin'],
    ['set', 1150, 2000, 'admin'], ['adjust', -150, 850, 'admin'], ['initial', 1000, 1000, 'admin']], 'the refused changes left no rows');
  const b = await s.getBalance('ann');
  t.same([b.balanceMinor, b.availableMinor], [2000, 2000]);

  await s.addUserAccount('ann', 'copy');
  t.same((await s.getUser('ann')).accounts.map((x) => x.name), ['print', 'copy']);
  await s.updateUser('ann', { overdraftMinor: 500, restricted: true, billingMode: 'postpaid' });
  const ann = await s.getUser('ann');
  t.same([ann.overdraftMinor, ann.billingMode, ann.ownBillingMode], [500, 'postpaid', 'postpaid']);
  t.equal((await s.getBalance('ann')).availableMinor, 2500);

  // paging
  for (const n of ['bob', 'cat', 'dan']) await s.createUser({ name: n }, 'admin');
  const p1 = await s.listUsers({ limit: 2 });
  t.same(p1.items.map((x) => x.name), ['ann', 'bob']);
  const p2 = await s.listUsers({ limit: 2, cursor: p1.nextCursor });
  t.same(p2.items.map((x) => x.name), ['cat', 'dan']);
  t.equal(p2.nextCursor, null);
  await t.rejects(s.listUsers({ cursor: 'garbage!' }), { code: 'INVALID_ARGUMENT' });
  await t.rejects(s.listUsers({ limit: 5000 }), { code: 'INVALID_ARGUMENT' });

  await s.deleteUser('bob');
  await t.rejects(s.getUser('bob'), { code: 'UNKNOWN_USER' });
  await s.createUser({ name: 'bob' }, 'admin');
  t.ok(await s.findUser('bob'), 'the name can be reused');
  t.ok((await s.checkLedger()).ok);
});

forEachEngine(t, 'authorize and complete', async (t, ctx) => {
  const s = await service(t, ctx);
  const a = await agent(s);
  await s.createUser({ name: 'ann', balanceMinor: 100 }, 'admin');

  const r = await s.authorize(a, job('ann', 5));
  t.same([r.decision, r.costMinor, r.account, r.balanceAfterMinor, r.currency], ['ALLOW', 50, 'print', 50, 'USD']);
  t.same(await s.getBalance('ann'), { user: 'ann', account: 'print', balanceMinor: 100, reservedMinor: 50, availableMinor: 50 });
  t.equal((await s.listPrinters())[0]!.id, 'ps1/office', 'printer created on first sight');

  // a retry returns the first answer; a different request under the same key is refused
  const req = job('ann', 3);
  const first = await s.authorize(a, req);
  const again = await s.authorize(a, req);
  t.same(again, first);
  t.equal((await s.getBalance('ann')).reservedMinor, 80, 'reserved once');
  await t.rejects(s.authorize(a, { ...req, analysis: { ...req.analysis, pages: 4 } }), { code: 'IDEMPOTENCY_MISMATCH' });

  // not enough left for 3 more pages after 80 reserved of 100
  const poor = await s.authorize(a, job('ann', 3));
  t.same([poor.decision, poor.reasonCode, poor.costMinor], ['DENY', 'INSUFFICIENT_CREDIT', 0]);
  t.match(poor.message, /0\.30 USD.*0\.20 USD/);

  const c = { idempotencyKey: 'c1', jobId: r.jobId, outcome: 'PRINTED' as const };
  const done = await s.complete(a, c);
  t.same([done.costMinor, done.balanceAfterMinor, done.account], [50, 20, 'print']);
  t.same(await s.complete(a, c), done, 'complete retried');
  const other = await s.complete(a, { ...c, idempotencyKey: 'c1-bis' });
  t.equal(other.costMinor, 50, 'a second complete of a printed job reports, charges nothing');
  t.equal((await s.getBalance('ann')).balanceMinor, 50);

  // partial print settles proportionally; cancel releases
  const cancelled = await s.complete(a, { idempotencyKey: 'c2', jobId: first.jobId, outcome: 'CANCELLED' });
  t.equal(cancelled.costMinor, 0);
  t.same(await s.getBalance('ann'), { user: 'ann', account: 'print', balanceMinor: 50, reservedMinor: 0, availableMinor: 50 });
  const j3 = await s.authorize(a, job('ann', 4));
  const partial = await s.complete(a, { idempotencyKey: 'c3', jobId: j3.jobId, outcome: 'PRINTED', impressionsPrinted: 1 });
  t.equal(partial.costMinor, 10);
  t.equal((await s.getBalance('ann')).balanceMinor, 40);

  await t.rejects(s.complete(a, { idempotencyKey: 'c4', jobId: '999999', outcome: 'PRINTED' }), { code: 'UNKNOWN_JOB' });
  await t.rejects(s.complete(a, { idempotencyKey: 'c5', jobId: 'x', outcome: 'PRINTED' }), { code: 'UNKNOWN_JOB' });
  await t.rejects(s.complete(a, { idempotencyKey: 'c6', jobId: j3.jobId, outcome: 'EXPLODED' as never }), { code: 'INVALID_ARGUMENT' });
  const b = await agent(s, 'ps2');
  await t.rejects(s.complete(b, { idempotencyKey: 'c7', jobId: j3.jobId, outcome: 'PRINTED' }), { code: 'UNKNOWN_JOB' }, "another agent's job");

  // the job log
  const log = await s.listJobs({ user: 'ann' });
  t.same(log.items.map((j) => j.status), ['printed', 'denied', 'cancelled', 'printed']);
  const j = await s.getJob(r.jobId);
  t.same([j.pages, j.impressions, j.costMinor, j.decision, j.printer, j.agent, j.host, j.media, j.method], [5, 5, 50, 'ALLOW', 'ps1/office', 'ps1', 'pc1', 'A4', 'test']);
  t.equal((await s.listJobs({ decision: 'DENY' })).items.length, 1);
  t.equal((await s.listJobs({ printer: 'office', limit: 2 })).items.length, 2);
  const pg1 = await s.listJobs({ limit: 3 });
  const pg2 = await s.listJobs({ limit: 3, cursor: pg1.nextCursor });
  t.equal(pg1.items.length + pg2.items.length, 4);
  t.equal(pg2.nextCursor, null);

  // refunds: part, then the rest, never more
  const part = await s.refundJob(r.jobId, { amountMinor: 20, comment: 'smudged' }, 'admin');
  t.same([part.kind, part.amountMinor, part.actor, part.jobId], ['refund', 20, 'admin', r.jobId]);
  await t.rejects(s.refundJob(r.jobId, { amountMinor: 31 }, 'admin'), { code: 'INVALID_AMOUNT' });
  t.equal((await s.refundJob(r.jobId, {}, 'admin')).amountMinor, 30);
  await t.rejects(s.refundJob(r.jobId, {}, 'admin'), { code: 'CONFLICT' });
  await t.rejects(s.refundJob(poor.jobId, {}, 'admin'), { code: 'CONFLICT' }, 'a denied job charged nothing');
  await t.rejects(s.refundJob('77777', {}, 'admin'), { code: 'UNKNOWN_JOB' });
  t.equal((await s.getBalance('ann')).balanceMinor, 90);
  t.ok((await s.checkLedger()).ok, 'ledger consistent');
});

forEachEngine(t, 'decisions through the service', async (t, ctx) => {
  const s = await service(t, ctx);
  const a = await agent(s);
  const unknown = await s.authorize(a, job('ghost', 1));
  t.same([unknown.decision, unknown.reasonCode], ['DENY', 'UNKNOWN_USER']);
  t.equal((await s.getJob(unknown.jobId)).user, 'ghost', 'logged with the name it came with');

  await s.setConfigValue('user.on-demand-creation', 'true');
  await s.setConfigValue('user.default.balance', '5.00');
  const created = await s.authorize(a, job('newbie', 2));
  t.same([created.decision, created.costMinor], ['ALLOW', 20]);
  t.equal((await s.getUser('newbie')).accounts[0]!.balanceMinor, 500);

  await s.createUser({ name: 'rich', restricted: false }, 'admin');
  t.equal((await s.authorize(a, job('rich', 3))).decision, 'ALLOW', 'unrestricted: no credit needed');
  await s.createUser({ name: 'post', billingMode: 'postpaid', balanceMinor: 0 }, 'admin');
  const pp = await s.authorize(a, job('post', 3));
  await s.complete(a, { idempotencyKey: 'pp', jobId: pp.jobId, outcome: 'PRINTED' });
  t.equal((await s.getBalance('post')).balanceMinor, -30, 'postpaid accumulates a negative balance');
  await s.createUser({ name: 'free', billingMode: 'free' }, 'admin');
  const fr = await s.authorize(a, job('free', 3));
  t.same([fr.decision, fr.costMinor], ['ALLOW', 0]);

  // restrictions from the printer and from groups
  await s.updatePrinter('office', { restrictions: { maxPages: 10, deniedTitles: ['*.exe'] }, costModel: { type: 'table', defaultMinor: 10, rows: [{ color: true, duplex: null, media: null, perPageMinor: 40 }] } });
  await s.createGroup({ name: 'kids', restrictions: { color: 'grayscale', duplex: 'force', maxCopies: 2 } });
  await s.createUser({ name: 'kid', balanceMinor: 10_000 }, 'admin');
  await s.addGroupMember('kids', 'kid');
  t.equal((await s.authorize(a, job('kid', 11))).reasonCode, 'MAX_PAGES_EXCEEDED');
  t.equal((await s.authorize(a, job('kid', 1, { title: 'virus.EXE' }))).reasonCode, 'DOCUMENT_NAME_DENIED');
  t.equal((await s.authorize(a, job('kid', 1, { copies: 3 }))).reasonCode, 'MAX_COPIES_EXCEEDED');
  const forced = await s.authorize(a, job('kid', 4, { colour: [1, 2] }));
  t.same([forced.decision, forced.forceGrayscale, forced.forceDuplex, forced.costMinor], ['ALLOW', true, true, 40]);
  t.equal((await s.authorize(a, job('newbie', 2, { colour: [1] }))).costMinor, 50, 'colour priced for others');

  // duplicates, access by group, disabled printer, unknown pages
  await s.updatePrinter('office', { restrictions: { duplicateWindowSeconds: 60, allowedGroups: ['kids'] } });
  const d1 = await s.authorize(a, job('kid', 2, { title: 'same' }));
  t.equal(d1.decision, 'ALLOW');
  t.equal((await s.authorize(a, job('kid', 2, { title: 'same' }))).reasonCode, 'DUPLICATE_JOB');
  t.equal((await s.authorize(a, job('kid', 3, { title: 'same' }))).decision, 'ALLOW', 'different pages: not a duplicate');
  t.equal((await s.authorize(a, job('rich', 1))).reasonCode, 'PRINTER_ACCESS_DENIED');
  await s.updatePrinter('office', { enabled: false, restrictions: {} });
  t.equal((await s.authorize(a, job('rich', 1))).reasonCode, 'PRINTER_DISABLED');
  await s.updatePrinter('office', { enabled: true });
  const unk = job('rich', 1);
  unk.analysis.pagesKnown = false;
  t.equal((await s.authorize(a, unk)).reasonCode, 'UNKNOWN_PAGES');
  await s.setConfigValue('job.unknown-pages', 'charge:1.25');
  const unk2 = await s.authorize(a, { ...unk, idempotencyKey: 'unk2' });
  t.same([unk2.decision, unk2.costMinor], ['ALLOW', 125]);
  t.equal((await s.authorize(a, job('rich', 1, { copies: 100_000 }))).reasonCode, 'INVALID_JOB');

  // offline replay: recorded and charged, never denied
  await s.createUser({ name: 'broke', balanceMinor: 0 }, 'admin');
  const off = await s.authorize(a, { ...job('broke', 4), offlineReplay: true, offlineAtMs: Date.UTC(2026, 0, 1) });
  t.same([off.decision, off.costMinor], ['ALLOW', 40]);
  const offJob = await s.getJob(off.jobId);
  t.same([offJob.status, offJob.offline, offJob.createdAt], ['printed', true, '2026-01-01T00:00:00.000Z']);
  t.equal((await s.getBalance('broke')).balanceMinor, -40);

  // bad input: catalogue codes, no job row written
  const before = (await s.listJobs({ limit: 1000 })).items.length;
  for (const [bad, code] of [
    [{ ...job('rich', 1), idempotencyKey: '' }, 'INVALID_ARGUMENT'],
    [{ ...job('rich', 1), job: { queue: '', user: 'rich' } }, 'INVALID_ARGUMENT'],
    [{ ...job('rich', 1), job: { queue: 'office', user: '' } }, 'INVALID_ARGUMENT'],
    [{ ...job('rich', 1), job: { queue: 'office', user: 'rich', copies: -1 } }, 'INVALID_ARGUMENT'],
    [{ ...job('rich', -5) }, 'INVALID_ARGUMENT'],
    [{ ...job('rich', 1), analysis: null }, 'INVALID_ARGUMENT'],
    [{ ...job('rich', 1), job: null }, 'INVALID_ARGUMENT'],
  ] as const) {
    await t.rejects(s.authorize(a, bad as never), { code }, JSON.stringify(bad).slice(0, 80));
  }
  t.equal((await s.listJobs({ limit: 1000 })).items.length, before, 'nothing half-written');
  t.ok((await s.checkLedger()).ok);
});

forEachEngine(t, 'holds and events', async (t, ctx) => {
  const clock = fakeClock();
  const s = await service(t, ctx, clock);
  const a = await agent(s);
  await s.createUser({ name: 'ann', balanceMinor: 100 }, 'admin');
  await s.registerAgent(a, { printers: [{ queue: 'secure' }] });
  await s.updatePrinter('ps1/secure', { releaseRequired: true });

  const h = await s.authorize(a, job('ann', 3, { queue: 'secure' }));
  t.same([h.decision, h.holdKind, h.costMinor, h.holdExpiresAtMs], ['HOLD', 'RELEASE', 30, clock.now + 3_600_000]);
  t.equal((await s.getBalance('ann')).reservedMinor, 0, 'nothing reserved while held');
  t.same((await s.listHeldJobs('ann')).map((j) => j.id), [h.jobId]);

  // an agent waiting on events is woken by the release
  const t0 = performance.now();
  const waiting = s.pollEvents(a, 0, 10_000);
  await new Promise((r) => setTimeout(r, 50));
  const released = await s.releaseJob(h.jobId, 'ann', { user: 'ann' });
  t.equal(released.status, 'authorized');
  const ev = await waiting;
  t.ok(performance.now() - t0 < 2000, 'woken, not timed out');
  t.same(ev.events.map((e) => [e.kind, e.jobId, e.queue, e.costMinor, e.account]), [['RELEASED', h.jobId, 'secure', 30, 'print']]);
  t.equal((await s.getBalance('ann')).reservedMinor, 30);
  await t.rejects(s.releaseJob(h.jobId, 'ann'), { code: 'JOB_NOT_HELD' });
  const done = await s.complete(a, { idempotencyKey: 'h1', jobId: h.jobId, outcome: 'PRINTED' });
  t.equal(done.costMinor, 30);

  // nothing new: the poll returns empty after its wait
  const empty = await s.pollEvents(a, ev.lastSeq, 150);
  t.same([empty.events, empty.lastSeq], [[], ev.lastSeq]);
  const aborted = new AbortController();
  const p = s.pollEvents(a, ev.lastSeq, 20_000, aborted.signal);
  aborted.abort();
  t.same((await p).events, [], 'abort ends the wait');

  // another user cannot release it; cancel; time out
  const h2 = await s.authorize(a, job('ann', 2, { queue: 'secure' }));
  await t.rejects(s.releaseJob(h2.jobId, 'bob', { user: 'bob' }), { code: 'FORBIDDEN' });
  await s.cancelHeldJob(h2.jobId, 'admin', 'not today');
  const h3 = await s.authorize(a, job('ann', 2, { queue: 'secure' }));
  t.equal(await s.sweepHeldJobs(clock.now + 3_599_000), 0, 'not yet');
  t.equal(await s.sweepHeldJobs(clock.now + 3_600_000), 1);
  t.equal((await s.getJob(h3.jobId)).status, 'timed-out');
  const later = await s.pollEvents(a, ev.lastSeq, 0);
  t.same(later.events.map((e) => [e.kind, e.jobId]), [['CANCELLED', h2.jobId], ['TIMED_OUT', h3.jobId]]);
  t.equal(later.events[0]!.message, 'not today');
  clock.now += 2 * 86_400_000;
  t.same((await s.pollEvents(a, 0, 0)).events, [], 'from seq 0: only the last day');
  t.equal((await s.pollEvents(a, ev.lastSeq, 0)).events.length, 2, 'by seq: still there');
  clock.now -= 2 * 86_400_000;
  const other = await agent(s, 'ps2');
  t.same((await s.pollEvents(other, 0, 0)).events, [], 'events go to the owning agent only');

  // a held job the agent reports cancelled is closed uncharged; a held job cannot be "printed"
  const h4 = await s.authorize(a, job('ann', 2, { queue: 'secure' }));
  await t.rejects(s.complete(a, { idempotencyKey: 'h4p', jobId: h4.jobId, outcome: 'PRINTED' }), { code: 'JOB_NOT_HELD' });
  t.equal((await s.complete(a, { idempotencyKey: 'h4c', jobId: h4.jobId, outcome: 'CANCELLED' })).costMinor, 0);

  // insufficient credit at release keeps the job held
  const h5 = await s.authorize(a, job('ann', 7, { queue: 'secure' }));
  t.equal(h5.decision, 'HOLD');
  await s.adjustUserBalance('ann', { amountMinor: -60 }, 'admin');
  await t.rejects(s.releaseJob(h5.jobId, 'ann'), { code: 'INSUFFICIENT_CREDIT' });
  t.equal((await s.getJob(h5.jobId)).status, 'held');

  // choosing a shared account
  await s.setConfigValue('account.selection', 'choose');
  await s.createSharedAccount({ name: 'physics', balanceMinor: 1000 }, 'admin');
  await s.createGroup({ name: 'staff' });
  await s.addGroupMember('staff', 'ann');
  await s.grantSharedAccess('physics', { group: 'staff' });
  const ch = await s.authorize(a, job('ann', 2));
  t.same([ch.decision, ch.holdKind], ['HOLD', 'CHOOSE_ACCOUNT']);
  await t.rejects(s.releaseJob(ch.jobId, 'ann', { account: 'chemistry' }), { code: 'UNKNOWN_ACCOUNT' });
  const chosen = await s.releaseJob(ch.jobId, 'ann', { account: 'physics' });
  t.equal(chosen.account, 'physics');
  const evs = await s.pollEvents(a, later.lastSeq, 0);
  t.same(evs.events.map((e) => [e.kind, e.account]), [['ACCOUNT_CHOSEN', 'physics']]);
  await s.complete(a, { idempotencyKey: 'ch', jobId: ch.jobId, outcome: 'PRINTED' });
  t.equal((await s.getSharedAccount('physics')).balanceMinor, 980);
  // an account named up front is checked: access through the group
  const direct = await s.authorize(a, { ...job('ann', 1), account: 'physics' });
  t.same([direct.decision, direct.account], ['ALLOW', 'physics']);
  await s.createUser({ name: 'eve', balanceMinor: 100 }, 'admin');
  t.equal((await s.authorize(a, { ...job('eve', 1), account: 'physics' })).reasonCode, 'ACCOUNT_ACCESS_DENIED');
  t.equal((await s.authorize(a, { ...job('eve', 1), account: 'nope' })).reasonCode, 'UNKNOWN_ACCOUNT');
  t.same((await s.listBalances('ann')).map((b) => b.account), ['print', 'physics']);
  t.ok((await s.checkLedger()).ok);
});

forEachEngine(t, 'printers, settings, groups, quotas', async (t, ctx) => {
  const clock = fakeClock(Date.UTC(2026, 10, 20, 12, 0));
  const s = await service(t, ctx, clock);
  const a = await agent(s, 'ps1');
  const b = await agent(s, 'ps2');
  await s.registerAgent(a, { printers: [{ queue: 'office' }, { queue: 'lab' }] });
  await s.registerAgent(b, { printers: [{ queue: 'office' }] });
  await t.rejects(s.getPrinter('office'), { code: 'AMBIGUOUS_PRINTER' });
  t.equal((await s.getPrinter('lab')).id, 'ps1/lab');
  await t.rejects(s.getPrinter('ps9/lab'), { code: 'UNKNOWN_PRINTER' });
  await t.rejects(s.updatePrinter('lab', { costModel: { type: 'simple', perPageMinor: -1 } }), { code: 'VALIDATION_FAILED' });
  await t.rejects(s.updatePrinter('lab', { failureMode: 'PANIC' as never }), { code: 'INVALID_ARGUMENT' });
  const p = await s.updatePrinter('ps2/office', { costModel: { type: 'simple', perPageMinor: 25 }, failureMode: 'HOLD_UNTIL_RECONNECTED', watermark: true, watermarkTemplate: '{user} {job}' });
  t.same([p.costModel, p.failureMode, p.watermark], [{ type: 'simple', perPageMinor: 25 }, 'HOLD_UNTIL_RECONNECTED', true]);
  t.equal((await s.heartbeat(b, {})).printers[0]!.failureMode, 'HOLD_UNTIL_RECONNECTED');
  await s.createUser({ name: 'ann', balanceMinor: 1000 }, 'admin');
  const w = await s.authorize(b, job('ann', 2));
  t.same([w.costMinor, w.watermark, w.watermarkText], [50, true, `ann ${w.jobId}`]);

  // settings
  t.equal((await s.getConfigValue('currency')).value, 'USD');
  t.equal((await s.setConfigValue('currency', 'eur')).value, 'EUR');
  t.same(await s.moneyFormat(), { currency: 'EUR', exponent: 2 });
  await t.rejects(s.setConfigValue('nope', '1'), { code: 'UNKNOWN_CONFIG_KEY' });
  for (const [k, v] of [['currency.exponent', '9'], ['timezone', 'Mars/Base'], ['user.default.balance', '1.234'], ['hold.timeout-minutes', '0'], ['job.unknown-pages', 'charge:-1'], ['user.on-demand-creation', 'yes']]) {
    await t.rejects(s.setConfigValue(k!, v!), { code: 'VALIDATION_FAILED' }, `${k}=${v}`);
  }
  t.equal((await s.setConfigValue('user.default.balance', '2.5')).value, '2.50');
  t.ok((await s.listConfig()).some((c) => c.key === 'timezone' && c.default === 'UTC'));

  // groups and quotas: once per period, capped by the maximum accumulation
  await s.createGroup({ name: 'students', billingMode: 'prepaid' });
  await t.rejects(s.createGroup({ name: 'students' }), { code: 'ALREADY_EXISTS' });
  await s.createUser({ name: 'sam', balanceMinor: 0 }, 'admin');
  await s.createUser({ name: 'sue', balanceMinor: 1900 }, 'admin');
  await s.addGroupMember('students', 'sam');
  await s.addGroupMember('students', 'sue');
  await t.rejects(s.addGroupMember('students', 'nobody'), { code: 'UNKNOWN_USER' });
  await t.rejects(s.addGroupMember('nogroup', 'sam'), { code: 'UNKNOWN_GROUP' });
  t.same(await s.listGroupMembers('students'), ['sam', 'sue']);
  await t.rejects(s.setGroupQuota('students', { amountMinor: 500, period: 'hourly' as never, maxAccumulationMinor: 2000 }), { code: 'INVALID_ARGUMENT' });
  await t.rejects(s.setGroupQuota('students', { amountMinor: -5, period: 'daily', maxAccumulationMinor: 2000 }), { code: 'INVALID_AMOUNT' });
  await s.setGroupQuota('students', { amountMinor: 500, period: 'daily', maxAccumulationMinor: 2000 });
  t.same((await s.getGroup('students')).quota, { group: 'students', amountMinor: 500, period: 'daily', maxAccumulationMinor: 2000 });
  t.same(await s.runDueQuotas(clock.now), { applied: 2 });
  t.same(await s.runDueQuotas(clock.now + 3600_000), { applied: 0 }, 'same day: nothing');
  t.equal((await s.getBalance('sam')).balanceMinor, 500);
  t.equal((await s.getBalance('sue')).balanceMinor, 2000, 'capped at 20.00');
  t.same(await s.runDueQuotas(clock.now + 86_400_000), { applied: 2 }, 'next day');
  t.equal((await s.getBalance('sam')).balanceMinor, 1000);
  t.equal((await s.getBalance('sue')).balanceMinor, 2000);
  const q = await s.listTransactions({ user: 'sam' });
  t.same(q.items.map((x) => [x.kind, x.amountMinor, x.actor]), [['quota', 500, 'quota'], ['quota', 500, 'quota']]);

  // group billing mode and restrictions
  await s.updateGroup('students', { billingMode: 'free' });
  t.equal((await s.getUser('sam')).billingMode, 'free');
  await t.rejects(s.updateGroup('students', { restrictions: { allowedGroups: ['x'] } }), { code: 'VALIDATION_FAILED' });
  await s.removeGroupMember('students', 'sue');
  t.same(await s.listGroupMembers('students'), ['sam']);
  await s.clearGroupQuota('students');
  await s.deleteGroup('students');
  await t.rejects(s.getGroup('students'), { code: 'UNKNOWN_GROUP' });
  t.same((await s.getUser('sam')).groups, []);

  // shared accounts
  const sh = await s.createSharedAccount({ name: 'dept', pin: '1234', balanceMinor: 300 }, 'admin');
  t.same([sh.balanceMinor, sh.hasPin, sh.restricted], [300, true, false]);
  await t.rejects(s.createSharedAccount({ name: 'dept' }, 'admin'), { code: 'ALREADY_EXISTS' });
  t.ok(await s.verifySharedAccountPin('dept', '1234'));
  t.notOk(await s.verifySharedAccountPin('dept', '1235'));
  await t.rejects(s.verifySharedAccountPin('nope', '1234'), { code: 'UNKNOWN_ACCOUNT' });
  t.equal((await s.adjustSharedAccount('dept', { amountMinor: -50 }, 'admin')).balanceMinor, 250);
  await s.grantSharedAccess('dept', { user: 'sam' });
  await t.rejects(s.grantSharedAccess('dept', {}), { code: 'INVALID_ARGUMENT' });
  t.same((await s.getSharedAccount('dept')).access, { users: ['sam'], groups: [] });
  await s.revokeSharedAccess('dept', { user: 'sam' });
  t.same((await s.listSharedAccounts()).items.map((x) => x.name), ['dept']);
  t.same((await s.listTransactions({ account: 'dept' })).items.map((x) => x.amountMinor), [-50, 300]);

  // admin idempotency
  let runs = 0;
  const once = () => s.idempotent('adjust', 'key-1', { user: 'sam', amount: 5 }, async () => { runs++; return { ok: runs }; });
  t.same(await once(), { ok: 1 });
  t.same(await once(), { ok: 1 });
  t.equal(runs, 1);
  await t.rejects(s.idempotent('adjust', 'key-1', { user: 'sam', amount: 6 }, async () => 1), { code: 'IDEMPOTENCY_MISMATCH' });
  await s.deleteAgent('ps2');
  await t.rejects(s.deleteAgent('ps2'), { code: 'UNKNOWN_AGENT' });
  t.ok((await s.checkLedger()).ok);
});

forEachEngine(t, 'the ledger check finds a tampered balance', async (t, ctx) => {
  const s = await service(t, ctx);
  await s.createUser({ name: 'ann', balanceMinor: 500 }, 'admin');
  for (let i = 0; i < 5; i++) await s.adjustUserBalance('ann', { amountMinor: 10 + i }, 'admin');
  const p1 = await s.listTransactions({ user: 'ann', limit: 4 });
  const p2 = await s.listTransactions({ user: 'ann', limit: 4, cursor: p1.nextCursor });
  t.same([...p1.items, ...p2.items].map((x) => x.amountMinor), [14, 13, 12, 11, 10, 500], 'paged newest first');
  t.equal(p2.nextCursor, null);
  t.ok((await s.checkLedger()).ok);
  const storage = (s as unknown as { storage: { run(sql: string, p?: unknown[]): Promise<unknown> } }).storage;
  await storage.run("UPDATE accounts SET balance = balance + 1 WHERE kind = 'personal'");
  const bad = await s.checkLedger();
  t.notOk(bad.ok);
  t.same(bad.mismatches.map((m) => [m.balanceMinor, m.ledgerMinor]), [[561, 560]]);
  await storage.run("UPDATE accounts SET balance = balance - 1, reserved = 7 WHERE kind = 'personal'");
  t.same((await s.checkLedger()).mismatches.map((m) => [m.reservedMinor, m.jobsReservedMinor]), [[7, 0]], 'a reservation no job explains');
});
