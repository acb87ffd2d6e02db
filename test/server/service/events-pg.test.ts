// PostgreSQL: an agent's held-job events must become visible in seq order, or an agent
// (which reads `seq > afterSeq` and only moves afterSeq forward) loses one for good. A
// trigger on the test database delays the COMMIT of one release after its event row got
// its seq (standing in for any delay between INSERT and COMMIT); a second release for the
// same agent meanwhile must not commit a higher seq first (server/service/holds.ts emit()).
// SQLite has one writer at a time and is not tested here.
import t, { type Test } from 'tap';
import pg from 'pg';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openService } from '../../../server/service/index.ts';
import { needs } from '../../helpers/system.ts';
import { freshPgDatabase, pgAvailable } from '../../helpers/postgres.ts';
import { agent, job } from './fixtures.ts';

/** A trigger that makes the event INSERT of job `jobId` sleep `seconds` before its transaction goes on. */
async function slowEventOf(db: InstanceType<typeof pg.Pool>, jobId: string, seconds: number): Promise<void> {
  await db.query(`CREATE FUNCTION slow_event() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN IF NEW.job_id = ${Number(jobId)} THEN PERFORM pg_sleep(${seconds}); END IF; RETURN NEW; END $$`);
  await db.query('CREATE TRIGGER slow_event AFTER INSERT ON job_events FOR EACH ROW EXECUTE FUNCTION slow_event()');
}

/** Wait until an event INSERT is sleeping in that trigger (its seq is drawn). */
/** A service on a fresh database, and a one-connection pool beside it for the test's own SQL. */
async function serviceWithSidePool(t: Test) {
  const url = await freshPgDatabase(t);
  const dataDir = mkdtempSync(join(tmpdir(), 'printgate-events-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const s = await openService({ db: url, dataDir, background: false, eventRecheckMs: 100 });
  t.teardown(() => s.close());
  const db = new pg.Pool({ connectionString: url, max: 1 });
  db.on('error', () => {}); // the database is dropped WITH (FORCE) at teardown
  t.teardown(() => db.end());
  return { s, db };
}

async function sleepingInsert(db: InstanceType<typeof pg.Pool>): Promise<void> {
  for (let i = 0; ; i++) {
    const r = await db.query("SELECT 1 FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND query LIKE 'INSERT INTO job_events%'");
    if (r.rowCount) return;
    if (i > 200) throw new Error('the release of A never reached its event INSERT');
    await new Promise((r) => setTimeout(r, 10));
  }
}

t.test('an event committed late is still delivered', { skip: needs('postgresql', pgAvailable()) }, async (t) => {
  const { s, db } = await serviceWithSidePool(t);

  const ps = await agent(s, 'ps1');
  await s.createUser({ name: 'ann', balanceMinor: 1000 }, 'admin');
  await s.createUser({ name: 'bob', balanceMinor: 1000 }, 'admin');
  await s.authorize(ps, job('ann', 1)); // creates the printer
  await s.updatePrinter('ps1/office', { releaseRequired: true });
  const a = await s.authorize(ps, job('ann', 1));
  const b = await s.authorize(ps, job('bob', 1));
  t.same([a.decision, b.decision], ['HOLD', 'HOLD']);
  const start = (await s.pollEvents(ps, 0, 0)).lastSeq;

  // Job A's event row sleeps 800 ms after its INSERT, before its transaction commits.
  await slowEventOf(db, a.jobId, 0.8);
  const releaseA = s.releaseJob(a.jobId, 'web');
  // Wait until A's INSERT is sleeping in the trigger (its seq is drawn), then release B.
  await sleepingInsert(db);
  await s.releaseJob(b.jobId, 'web');

  // What an agent does: poll, move afterSeq to the last seq received, poll again.
  const delivered: string[] = [];
  let last = start;
  const firstPoll = await s.pollEvents(ps, last, 0);
  delivered.push(...firstPoll.events.map((e) => e.jobId));
  last = firstPoll.lastSeq;
  await releaseA;
  const deadline = Date.now() + 2000;
  while (delivered.length < 2 && Date.now() < deadline) {
    const p = await s.pollEvents(ps, last, 200);
    delivered.push(...p.events.map((e) => e.jobId));
    last = p.lastSeq;
  }
  t.same([...delivered].sort(), [a.jobId, b.jobId].sort(), 'both releases reach the agent');
  t.same(delivered, [a.jobId, b.jobId], 'in commit order: B waited for A');
});

t.test('event-emitting transactions of different agents do not wait for each other', { skip: needs('postgresql', pgAvailable()) }, async (t) => {
  const { s, db } = await serviceWithSidePool(t);

  const ps1 = await agent(s, 'ps1');
  const ps2 = await agent(s, 'ps2');
  // Two users: releases of one user's jobs also wait for each other on her account row.
  await s.createUser({ name: 'ann', balanceMinor: 1000 }, 'admin');
  await s.createUser({ name: 'bob', balanceMinor: 1000 }, 'admin');
  await s.authorize(ps1, job('ann', 1));
  await s.authorize(ps2, job('ann', 1));
  await s.updatePrinter('ps1/office', { releaseRequired: true });
  await s.updatePrinter('ps2/office', { releaseRequired: true });
  const a = await s.authorize(ps1, job('ann', 1));
  const b = await s.authorize(ps2, job('bob', 1));
  await slowEventOf(db, a.jobId, 1.5);
  const releaseA = s.releaseJob(a.jobId, 'web');
  await sleepingInsert(db);
  const t0 = performance.now();
  await s.releaseJob(b.jobId, 'web');
  const ms = performance.now() - t0;
  t.ok(ms < 1000, `another agent's release is not held up by the sleeping one (${ms.toFixed(0)} ms)`);
  await releaseA;
});
