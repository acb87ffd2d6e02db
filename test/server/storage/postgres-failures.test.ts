// The PostgreSQL engine when the database goes away under it: a lost connection, a server
// shutting down or out of connections reach callers as STORAGE_UNAVAILABLE (503, retried
// by agents), not as bare driver errors (500); the errors the service handles itself
// (unique violations, serialization failures, its guard's division by zero) are untouched;
// and a connection that dies while a transaction holds it neither crashes the process (an
// unhandled 'error' event) nor stays in the pool.
import t from 'tap';
import pg from 'pg';
import { storageError } from '../../../server/storage/postgres.ts';
import { PostgresStorage } from '../../../server/storage/postgres.ts';
import { PrintgateError } from '../../../shared/errors.ts';
import { needs } from '../../helpers/system.ts';
import { freshPgDatabase, pgAvailable } from '../../helpers/postgres.ts';

const isUnavailable = (e: unknown) => e instanceof PrintgateError && e.code === 'STORAGE_UNAVAILABLE' && e.status === 503;

t.test('which failures are STORAGE_UNAVAILABLE', async (t) => {
  const err = (props: Record<string, unknown>, message = 'x') => Object.assign(new Error(message), props);
  for (const e of [err({ code: 'ECONNREFUSED' }), err({ code: 'ECONNRESET' }), err({ code: '57P01' }), err({ code: '57P03' }),
    err({ code: '08006' }), err({ code: '53300' }), err({}, 'Connection terminated unexpectedly'), err({}, 'timeout exceeded when trying to connect')]) {
    const mapped = storageError(e);
    t.ok(isUnavailable(mapped), `${String((e as { code?: string }).code ?? e.message)} -> STORAGE_UNAVAILABLE`);
    t.equal((mapped as Error).cause, e, 'with the driver error as cause');
  }
  for (const e of [err({ code: '23505' }), err({ code: '40001' }), err({ code: '22012' }), err({ code: '23502' }), new TypeError('x'), 'text']) {
    t.equal(storageError(e), e, `${String((e as { code?: string }).code ?? e)} unchanged`);
  }
});

t.test('a connection killed in the middle of a transaction', { skip: needs('postgresql', pgAvailable()) }, async (t) => {
  const url = await freshPgDatabase(t);
  const s = new PostgresStorage({ url, poolSize: 2 });
  t.teardown(() => s.close());
  const admin = new pg.Pool({ connectionString: url, max: 1 });
  // The database is dropped WITH (FORCE) at teardown, which may terminate this pool's idle
  // connection before admin.end() runs: without a listener that ends the test run with an
  // unhandled 'error' event after the test has passed.
  admin.on('error', () => {});
  t.teardown(() => admin.end());
  await s.run('CREATE TABLE t (x TEXT)');
  const error = await s.transaction(async (tx) => {
    await tx.run("INSERT INTO t VALUES ('lost')");
    const { pid } = (await tx.get<{ pid: number }>('SELECT pg_backend_pid() AS pid'))!;
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    await tx.run("INSERT INTO t VALUES ('lost too')");
  }).then(() => null, (e: unknown) => e);
  t.ok(isUnavailable(error), `STORAGE_UNAVAILABLE: ${(error as Error | null)?.message} (${String(((error as Error | null)?.cause as Error | undefined)?.message)})`);
  await s.transaction((tx) => tx.run("INSERT INTO t VALUES ('after')"));
  t.same((await s.all<{ x: string }>('SELECT x FROM t')).map((r) => r.x), ['after'], 'nothing of the broken transaction; the pool works again');
});
