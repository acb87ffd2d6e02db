// printgate server options: flags win over the environment, defaults, and usage errors.
import t from 'tap';
import Fastify from 'fastify';
import { broadProxyRanges, isLoopback, parseServerArgs, parseTrustProxy, redactUrl, resolveConfig } from '../../server/config.ts';
import { UsageError } from '../../cli/usage.ts';

t.test('defaults: ./data, SQLite file inside it, 127.0.0.1:8631, no TLS, warn', async (t) => {
  const { config } = parseServerArgs([], {}, '/srv');
  t.same(config, { dataDir: '/srv/data', db: '/srv/data/printgate.db', port: 8631, host: '127.0.0.1', tls: null, logLevel: 'warn', trustProxy: [] });
});

t.test('environment equivalents, and flags win over them', async (t) => {
  const env = { PRINTGATE_DATA: '/var/pg', PRINTGATE_PORT: '9000', PRINTGATE_HOST: '0.0.0.0', PRINTGATE_DB: 'postgres://u:p@db/pg', PRINTGATE_LOG_LEVEL: 'info' };
  const a = parseServerArgs([], env, '/srv').config!;
  t.equal(a.dataDir, '/var/pg');
  t.equal(a.port, 9000);
  t.equal(a.host, '0.0.0.0');
  t.equal(a.db, 'postgres://u:p@db/pg');
  t.equal(a.logLevel, 'info');
  const b = parseServerArgs(['--port', '0', '--data', 'd', '--db', 'x.db'], env, '/srv').config!;
  t.equal(b.port, 0);
  t.equal(b.dataDir, '/srv/d');
  t.equal(b.db, '/srv/x.db', 'a relative database path is resolved against the working directory');
});

t.test('TLS needs both files', async (t) => {
  t.same(parseServerArgs(['--tls-cert', 'c.pem', '--tls-key', 'k.pem'], {}, '/x').config!.tls, { cert: '/x/c.pem', key: '/x/k.pem' });
  t.throws(() => parseServerArgs(['--tls-cert', 'c.pem'], {}, '/x'), UsageError);
  t.throws(() => resolveConfig({}, { PRINTGATE_TLS_KEY: 'k' }, '/x'), UsageError);
});

t.test('bad values are usage errors', async (t) => {
  t.throws(() => parseServerArgs(['--port', '70000'], {}), UsageError);
  t.throws(() => parseServerArgs(['--port', 'http'], {}), UsageError);
  t.throws(() => parseServerArgs(['--log-level', 'loud'], {}), UsageError);
  t.throws(() => parseServerArgs(['--db', 'mysql://x/y'], {}), UsageError);
  t.throws(() => parseServerArgs(['--bogus'], {}), UsageError);
  t.throws(() => parseServerArgs(['extra'], {}), UsageError);
  t.throws(() => parseServerArgs(['--host', 'a b'], {}), UsageError);
});

t.test('--help', async (t) => {
  t.same(parseServerArgs(['--help'], {}), { help: true, config: null });
});

t.test('loopback detection and URL redaction', async (t) => {
  for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) t.ok(isLoopback(h), h);
  for (const h of ['0.0.0.0', '::', '192.168.1.2', 'printgate.example']) t.notOk(isLoopback(h), h);
  t.equal(redactUrl('postgres://user:secret@db:5432/pg'), 'postgres://user:***@db:5432/pg');
  t.equal(redactUrl('postgres://db/pg'), 'postgres://db/pg');
});

t.test('--trust-proxy: addresses, CIDR ranges, named ranges; the flag wins over the environment', async (t) => {
  t.same(parseServerArgs([], { PRINTGATE_TRUST_PROXY: '10.0.0.5, 192.168.0.0/16' }, '/x').config!.trustProxy, ['10.0.0.5', '192.168.0.0/16']);
  t.same(parseServerArgs(['--trust-proxy', 'loopback'], { PRINTGATE_TRUST_PROXY: '10.0.0.5' }, '/x').config!.trustProxy, ['loopback']);
  t.same(parseServerArgs(['--trust-proxy', ''], { PRINTGATE_TRUST_PROXY: '10.0.0.5' }, '/x').config!.trustProxy, [], 'an empty flag trusts nothing');
  t.same(parseServerArgs([], { PRINTGATE_TRUST_PROXY: '' }, '/x').config!.trustProxy, []);
  t.same(parseTrustProxy(' 127.0.0.1 ,::1,2001:DB8::/32,[fd00::1],Loopback,uniquelocal,linklocal,10.1.0.0/016'),
    ['127.0.0.1', '::1', '2001:db8::/32', 'fd00::1', 'loopback', 'uniquelocal', 'linklocal', '10.1.0.0/16']);
  t.same(parseTrustProxy('::ffff:10.0.0.0/104,0.0.0.0/1,::/1,1.2.3.4/32,::1/128'), ['::ffff:10.0.0.0/104', '0.0.0.0/1', '::/1', '1.2.3.4/32', '::1/128']);
});

t.test('--trust-proxy: mistakes are usage errors that name the entry', async (t) => {
  const bad: Array<[string, RegExp]> = [
    ['10.0.0.0/33', /"10\.0\.0\.0\/33": the prefix length must be a number from 1 to 32/],
    ['::1/129', /from 1 to 128/],
    ['10.0.0.0/0', /from 1 to 32/],
    ['10.0.0.0/', /prefix length/],
    ['10.0.0.0/8/8', /prefix length/],
    ['10.0.0.0/255.0.0.0', /prefix length/],
    ['10.0.0.256', /"10\.0\.0\.256" is not an IP address, a CIDR range/],
    ['010.0.0.1', /not an IP address/],
    ['127.1', /not an IP address/],
    ['proxy.example.org', /not an IP address/],
    ['fe80::1%eth0', /not an IP address/],
    ['true', /not an IP address/],
    ['*', /not an IP address/],
    ['10.0.0.1,,10.0.0.2', /empty entry/],
    ['10.0.0.1,', /empty entry/],
  ];
  for (const [value, message] of bad) {
    t.throws(() => parseServerArgs(['--trust-proxy', value], {}, '/x'), UsageError, value);
    t.throws(() => parseTrustProxy(value), { message }, value);
  }
  t.throws(() => resolveConfig({}, { PRINTGATE_TRUST_PROXY: '10.0.0.0/99' }, '/x'), UsageError, 'from the environment too');
});

t.test('--trust-proxy: whatever passes validation compiles in Fastify (proxy-addr)', async (t) => {
  const list = parseTrustProxy('127.0.0.1,::1,2001:db8::/32,fd00::1,loopback,uniquelocal,linklocal,10.1.0.0/16,::ffff:10.0.0.0/104,0.0.0.0/1,::/1,1::2:3:4:5:6:7,::');
  const app = Fastify({ trustProxy: list });
  app.get('/', async (request) => ({ ip: request.ip }));
  t.teardown(() => app.close());
  const r = await app.inject({ url: '/', remoteAddress: '10.1.2.3', headers: { 'x-forwarded-for': '203.0.113.9' } });
  t.equal(r.json().ip, '203.0.113.9');
});

t.test('--trust-proxy: ranges wide enough to hold clients are named for a warning', async (t) => {
  t.same(broadProxyRanges(parseTrustProxy('127.0.0.1,loopback,10.1.2.0/24,fd00:1:2:3::/64,::1,10.0.0.0/8,uniquelocal,linklocal,2001:db8::/48,10.1.0.0/23')),
    ['10.0.0.0/8', 'uniquelocal', 'linklocal', '2001:db8::/48', '10.1.0.0/23']);
  t.same(broadProxyRanges([]), []);
});
