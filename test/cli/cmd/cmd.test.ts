// `printgate cmd` as a child process against an in-test admin API: the requests it sends
// (method, path, JSON body, token), what it prints, and its exit codes. The real server is
// exercised in test/cli/e2e.test.ts.
import { selfSignedCert } from '../../helpers/tls.ts';
import t, { type Test } from 'tap';
import http from 'node:http';
import https from 'node:https';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { hasCommand, needs } from '../../helpers/system.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const TOKEN = 'admin-token-for-tests-0123456789';

interface Hit { method: string; url: string; auth: string | undefined; idem: string | undefined; body: unknown }

async function fakeAdmin(t: Test, routes: Record<string, (hit: Hit) => [number, unknown]>): Promise<{ url: string; hits: Hit[] }> {
  const hits: Hit[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const hit: Hit = {
        method: req.method!, url: req.url!, auth: req.headers.authorization,
        idem: req.headers['idempotency-key'] as string | undefined, body: text ? JSON.parse(text) : undefined,
      };
      hits.push(hit);
      if (hit.auth !== `Bearer ${TOKEN}`) {
        res.writeHead(401, { 'Content-Type': 'application/json' }).end(JSON.stringify({ code: 'INVALID_TOKEN', message: 'The token is not valid', status: 401 }));
        return;
      }
      const route = routes[`${hit.method} ${hit.url}`];
      const [status, body] = route ? route(hit) : [404, { code: 'NOT_FOUND', message: `no route ${hit.method} ${hit.url}`, status: 404 }];
      if (status === 204) res.writeHead(204).end();
      else res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits };
}

function cmd(args: string[], env: Record<string, string | undefined> = { PRINTGATE_ADMIN_TOKEN: TOKEN }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const childEnv: Record<string, string | undefined> = { ...process.env, PRINTGATE_ADMIN_TOKEN: undefined, PRINTGATE_SERVER: undefined, PRINTGATE_DATA: undefined, ...env };
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'printgate.js'), 'cmd', ...args], { env: childEnv as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const user = (name: string, balance: string) => ({
  name, fullName: `${name} full`, email: '', restricted: true, billingMode: 'prepaid', overdraft: '0.00', overdraftMinor: 0,
  disabled: false, groups: [], accounts: [{ name: 'print', balance, balanceMinor: 0, isDefault: true }], createdAt: '2026-01-01T00:00:00Z',
});

t.test('balances: the value alone, negative adjustments, errors on one line', async (t) => {
  const api = await fakeAdmin(t, {
    'GET /api/admin/v1/users/alice/balance': () => [200, { user: 'alice', account: 'print', balance: '4.70', balanceMinor: 470, available: '4.70', availableMinor: 470 }],
    'POST /api/admin/v1/users/alice/adjust': () => [200, { balance: '3.20', balanceMinor: 320, transactionId: 't1' }],
    'GET /api/admin/v1/users/bob/balance': () => [404, { code: 'UNKNOWN_USER', message: 'Unknown user "bob"', status: 404 }],
  });
  const s = ['--server', api.url];
  const get = await cmd([...s, 'get-user-account-balance', 'alice']);
  t.same([get.code, get.stdout, get.stderr], [0, '4.70\n', '']);
  t.equal(api.hits[0]!.auth, `Bearer ${TOKEN}`);

  const adj = await cmd(['adjust-user-account-balance', 'alice', '-1.50', 'paper jam refund', ...s]);
  t.same([adj.code, adj.stdout], [0, '3.20\n']);
  t.same(api.hits[1]!.body, { amount: '-1.50', comment: 'paper jam refund' });
  t.ok(api.hits[1]!.idem, 'mutations carry an Idempotency-Key');

  const bob = await cmd([...s, 'get-user-account-balance', 'bob']);
  t.same([bob.code, bob.stdout, bob.stderr], [1, '', 'printgate cmd: Unknown user "bob" [UNKNOWN_USER]\n']);
});

t.test('lists: one record per line, name first, following the cursor; --json one object per line', async (t) => {
  const api = await fakeAdmin(t, {
    'GET /api/admin/v1/users?limit=1000': () => [200, { items: [user('alice', '4.70')], nextCursor: 'c2' }],
    'GET /api/admin/v1/users?limit=1000&cursor=c2': () => [200, { items: [user('bob', '0.00')], nextCursor: null }],
  });
  const list = await cmd(['--server', api.url, 'list-user-accounts']);
  t.equal(list.code, 0, list.stderr);
  t.equal(list.stdout, 'alice\t4.70\tprepaid\trestricted\talice full\nbob\t0.00\tprepaid\trestricted\tbob full\n');
  const json = await cmd(['--server', api.url, '--json', 'list-user-accounts']);
  const lines = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { name: string });
  t.same(lines.map((l) => l.name), ['alice', 'bob']);
});

t.test('names are URL-encoded as one segment; add-agent prints the token last', async (t) => {
  const api = await fakeAdmin(t, {
    'PUT /api/admin/v1/printers/print1%2Foffice/cost': () => [200, {}],
    'PATCH /api/admin/v1/printers/office': () => [200, {}],
    'POST /api/admin/v1/agents': (h) => [201, { name: (h.body as { name: string }).name, token: 'pgt_secret' }],
    'PUT /api/admin/v1/groups/staff%20room/quota': () => [200, {}],
  });
  const s = ['--server', api.url];
  t.equal((await cmd([...s, 'set-printer-cost-simple', 'print1/office', '0.10'])).code, 0);
  t.same(api.hits.at(-1)!.body, { simple: '0.10' });
  t.equal((await cmd([...s, 'disable-printer', 'office'])).code, 0);
  t.same(api.hits.at(-1)!.body, { enabled: false });
  t.equal((await cmd([...s, 'set-group-quota', 'staff room', '5.00', 'weekly', '20.00'])).code, 0);
  t.same(api.hits.at(-1)!.body, { amount: '5.00', period: 'weekly', maxAccumulation: '20.00' });
  const agent = await cmd([...s, 'add-agent', 'print2']);
  t.equal(agent.code, 0);
  t.equal(agent.stdout.trim().split('\n').at(-1), 'pgt_secret');
});

t.test('usage errors exit 2 without calling the server', async (t) => {
  const api = await fakeAdmin(t, {});
  const s = ['--server', api.url];
  for (const args of [['set-group-quota', 'g', '5', 'hourly', '10'], ['get-user-account-balance'], ['add-agent', 'a', 'b'], ['no-such-command'], ['list-jobs', '--limit', 'x'], []]) {
    const r = await cmd([...s, ...args]);
    t.equal(r.code, 2, args.join(' '));
    t.match(r.stderr, /usage: printgate cmd/);
  }
  t.equal(api.hits.length, 0);
  const help = await cmd(['adjust-user-account-balance', '--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, /usage: printgate cmd adjust-user-account-balance USER AMOUNT \[COMMENT\]/);
});

t.test('the token comes from <data>/admin.token when the environment has none', async (t) => {
  const api = await fakeAdmin(t, { 'GET /api/admin/v1/config/currency': () => [200, { key: 'currency', value: 'EUR', default: 'USD', description: '' }] });
  const dir = mkdtempSync(join(tmpdir(), 'pg-cmd-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'admin.token'), `${TOKEN}\n`, { mode: 0o600 });
  const r = await cmd(['--server', api.url, '--data', dir, 'get-config-value', 'currency'], {});
  t.same([r.code, r.stdout], [0, 'EUR\n']);
  const none = await cmd(['--server', api.url, '--data', join(dir, 'missing'), 'get-config-value', 'currency'], {});
  t.equal(none.code, 1);
  t.match(none.stderr, /no admin token.*\[UNAUTHENTICATED\]/);
  const wrong = await cmd(['--server', api.url, 'get-config-value', 'currency'], { PRINTGATE_ADMIN_TOKEN: 'wrong-token-0123456789' });
  t.same([wrong.code, wrong.stderr], [1, 'printgate cmd: The token is not valid [INVALID_TOKEN]\n']);
});

t.test('an unreachable server is a one-line failure', async (t) => {
  // Port 1 (tcpmux) has no listener on a test machine: the connection is refused.
  const r = await cmd(['--server', 'http://127.0.0.1:1', 'list-printers']);
  t.equal(r.code, 1);
  t.match(r.stderr, /^printgate cmd: http:\/\/127\.0\.0\.1:1 is not reachable: .*\[SERVER_UNREACHABLE\]\n$/);
});

t.test('https: --ca trusts a server\'s own certificate', { skip: needs('openssl', hasCommand('openssl')) }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pg-cmd-tls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const made = selfSignedCert(dir);
  if (made.status !== 0) throw new Error(`openssl failed: ${made.stderr}`);
  const { cert, key } = made;
  const server = https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ key: 'currency', value: 'CHF', default: 'USD', description: '' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const untrusted = await cmd(['--server', url, 'get-config-value', 'currency']);
  t.equal(untrusted.code, 1);
  t.match(untrusted.stderr, /not trusted: give its CA with --ca FILE\) \[SERVER_UNREACHABLE\]\n$/);
  const trusted = await cmd(['--server', url, '--ca', cert, 'get-config-value', 'currency']);
  t.same([trusted.code, trusted.stdout], [0, 'CHF\n'], trusted.stderr);
});
