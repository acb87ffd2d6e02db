// Admin management pages with app.inject(): users (create, password, balance, billing
// mode, disable), groups (create, members, quota), shared accounts (create with PIN,
// access, adjust), agents (create showing the token once, delete), printers (price and
// flags). Every change goes through the PrintService with the admin as actor.

import t from 'tap';
import { webHarness } from './harness.ts';

const PW = 'admin-pages-pw-1';

t.test('admin management pages', async (t) => {
  const h = await webHarness(t);
  await h.setAdminPassword(PW);
  const admin = await h.loginAdmin(PW);
  const ok = async (url: string, fields: Record<string, string>) => {
    const r = await h.form(url, admin, fields);
    t.ok(r.statusCode === 303 || r.statusCode === 200, `${url} ${JSON.stringify(fields)}: ${r.statusCode} ${r.statusCode >= 400 ? r.body.slice(0, 300) : ''}`);
    return r;
  };

  await ok('/admin/users', { name: 'alice', fullName: 'Alice A', balance: '2.00' });
  t.equal((await h.service.getBalance('alice')).balanceMinor, 200);
  await ok('/admin/users/password', { name: 'alice', password: 'alice-pw-123' });
  await h.loginUser('alice', 'alice-pw-123');
  await ok('/admin/users/adjust', { name: 'alice', amount: '-0.50', comment: 'paper jam fee' });
  const tx = (await h.service.listTransactions({ user: 'alice' })).items[0]!;
  t.same([tx.amountMinor, tx.actor, tx.comment], [-50, 'admin:admin', 'paper jam fee'], 'a ledger row with the admin as actor');
  await ok('/admin/users/edit', { name: 'alice', billingMode: 'postpaid', disabled: '1' });
  const alice = await h.service.getUser('alice');
  t.same([alice.ownBillingMode, alice.disabled], ['postpaid', true]);
  await t.rejects(h.loginUser('alice', 'alice-pw-123'), /401/, 'a disabled user cannot log in');
  const bad = await h.form('/admin/users/adjust', admin, { name: 'alice', amount: '1e3' });
  t.equal(bad.statusCode, 400, 'amounts are parsed exactly');
  t.match(bad.body, /INVALID_AMOUNT/);

  await ok('/admin/groups', { name: 'staff' });
  await ok('/admin/groups/members', { group: 'staff', user: 'alice', action: 'add' });
  t.same(await h.service.listGroupMembers('staff'), ['alice']);
  await ok('/admin/quotas', { group: 'staff', amount: '5.00', period: 'weekly' });
  t.same((await h.service.getGroup('staff')).quota, { group: 'staff', amountMinor: 500, period: 'weekly', maxAccumulationMinor: 5000 });
  await ok('/admin/groups/members', { group: 'staff', user: 'alice', action: 'remove' });
  t.same(await h.service.listGroupMembers('staff'), []);

  await ok('/admin/shared-accounts', { name: 'projects', pin: '4321', user: 'alice' });
  await ok('/admin/shared-accounts/adjust', { name: 'projects', amount: '12.50', comment: 'budget' });
  await ok('/admin/shared-accounts/access', { name: 'projects', who: 'group:staff', action: 'grant' });
  const projects = await h.service.getSharedAccount('projects');
  t.same([projects.balanceMinor, projects.hasPin, projects.access], [1250, true, { users: ['alice'], groups: ['staff'] }]);
  const page = await h.get('/admin/accounts', admin);
  t.match(page.body, /projects<br><span class="muted">has a PIN/);
  t.match(page.body, /alice, group:staff/);

  const made = await ok('/admin/agents', { name: 'print2' });
  const token = /id="tok" type="text" readonly value="([^"]+)"/.exec(made.body)?.[1];
  t.ok(token, 'the token is shown once');
  t.equal((await h.service.authenticateAgent(token!)).name, 'print2', 'and it works');
  t.notMatch((await h.get('/admin/accounts', admin)).body, new RegExp(token!), 'not shown again');
  await ok('/admin/agents/delete', { name: 'print2' });
  t.notOk((await h.service.listAgents()).some((a) => a.name === 'print2'));

  await h.printer({});
  await ok('/admin/printers/edit', {
    ref: 'agent1/q', price: '0.07', failureMode: 'HOLD_UNTIL_RECONNECTED', color: 'grayscale', duplex: 'force', maxPages: '50',
    maxCopies: '5', maxCost: '3.00', allowedGroups: 'staff', deniedTitles: '*.exe, secret*',
    enabled: '1', releaseRequired: '1', watermark: '1', watermarkTemplate: '%user% %date%',
  });
  const p = await h.service.getPrinter('agent1/q');
  t.same([p.costModel, p.failureMode, p.restrictions.color, p.restrictions.duplex, p.restrictions.maxPages, p.releaseRequired, p.confirmRequired, p.watermark, p.watermarkTemplate],
    [{ type: 'simple', perPageMinor: 7 }, 'HOLD_UNTIL_RECONNECTED', 'grayscale', 'force', 50, true, false, true, '%user% %date%']);
  t.match((await h.get('/admin/printers', admin)).body, /value="0\.07"/);
  t.same([p.restrictions.maxCopies, p.restrictions.maxCostMinor, p.restrictions.allowedGroups, p.restrictions.deniedTitles], [5, 300, ['staff'], ['*.exe', 'secret*']], 'restrictions');

  const settings = await h.get('/admin/settings', admin);
  t.match(settings.body, /hold\.timeout-minutes/);
  await ok('/admin/settings', { key: 'hold.timeout-minutes', value: '15' });
  t.equal((await h.service.getConfigValue('hold.timeout-minutes')).value, '15', 'the hold time-out is a setting');
  const refused = await h.form('/admin/settings', admin, { key: 'hold.timeout-minutes', value: 'soon' });
  t.equal(refused.statusCode, 400, 'validated by the service');
  await ok('/admin/printers/edit', { ref: 'agent1/q', price: '0.05', colourPrice: '0.30', failureMode: 'ALLOW_AND_LOG_LATER', color: 'allow', duplex: 'allow', enabled: '1' });
  t.same((await h.service.getPrinter('agent1/q')).costModel, { type: 'table', defaultMinor: 5, rows: [{ color: true, duplex: null, media: null, perPageMinor: 30 }] }, 'a colour price makes a one-row table');
  t.match((await h.get('/admin/printers', admin)).body, /name="colourPrice" type="text" inputmode="decimal" value="0\.30"/);

  // A price table by duplex made with the admin API survives saving other settings on the
  // page (the price fields still show what the page showed), and is replaced only when the
  // admin changes a price.
  const table = { type: 'table' as const, defaultMinor: 10, rows: [{ color: null, duplex: true, media: null, perPageMinor: 8 }] };
  await h.service.updatePrinter('agent1/q', { costModel: table });
  t.match((await h.get('/admin/printers', admin)).body, /a price table is set: changing this replaces it/);
  await ok('/admin/printers/edit', { ref: 'agent1/q', price: '0.10', colourPrice: '', failureMode: 'ALLOW_AND_LOG_LATER', color: 'allow', duplex: 'allow', enabled: '' });
  const kept = await h.service.getPrinter('agent1/q');
  t.same([kept.costModel, kept.enabled], [table, false], 'the table is kept, the other setting saved');
  await ok('/admin/printers/edit', { ref: 'agent1/q', price: '0.12', colourPrice: '', failureMode: 'ALLOW_AND_LOG_LATER', color: 'allow', duplex: 'allow', enabled: '1' });
  t.same((await h.service.getPrinter('agent1/q')).costModel, { type: 'simple', perPageMinor: 12 }, 'a changed price replaces it');
});

t.test('the dashboard counts days in the timezone setting', async (t) => {
  const h = await webHarness(t);
  await h.setAdminPassword(PW);
  const admin = await h.loginAdmin(PW);
  t.match((await h.get('/admin', admin)).body, /Days and weeks \(from Monday\) in the UTC time zone/, 'UTC by default');
  const r = await h.admin('PUT', '/config/timezone', { value: 'Pacific/Kiritimati' });
  t.equal(r.statusCode, 200, r.body);
  t.match((await h.get('/admin', admin)).body, /in the Pacific\/Kiritimati time zone/);
});
