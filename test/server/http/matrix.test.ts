// The route security matrix: every route the app registers (collected by the onRoute hook
// in auth.ts, so a new route is in this list automatically) refuses an anonymous caller
// (401), a bad token (401) and a valid caller of the wrong kind (403), except the routes
// declared anonymous, which must be exactly the list below. A route registered without a
// declaration stops the app from starting.

import t from 'tap';
import type { FastifyPluginAsync } from 'fastify';
import { harness } from './harness.ts';
import { CONTENT_TYPE_PROTOBUF } from '../../../shared/protocol/index.ts';

/** The only routes anyone may call. Adding one here is a security decision: review it. */
const ANONYMOUS = ['GET /healthz'];

function concrete(url: string): string {
  return url.replace(/:[A-Za-z0-9_]+/g, 'x').replace(/\*$/, 'x');
}

t.test('every route refuses anonymous callers, bad tokens and the wrong kind of caller', async (t) => {
  const h = await harness(t);
  const routes = h.app.printgate.auth.routes;
  t.ok(routes.length >= 40, `the matrix sees every route (${routes.length})`);
  const anonymous = routes.filter((r) => r.auth === 'anonymous').map((r) => `${r.method} ${r.url}`).sort();
  t.same(anonymous, ANONYMOUS, 'exactly the reviewed routes are anonymous');

  const tokens: Record<string, string> = { admin: h.adminToken, agent: h.agentToken };
  for (const route of routes) {
    if (route.auth === 'anonymous') continue;
    const declared: readonly string[] = typeof route.auth === 'string' ? [route.auth] : route.auth;
    const url = concrete(route.url);
    const name = `${route.method} ${route.url}`;
    // A plausible body, so that nothing but authentication can refuse the request.
    const payload = route.method === 'GET' || route.method === 'DELETE' ? undefined : '{}';
    const base = { method: route.method as 'GET', url, ...(payload ? { payload, headers: { 'content-type': 'application/json' } } : {}) };

    const anon = await h.app.inject(base);
    t.equal(anon.statusCode, 401, `${name}: anonymous -> 401`);
    t.equal(anon.json().code, 'UNAUTHENTICATED', `${name}: anonymous code`);

    const bad = await h.app.inject({ ...base, headers: { ...(base.headers ?? {}), authorization: 'Bearer not-a-real-token-at-all' } });
    t.equal(bad.statusCode, 401, `${name}: bad token -> 401`);
    t.equal(bad.json().code, 'INVALID_TOKEN', `${name}: bad token code`);

    for (const [kind, token] of Object.entries(tokens)) {
      if (declared.includes(kind)) continue;
      const wrong = await h.app.inject({ ...base, headers: { ...(base.headers ?? {}), authorization: `Bearer ${token}` } });
      t.equal(wrong.statusCode, 403, `${name}: ${kind} token -> 403`);
      t.equal(wrong.json().code, 'FORBIDDEN', `${name}: ${kind} token code`);
    }
  }
});

t.test('agent routes answer refusals as ErrorBody protobuf to protobuf callers', async (t) => {
  const h = await harness(t);
  const res = await h.app.inject({ method: 'POST', url: '/api/agent/v1/authorize', headers: { 'content-type': CONTENT_TYPE_PROTOBUF, authorization: `Bearer ${h.adminToken}` }, payload: Buffer.alloc(0) });
  t.equal(res.statusCode, 403);
  t.equal(res.headers['content-type'], CONTENT_TYPE_PROTOBUF);
  const { pb } = await import('../../../shared/protocol/index.ts');
  t.equal(pb.ErrorBody.decode(res.rawPayload).code, 'FORBIDDEN');
});

t.test('a route without an auth declaration stops the app from starting', async (t) => {
  const undeclared: FastifyPluginAsync = async (app) => {
    app.get('/api/admin/v1/forgotten', async () => ({ secret: true }));
  };
  const { buildApp } = await import('../../../server/http/app.ts');
  const h = await harness(t);
  const app = buildApp(h.service, { adminTokenHash: Buffer.alloc(32), logLevel: 'silent', plugins: [{ plugin: undeclared }] });
  await t.rejects(async () => { await app.ready(); }, /no valid auth declaration/);
  await app.close().catch(() => {});
});

t.test('a declared plugin route joins the matrix', async (t) => {
  const extra: FastifyPluginAsync = async (app) => {
    app.get('/extra', { config: { auth: ['admin', 'user'] } }, async () => ({ ok: true }));
  };
  const h = await harness(t, { plugins: [{ plugin: extra }] });
  t.ok(h.app.printgate.auth.routes.some((r) => r.url === '/extra'));
  t.equal((await h.app.inject({ url: '/extra' })).statusCode, 401);
  t.equal((await h.app.inject({ url: '/extra', headers: { authorization: `Bearer ${h.agentToken}` } })).statusCode, 403);
  t.equal((await h.app.inject({ url: '/extra', headers: { authorization: `Bearer ${h.adminToken}` } })).statusCode, 200);
});

t.test('unknown routes are 404 NOT_FOUND; health needs nothing', async (t) => {
  const h = await harness(t);
  const nf = await h.app.inject({ url: '/nope' });
  t.equal(nf.statusCode, 404);
  t.same(nf.json(), { code: 'NOT_FOUND', message: 'Not found', status: 404 });
  const health = await h.app.inject({ url: '/healthz', headers: { authorization: 'Bearer garbage-token' } });
  t.equal(health.statusCode, 200);
  t.same(health.json(), { status: 'ok' });
});
