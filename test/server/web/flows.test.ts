// Web flows with app.inject() and one real socket: top-up card batches made on the admin
// page and redeemed once on the user page (guessing rate-limited); popup authentication
// (a claim-required printer holds the job until its owner claims it; an unclaimed one
// times out uncharged); partial refunds from the job log with the admin as actor; CSV
// cells that a spreadsheet would run are neutralised; and the live event stream pushes
// the state and a denial with its reason.

import t from 'tap';
import http from 'node:http';
import { webHarness } from './harness.ts';
import { pb } from '../../../shared/protocol/index.ts';

const PW = 'flows-password-1';

t.test('top-up cards: made by an admin, each code works once, guessing is limited', async (t) => {
  const h = await webHarness(t, { limits: { perUser: 3, perAddress: 100, windowMs: 60_000 } });
  await h.setAdminPassword(PW);
  await h.admin('POST', '/users', { name: 'alice', balance: '1.00' });
  await h.setPassword('alice', PW);
  const admin = await h.loginAdmin(PW);
  const made = await h.form('/admin/cards', admin, { name: 'autumn', count: '2', amount: '5.00' });
  t.equal(made.statusCode, 200);
  const codes = [...made.body.matchAll(/<li>([2-9A-Z]{4}(?:-[2-9A-Z]{4}){3})<\/li>/g)].map((m) => m[1]!);
  t.equal(codes.length, 2, 'the codes are shown once');
  t.match((await h.get('/admin/cards', admin)).body, /autumn[\s\S]*5\.00[\s\S]*>2<[\s\S]*>0</, 'the batch, none redeemed');
  t.notMatch((await h.get('/admin/cards', admin)).body, new RegExp(codes[0]!), 'codes are not shown again');

  const alice = await h.loginUser('alice', PW);
  const ok = await h.form('/cards', alice, { code: codes[0]! });
  t.equal(ok.statusCode, 303);
  t.equal(ok.headers.location, '/?msg=redeemed');
  t.equal((await h.service.getBalance('alice')).balanceMinor, 600);
  const again = await h.form('/cards', alice, { code: codes[0]! });
  t.equal(again.statusCode, 404, 'a used code is refused');
  t.match(again.body, /not valid or was already used/);
  await h.form('/cards', alice, { code: 'ZZZZ-ZZZZ-ZZZZ-ZZZZ' });
  await h.form('/cards', alice, { code: 'YYYY-YYYY-YYYY-YYYY' });
  const limited = await h.form('/cards', alice, { code: codes[1]! });
  t.equal(limited.statusCode, 429, 'after three wrong codes even a good one waits');
  t.equal((await h.service.getBalance('alice')).balanceMinor, 600);
});

t.test('claim-required printers: the owner claims at the web page; unclaimed jobs time out uncharged', async (t) => {
  const h = await webHarness(t);
  await h.printer({ claimRequired: true, costModel: { type: 'simple', perPage: '0.10' } });
  await h.admin('POST', '/users', { name: 'alice', balance: '5.00' });
  await h.setPassword('alice', PW);
  const claimed = await h.submit('alice', 'c1');
  const left = await h.submit('alice', 'c2');
  t.equal(claimed.holdKind, 'CLAIM');
  const alice = await h.loginUser('alice', PW);
  const page = await h.get('/', alice);
  t.match(page.body, /Is this your job\? Claim it to print \(0\.30 USD\)\./);
  t.match(page.body, /Claim and print/);
  t.match(page.body, /Cancelled without charge at \d{4}-\d\d-\d\d \d\d:\d\d UTC if nobody answers/, 'when it times out');
  t.equal((await h.form(`/jobs/${claimed.jobId}/release`, alice, {})).statusCode, 303);
  t.equal((await h.service.getJob(claimed.jobId)).status, 'authorized', 'claimed: it prints');

  // The help desk can answer for a user from the job log.
  await h.setAdminPassword(PW);
  const admin = await h.loginAdmin(PW);
  const byDesk = await h.submit('alice', 'c3');
  const cancelled = await h.submit('alice', 'c4');
  t.match((await h.get('/admin/jobs?status=held', admin)).body, new RegExp(`aria-label="Release job ${byDesk.jobId}"`));
  t.equal((await h.form('/admin/jobs/release', admin, { job: byDesk.jobId })).statusCode, 303);
  t.equal((await h.form('/admin/jobs/cancel', admin, { job: cancelled.jobId })).statusCode, 303);
  t.same([(await h.service.getJob(byDesk.jobId)).status, (await h.service.getJob(cancelled.jobId)).status], ['authorized', 'cancelled'], 'released and cancelled by the admin');

  t.equal(await h.service.sweepHeldJobs(Date.now() + 61 * 60_000), 1, 'the hold time-out (60 minutes by default)');
  const timedOut = await h.service.getJob(left.jobId);
  t.equal(timedOut.status, 'timed-out');
  t.equal(timedOut.costMinor, 0, 'uncharged');
  const b = await h.service.getBalance('alice');
  t.equal(b.balanceMinor, 500, 'nothing charged');
  t.equal(b.reservedMinor, 60, 'only the released jobs are reserved');
});

t.test('the job log: partial refund with the admin as actor; CSV neutralises formulas', async (t) => {
  const h = await webHarness(t);
  await h.setAdminPassword(PW);
  await h.printer({ costModel: { type: 'simple', perPage: '0.10' } });
  await h.admin('POST', '/users', { name: 'alice', balance: '5.00' });
  const a = await h.agent('authorize', {
    idempotencyKey: 'f1', job: { queue: 'q', spoolerJobId: 'f1', user: 'alice', title: '=HYPERLINK("x")', copies: 1 },
    analysis: { pagesKnown: true, pages: 4, colorKnown: true, colorPages: 0 },
  }, pb.AuthorizeResponse);
  const jobId = a.body!.jobId!;
  await h.agent('complete', { idempotencyKey: 'cf1', jobId, outcome: pb.Outcome.PRINTED }, pb.CompleteResponse);
  const admin = await h.loginAdmin(PW);
  const log = await h.get('/admin/jobs?user=alice&status=printed', admin);
  t.match(log.body, /Refund/);
  const r = await h.form('/admin/jobs/refund', admin, { job: jobId, amount: '0.15' });
  t.equal(r.statusCode, 303);
  const job = await h.service.getJob(jobId);
  t.equal(job.refundedMinor, 15, 'part of the job refunded');
  const tx = (await h.service.listTransactions({ user: 'alice' })).items.find((x) => x.kind === 'refund');
  t.equal(tx?.actor, 'admin:admin', 'the admin is the actor');
  t.equal(tx?.amountMinor, 15);

  const csv = await h.get('/admin/jobs.csv?user=alice', admin);
  t.equal(csv.headers['content-type'], 'text/csv; charset=utf-8');
  t.match(csv.headers['content-disposition'], /attachment/);
  const row = csv.body.split('\r\n')[1]!;
  t.match(row, /,"'=HYPERLINK\(""x""\)",4,0,1,4,0,4,false,false,0\.40,0\.15,ALLOW,printed,/, 'quoted, prefixed, exact amounts');
  t.equal((await h.get('/admin/jobs.csv?user=bob', admin)).body.split('\r\n').filter(Boolean).length, 1, 'filters apply: only the header');
  t.equal((await h.get('/admin/jobs.csv?decision=DENY', admin)).body.split('\r\n').filter(Boolean).length, 1, 'no denied job');
  t.equal((await h.get('/admin/jobs.csv?decision=ALLOW', admin)).body.split('\r\n').filter(Boolean).length, 2, 'one allowed job');
});

t.test('the live event stream pushes the state and denials', async (t) => {
  const h = await webHarness(t, { livePollMs: 100 });
  await h.printer({ costModel: { type: 'simple', perPage: '1.00' } });
  await h.admin('POST', '/users', { name: 'alice', balance: '0.50' });
  await h.setPassword('alice', PW);
  const alice = await h.loginUser('alice', PW);
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (h.app.server.address() as { port: number }).port;
  let text = '';
  const req = http.get({ host: '127.0.0.1', port, path: '/api/user/v1/events', headers: { cookie: alice.cookie }, agent: false });
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => { req.on('response', resolve); req.on('error', reject); });
  t.teardown(() => req.destroy());
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^text\/event-stream/);
  res.on('data', (d: Buffer) => (text += d));
  const waitFor = async (re: RegExp) => {
    const deadline = Date.now() + 10_000;
    while (!re.test(text)) {
      if (Date.now() > deadline) throw new Error(`no ${re} in ${text}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  await waitFor(/event: state\ndata: \{"user":"alice","currency":"USD","balances":\[\{"account":"print","balance":"0\.50","available":"0\.50"\}\],"lowBalance":true/);
  t.pass('the first state, with the low-credit warning');
  const denied = await h.submit('alice', 'd1');
  t.equal(denied.decision, 'DENY');
  await waitFor(new RegExp(`event: denied\\ndata: \\{"jobId":"${denied.jobId}","title":"report\\.pdf","printer":"agent1/q","reasonCode":"INSUFFICIENT_CREDIT","reason":".+"\\}`));
  t.pass('the denial with its reason');
  const ended = new Promise<void>((resolve) => res.on('end', () => resolve()));
  const out = await h.app.inject({ method: 'POST', url: '/api/user/v1/logout', headers: { cookie: alice.cookie, 'x-csrf-token': alice.csrf } });
  t.equal(out.statusCode, 204);
  await waitFor(/event: error\ndata: \{"message":"the session ended"\}/);
  await ended;
  t.pass('logging out ends the open stream');
});
