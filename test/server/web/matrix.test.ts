// The route security matrix with the web tools registered: every page and API route
// declares its caller kind; only the reviewed routes (log-in pages and forms, static
// assets, health) are anonymous; every other route refuses visitors, bad tokens, and
// callers of the wrong kind, whether they come with a bearer token or a session cookie;
// and every mutation made with a session without its CSRF token is refused.

import t from 'tap';
import { webHarness } from './harness.ts';

/** The only routes anyone may call. Adding one here is a security decision: review it. */
const ANONYMOUS = [
  'GET /', 'GET /admin', 'GET /healthz', 'GET /static/:name', 'POST /admin/login', 'POST /api/user/v1/login', 'POST /login',
];

const PW = 'matrix-password-1';

function concrete(url: string): string {
  return url.replace(/:[A-Za-z0-9_]+/g, '1').replace(/\*$/, 'x');
}

t.test('every web route declares its caller and refuses everyone else', async (t) => {
  const h = await webHarness(t);
  await h.setAdminPassword(PW);
  await h.admin('POST', '/users', { name: 'alice' });
  await h.setPassword('alice', PW);
  const sessions = { user: await h.loginUser('alice', PW), admin: await h.loginAdmin(PW) };
  const tokens: Record<string, string> = { admin: h.adminToken, agent: h.agentToken };

  const routes = h.app.printgate.auth.routes;
  const anonymous = routes.filter((r) => r.auth === 'anonymous').map((r) => `${r.method} ${r.url}`).sort();
  t.same(anonymous, ANONYMOUS, 'exactly the reviewed routes are anonymous');
  t.ok(routes.some((r) => r.url === '/admin/jobs.csv') && routes.some((r) => r.url === '/api/user/v1/events'), 'pages and the user API are in the matrix');

  for (const route of routes) {
    if (route.auth === 'anonymous') continue;
    const declared: readonly string[] = typeof route.auth === 'string' ? [route.auth] : route.auth;
    const name = `${route.method} ${route.url}`;
    const json = route.url.startsWith('/api/');
    const payload = route.method === 'GET' || route.method === 'DELETE' ? undefined : '{}';
    const base = { method: route.method as 'GET', url: concrete(route.url), ...(payload ? { payload } : {}) };
    const headers = (extra: Record<string, string>) => ({ ...(payload ? { 'content-type': 'application/json' } : {}), ...extra });

    const anon = await h.app.inject({ ...base, headers: headers({}) });
    t.equal(anon.statusCode, 401, `${name}: visitor -> 401`);
    if (json) t.equal(anon.json().code, 'UNAUTHENTICATED', `${name}: visitor code`);
    const bad = await h.app.inject({ ...base, headers: headers({ authorization: 'Bearer not-a-real-token-at-all' }) });
    t.equal(bad.statusCode, 401, `${name}: bad token -> 401`);

    for (const [kind, token] of Object.entries(tokens)) {
      if (declared.includes(kind)) continue;
      const wrong = await h.app.inject({ ...base, headers: headers({ authorization: `Bearer ${token}` }) });
      t.equal(wrong.statusCode, 403, `${name}: ${kind} token -> 403`);
    }
    const tokenOnly = route.url.startsWith('/api/admin/') || route.url.startsWith('/api/agent/');
    for (const [kind, login] of Object.entries(sessions)) {
      if (!tokenOnly && declared.includes(kind) && !payload) continue; // allowed: nothing to refuse
      const res = await h.app.inject({ ...base, headers: headers({ cookie: login.cookie }) });
      if (tokenOnly) {
        t.equal(res.statusCode, 401, `${name}: a ${kind} session cookie opens no token API`);
      } else if (!declared.includes(kind)) {
        t.equal(res.statusCode, 403, `${name}: ${kind} session -> 403`);
      } else if (payload) {
        t.equal(res.statusCode, 403, `${name}: ${kind} session without the CSRF token -> 403`);
        t.match(res.body, /CSRF_FAILED/, `${name}: CSRF_FAILED`);
      }
    }
  }
});
