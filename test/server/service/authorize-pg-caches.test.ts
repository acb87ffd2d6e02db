// PostgreSQL's authorize without a transaction, with several server processes: settings,
// printers and groups come from a per-process cache that re-checks cache_version at most
// once a second, so a change made through another process must still be honoured by the
// very next job (server/service/authorize.ts: the user look-up reads the version, the
// remembered profile's statement checks it). Two service instances on one database stand
// for two processes; before each change, process A's cache is made fresh (a local change,
// then a job that reloads it), so the next job falls inside the one-second window a stale cache would use.
import t from 'tap';
import { openService } from '../../../server/service/index.ts';
import { needs } from '../../helpers/system.ts';
import { freshPgDatabase, pgAvailable } from '../../helpers/postgres.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agent, job } from './fixtures.ts';

t.test('cached groups and printers changed elsewhere decide the next job', { skip: needs('postgresql', pgAvailable()) }, async (t) => {
  const db = await freshPgDatabase(t);
  const dirs = [mkdtempSync(join(tmpdir(), 'printgate-a-')), mkdtempSync(join(tmpdir(), 'printgate-b-'))];
  t.teardown(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
  const a = await openService({ db, dataDir: dirs[0]!, background: false });
  const b = await openService({ db, dataDir: dirs[1]!, background: false });
  t.teardown(async () => { await a.close(); await b.close(); });
  const ps = await agent(a, 'ps1');
  await a.createGroup({ name: 'staff', billingMode: 'postpaid' });
  await a.createGroup({ name: 'other' });
  await a.createUser({ name: 'ann', balanceMinor: 0 }, 'admin');
  await a.addGroupMember('staff', 'ann');
  let n = 0;
  /** A's cache reloaded just now: a change to an unrelated group made through A, then a
   * job (of an unknown user) that reads the cache. */
  const freshA = async () => {
    await a.updateGroup('other', { restrictions: { maxCopies: 100 + ++n } });
    await a.authorize(ps, job('nobody', 1));
  };
  const pair = async () => {
    const r = await a.authorize(ps, job('ann', 5));
    if (r.decision === 'ALLOW') await a.complete(ps, { idempotencyKey: `c-${r.jobId}`, jobId: r.jobId, outcome: 'PRINTED' });
    return r;
  };
  // Twice, so that A remembers ann's profile (the second job is decided from it).
  t.equal((await pair()).decision, 'ALLOW', 'postpaid through the group: no credit needed');
  t.equal((await pair()).decision, 'ALLOW');

  await freshA();
  await b.updateGroup('staff', { billingMode: 'prepaid' });
  t.equal((await pair()).reasonCode, 'INSUFFICIENT_CREDIT', 'the group made prepaid elsewhere: denied at once');
  await freshA();
  await b.updateGroup('staff', { billingMode: 'postpaid' });
  t.equal((await pair()).decision, 'ALLOW', 'postpaid again elsewhere: allowed at once');

  await freshA();
  await b.updateGroup('staff', { restrictions: { maxPages: 2 } });
  t.equal((await pair()).reasonCode, 'MAX_PAGES_EXCEEDED', 'a group restriction set elsewhere');
  await freshA();
  await b.updateGroup('staff', { restrictions: {} });
  t.equal((await pair()).decision, 'ALLOW', 'and lifted');

  await freshA();
  await b.updatePrinter('ps1/office', { costModel: { type: 'simple', perPageMinor: 7 } });
  t.equal((await pair()).costMinor, 35, 'a price set elsewhere: 5 pages at 0.07');
  await freshA();
  await b.updatePrinter('ps1/office', { restrictions: { maxPages: 3 } });
  t.equal((await pair()).reasonCode, 'MAX_PAGES_EXCEEDED', 'a printer restriction set elsewhere');

  const check = await a.checkLedger();
  t.ok(check.ok, `ledger consistent: ${JSON.stringify(check.mismatches)}`);
});
