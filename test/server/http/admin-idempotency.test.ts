// The admin API's Idempotency-Key on both engines: every route that honours it applies a
// retried request once and answers it with the first answer (the effects and the answer
// are one transaction); concurrent first attempts, also from a second server instance on
// the same database, apply once and all get the same answer; a different request under a
// used key is IDEMPOTENCY_MISMATCH (409); a refused request stores nothing, so a corrected
// retry under the same key runs; changes to cached objects (groups, printers, agents) are
// visible at once after an idempotent change; the stored rows give away neither the key,
// nor the answer (a new agent's token), nor a PIN in the request; housekeeping purges old
// answers.

import t from 'tap';
import type { LightMyRequestResponse } from 'fastify';
import type { Test } from 'tap';
import { forEachEngine, scratchDir } from '../../helpers/engines.ts';
import { ADMIN_TOKEN, harness, job, type Harness } from './harness.ts';
import { openService } from '../../../server/service/index.ts';
import { buildApp } from '../../../server/http/app.ts';
import { hashToken } from '../../../server/http/token-hash.ts';
import { housekeeping } from '../../../server/service/housekeeping.ts';
import { IDEMPOTENCY_RETENTION_MS } from '../../../server/service/idempotency.ts';
import { keySeal } from '../../../server/service/idempotency-seal.ts';
import type { Storage } from '../../../server/storage/port.ts';
import { pb } from '../../../shared/protocol/index.ts';

const key = (k: string) => ({ 'idempotency-key': k });

function storage(h: Harness): Storage {
  return (h.service as unknown as { storage: Storage }).storage;
}

async function answers(h: Harness, k: string): Promise<number> {
  const r = await storage(h).get<{ n: number }>('SELECT COUNT(*) AS n FROM idempotency WHERE key = ?', [keySeal('admin:admin', k).id]);
  return Number(r?.n ?? 0);
}

/** Send the same request twice under one key: both answers equal, status as expected. */
async function twice(t: Test, h: Harness, method: string, path: string, body: unknown, k: string, status = 200): Promise<LightMyRequestResponse> {
  const first = await h.admin(method, path, body, key(k));
  t.equal(first.statusCode, status, `${method} ${path}: ${first.body}`);
  const retry = await h.admin(method, path, body, key(k));
  t.equal(retry.statusCode, status, `${method} ${path} retried`);
  t.equal(retry.body, first.body, `${method} ${path}: the retry gets the first answer`);
  return first;
}

forEachEngine(t, 'every idempotent admin route applies a retry once', async (t, ctx) => {
  const h = await harness(t, { db: ctx.db });
  const ledgerRows = async (user: string) => (await h.admin('GET', `/users/${user}/transactions`)).json().items.length;

  await twice(t, h, 'POST', '/users', { name: 'ann', balance: '5.00' }, 'u1', 201);
  t.equal(await ledgerRows('ann'), 1, 'one initial-balance row');
  await twice(t, h, 'PATCH', '/users/ann', { fullName: 'Ann A.', overdraft: '1.00' }, 'u2');
  await twice(t, h, 'POST', '/users/ann/accounts', { name: 'copies' }, 'u3', 201);
  const adj = await twice(t, h, 'POST', '/users/ann/adjust', { amount: '2.50', comment: 'top-up' }, 'u4');
  t.equal(adj.json().balanceMinor, 750);
  const set = await twice(t, h, 'POST', '/users/ann/set-balance', { balance: '10.00' }, 'u5');
  t.equal(set.json().balanceMinor, 1000);
  t.equal(await ledgerRows('ann'), 3, 'initial, adjust, set: one row each');
  t.equal((await h.admin('GET', '/users/ann/balance')).json().balanceMinor, 1000);

  await twice(t, h, 'POST', '/shared-accounts', { name: 'dept', balance: '3.00', pin: '1234' }, 's1', 201);
  const sadj = await twice(t, h, 'POST', '/shared-accounts/dept/adjust', { amount: '-1.00' }, 's2');
  t.equal(sadj.json().balanceMinor, 200);
  t.equal((await h.admin('GET', '/shared-accounts/dept/transactions')).json().items.length, 2);

  // Cached objects: the change is visible to this process at once (its cache reloaded
  // after the commit), and the retry does not change them again.
  await twice(t, h, 'POST', '/groups', { name: 'staff', billingMode: 'postpaid' }, 'g1', 201);
  await twice(t, h, 'PATCH', '/groups/staff', { billingMode: 'free' }, 'g2');
  t.equal((await h.admin('GET', '/groups/staff')).json().billingMode, 'free');
  await h.agent('register', { hostname: 'ps1', printers: [{ queue: 'q' }] }, pb.RegisterResponse);
  const printer = `/printers/${encodeURIComponent('agent1/q')}`;
  await twice(t, h, 'PATCH', printer, { description: 'second floor', releaseRequired: true }, 'p1');
  t.match((await h.admin('GET', printer)).json(), { description: 'second floor', releaseRequired: true });
  const agent = await twice(t, h, 'POST', '/agents', { name: 'ps2' }, 'a1', 201);
  t.ok((await h.service.authenticateAgent(agent.json().token)).name === 'ps2', 'the replayed token is the one that works');
  t.same((await h.admin('GET', '/agents')).json().items.map((a: { name: string }) => a.name), ['agent1', 'ps2']);

  // Held jobs: release (reserves, wakes the agent) and cancel, each applied once.
  const held = async (k: string) => {
    const a = await h.agent('authorize', job('ann', k), pb.AuthorizeResponse);
    t.equal(a.body?.decision, pb.Decision.HOLD);
    return a.body!.jobId!;
  };
  const j1 = await held('held-1');
  const rel = await twice(t, h, 'POST', `/jobs/${j1}/release`, {}, 'j1');
  t.equal(rel.json().status, 'authorized');
  const j2 = await held('held-2');
  t.equal((await twice(t, h, 'POST', `/jobs/${j2}/cancel`, { message: 'no' }, 'j2')).json().status, 'cancelled');
  const events = await h.agent('events', { afterSeq: 0, waitMs: 0 }, pb.EventsResponse);
  t.same((events.body!.events ?? []).map((e) => [e.jobId, e.kind]), [[j1, pb.JobEventKind.RELEASED], [j2, pb.JobEventKind.CANCELLED]], 'one event each');

  // Refund of the printed job: once.
  await h.agent('complete', { idempotencyKey: 'c1', jobId: j1, outcome: pb.Outcome.PRINTED }, pb.CompleteResponse);
  const refund = await twice(t, h, 'POST', `/jobs/${j1}/refund`, { amount: '0.10' }, 'r1');
  t.equal(refund.json().amountMinor, 10);
  t.same((await h.service.listTransactions({ jobId: j1 })).items.map((x) => x.kind), ['refund', 'settle']);

  // The naturally repeatable mutations honour the key too: the retry gets the first answer
  // (a repeated DELETE its 204, not a 404).
  await twice(t, h, 'PUT', '/groups/staff/quota', { amount: '5.00', period: 'weekly', maxAccumulation: '20.00' }, 'q1');
  await twice(t, h, 'POST', '/groups/staff/members', { user: 'ann' }, 'm1', 204);
  await twice(t, h, 'POST', '/shared-accounts/dept/access', { group: 'staff' }, 'x1', 204);
  t.same((await h.admin('GET', '/shared-accounts/dept')).json().access, { users: [], groups: ['staff'] });
  await twice(t, h, 'DELETE', '/shared-accounts/dept/access', { group: 'staff' }, 'x2', 204);
  await twice(t, h, 'DELETE', '/groups/staff/members/ann', undefined, 'm2', 204);
  await twice(t, h, 'DELETE', '/groups/staff/quota', undefined, 'q2', 204);
  await twice(t, h, 'DELETE', '/groups/staff', undefined, 'g3', 204);
  t.equal((await h.admin('GET', '/groups/staff')).statusCode, 404);
  const cfg = await twice(t, h, 'PUT', '/config/low-balance.threshold', { value: '2.5' }, 'c1');
  t.equal(cfg.json().value, '2.50');
  t.equal((await h.admin('GET', '/config/low-balance.threshold')).json().value, '2.50', 'visible at once');
  await twice(t, h, 'PUT', `${printer}/cost`, { simple: '0.20' }, 'p2');
  t.match((await h.admin('GET', printer)).json(), { costModel: { type: 'simple', perPage: '0.20' } });
  await h.admin('POST', '/users', { name: 'zed' });
  await twice(t, h, 'DELETE', '/users/zed', undefined, 'z1', 204);
  t.equal((await h.admin('DELETE', '/users/zed')).statusCode, 404, 'without the key the repeat is a new request');
  t.ok((await h.service.checkLedger()).ok, 'every balance equals its ledger');
});

forEachEngine(t, 'a different request under a used key is IDEMPOTENCY_MISMATCH', async (t, ctx) => {
  const h = await harness(t, { db: ctx.db });
  await h.admin('POST', '/users', { name: 'bob' });
  const first = await h.admin('POST', '/users/bob/adjust', { amount: '1.00' }, key('k'));
  t.equal(first.statusCode, 200);
  for (const [method, path, body] of [
    ['POST', '/users/bob/adjust', { amount: '2.00' }],
    ['POST', '/users/bob/adjust', { amount: '1.00', comment: 'x' }],
    ['POST', '/users/bob/set-balance', { balance: '1.00' }],
    ['POST', '/users', { name: 'carol' }],
  ] as const) {
    const other = await h.admin(method, path, body, key('k'));
    t.equal(other.statusCode, 409, `${method} ${path}`);
    t.match(other.json(), { code: 'IDEMPOTENCY_MISMATCH', status: 409 });
  }
  t.equal((await h.admin('GET', '/users/bob/balance')).json().balanceMinor, 100, 'none of them ran');
  t.equal((await h.admin('GET', '/users/carol')).statusCode, 404);
  const bad = await h.admin('POST', '/users/bob/adjust', { amount: '1.00' }, key('has space'));
  t.equal(bad.statusCode, 400);
  t.equal(bad.json().code, 'VALIDATION_FAILED');
});

forEachEngine(t, 'a refused request stores nothing: a corrected retry under the same key runs', async (t, ctx) => {
  const h = await harness(t, { db: ctx.db });
  // Unknown user: refused, nothing stored; once the user exists the same request runs.
  const refused = await h.admin('POST', '/users/dora/adjust', { amount: '1.00' }, key('r'));
  t.equal(refused.json().code, 'UNKNOWN_USER');
  t.equal(await answers(h, 'r'), 0, 'no stored answer for a refusal');
  await h.admin('POST', '/users', { name: 'dora' });
  const ran = await h.admin('POST', '/users/dora/adjust', { amount: '1.00' }, key('r'));
  t.equal(ran.statusCode, 200);
  t.equal(ran.json().balanceMinor, 100);
  // A validation failure, then a corrected (different) body under the same key.
  const invalid = await h.admin('POST', '/users/dora/adjust', { amount: '0.00' }, key('v'));
  t.equal(invalid.json().code, 'INVALID_AMOUNT');
  const corrected = await h.admin('POST', '/users/dora/adjust', { amount: '0.50' }, key('v'));
  t.equal(corrected.statusCode, 200, corrected.body);
  t.equal(corrected.json().balanceMinor, 150);
  // A refusal in the middle of the operation (after the claim and some reads): rolled back whole.
  await h.admin('POST', '/users', { name: 'eve' });
  const dup = await h.admin('POST', '/users/eve/accounts', { name: 'print' }, key('d'));
  t.equal(dup.json().code, 'ALREADY_EXISTS');
  t.equal(await answers(h, 'd'), 0, 'the claim was rolled back with the operation');
  t.same((await h.admin('GET', '/users/eve')).json().accounts.map((a: { name: string }) => a.name), ['print']);
  t.ok((await h.service.checkLedger()).ok);
});

forEachEngine(t, 'concurrent first attempts with one key apply once and agree', async (t, ctx) => {
  const h = await harness(t, { db: ctx.db });
  // A second server instance on the same database (another process, as with several
  // stateless servers in front of one PostgreSQL).
  const other = await openService({ db: ctx.db, dataDir: scratchDir(t), background: false });
  const app2 = buildApp(other, { adminTokenHash: hashToken(ADMIN_TOKEN), logLevel: 'silent' });
  t.teardown(async () => { await app2.close(); await other.close(); });
  await app2.ready();
  const admin2 = (method: string, path: string, body: unknown, headers: Record<string, string>) => app2.inject({
    method: method as 'POST', url: `/api/admin/v1${path}`, payload: JSON.stringify(body),
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', ...headers },
  });
  await h.admin('POST', '/users', { name: 'fay', balance: '1.00' });

  const N = 12;
  for (let round = 0; round < 3; round++) {
    const k = `storm-${round}`;
    const replies = await Promise.all(Array.from({ length: N }, (_, i) =>
      (i % 2 ? admin2 : h.admin.bind(h))('POST', '/users/fay/adjust', { amount: '0.25', comment: 'storm' }, key(k))));
    t.same(replies.map((r) => r.statusCode), Array(N).fill(200), replies.map((r) => r.body).filter((b) => !b.includes('balanceMinor')).join('\n'));
    const bodies = new Set(replies.map((r) => r.body));
    t.equal(bodies.size, 1, `round ${round}: every attempt got the same answer`);
    t.equal(await answers(h, k), 1);
  }
  t.equal((await h.admin('GET', '/users/fay/balance')).json().balanceMinor, 100 + 3 * 25, 'each key applied exactly once');
  const rows = (await h.admin('GET', '/users/fay/transactions')).json().items.filter((x: { kind: string }) => x.kind === 'adjust');
  t.equal(rows.length, 3, 'one ledger row per key');

  // Creation races: one user, every attempt answered 201 with the same body (no ALREADY_EXISTS).
  const creates = await Promise.all(Array.from({ length: N }, (_, i) =>
    (i % 2 ? admin2 : h.admin.bind(h))('POST', '/users', { name: 'gus', balance: '2.00' }, key('create-gus'))));
  t.same(creates.map((r) => r.statusCode), Array(N).fill(201), creates.map((r) => r.body).join('\n').slice(0, 500));
  t.equal(new Set(creates.map((r) => r.body)).size, 1);
  t.equal((await h.admin('GET', '/users/gus/transactions')).json().items.length, 1, 'one initial balance');

  // Mixed: equal requests agree, different ones are refused, exactly one body applied.
  const mixed = await Promise.all(Array.from({ length: N }, (_, i) =>
    (i % 2 ? admin2 : h.admin.bind(h))('POST', '/users/fay/adjust', { amount: i % 3 === 0 ? '1.00' : '2.00' }, key('mixed'))));
  const ok = mixed.filter((r) => r.statusCode === 200);
  t.ok(ok.length >= 1);
  t.equal(new Set(ok.map((r) => r.body)).size, 1, 'the accepted ones agree');
  for (const r of mixed.filter((r) => r.statusCode !== 200)) t.equal(r.json().code, 'IDEMPOTENCY_MISMATCH');
  t.ok((await h.service.checkLedger()).ok, 'every balance equals its ledger');
});

forEachEngine(t, 'stored rows hold no secret: not the key, the answer or the request', async (t, ctx) => {
  const h = await harness(t, { db: ctx.db });
  const agent = await h.admin('POST', '/agents', { name: 'ps9' }, key('agent-key-7f3a'));
  const token = agent.json().token as string;
  t.match(token, /^pga_/);
  const shared = await h.admin('POST', '/shared-accounts', { name: 'lab', pin: '4821' }, key('lab-key-91c2'));
  t.equal(shared.statusCode, 201);
  const rows = await storage(h).all<Record<string, unknown>>('SELECT scope, key, request_hash, response FROM idempotency');
  t.equal(rows.length, 2);
  const dump = JSON.stringify(rows);
  for (const secret of [token, 'agent-key-7f3a', 'lab-key-91c2', 'ps9', '"lab"']) t.notOk(dump.includes(secret), `no ${secret} at rest`);
  // The fingerprint is keyed: the plain SHA-256 of the request (guessable with the PIN's 10,000 values) is not there.
  const { requestHash } = await import('../../../server/service/util.ts');
  const plain = requestHash({ method: 'POST', url: '/api/admin/v1/shared-accounts', body: { name: 'lab', pin: '4821' } });
  t.notOk(dump.includes(plain));
  // With the key, the retry still gets the answer, token included.
  t.same((await h.admin('POST', '/agents', { name: 'ps9' }, key('agent-key-7f3a'))).json(), agent.json());
  // A tampered answer is refused, not served.
  await storage(h).run("UPDATE idempotency SET response = 'v1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' WHERE key = ?", [keySeal('admin:admin', 'agent-key-7f3a').id]);
  const tampered = await h.admin('POST', '/agents', { name: 'ps9' }, key('agent-key-7f3a'));
  t.equal(tampered.statusCode, 500);
  t.equal(tampered.json().code, 'INTERNAL');
});

forEachEngine(t, 'housekeeping purges answers past retention; a later retry runs anew', async (t, ctx) => {
  let now = Date.UTC(2026, 0, 1);
  const s = await openService({ db: ctx.db, dataDir: ctx.dataDir, background: false, clock: () => now });
  t.teardown(() => s.close());
  await s.createUser({ name: 'hal' }, 'admin');
  const adjust = (svc: { adjustUserBalance: typeof s.adjustUserBalance }) => svc.adjustUserBalance('hal', { amountMinor: 10 }, 'admin');
  const first = await s.idempotent('admin', 'old', { adjust: 10 }, adjust);
  t.same(await s.idempotent('admin', 'old', { adjust: 10 }, adjust), first);
  now += IDEMPOTENCY_RETENTION_MS - 1000;
  const core = { db: s.storage, clock: () => now, caches: { get: async () => ({ settings: { retentionDays: 0 } }) } };
  t.equal((await housekeeping(core as never)).idempotency, 0, 'kept within retention');
  now += 2000;
  t.equal((await housekeeping(core as never)).idempotency, 1, 'purged after it');
  const again = await s.idempotent('admin', 'old', { adjust: 10 }, adjust);
  t.not(again.transactionId, first.transactionId, 'a retry after retention is a new request');
  t.equal((await s.getBalance('hal')).balanceMinor, 20);
});

t.test('the OpenAPI document declares Idempotency-Key on every mutation that honours it', async (t) => {
  const h = await harness(t);
  const doc = (await h.admin('GET', '/openapi.json')).json() as { paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string }> }>> };
  const keyed: string[] = [];
  const unkeyed: string[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      if (method === 'get') continue;
      const has = (op.parameters ?? []).some((p) => p.in === 'header' && p.name === 'idempotency-key');
      (has ? keyed : unkeyed).push(`${method.toUpperCase()} ${path}`);
    }
  }
  t.same(unkeyed.sort(), ['DELETE /agents/{name}', 'POST /quotas/run'], 'the two documented exceptions');
  t.equal(keyed.length, 24);
});
