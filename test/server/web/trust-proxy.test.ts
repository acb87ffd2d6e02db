// --trust-proxy over real sockets: the whole server (startServer, the path `printgate
// server` takes) listening on 127.0.0.1, called with fetch. Without trust, X-Forwarded-For
// and X-Forwarded-Proto change nothing: a claim is judged by the socket's address, the
// log-in limit counts the peer, cookies follow the connection. With `--trust-proxy
// 127.0.0.1` (this test is the proxy), the forwarded client is the address for claims,
// rate limits and the session's record, and X-Forwarded-Proto: https makes cookies Secure;
// a client cannot escape by forging the left part of the chain. Then the same rules with
// inject() for IPv6 and ranges: a peer outside the list is not believed.

import t from 'tap';
import { join } from 'node:path';
import { resolveConfig } from '../../../server/config.ts';
import { startServer, type RunningServer } from '../../../server/start.ts';
import { ClaimHostRule } from '../../../server/web/claim-host.ts';
import { job, scratch } from '../http/harness.ts';
import { webHarness } from './harness.ts';
import { pb } from '../../../shared/protocol/index.ts';

const ADMIN = 'trust-proxy-admin-token-0123456789';
const PW = 'trust-proxy-pw-1';
const JOB_HOST = '192.0.2.9';

interface Teardown { teardown(fn: () => unknown): void }

interface Live {
  server: RunningServer;
  call(method: string, path: string, options?: { body?: unknown; headers?: Record<string, string> }): Promise<Response>;
  /** A claim-required job of alice's from `host`; returns its id. */
  submit(host: string): Promise<string>;
  login(password: string, headers?: Record<string, string>): Promise<Response>;
  sessionAddresses(): Promise<string[]>;
}

async function live(t: Teardown, trustProxy: string | undefined): Promise<Live> {
  const dir = scratch(t);
  const config = resolveConfig({ port: '0', data: join(dir, 'data'), 'log-level': 'silent', ...(trustProxy === undefined ? {} : { 'trust-proxy': trustProxy }) }, {}, dir);
  const server = await startServer(config, {
    env: { PRINTGATE_ADMIN_TOKEN: ADMIN }, background: false,
    web: {
      env: {},
      // No resolver needed: job hosts here are addresses; the server's own name is not one.
      claimHosts: new ClaimHostRule({ ownNames: ['printsrv-test'], lookup: async () => [] }),
      limits: { perUser: 100, perAddress: 3, windowMs: 60_000 },
    },
  });
  t.teardown(() => server.close());
  const { token: agentToken } = await server.service.createAgent('agent1');

  const call: Live['call'] = (method, path, options = {}) => fetch(`${server.url}${path}`, {
    method,
    headers: { ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const admin = async (method: string, path: string, body?: unknown) => {
    const r = await call(method, `/api/admin/v1${path}`, { body, headers: { authorization: `Bearer ${ADMIN}` } });
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
  };
  const agent = async (method: string, body: unknown) => {
    const r = await call('POST', `/api/agent/v1/${method}`, { body, headers: { authorization: `Bearer ${agentToken}` } });
    if (r.status !== 200) throw new Error(`${method}: ${r.status} ${await r.text()}`);
    return (await r.json()) as Record<string, unknown>;
  };

  await admin('POST', '/users', { name: 'alice', balance: '5.00' });
  await admin('PUT', '/users/alice/password', { password: PW });
  await agent('register', { hostname: 'ps1', printers: [{ queue: 'q' }] });
  await admin('PATCH', `/printers/${encodeURIComponent('agent1/q')}`, { claimRequired: true, costModel: { type: 'simple', perPage: '0.10' } });

  let n = 0;
  return {
    server, call,
    async submit(host) {
      const req = job('alice', `tp${++n}`);
      (req.job as Record<string, unknown>).host = host;
      const a = await agent('authorize', req);
      if (a.holdKind !== 'CLAIM') throw new Error(`not held for a claim: ${JSON.stringify(a)}`);
      return String(a.jobId);
    },
    login: (password, headers = {}) => call('POST', '/api/user/v1/login', { body: { user: 'alice', password }, headers }),
    async sessionAddresses() {
      const storage = (server.service as unknown as { storage: { all(sql: string): Promise<Array<{ address: string }>> } }).storage;
      return (await storage.all('SELECT address FROM web_sessions ORDER BY created_at')).map((r) => r.address);
    },
  };
}

/** Log alice in (from `forwardedFor` when given) and return a claim function. */
async function claimer(l: Live, loginHeaders: Record<string, string> = {}) {
  const r = await l.login(PW, loginHeaders);
  if (r.status !== 200) throw new Error(`login: ${r.status} ${await r.text()}`);
  const cookie = r.headers.getSetCookie().find((c) => c.startsWith('printgate_user='))!.split(';')[0]!;
  const { csrf } = (await r.json()) as { csrf: string };
  return async (jobId: string, headers: Record<string, string> = {}) => {
    const res = await l.call('POST', `/api/user/v1/jobs/${jobId}/release`, { body: {}, headers: { cookie, 'x-csrf-token': csrf, ...headers } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
}

function sessionCookie(r: Response): string {
  return r.headers.getSetCookie().find((c) => c.startsWith('printgate_user='))!;
}

t.test('no --trust-proxy: X-Forwarded-For and X-Forwarded-Proto change nothing', async (t) => {
  const l = await live(t, undefined);
  t.match(l.server.banner.join('\n'), /proxies: +none trusted/);

  const claim = await claimer(l, { 'x-forwarded-for': JOB_HOST });
  const fromHost = await l.submit(JOB_HOST);
  const forged = await claim(fromHost, { 'x-forwarded-for': JOB_HOST });
  t.equal(forged.status, 403, 'a forged X-Forwarded-For naming the job host is not believed');
  t.equal(forged.body.code, 'CLAIM_WRONG_HOST');
  t.equal((await l.server.service.getJob(fromHost)).status, 'held');
  // The other way round: a loopback job is claimed from loopback whatever the header says.
  const local = await l.submit('127.0.0.1');
  t.equal((await claim(local, { 'x-forwarded-for': '198.51.100.7' })).status, 200, 'the socket decides');
  t.same(await l.sessionAddresses(), ['127.0.0.1'], 'the session records the peer, not the header');

  // The log-in limit (3 per address here) counts the peer, whatever each request claims.
  for (const a of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) {
    t.equal((await l.login('wrong-password', { 'x-forwarded-for': a })).status, 401);
  }
  const limited = await l.login(PW, { 'x-forwarded-for': '198.51.100.4' });
  t.equal(limited.status, 429, 'one bucket: the peer');
  t.ok(limited.headers.get('retry-after'));

  const page = await l.call('GET', '/admin', { headers: { 'x-forwarded-proto': 'https' } });
  const loginCookie = page.headers.getSetCookie().find((c) => c.startsWith('printgate_login='))!;
  t.notMatch(loginCookie, /Secure/, 'X-Forwarded-Proto from an untrusted peer does not make cookies Secure');
});

t.test('--trust-proxy 127.0.0.1: the forwarded client is the address', async (t) => {
  const l = await live(t, '127.0.0.1');
  t.match(l.server.banner.join('\n'), /proxies: +trusted: 127\.0\.0\.1 \(client address from X-Forwarded-For/);

  const claim = await claimer(l, { 'x-forwarded-for': JOB_HOST, 'x-forwarded-proto': 'https' });
  t.same(await l.sessionAddresses(), [JOB_HOST], "the session records the proxy's client");
  const a = await l.submit(JOB_HOST);
  const wrong = await claim(a, { 'x-forwarded-for': '192.0.2.50' });
  t.equal(wrong.status, 403, 'another forwarded address is refused');
  t.equal(wrong.body.code, 'CLAIM_WRONG_HOST');
  t.equal((await claim(a)).status, 403, 'without the header the peer (the proxy, loopback) is the client: refused');
  t.equal((await claim(a, { 'x-forwarded-for': `${JOB_HOST}, 192.0.2.50` })).status, 403,
    'a client-forged first entry is not believed: the last untrusted hop is the client');
  t.equal((await l.server.service.getJob(a)).status, 'held');
  const ok = await claim(a, { 'x-forwarded-for': JOB_HOST });
  t.equal(ok.status, 200, JSON.stringify(ok.body));
  t.equal((await l.server.service.getJob(a)).status, 'authorized', 'claimed from the job host through the proxy');
  const chain = await l.submit(JOB_HOST);
  t.equal((await claim(chain, { 'x-forwarded-for': `203.0.113.1, ${JOB_HOST}, 127.0.0.1` })).status, 200,
    'trusted hops are skipped from the right');

  // Rate limits count each forwarded client.
  for (let i = 0; i < 3; i++) t.equal((await l.login('wrong-password', { 'x-forwarded-for': '198.51.100.1' })).status, 401);
  t.equal((await l.login(PW, { 'x-forwarded-for': '198.51.100.1' })).status, 429, 'this client is limited');
  t.equal((await l.login(PW, { 'x-forwarded-for': '198.51.100.1, 198.51.100.1' })).status, 429, 'still itself through a chain');
  t.equal((await l.login(PW, { 'x-forwarded-for': '203.0.113.5, 198.51.100.1' })).status, 429,
    'a forged entry before the real client does not escape the limit');
  const other = await l.login(PW, { 'x-forwarded-for': '198.51.100.2' });
  t.equal(other.status, 200, 'another client behind the same proxy is not');

  // Cookies follow the proxy's scheme.
  t.match(sessionCookie(other), /; HttpOnly; SameSite=Lax$/, 'plain HTTP: no Secure');
  const viaTls = await l.login(PW, { 'x-forwarded-for': '198.51.100.3', 'x-forwarded-proto': 'https' });
  t.match(sessionCookie(viaTls), /; HttpOnly; SameSite=Lax; Secure$/, 'X-Forwarded-Proto: https from the trusted proxy');
  const upper = await l.login(PW, { 'x-forwarded-for': '198.51.100.3', 'x-forwarded-proto': 'HTTPS' });
  t.match(sessionCookie(upper), /; Secure$/, 'the scheme is case-insensitive');
});

t.test('inject: IPv6 and ranges; a peer outside the list is not believed', async (t) => {
  const h = await webHarness(t, {
    trustProxy: ['2001:db8:1::/48', 'loopback'],
    claimHosts: new ClaimHostRule({ ownNames: ['printsrv-test'], lookup: async () => [] }),
  });
  await h.printer({ claimRequired: true, costModel: { type: 'simple', perPage: '0.10' } });
  await h.admin('POST', '/users', { name: 'alice', balance: '5.00' });
  await h.setPassword('alice', PW);
  const alice = await h.loginUser('alice', PW);
  let n = 0;
  const submit = async (host: string) => {
    const req = job('alice', `v6-${++n}`);
    (req.job as Record<string, unknown>).host = host;
    const a = await h.agent('authorize', req, pb.AuthorizeResponse);
    return String((pb.AuthorizeResponse.toObject(a.body as never) as Record<string, unknown>).jobId);
  };
  const claim = (jobId: string, remoteAddress: string, forwardedFor: string) => h.app.inject({
    method: 'POST', url: `/api/user/v1/jobs/${jobId}/release`, remoteAddress,
    headers: { cookie: alice.cookie, 'x-csrf-token': alice.csrf, 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
    payload: {},
  });

  const a = await submit('2001:db8:99::7');
  t.equal((await claim(a, '2001:db8:2::1', '2001:db8:99::7')).statusCode, 403, 'a proxy outside 2001:db8:1::/48 is not believed');
  t.equal((await claim(a, '192.0.2.1', '2001:db8:99::7')).statusCode, 403, 'nor an IPv4 peer');
  t.equal((await claim(a, '2001:db8:1:ffff::1', '2001:db8:99::7')).statusCode, 200, 'a proxy inside the range is');
  const b = await submit(JOB_HOST);
  t.equal((await claim(b, '::ffff:127.0.0.1', `::ffff:${JOB_HOST}`)).statusCode, 200, 'loopback as IPv4-mapped IPv6 forwards an IPv4-mapped client');
  const c = await submit(JOB_HOST);
  t.equal((await claim(c, '::1', '192.0.2.10')).statusCode, 403, 'a trusted IPv6 loopback proxy forwarding another address');
  t.equal((await claim(c, '::1', JOB_HOST)).statusCode, 200);
});
