// Web tools security with app.inject(): log-in pages are the only thing a visitor sees;
// session cookies are HttpOnly/SameSite and stored hashed; CSRF is checked on every form;
// log-ins are rate-limited per user; a user sees and answers only their own jobs; admin
// and user sessions do not mix, and cookies never authenticate the admin API.

import t from 'tap';
import { createHash } from 'node:crypto';
import { cookieOf, webHarness } from './harness.ts';

const PW = 'correct horse battery';

t.test('visitors get log-in forms; users log in with a password and see their balance', async (t) => {
  const h = await webHarness(t);
  const home = await h.get('/');
  t.equal(home.statusCode, 200);
  t.match(home.body, /<form method="post" action="\/login">/);
  t.match(home.body, /<label for="password">Password<\/label>/, 'labelled fields');
  t.match(home.headers['content-security-policy'], /frame-ancestors 'none'/, 'pages cannot be framed');
  t.equal(home.headers['x-frame-options'], 'DENY');
  t.match(home.headers['content-security-policy'], /default-src 'self'/, 'only our own scripts');
  t.equal((await h.get('/admin')).statusCode, 200);
  t.match((await h.get('/admin')).body, /action="\/admin\/login"/);
  const jobs = await h.get('/jobs');
  t.equal(jobs.statusCode, 401, 'a user page refuses a visitor');
  t.match(jobs.body, /action="\/login"/, '... with the log-in form');
  t.equal((await h.get('/admin/jobs.csv')).statusCode, 401);
  t.equal((await h.get('/static/style.css')).statusCode, 200, 'static assets are public');

  await h.admin('POST', '/users', { name: 'alice', balance: '4.70' });
  t.equal((await h.admin('PUT', '/users/alice/password', { password: 'short' })).statusCode, 400, 'too short a password');
  t.equal((await h.admin('PUT', '/users/nobody/password', { password: PW })).json().code, 'UNKNOWN_USER');
  await h.setPassword('alice', PW);
  const row = await (h.service as unknown as { storage: { get(sql: string): Promise<Record<string, unknown>> } }).storage
    .get("SELECT hash FROM web_passwords WHERE name = 'alice'");
  t.match(String(row.hash), /^scrypt\$15\$8\$1\$/, 'stored as scrypt');

  const bad = await h.app.inject({ method: 'POST', url: '/api/user/v1/login', payload: { user: 'alice', password: 'wrong password' } });
  t.equal(bad.statusCode, 401);
  t.equal(bad.json().code, 'INVALID_TOKEN');
  t.equal(cookieOf(bad, 'printgate_user'), undefined, 'no session on a failed log-in');

  // The form log-in: the double-submit token is required.
  const page = await h.get('/');
  const token = cookieOf(page, 'printgate_login')!;
  t.ok(token);
  const noToken = await h.app.inject({ method: 'POST', url: '/login', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ name: 'alice', password: PW }).toString() });
  t.equal(noToken.statusCode, 403, 'log-in form without its token');
  const ok = await h.app.inject({ method: 'POST', url: '/login', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `printgate_login=${token}` },
    payload: new URLSearchParams({ _login: token, name: 'alice', password: PW }).toString() });
  t.equal(ok.statusCode, 303);
  t.equal(ok.headers.location, '/');
  const setCookie = ([] as string[]).concat(ok.headers['set-cookie'] as string[]).find((c) => c.startsWith('printgate_user='))!;
  t.match(setCookie, /; HttpOnly/);
  t.match(setCookie, /; SameSite=Lax/);
  t.notMatch(setCookie, /Secure/, 'not Secure over plain HTTP');
  const id = /^printgate_user=([^;]+)/.exec(setCookie)![1]!;
  t.equal(Buffer.from(id, 'base64url').length, 32, '32 random bytes');
  const stored = await (h.service as unknown as { storage: { all(sql: string): Promise<Array<Record<string, unknown>>> } }).storage.all('SELECT id_hash FROM web_sessions');
  t.same(stored.map((r) => r.id_hash), [createHash('sha256').update(id).digest('hex')], 'only the hash is stored');

  const balance = await h.get('/', { cookie: `printgate_user=${id}`, csrf: '' });
  t.equal(balance.statusCode, 200);
  t.match(balance.body, /4\.70 USD/, 'the balance is shown');
  t.match(balance.body, /<main id="main">/, 'landmarks');
});

t.test('CSRF is checked on every form posted with a session', async (t) => {
  const h = await webHarness(t);
  await h.admin('POST', '/users', { name: 'alice', balance: '1.00' });
  await h.setPassword('alice', PW);
  const alice = await h.loginUser('alice', PW);
  const missing = await h.app.inject({ method: 'POST', url: '/cards', headers: { cookie: alice.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'code=AAAA' });
  t.equal(missing.statusCode, 403);
  t.match(missing.body, /The form has expired/);
  const wrong = await h.form('/cards', { ...alice, csrf: 'x'.repeat(32) }, { code: 'AAAA' });
  t.equal(wrong.statusCode, 403);
  const api = await h.app.inject({ method: 'POST', url: '/api/user/v1/jobs/1/cancel', headers: { cookie: alice.cookie } });
  t.equal(api.statusCode, 403);
  t.equal(api.json().code, 'CSRF_FAILED', 'the JSON API wants x-csrf-token');
  const right = await h.form('/cards', alice, { code: 'AAAA-BBBB' });
  t.equal(right.statusCode, 404, 'with the token the request is handled (an unknown card)');
  const logout = await h.form('/logout', alice, {});
  t.equal(logout.statusCode, 303);
  t.equal((await h.get('/jobs', alice)).statusCode, 401, 'the session ended on the server');
});

t.test('log-in is rate-limited per user name', async (t) => {
  const h = await webHarness(t, { limits: { perUser: 3, perAddress: 100, windowMs: 60_000 } });
  await h.admin('POST', '/users', { name: 'alice' });
  await h.setPassword('alice', PW);
  for (let i = 0; i < 3; i++) {
    const r = await h.app.inject({ method: 'POST', url: '/api/user/v1/login', payload: { user: 'alice', password: `guess-${i}-xx` } });
    t.equal(r.statusCode, 401);
  }
  const limited = await h.app.inject({ method: 'POST', url: '/api/user/v1/login', payload: { user: 'alice', password: PW } });
  t.equal(limited.statusCode, 429, 'even the right password waits');
  t.equal(limited.json().code, 'RATE_LIMITED');
  t.ok(Number(limited.headers['retry-after']) > 0);
});

t.test('a user sees and answers only their own held jobs', async (t) => {
  const h = await webHarness(t);
  await h.printer({ releaseRequired: true, costModel: { type: 'simple', perPage: '0.10' } });
  await h.admin('POST', '/users', { name: 'alice', balance: '5.00' });
  await h.admin('POST', '/users', { name: 'bob', balance: '5.00' });
  await h.setPassword('alice', PW);
  await h.setPassword('bob', PW);
  const held = await h.submit('alice', 'a1');
  t.equal(held.decision, 'HOLD');
  const alice = await h.loginUser('alice', PW);
  const bob = await h.loginUser('bob', PW);

  t.match((await h.get('/', alice)).body, new RegExp(`data-job="${held.jobId}"`), 'alice sees her held job');
  t.notMatch((await h.get('/', bob)).body, new RegExp(`data-job="${held.jobId}"`), 'bob does not');
  const state = await h.app.inject({ url: '/api/user/v1/state', headers: { cookie: bob.cookie } });
  t.same(state.json().held, [], "bob's state has no held job");
  for (const action of ['release', 'cancel']) {
    const r = await h.form(`/jobs/${held.jobId}/${action}`, bob, {});
    t.equal(r.statusCode, 404, `bob cannot ${action} it`);
    const api = await h.app.inject({ method: 'POST', url: `/api/user/v1/jobs/${held.jobId}/${action}`, headers: { cookie: bob.cookie, 'x-csrf-token': bob.csrf } });
    t.equal(api.json().code, 'UNKNOWN_JOB', `... nor through the API (${action})`);
  }
  t.equal((await h.service.getJob(held.jobId)).status, 'held', 'still held');

  const r = await h.form(`/jobs/${held.jobId}/release`, alice, {});
  t.equal(r.statusCode, 303);
  const job = await h.service.getJob(held.jobId);
  t.equal(job.status, 'authorized', 'released by its owner');
  t.equal(job.reservedMinor, 30, 'its cost reserved');
  t.equal((await h.form(`/jobs/${held.jobId}/cancel`, alice, {})).statusCode, 409, 'no longer held');
});

t.test('admin and user sessions do not mix; cookies never open the admin API', async (t) => {
  const h = await webHarness(t);
  t.equal((await h.app.inject({ method: 'POST', url: '/api/user/v1/login', payload: { user: 'admin', password: PW } })).statusCode, 401);
  await h.setAdminPassword(PW);
  await h.admin('POST', '/users', { name: 'alice' });
  await h.setPassword('alice', PW);
  const admin = await h.loginAdmin(PW);
  const alice = await h.loginUser('alice', PW);
  t.match((await h.get('/admin', admin)).body, /Pages per day/, 'the admin sees the dashboard');
  t.equal((await h.get('/admin/users', alice)).statusCode, 403, 'a user session on an admin page');
  t.equal((await h.get('/jobs', admin)).statusCode, 403, 'an admin session on a user page');
  t.match((await h.get('/', admin)).body, /action="\/login"/, 'the user home shows the log-in to an admin');
  const api = await h.app.inject({ url: '/api/admin/v1/users', headers: { cookie: admin.cookie } });
  t.equal(api.statusCode, 401, 'the admin API takes bearer tokens only');
  // Bearer tokens need no CSRF token (no ambient credential).
  t.equal((await h.app.inject({ url: '/admin/jobs.csv', headers: { authorization: `Bearer ${h.adminToken}` } })).statusCode, 200);
});

t.test('PRINTGATE_ADMIN_PASSWORD sets the first admin password only', async (t) => {
  const h = await webHarness(t, { env: { PRINTGATE_ADMIN_PASSWORD: PW } });
  await h.loginAdmin(PW);
  await t.rejects(h.loginAdmin('another password'), /401/, 'no other password works');
});

t.test('a user changes their own password with the current one; every session ends', async (t) => {
  const h = await webHarness(t);
  await h.admin('POST', '/users', { name: 'alice' });
  await h.setPassword('alice', PW);
  const one = await h.loginUser('alice', PW);
  const two = await h.loginUser('alice', PW);
  const wrong = await h.form('/password', one, { current: 'not it at all', password: 'new-password-1', again: 'new-password-1' });
  t.equal(wrong.statusCode, 403);
  t.match(wrong.body, /The current password is wrong/);
  const differ = await h.form('/password', one, { current: PW, password: 'new-password-1', again: 'new-password-2' });
  t.equal(differ.statusCode, 400);
  const ok = await h.form('/password', one, { current: PW, password: 'new-password-1', again: 'new-password-1' });
  t.equal(ok.statusCode, 303);
  t.equal(ok.headers.location, '/?msg=password-changed');
  t.equal((await h.get('/jobs', one)).statusCode, 401, 'this session ended');
  t.equal((await h.get('/jobs', two)).statusCode, 401, 'the other one too');
  await t.rejects(h.loginUser('alice', PW), /401/, 'the old password no longer works');
  await h.loginUser('alice', 'new-password-1');
  t.match((await h.get('/?msg=password-changed')).body, /log in with the new one/);
});
