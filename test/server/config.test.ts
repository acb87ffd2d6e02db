// printgate server options: flags win over the environment, defaults, and usage errors.
import t from 'tap';
import { isLoopback, parseServerArgs, redactUrl, resolveConfig } from '../../server/config.ts';
import { UsageError } from '../../cli/usage.ts';

t.test('defaults: ./data, SQLite file inside it, 127.0.0.1:8631, no TLS, warn', async (t) => {
  const { config } = parseServerArgs([], {}, '/srv');
  t.same(config, { dataDir: '/srv/data', db: '/srv/data/printgate.db', port: 8631, host: '127.0.0.1', tls: null, logLevel: 'warn' });
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
