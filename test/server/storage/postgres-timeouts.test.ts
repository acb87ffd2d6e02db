// The PostgreSQL engine when the path to the database goes silent (a NAT or firewall that
// forgot the flow: no reset, nothing answered). A TCP proxy on loopback that stops
// forwarding stands in for it: statements and transactions must fail as
// STORAGE_UNAVAILABLE within the engine's time limit instead of hanging, their connections
// must be discarded, and once the path works again the next request succeeds. Also: the
// server-side limits are set on every connection, and migrations are exempt from them.
import t from 'tap';
import { createServer, connect, type Socket } from 'node:net';
import { PostgresStorage } from '../../../server/storage/postgres.ts';
import { PrintgateError } from '../../../shared/errors.ts';
import { needs } from '../../helpers/system.ts';
import { freshPgDatabase, pgAvailable } from '../../helpers/postgres.ts';

const isUnavailable = (e: unknown) => e instanceof PrintgateError && e.code === 'STORAGE_UNAVAILABLE';

/** A loopback proxy to `target`; while frozen it accepts and reads nothing, forwards nothing. */
async function silentProxy(t: { teardown(fn: () => unknown): void }, target: URL) {
  const sockets = new Set<Socket>();
  const state = { frozen: false };
  const server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    if (state.frozen) { client.pause(); return; }
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
    const stop = () => { client.unpipe(upstream); upstream.unpipe(client); client.pause(); upstream.pause(); };
    proxies.add(stop);
  });
  const proxies = new Set<() => void>();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => { for (const s of sockets) s.destroy(); server.close(); });
  return {
    port: (server.address() as { port: number }).port,
    /** Stop forwarding on every connection, old and new, without closing any. */
    freeze() { state.frozen = true; for (const stop of proxies) stop(); proxies.clear(); },
    /** New connections work again; the frozen ones stay dead (their flow is forgotten). */
    heal() { state.frozen = false; },
  };
}

t.test('a silent path fails fast and recovers', { skip: needs('postgresql', pgAvailable()) }, async (t) => {
  const url = new URL(await freshPgDatabase(t));
  const proxy = await silentProxy(t, url);
  const via = new URL(url);
  via.port = String(proxy.port);
  const LIMIT = 1000;
  const s = new PostgresStorage({ url: via.toString(), poolSize: 2, queryTimeoutMs: LIMIT, connectTimeoutMs: LIMIT });
  t.teardown(() => s.close());
  await s.run('CREATE TABLE t (x INTEGER)');
  await Promise.all([s.get('SELECT 1'), s.get('SELECT 2')]); // both connections open and kept

  proxy.freeze();
  const timed = async (what: string, p: Promise<unknown>) => {
    const t0 = performance.now();
    const e = await p.then(() => null, (e: unknown) => e);
    const ms = performance.now() - t0;
    t.ok(isUnavailable(e), `${what}: STORAGE_UNAVAILABLE (${(e as Error | null)?.message}; ${String(((e as Error | null)?.cause as Error | undefined)?.message)})`);
    t.ok(ms < LIMIT + 700, `${what}: within the limit (${ms.toFixed(0)} ms)`);
  };
  // On the two kept connections, then on a new one (the dead ones were discarded).
  await timed('a statement', s.get('SELECT 1'));
  await timed('a transaction', s.transaction((tx) => tx.run('INSERT INTO t VALUES (1)')));
  await timed('a statement on a new connection', s.get('SELECT 1'));

  proxy.heal();
  t.same(await s.get('SELECT 3 AS n'), { n: 3 }, 'a healthy path: the next statement succeeds');
  await s.transaction((tx) => tx.run('INSERT INTO t VALUES (2)'));
  t.same(await s.all('SELECT x FROM t'), [{ x: 2 }], 'and a transaction; nothing of the failed one');
});

t.test('server-side limits on every connection; migrations exempt', { skip: needs('postgresql', pgAvailable()) }, async (t) => {
  const url = await freshPgDatabase(t);
  const s = new PostgresStorage({ url, poolSize: 1, queryTimeoutMs: 1000 });
  t.teardown(() => s.close());
  t.same(await s.get('SHOW statement_timeout'), { statement_timeout: '2s' }, 'statement_timeout: 1 s above the client limit');
  t.same(await s.get('SHOW idle_in_transaction_session_timeout'), { idle_in_transaction_session_timeout: '10s' });
  const slow = await s.get('SELECT pg_sleep(1.4)').then(() => null, (e: unknown) => e);
  t.ok(isUnavailable(slow), 'a statement over the client limit fails as STORAGE_UNAVAILABLE');
  t.same(await s.get('SELECT 1 AS n'), { n: 1 }, 'the pool works after it');
  await s.migrationTransaction(async (tx, exec) => {
    await exec('SELECT pg_sleep(1.2)');
    t.same(await tx.get('SHOW statement_timeout'), { statement_timeout: '0' }, 'no server limit inside a migration');
    await tx.get('SELECT pg_sleep(1.1)');
  });
  t.pass('a migration may take longer than the limit');
});
