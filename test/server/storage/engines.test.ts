// The storage port on both engines: migrations (once, recorded, repeatable start-up),
// shared SQL with placeholders and RETURNING, transactions that commit or roll back as a
// whole, unique violations recognised, and conditional updates that cannot overdraw under
// concurrency.
import t from 'tap';
import { forEachEngine } from '../../helpers/engines.ts';
import { openStorage } from '../../../server/storage/open.ts';
import { loadMigrations, migrate } from '../../../server/storage/migrate.ts';
import { numberPlaceholders } from '../../../server/storage/port.ts';

t.test('placeholders', async (t) => {
  t.equal(numberPlaceholders('SELECT ? , ?, x FROM y WHERE z = ?'), 'SELECT $1 , $2, x FROM y WHERE z = $3');
});

t.test('migration files are numbered without gaps', async (t) => {
  const m = loadMigrations();
  t.ok(m.length >= 1);
  m.forEach((x, i) => t.equal(x.version, i + 1, x.name));
});

forEachEngine(t, 'storage', async (t, { db }) => {
  const s = await openStorage(db);
  t.teardown(() => s.close());
  t.same(await migrate(s), [], 'a second run applies nothing');
  const versions = await s.all<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
  t.same(versions.map((v) => v.version), loadMigrations().map((m) => m.version));

  // RETURNING and numbers on both engines
  const u = await s.transaction((tx) => tx.get<{ id: number }>('INSERT INTO users (name, created_at) VALUES (?, ?) RETURNING id', ['ann', 1700000000000]));
  t.type(u!.id, 'number');
  const a = await s.transaction((tx) => tx.get<{ id: number; balance: number }>(
    "INSERT INTO accounts (kind, user_id, name, balance, created_at) VALUES ('personal', ?, 'print', ?, ?) RETURNING id, balance",
    [u!.id, 9_000_000_000_000, 1]));
  t.equal(a!.balance, 9_000_000_000_000, 'BIGINT comes back as a number');
  const sum = await s.get<{ s: number }>('SELECT SUM(balance) AS s FROM accounts');
  t.equal(sum!.s, 9_000_000_000_000, 'SUM comes back as a number');

  // rollback leaves nothing half-written
  await t.rejects(s.transaction(async (tx) => {
    await tx.run('INSERT INTO users (name, created_at) VALUES (?, ?)', ['bob', 1]);
    throw new Error('boom');
  }), /boom/);
  t.equal(await s.get('SELECT id FROM users WHERE name = ?', ['bob']), undefined);

  // unique violations are recognised
  try {
    await s.transaction((tx) => tx.run('INSERT INTO users (name, created_at) VALUES (?, ?)', ['ann', 2]));
    t.fail('duplicate accepted');
  } catch (e) {
    t.ok(s.isUniqueViolation(e), 'unique violation');
  }
  t.notOk(s.isUniqueViolation(new Error('x')));

  // a conditional update is the overdraw guard: 50 concurrent reservations of 3 from 100
  await s.run('UPDATE accounts SET balance = 100 WHERE id = ?', [a!.id]);
  const results = await Promise.all(Array.from({ length: 50 }, () => s.transaction(async (tx) => {
    const r = await tx.get('UPDATE accounts SET reserved = reserved + ? WHERE id = ? AND balance - reserved >= ? RETURNING reserved', [3, a!.id, 3]);
    return r !== undefined;
  })));
  t.equal(results.filter(Boolean).length, 33, '33 reservations of 3 fit in 100');
  const after = await s.get<{ reserved: number }>('SELECT reserved FROM accounts WHERE id = ?', [a!.id]);
  t.equal(after!.reserved, 99);

  // concurrent transactions (group-committed on SQLite): each commits or rolls back alone
  const outcomes = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => s.transaction(async (tx) => {
    await tx.run('INSERT INTO users (name, created_at) VALUES (?, ?)', [`batch${i}`, i]);
    await tx.run('UPDATE accounts SET balance = balance + 1 WHERE id = ?', [a!.id]);
    if (i % 3 === 0) throw new Error(`fail ${i}`);
    return i;
  })));
  t.equal(outcomes.filter((o) => o.status === 'rejected').length, 10);
  const kept = await s.all<{ name: string }>("SELECT name FROM users WHERE name LIKE 'batch%'");
  t.same(kept.map((r) => r.name).sort(), Array.from({ length: 30 }, (_, i) => i).filter((i) => i % 3 !== 0).map((i) => `batch${i}`).sort());
  t.equal((await s.get<{ balance: number }>('SELECT balance FROM accounts WHERE id = ?', [a!.id]))!.balance, 120, 'only the 20 that succeeded moved the balance');
  // a unique violation inside one transaction does not spoil the others
  const dup = await Promise.allSettled([1, 2, 3].map((i) => s.transaction((tx) => tx.run('INSERT INTO users (name, created_at) VALUES (?, ?)', [i === 2 ? 'ann' : `dup${i}`, i]))));
  t.same(dup.map((d) => d.status), ['fulfilled', 'rejected', 'fulfilled']);
  t.ok(s.isUniqueViolation((dup[1] as PromiseRejectedResult).reason));

  // reads wait for an open transaction instead of seeing its uncommitted rows
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const open = s.transaction(async (tx) => {
    await tx.run('INSERT INTO users (name, created_at) VALUES (?, ?)', ['carol', 3]);
    await gate;
    throw new Error('rolled back');
  });
  const read = s.get('SELECT id FROM users WHERE name = ?', ['carol']);
  release();
  await t.rejects(open);
  t.equal(await read, undefined, 'never saw the uncommitted row');
});

forEachEngine(t, 'a closed storage refuses calls with STORAGE_UNAVAILABLE', async (t, { db }) => {
  const s = await openStorage(db);
  await s.close();
  await s.close();
  await t.rejects(s.get('SELECT 1 AS x'), { code: 'STORAGE_UNAVAILABLE' });
  await t.rejects(s.transaction((tx) => tx.get('SELECT 1 AS x')), { code: 'STORAGE_UNAVAILABLE' });
});
