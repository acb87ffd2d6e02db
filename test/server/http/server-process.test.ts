// `printgate server` as a real process: starts on a free port with a fresh data directory,
// writes the admin token with mode 0600 and says where it is, answers, and exits 0 on
// SIGTERM after closing. Usage errors exit 2.

import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { scratch } from './harness.ts';

const BIN = resolve(import.meta.dirname, '../../../bin/printgate.js');

async function startProcess(dataDir: string, extra: string[] = []) {
  const child = spawn(process.execPath, [BIN, 'server', '--port', '0', '--data', dataDir, ...extra], {
    env: { ...process.env, PRINTGATE_ADMIN_TOKEN: '', PRINTGATE_DB: '', PRINTGATE_PORT: '', PRINTGATE_DATA: '', PRINTGATE_TRUST_PROXY: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner: ${out} ${err}`)), 20_000);
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) { clearTimeout(timer); resolveUrl(m[1]!); }
    });
    void exited.then((code) => reject(new Error(`exited ${code}: ${err}`)));
  });
  return { child, url, exited, output: () => out, errors: () => err };
}

t.test('starts, writes the token 0600, answers, exits 0 on SIGTERM', async (t) => {
  const dataDir = join(scratch(t), 'data');
  const p = await startProcess(dataDir);
  const tokenFile = join(dataDir, 'admin.token');
  t.match(p.output(), new RegExp(`admin token: ${tokenFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(created now`));
  t.match(p.output(), /data: +.*data/);
  t.equal(statSync(tokenFile).mode & 0o777, 0o600);

  const health = await fetch(`${p.url}/healthz`);
  t.equal(health.status, 200);
  const token = readFileSync(tokenFile, 'utf8').trim();
  const users = await fetch(`${p.url}/api/admin/v1/users`, { headers: { authorization: `Bearer ${token}` } });
  t.equal(users.status, 200);
  t.equal((await fetch(`${p.url}/api/admin/v1/users`)).status, 401);

  p.child.kill('SIGTERM');
  t.equal(await p.exited, 0);
  t.match(p.output(), /closed/);

  const again = await startProcess(dataDir);
  t.notMatch(again.output(), /created now/, 'the token is reused on the next start');
  t.equal(readFileSync(tokenFile, 'utf8').trim(), token);
  again.child.kill('SIGINT');
  t.equal(await again.exited, 0);
});

t.test('a port in use: exit 1 with a one-line reason, and nothing left running', async (t) => {
  const dir = scratch(t);
  const first = await startProcess(join(dir, 'one'));
  const port = new URL(first.url).port;
  const second = spawnSync(process.execPath, [BIN, 'server', '--port', port, '--data', join(dir, 'two')], {
    encoding: 'utf8', timeout: 20_000, env: { ...process.env, PRINTGATE_ADMIN_TOKEN: '' },
  });
  t.equal(second.status, 1);
  t.match(second.stderr, /printgate server: .*EADDRINUSE/);
  t.equal(second.stderr.trim().split('\n').length, 1, 'one line');
  first.child.kill('SIGTERM');
  t.equal(await first.exited, 0);
});

t.test('--help exits 0; a bad flag exits 2', async (t) => {
  const help = spawnSync(process.execPath, [BIN, 'server', '--help'], { encoding: 'utf8' });
  t.equal(help.status, 0);
  t.match(help.stdout, /--tls-cert/);
  const bad = spawnSync(process.execPath, [BIN, 'server', '--port', 'eighty'], { encoding: 'utf8' });
  t.equal(bad.status, 2);
  t.match(bad.stderr, /--port/);
});

t.test('--trust-proxy: a bad entry exits 2 naming it; a good list is in the banner', async (t) => {
  const dir = scratch(t);
  const bad = spawnSync(process.execPath, [BIN, 'server', '--port', '0', '--data', join(dir, 'bad'), '--trust-proxy', '127.0.0.1,10.0.0.0/33'], {
    encoding: 'utf8', timeout: 20_000, env: { ...process.env, PRINTGATE_ADMIN_TOKEN: '' },
  });
  t.equal(bad.status, 2);
  t.match(bad.stderr, /--trust-proxy: "10\.0\.0\.0\/33": the prefix length must be a number from 1 to 32/);
  t.equal(bad.stdout, '', 'nothing started');
  const badEnv = spawnSync(process.execPath, [BIN, 'server', '--port', '0', '--data', join(dir, 'bad')], {
    encoding: 'utf8', timeout: 20_000, env: { ...process.env, PRINTGATE_ADMIN_TOKEN: '', PRINTGATE_TRUST_PROXY: 'proxy.example.org' },
  });
  t.equal(badEnv.status, 2, 'from the environment too');
  t.match(badEnv.stderr, /--trust-proxy: "proxy\.example\.org" is not an IP address/);

  const p = await startProcess(join(dir, 'good'), ['--trust-proxy', 'loopback, 10.0.0.0/8']);
  t.match(p.output(), /proxies: +trusted: loopback, 10\.0\.0\.0\/8 \(client address from X-Forwarded-For/);
  p.child.kill('SIGTERM');
  t.equal(await p.exited, 0);
  if (!p.child.stderr.readableEnded) await new Promise((r) => p.child.stderr.once('end', r));
  t.match(p.errors(), /WARNING: --trust-proxy 10\.0\.0\.0\/8: every host in this range can choose its own client address/);
  t.notMatch(p.errors(), /loopback/, 'loopback is not a warning');
});
