// Over HTTPS the web tools' cookies carry `Secure` (a self-signed certificate made with
// openssl for the test), and the admin log-in with PRINTGATE_ADMIN_PASSWORD works through
// startServer, the path `printgate server` takes.

import { selfSignedCert } from '../../helpers/tls.ts';
import t from 'tap';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import { hasCommand, needs } from '../../helpers/system.ts';
import { resolveConfig } from '../../../server/config.ts';
import { startServer } from '../../../server/start.ts';
import { scratch } from '../http/harness.ts';

function request(url: string, ca: Buffer, options: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
    const req = https.request(url, { ca, method: options.method ?? 'GET', headers: options.headers ?? {} }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.end(options.body);
  });
}

t.test('cookies are Secure over HTTPS', { skip: needs('openssl', hasCommand('openssl')) }, async (t) => {
  const dir = scratch(t);
  const made = selfSignedCert(dir);
  const { cert, key } = made;
  t.equal(made.status, 0, made.stderr);
  const config = resolveConfig({ port: '0', data: join(dir, 'data'), 'tls-cert': cert, 'tls-key': key, 'log-level': 'silent' }, {}, dir);
  const server = await startServer(config, { env: { PRINTGATE_ADMIN_PASSWORD: 'https-admin-pw' } });
  t.teardown(() => server.close());
  const ca = readFileSync(cert);

  const form = await request(`${server.url}/admin`, ca);
  t.equal(form.status, 200);
  const loginCookie = ([] as string[]).concat(form.headers['set-cookie'] as string[]).find((c) => c.startsWith('printgate_login='))!;
  t.match(loginCookie, /; HttpOnly; SameSite=Lax; Secure$/);
  const token = /^printgate_login=([^;]+)/.exec(loginCookie)![1]!;
  const login = await request(`${server.url}/admin/login`, ca, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `printgate_login=${token}` },
    body: new URLSearchParams({ _login: token, name: 'admin', password: 'https-admin-pw' }).toString(),
  });
  t.equal(login.status, 303);
  const session = ([] as string[]).concat(login.headers['set-cookie'] as string[]).find((c) => c.startsWith('printgate_admin='))!;
  t.match(session, /^printgate_admin=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=28800; HttpOnly; SameSite=Lax; Secure$/);
  const dash = await request(`${server.url}/admin`, ca, { headers: { cookie: session.split(';')[0]! } });
  t.match(dash.body, /Pages per day/, 'the session works');
});
