// `printgate client --ca FILE` against a server with its own (self-signed) certificate:
// with the certificate it logs in and shows the balance; without it the log-in fails with
// a one-line hint at --ca; a missing or empty CA file is refused before anything is sent.

import { selfSignedCert } from '../helpers/tls.ts';
import t from 'tap';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasCommand, needs } from '../helpers/system.ts';
import { resolveConfig } from '../../server/config.ts';
import { startServer } from '../../server/start.ts';
import { scratch } from '../server/http/harness.ts';
import { BIN } from './server-process.ts';

const PW = 'alice-ca-password-1';
const TOKEN = 'client-ca-admin-token-0123456789';

/** Run the client with the password on stdin until `until` shows (then SIGTERM) or it exits. */
function client(args: string[], until?: RegExp): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env };
    delete env.NODE_EXTRA_CA_CERTS;
    const c = spawn(process.execPath, [BIN, 'client', ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => c.kill('SIGKILL'), 20_000);
    c.stdout.on('data', (d) => {
      out += d;
      if (until?.test(out)) c.kill('SIGTERM');
    });
    c.stderr.on('data', (d) => (err += d));
    c.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
    c.stdin.write(`${PW}\n`);
  });
}

t.test('printgate client --ca', { skip: needs('openssl', hasCommand('openssl')), timeout: 60_000 }, async (t) => {
  const dir = scratch(t);
  const made = selfSignedCert(dir);
  const { cert, key } = made;
  t.equal(made.status, 0, made.stderr);
  const config = resolveConfig({ port: '0', data: join(dir, 'data'), 'tls-cert': cert, 'tls-key': key, 'log-level': 'silent' }, {}, dir);
  const server = await startServer(config, { env: { PRINTGATE_ADMIN_TOKEN: TOKEN } });
  t.teardown(() => server.close());
  t.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const admin = async (method: 'POST' | 'PUT', url: string, payload: unknown) => {
    const r = await server.app.inject({ method, url: `/api/admin/v1${url}`, headers: { authorization: `Bearer ${TOKEN}` }, payload: payload as object });
    t.ok(r.statusCode < 300, `${method} ${url}: ${r.statusCode} ${r.body}`);
  };
  await admin('POST', '/users', { name: 'alice', balance: '2.50' });
  await admin('PUT', '/users/alice/password', { password: PW });

  const trusted = await client(['--server', server.url, '--user', 'alice', '--ca', cert], /balance: print 2\.50 USD/);
  t.match(trusted.out, /logged in as alice\nbalance: print 2\.50 USD/, trusted.err);
  t.equal(trusted.code, 0, 'stopped cleanly');

  const untrusted = await client(['--server', server.url, '--user', 'alice']);
  t.equal(untrusted.code, 1);
  t.match(untrusted.err, /the server's TLS certificate is not trusted \([A-Z_]+\); give its CA with --ca FILE/);
  t.notMatch(untrusted.out, /logged in/);

  const missing = await client(['--server', server.url, '--user', 'alice', '--ca', join(dir, 'nope.pem')]);
  t.not(missing.code, 0);
  t.match(missing.err, /cannot read the CA file/);
  const empty = join(dir, 'empty.pem');
  writeFileSync(empty, 'not a certificate\n');
  const notPem = await client(['--server', server.url, '--user', 'alice', '--ca', empty]);
  t.not(notPem.code, 0);
  t.match(notPem.err, /no PEM certificate in the CA file/);
});
