// Popup authentication's host rule: a claim through the user client (the user API behind
// the live page and `printgate client`) must come from the job's originating host — an
// IP address, or a name resolved to all its addresses; IPv4-mapped IPv6 is the same
// address; loopback only for a loopback job host or the server's own name. Any other
// address is refused with CLAIM_WRONG_HOST and the job stays held. A claim at the web
// page (password log-in at `/`) works from anywhere.

import t from 'tap';
import { webHarness } from './harness.ts';
import { job } from '../http/harness.ts';
import { ClaimHostRule, isLoopback, normaliseAddress } from '../../../server/web/claim-host.ts';
import { pb } from '../../../shared/protocol/index.ts';

const PW = 'claims-password-1';

t.test('addresses are normalised', async (t) => {
  t.equal(normaliseAddress('::ffff:192.0.2.7'), '192.0.2.7');
  t.equal(normaliseAddress('::FFFF:192.0.2.7'), '192.0.2.7');
  t.equal(normaliseAddress('0:0:0:0:0:ffff:192.0.2.7'), '192.0.2.7');
  t.equal(normaliseAddress('[2001:DB8::1]'), '2001:db8::1');
  t.equal(normaliseAddress('fe80::1%eth0'), 'fe80::1');
  t.ok(isLoopback('::ffff:127.0.0.1'));
  t.ok(isLoopback('127.0.1.1'));
  t.ok(isLoopback('::1'));
  t.notOk(isLoopback('192.0.2.7'));
});

t.test('the rule', async (t) => {
  const names: Record<string, string[]> = { 'ws1.example.org': ['192.0.2.9', '2001:db8::9'], 'printsrv': ['127.0.1.1'] };
  let asked = 0;
  const rule = new ClaimHostRule({
    ownNames: ['printsrv.example.org'],
    lookup: async (name) => {
      asked++;
      const a = names[name];
      if (!a) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
      return a;
    },
  });
  t.ok(await rule.allows('192.0.2.7', '192.0.2.7'), 'the same IP');
  t.ok(await rule.allows('::ffff:192.0.2.7', '192.0.2.7'), 'IPv4-mapped client address');
  t.ok(await rule.allows('192.0.2.7', '::ffff:192.0.2.7'), 'IPv4-mapped job host');
  t.notOk(await rule.allows('192.0.2.8', '192.0.2.7'), 'another IP');
  t.ok(await rule.allows('192.0.2.9', 'WS1.example.org'), 'a name: any of its addresses');
  t.ok(await rule.allows('2001:db8::9', 'ws1.example.org'), 'a name: its IPv6 address');
  t.notOk(await rule.allows('192.0.2.10', 'ws1.example.org'), 'a name: not one of its addresses');
  t.notOk(await rule.allows('192.0.2.9', 'nowhere.example.org'), 'a name that does not resolve');
  t.notOk(await rule.allows('192.0.2.9', ''), 'no job host');
  t.notOk(await rule.allows('127.0.0.1', '192.0.2.7'), 'loopback does not claim a job from another host');
  t.notOk(await rule.allows('127.0.0.1', 'ws1.example.org'), 'loopback does not claim a job from a named host');
  t.ok(await rule.allows('127.0.0.1', '127.0.0.1'), 'loopback job host');
  t.ok(await rule.allows('::1', '127.0.0.1'), 'loopback in either family');
  t.ok(await rule.allows('127.0.0.1', 'printsrv'), "the server's own name without its domain");
  const before = asked;
  t.ok(await rule.allows('127.0.0.1', 'PrintSrv.example.org'), "the server's own name");
  t.equal(asked, before, 'the own name needs no resolver');
  t.notOk(await rule.allows('127.0.0.1', 'printsrv.other.org'), 'another domain is another host');
  t.notOk(await rule.allows('not an address', '192.0.2.7'));
  t.notOk(await rule.allows('192.0.2.7', 'bad name with spaces'), 'implausible names are not resolved');

  const slow = new ClaimHostRule({ timeoutMs: 50, lookup: () => new Promise(() => {}) });
  t.notOk(await slow.allows('192.0.2.9', 'ws1.example.org'), 'a resolver that does not answer counts as no match');
});

t.test('the system resolver: localhost', async (t) => {
  const rule = new ClaimHostRule({ ownNames: ['printsrv-test'] });
  t.ok(await rule.allows('127.0.0.1', 'localhost'), 'localhost resolves to loopback');
  t.notOk(await rule.allows('192.0.2.7', 'localhost'));
});

t.test('claims through the user API come from the job host; the web page from anywhere', async (t) => {
  const h = await webHarness(t, {
    claimHosts: new ClaimHostRule({ ownNames: ['printsrv'], lookup: async (name) => (name === 'ws1' ? ['192.0.2.9'] : []) }),
  });
  await h.printer({ claimRequired: true, costModel: { type: 'simple', perPage: '0.10' } });
  await h.admin('POST', '/users', { name: 'alice', balance: '5.00' });
  await h.setPassword('alice', PW);
  let n = 0;
  const submit = async (host: string) => {
    const req = job('alice', `claim${++n}`);
    (req.job as Record<string, unknown>).host = host;
    const a = await h.agent('authorize', req, pb.AuthorizeResponse);
    const body = pb.AuthorizeResponse.toObject(a.body as never, { enums: String }) as Record<string, unknown>;
    t.equal(body.holdKind, 'CLAIM');
    return String(body.jobId);
  };
  const alice = await h.loginUser('alice', PW);
  const claim = (jobId: string, remoteAddress: string) => h.app.inject({
    method: 'POST', url: `/api/user/v1/jobs/${jobId}/release`, remoteAddress,
    headers: { cookie: alice.cookie, 'x-csrf-token': alice.csrf, 'content-type': 'application/json' }, payload: {},
  });

  const named = await submit('ws1');
  const refused = await claim(named, '192.0.2.50');
  t.equal(refused.statusCode, 403);
  t.equal(refused.json().code, 'CLAIM_WRONG_HOST');
  t.match(refused.json().message, /came from ws1/);
  t.equal((await h.service.getJob(named)).status, 'held', 'a refused claim leaves the job held');
  t.equal((await claim(named, '127.0.0.1')).json().code, 'CLAIM_WRONG_HOST', 'not from the server itself either');
  const ok = await claim(named, '::ffff:192.0.2.9');
  t.equal(ok.statusCode, 200, ok.body);
  t.equal((await h.service.getJob(named)).status, 'authorized', 'claimed from the job host');

  const byIp = await submit('192.0.2.7');
  t.equal((await claim(byIp, '192.0.2.8')).statusCode, 403);
  t.equal((await claim(byIp, '192.0.2.7')).statusCode, 200);

  // The other answers are not about hosts: a cancel works from anywhere.
  const cancelled = await submit('192.0.2.7');
  const c = await h.app.inject({
    method: 'POST', url: `/api/user/v1/jobs/${cancelled}/cancel`, remoteAddress: '198.51.100.1',
    headers: { cookie: alice.cookie, 'x-csrf-token': alice.csrf },
  });
  t.equal(c.statusCode, 200);

  // The web page after a password log-in: from anywhere (inject's default is 127.0.0.1).
  const atPage = await submit('192.0.2.7');
  const form = await h.app.inject({
    method: 'POST', url: `/jobs/${atPage}/release`, remoteAddress: '198.51.100.1',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: alice.cookie },
    payload: new URLSearchParams({ _csrf: alice.csrf }).toString(),
  });
  t.equal(form.statusCode, 303);
  t.equal((await h.service.getJob(atPage)).status, 'authorized', 'claimed at the web page');
});
