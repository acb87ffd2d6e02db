// The admin API over HTTP: the documented objects, exact money, validation, the error
// catalogue, Idempotency-Key, and the OpenAPI description generated from the schemas.

import t from 'tap';
import { harness } from './harness.ts';

t.test('users: create, read, change, balances, transactions, delete', async (t) => {
  const h = await harness(t);
  const created = await h.admin('POST', '/users', { name: 'alice', fullName: 'Alice A', email: 'a@example.org', balance: '4.70' });
  t.equal(created.statusCode, 201);
  const u = created.json();
  t.match(u, { name: 'alice', fullName: 'Alice A', email: 'a@example.org', billingMode: 'prepaid', overdraft: '0.00', overdraftMinor: 0, disabled: false });
  t.same(u.accounts.map((a: any) => [a.balance, a.balanceMinor]), [['4.70', 470]]);

  t.equal((await h.admin('POST', '/users', { name: 'alice' })).json().code, 'ALREADY_EXISTS');
  t.equal((await h.admin('GET', '/users/alice')).json().name, 'alice');
  const patched = await h.admin('PATCH', '/users/alice', { overdraft: '2.50', fullName: 'Alice B' });
  t.equal(patched.statusCode, 200);
  t.match(patched.json(), { overdraft: '2.50', overdraftMinor: 250, fullName: 'Alice B' });

  const adj = await h.admin('POST', '/users/alice/adjust', { amount: '-1.20', comment: 'copier' });
  t.equal(adj.statusCode, 200);
  t.match(adj.json(), { balance: '3.50', balanceMinor: 350 });
  t.type(adj.json().transactionId, 'string');
  const set = await h.admin('POST', '/users/alice/set-balance', { balance: '10' });
  t.match(set.json(), { balance: '10.00', balanceMinor: 1000 });
  const bal = await h.admin('GET', '/users/alice/balance');
  t.match(bal.json(), { user: 'alice', balance: '10.00', balanceMinor: 1000, available: '12.50', availableMinor: 1250 });
  const tx = await h.admin('GET', '/users/alice/transactions');
  t.equal(tx.statusCode, 200);
  t.ok(tx.json().items.length >= 2);
  t.match(tx.json().items[0], { amount: String, amountMinor: Number, kind: String, actor: 'admin' });

  const list = await h.admin('GET', '/users?limit=1');
  t.equal(list.json().items.length, 1);
  t.equal((await h.admin('DELETE', '/users/alice')).statusCode, 204);
  const gone = await h.admin('GET', '/users/alice');
  t.equal(gone.statusCode, 404);
  t.same(gone.json(), { code: 'UNKNOWN_USER', message: gone.json().message, status: 404 });
});

t.test('absurd and malformed amounts are INVALID_AMOUNT, and change nothing', async (t) => {
  const h = await harness(t);
  await h.admin('POST', '/users', { name: 'bob', balance: '1.00' });
  for (const amount of ['abc', '1e5', '0.001', '99999999999999999999', '1,50', '', ' ', '--1', 'NaN', 'Infinity', '0x10']) {
    const res = await h.admin('POST', '/users/bob/adjust', { amount });
    t.equal(res.statusCode, 400, `"${amount}" -> 400`);
    t.equal(res.json().code, amount === '' ? 'VALIDATION_FAILED' : 'INVALID_AMOUNT', `"${amount}" code`);
  }
  t.equal((await h.admin('POST', '/users', { name: 'carol', balance: '1.005' })).json().code, 'INVALID_AMOUNT');
  t.equal((await h.admin('GET', '/users/carol')).statusCode, 404, 'a refused create writes nothing');
  t.equal((await h.admin('PATCH', '/users/bob', { overdraft: '-5' })).json().code, 'INVALID_AMOUNT');
  t.equal((await h.admin('PUT', '/printers/x/cost', { simple: '-0.10' })).json().code, 'INVALID_AMOUNT');
  t.equal((await h.admin('GET', '/users/bob/balance')).json().balanceMinor, 100);
  t.equal((await h.admin('GET', '/users/bob/transactions')).json().items.length <= 1, true, 'only the starting balance, if any');
});

t.test('validation: unknown fields, wrong types, bad names, bad query', async (t) => {
  const h = await harness(t);
  const cases: Array<[string, string, unknown]> = [
    ['POST', '/users', { name: 'x', isAdmin: true }],
    ['POST', '/users', { fullName: 'no name' }],
    ['POST', '/users', { name: 42 }],
    ['POST', '/users', { name: '' }],
    ['POST', '/users', { name: 'x', restricted: 'maybe' }],
    ['PUT', '/groups/g/quota', { amount: '1.00', period: 'hourly', maxAccumulation: '2.00' }],
    ['POST', '/agents', { name: 'has spaces' }],
    ['PUT', '/printers/p/cost', {}],
    ['POST', '/users/x/adjust', { amount: 1.5 }],
  ];
  for (const [method, path, body] of cases) {
    const res = await h.admin(method, path, body);
    t.equal(res.statusCode, 400, `${method} ${path} ${JSON.stringify(body)}`);
    t.equal(res.json().code, 'VALIDATION_FAILED');
    t.equal(res.json().status, 400);
    t.type(res.json().message, 'string');
  }
  t.equal((await h.admin('GET', '/users?limit=0')).json().code, 'VALIDATION_FAILED');
  t.equal((await h.admin('GET', '/users?limit=5000')).json().code, 'VALIDATION_FAILED');
  const notJson = await h.app.inject({ method: 'POST', url: '/api/admin/v1/users', headers: { authorization: `Bearer ${h.adminToken}`, 'content-type': 'application/json' }, payload: '{"name": "x",' });
  t.equal(notJson.statusCode, 400);
  t.equal(notJson.json().code, 'INVALID_BODY');
  const text = await h.app.inject({ method: 'POST', url: '/api/admin/v1/users', headers: { authorization: `Bearer ${h.adminToken}`, 'content-type': 'text/plain' }, payload: 'name=x' });
  t.equal(text.statusCode, 415);
  t.equal(text.json().code, 'UNSUPPORTED_MEDIA_TYPE');
  const huge = await h.admin('POST', '/users', { name: 'x', fullName: 'y'.repeat(300 * 1024) });
  t.equal(huge.statusCode, 413);
  t.equal(huge.json().code, 'BODY_TOO_LARGE');
});

t.test('unknown names answer their catalogue code', async (t) => {
  const h = await harness(t);
  t.equal((await h.admin('GET', '/users/nobody/balance')).json().code, 'UNKNOWN_USER');
  t.equal((await h.admin('POST', '/users/nobody/adjust', { amount: '1.00' })).json().code, 'UNKNOWN_USER');
  t.equal((await h.admin('GET', '/groups/none')).json().code, 'UNKNOWN_GROUP');
  t.equal((await h.admin('GET', '/shared-accounts/none')).json().code, 'UNKNOWN_ACCOUNT');
  t.equal((await h.admin('GET', '/printers/none')).json().code, 'UNKNOWN_PRINTER');
  t.equal((await h.admin('GET', '/jobs/none')).json().code, 'UNKNOWN_JOB');
  t.equal((await h.admin('GET', '/config/no.such.key')).json().code, 'UNKNOWN_CONFIG_KEY');
  t.equal((await h.admin('DELETE', '/agents/none')).json().code, 'UNKNOWN_AGENT');
});

t.test('Idempotency-Key: a retried mutation returns the first answer and applies once', async (t) => {
  const h = await harness(t);
  await h.admin('POST', '/users', { name: 'dave' });
  const key = { 'idempotency-key': 'adjust-dave-1' };
  const first = await h.admin('POST', '/users/dave/adjust', { amount: '2.00' }, key);
  const retry = await h.admin('POST', '/users/dave/adjust', { amount: '2.00' }, key);
  t.same(retry.json(), first.json());
  t.equal((await h.admin('GET', '/users/dave/balance')).json().balanceMinor, 200);
  const other = await h.admin('POST', '/users/dave/adjust', { amount: '3.00' }, key);
  t.equal(other.statusCode, 409);
  t.equal(other.json().code, 'IDEMPOTENCY_MISMATCH');
});

t.test('groups, quotas, shared accounts, config, agents', async (t) => {
  const h = await harness(t);
  await h.admin('POST', '/users', { name: 'erin' });
  t.equal((await h.admin('POST', '/groups', { name: 'staff', restrictions: { maxCost: '5.00', color: 'grayscale' } })).statusCode, 201);
  t.equal((await h.admin('POST', '/groups/staff/members', { user: 'erin' })).statusCode, 204);
  const q = await h.admin('PUT', '/groups/staff/quota', { amount: '5.00', period: 'weekly', maxAccumulation: '20.00' });
  t.same(q.json(), { group: 'staff', amount: '5.00', amountMinor: 500, period: 'weekly', maxAccumulation: '20.00', maxAccumulationMinor: 2000 });
  const g = (await h.admin('GET', '/groups/staff')).json();
  t.match(g, { members: 1, restrictions: { maxCost: '5.00', maxCostMinor: 500, color: 'grayscale' }, quota: { amountMinor: 500 } });
  t.same((await h.admin('GET', '/groups/staff/members')).json().items, ['erin']);
  t.equal((await h.admin('POST', '/quotas/run')).statusCode, 200);

  const sa = await h.admin('POST', '/shared-accounts', { name: 'physics', balance: '100.00' });
  t.equal(sa.statusCode, 201);
  t.match(sa.json(), { name: 'physics', balance: '100.00', balanceMinor: 10000, hasPin: false });
  t.equal((await h.admin('POST', '/shared-accounts/physics/access', { group: 'staff' })).statusCode, 204);
  t.equal((await h.admin('POST', '/shared-accounts/physics/access', { group: 'staff', user: 'erin' })).json().code, 'VALIDATION_FAILED');
  t.match((await h.admin('POST', '/shared-accounts/physics/adjust', { amount: '-10.00' })).json(), { balance: '90.00' });
  t.same((await h.admin('GET', '/shared-accounts/physics')).json().access.groups, ['staff']);

  const cfg = await h.admin('GET', '/config');
  t.ok(cfg.json().items.some((e: any) => e.key === 'currency'));
  t.equal((await h.admin('PUT', '/config/currency', { value: 'EUR' })).json().value, 'EUR');
  t.equal((await h.admin('GET', '/config/currency')).json().value, 'EUR');

  const ag = await h.admin('POST', '/agents', { name: 'ps2' });
  t.equal(ag.statusCode, 201);
  t.type(ag.json().token, 'string');
  t.ok((await h.admin('GET', '/agents')).json().items.some((a: any) => a.name === 'ps2'));
});

t.test('OpenAPI: every admin route is described, with its schemas', async (t) => {
  const h = await harness(t);
  const res = await h.admin('GET', '/openapi.json');
  t.equal(res.statusCode, 200);
  const doc = res.json();
  t.equal(doc.openapi, '3.1.0');
  const described = new Set<string>();
  for (const [path, ops] of Object.entries<Record<string, any>>(doc.paths)) {
    for (const method of Object.keys(ops)) described.add(`${method.toUpperCase()} /api/admin/v1${path.replace(/\{(\w+)\}/g, ':$1')}`);
  }
  const routes = h.app.printgate.auth.routes.filter((r) => r.url.startsWith('/api/admin/v1/') && r.url !== '/api/admin/v1/openapi.json');
  for (const r of routes) t.ok(described.has(`${r.method} ${r.url}`), `${r.method} ${r.url} is described`);
  t.equal(described.size, routes.length);
  const adjust = doc.paths['/users/{name}/adjust'].post;
  t.same(adjust.requestBody.content['application/json'].schema.required, ['amount']);
  t.same(adjust.parameters.map((p: any) => [p.name, p.in]), [['name', 'path'], ['idempotency-key', 'header']]);
  t.ok(adjust.responses['200'].content['application/json'].schema.properties.balanceMinor);
  t.equal(adjust.responses.default.$ref, '#/components/responses/Error');
  t.same(doc.security, [{ bearer: [] }]);
});
