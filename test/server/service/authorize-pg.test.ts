// PostgreSQL's one-round-trip authorize (server/service/authorize-pg.ts): a process that
// remembers a user's profile must still decide on the rows as they are. Two service
// instances on one database stand for two server processes: every change to the user made
// through the other one (disabled, billing mode, balance, groups, default account,
// deletion) is honoured by the next job the first one authorizes, and the ledger stays
// consistent. The same steps run on SQLite as a reference (it has no memo).
import t from 'tap';
import { forEachEngine } from '../../helpers/engines.ts';
import { openService } from '../../../server/service/index.ts';
import { agent, job } from './fixtures.ts';

forEachEngine(t, 'a remembered user profile never outlives a change made elsewhere', async (t, ctx) => {
  const a = await openService({ db: ctx.db, dataDir: ctx.dataDir, background: false });
  const b = await openService({ db: ctx.db, dataDir: ctx.dataDir, background: false });
  t.teardown(async () => { await a.close(); await b.close(); });
  const ps = await agent(a, 'ps1');
  await a.createUser({ name: 'ann', balanceMinor: 1000 }, 'admin');
  const pair = async (pages: number) => {
    const r = await a.authorize(ps, job('ann', pages));
    if (r.decision === 'ALLOW') await a.complete(ps, { idempotencyKey: `c-${r.jobId}`, jobId: r.jobId, outcome: 'PRINTED' });
    return r;
  };
  // Twice, so that the second job is decided from the remembered profile (PostgreSQL).
  t.equal((await pair(1)).decision, 'ALLOW');
  t.equal((await pair(1)).costMinor, 10, '1 page at the default 0.10');

  await b.updateUser('ann', { disabled: true });
  t.equal((await pair(1)).reasonCode, 'USER_DISABLED', 'disabled elsewhere');
  await b.updateUser('ann', { disabled: false });
  t.equal((await pair(1)).decision, 'ALLOW', 'enabled again');

  await b.updateUser('ann', { billingMode: 'free' });
  const free = await pair(2);
  t.same([free.decision, free.costMinor], ['ALLOW', 0], 'free elsewhere: recorded at zero cost');
  await b.updateUser('ann', { billingMode: null });

  await b.setUserBalance('ann', { balanceMinor: 15 }, 'admin');
  t.equal((await pair(2)).reasonCode, 'INSUFFICIENT_CREDIT', 'balance lowered elsewhere');
  t.equal((await pair(1)).costMinor, 10, 'what still fits is allowed');
  await b.updateUser('ann', { restricted: false });
  t.equal((await pair(3)).decision, 'ALLOW', 'unrestricted elsewhere: no credit limit');
  await b.updateUser('ann', { restricted: true });
  t.equal((await pair(1)).reasonCode, 'INSUFFICIENT_CREDIT', 'restricted again, below zero');
  await b.setUserBalance('ann', { balanceMinor: 1000 }, 'admin');

  // The group is made where the jobs are decided (its restrictions come from the cached
  // group table, which other processes see within a second); the membership elsewhere.
  await a.createGroup({ name: 'small', restrictions: { maxPages: 1 } });
  t.equal((await pair(2)).decision, 'ALLOW');
  await b.addGroupMember('small', 'ann');
  t.equal((await pair(2)).reasonCode, 'MAX_PAGES_EXCEEDED', 'joined a group elsewhere');
  await b.removeGroupMember('small', 'ann');
  t.equal((await pair(2)).decision, 'ALLOW', 'left it again');

  await b.addUserAccount('ann', 'projects', { isDefault: true });
  await b.setUserBalance('ann', { balanceMinor: 500, account: 'projects' }, 'admin');
  const moved = await pair(1);
  t.same([moved.account, moved.balanceAfterMinor], ['projects', 490], 'a new default account elsewhere is charged');

  await b.deleteUser('ann');
  t.equal((await pair(1)).reasonCode, 'UNKNOWN_USER', 'deleted elsewhere');

  const check = await a.checkLedger();
  t.ok(check.ok, `ledger consistent: ${JSON.stringify(check.mismatches)}`);
});
