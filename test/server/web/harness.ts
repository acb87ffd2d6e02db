// Test harness for the web tools: the HTTP harness (real service, app.inject()) with the
// web plugin registered, plus helpers to set passwords, log in as a user or an admin
// (session cookie + CSRF token), call pages with the cookie, and make held jobs through
// the real agent API.

import type { LightMyRequestResponse } from 'fastify';
import { harness, job, type Harness } from '../http/harness.ts';
import { webPlugin, type WebOptions } from '../../../server/web/plugin.ts';
import { pb } from '../../../shared/protocol/index.ts';

interface Teardown { teardown(fn: () => unknown): void }

export interface Login {
  cookie: string;
  csrf: string;
}

export interface WebHarness extends Harness {
  setPassword(user: string, password: string): Promise<void>;
  setAdminPassword(password: string): Promise<void>;
  /** Log a user in through the JSON log-in; throws unless it succeeds. */
  loginUser(user: string, password: string): Promise<Login>;
  /** Log the admin in through the admin log-in form (double-submit token). */
  loginAdmin(password: string): Promise<Login>;
  get(url: string, login?: Login): Promise<LightMyRequestResponse>;
  /** A form POST with the session cookie; `_csrf` added unless given. */
  form(url: string, login: Login | undefined, fields: Record<string, string>): Promise<LightMyRequestResponse>;
  /** The agent registers queue q; the printer gets `patch`; returns after registering. */
  printer(patch: Record<string, unknown>): Promise<void>;
  /** Authorize a job for `user` on agent1/q; returns the decision and job id. */
  submit(user: string, key: string, pages?: number): Promise<{ decision: string; jobId: string; holdKind: string }>;
}

export function cookieOf(res: LightMyRequestResponse, name: string): string | undefined {
  const raw = res.headers['set-cookie'];
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  for (const c of list) {
    const m = new RegExp(`^${name}=([^;]*)`).exec(c);
    if (m) return m[1];
  }
  return undefined;
}

export async function webHarness(t: Teardown, options: WebOptions & { db?: string; trustProxy?: readonly string[] } = {}): Promise<WebHarness> {
  const { db, trustProxy, ...web } = options;
  const h = await harness(t, { ...(db ? { db } : {}), ...(trustProxy ? { trustProxy } : {}), plugins: [{ plugin: webPlugin, options: { env: {}, ...web } }] });
  const form = (url: string, login: Login | undefined, fields: Record<string, string>) => h.app.inject({
    method: 'POST', url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(login ? { cookie: login.cookie } : {}) },
    payload: new URLSearchParams({ ...(login ? { _csrf: login.csrf } : {}), ...fields }).toString(),
  });
  const w: WebHarness = {
    ...h,
    async setPassword(user, password) {
      const r = await h.admin('PUT', `/users/${encodeURIComponent(user)}/password`, { password });
      if (r.statusCode !== 204) throw new Error(`set password: ${r.statusCode} ${r.body}`);
    },
    async setAdminPassword(password) {
      const r = await h.admin('PUT', '/admin-password', { password });
      if (r.statusCode !== 204) throw new Error(`set admin password: ${r.statusCode} ${r.body}`);
    },
    async loginUser(user, password) {
      const r = await h.app.inject({ method: 'POST', url: '/api/user/v1/login', payload: { user, password } });
      if (r.statusCode !== 200) throw new Error(`login ${user}: ${r.statusCode} ${r.body}`);
      return { cookie: `printgate_user=${cookieOf(r, 'printgate_user')}`, csrf: r.json().csrf };
    },
    async loginAdmin(password) {
      const page = await h.app.inject({ url: '/admin' });
      const token = cookieOf(page, 'printgate_login')!;
      const r = await h.app.inject({
        method: 'POST', url: '/admin/login',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `printgate_login=${token}` },
        payload: new URLSearchParams({ _login: token, name: 'admin', password }).toString(),
      });
      if (r.statusCode !== 303) throw new Error(`admin login: ${r.statusCode} ${r.body}`);
      const cookie = `printgate_admin=${cookieOf(r, 'printgate_admin')}`;
      const dash = await h.app.inject({ url: '/admin/users', headers: { cookie } });
      const csrf = /name="_csrf" value="([^"]+)"/.exec(dash.body)?.[1];
      if (!csrf) throw new Error('no CSRF token on the admin page');
      return { cookie, csrf };
    },
    get: (url, login) => h.app.inject({ url, headers: login ? { cookie: login.cookie } : {} }),
    form,
    async printer(patch) {
      await h.agent('register', { hostname: 'ps1', printers: [{ queue: 'q' }] }, pb.RegisterResponse);
      const r = await h.admin('PATCH', `/printers/${encodeURIComponent('agent1/q')}`, patch);
      if (r.statusCode !== 200) throw new Error(r.body);
    },
    async submit(user, key, pages = 3) {
      const a = await h.agent('authorize', job(user, key, { pages }), pb.AuthorizeResponse);
      if (!a.body) throw new Error(JSON.stringify(a.error));
      const body = pb.AuthorizeResponse.toObject(a.body as never, { enums: String }) as Record<string, unknown>;
      return { decision: String(body.decision), jobId: String(body.jobId), holdKind: String(body.holdKind ?? '') };
    },
  };
  return w;
}
