// The web tools as one Fastify plugin: user pages at `/`, admin pages at `/admin`, the
// user API and live events at `/api/user/v1`, password routes on the admin API, and the
// static assets. It adds the session-cookie resolver to the app's Authenticator, parses
// HTML forms, checks CSRF on every mutation made with a session, and answers errors as
// HTML pages (JSON under /api/). startServer() registers it, so `npm start` serves it.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { PrintgateError } from '../../shared/errors.ts';
import { jsonErrorHandler, logInternalError, toErrorAnswer } from '../http/errors.ts';
import type { Storage } from '../storage/port.ts';
import { adminManage } from './admin-manage.ts';
import { adminPages } from './admin-pages.ts';
import { adminRecords } from './admin-records.ts';
import { Answers } from './answers.ts';
import { ClaimHostRule } from './claim-host.ts';
import { setPassword, type WebContext } from './context.ts';
import { html } from './html.ts';
import { page, sendPage } from './layout.ts';
import { hashPassword, passwordProblem } from './password.ts';
import { RateLimiter } from './rate-limit.ts';
import { checkCsrf, DEFAULT_LIMITS, LoginService, sessionResolver, type LimitOptions } from './session.ts';
import { WebStore } from './store.ts';
import { livePage, loginPage, passwordPage, userPages } from './user-pages.ts';
import { userApi } from './user-api.ts';

export interface WebOptions {
  /** Environment read at start: PRINTGATE_ADMIN_PASSWORD sets the first admin password. */
  env?: NodeJS.ProcessEnv;
  limits?: Partial<LimitOptions>;
  /** Session lifetime (default 8 hours). */
  sessionTtlMs?: number;
  /** Live client re-read interval (default 1000 ms). */
  livePollMs?: number;
  /** Host rule for claims through the user client (tests give a resolver). */
  claimHosts?: ClaimHostRule;
}

const STATIC_DIR = join(import.meta.dirname, 'static');
const ASSETS: Record<string, string> = { 'style.css': 'text/css; charset=utf-8', 'client.js': 'text/javascript; charset=utf-8' };
const FORM_LIMIT = 64 * 1024;

/** The storage behind the service (openService exposes it). */
function storageOf(app: FastifyInstance): Storage {
  const storage = (app.printgate.service as { storage?: Storage }).storage;
  if (!storage) throw new Error('the web tools need a service opened by openService() (it exposes its storage)');
  return storage;
}

export const webPlugin: FastifyPluginAsync<WebOptions> = async (app, options) => {
  const { service, auth } = app.printgate;
  const store = new WebStore(storageOf(app));
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const sessionTtlMs = options.sessionTtlMs ?? 8 * 3600_000;
  const allowed = async (kind: 'user' | 'admin', name: string) => {
    if (kind === 'admin') return true;
    const user = await service.findUser(name);
    return user !== null && !user.disabled;
  };
  const ctx: WebContext = {
    service, store,
    logins: {
      user: new LoginService({ store, limits, sessionTtlMs, allowed }),
      admin: new LoginService({ store, limits, sessionTtlMs, allowed }),
    },
    answers: new Answers(service, store.db, options.claimHosts ?? new ClaimHostRule()),
    cardLimiter: new RateLimiter({ limit: limits.perUser, windowMs: limits.windowMs }),
    livePollMs: options.livePollMs ?? 1000,
  };

  // The first admin password may come from the environment; it never overwrites one.
  const envPassword = options.env?.PRINTGATE_ADMIN_PASSWORD;
  if (envPassword && !(await store.hasAnyAdminPassword())) {
    const problem = passwordProblem(envPassword);
    if (problem) throw new Error(`PRINTGATE_ADMIN_PASSWORD: ${problem}`);
    await store.setPassword('admin', 'admin', await hashPassword(envPassword));
  }

  auth.addResolver(sessionResolver(store));
  const sweep = setInterval(() => { store.deleteExpiredSessions().catch(() => {}); }, 3600_000);
  sweep.unref();
  app.addHook('onClose', async () => clearInterval(sweep));

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_LIMIT }, (_req, text, done) => {
    const out: Record<string, string> = {};
    for (const [k, v] of new URLSearchParams(String(text))) if (!(k in out)) out[k] = v;
    done(null, out);
  });
  app.addHook('preHandler', async (request) => checkCsrf(request));
  app.setErrorHandler((err: FastifyError, request, reply) => errorPage(err, request, reply));

  const assets = new Map(Object.keys(ASSETS).map((name) => [name, readFileSync(join(STATIC_DIR, name))]));
  app.get<{ Params: { name: string } }>('/static/:name', { config: { auth: 'anonymous' } }, async (request, reply) => {
    const body = assets.get(request.params.name);
    if (!body) throw new PrintgateError('NOT_FOUND');
    return reply.type(ASSETS[request.params.name]!).header('cache-control', 'public, max-age=3600').send(body);
  });

  await userPages(app, ctx);
  await livePage(app);
  await passwordPage(app, ctx);
  await userApi(app, ctx);
  await adminPages(app, ctx);
  await adminRecords(app, ctx);
  await adminManage(app, ctx);

  // Password routes on the admin API (`printgate cmd set-user-password / set-admin-password`).
  const PASSWORD_BODY = { type: 'object', properties: { password: { type: 'string', minLength: 1, maxLength: 1024 } }, required: ['password'], additionalProperties: false } as const;
  app.put<{ Params: { name: string }; Body: { password: string } }>('/api/admin/v1/users/:name/password', {
    config: { auth: 'admin' },
    schema: { params: { type: 'object', properties: { name: { type: 'string', minLength: 1, maxLength: 200 } }, required: ['name'] }, body: PASSWORD_BODY },
  }, async (request, reply) => {
    await setPassword(ctx, 'user', request.params.name, request.body.password);
    return reply.code(204).send();
  });
  app.put<{ Body: { password: string } }>('/api/admin/v1/admin-password', { config: { auth: 'admin' }, schema: { body: PASSWORD_BODY } }, async (request, reply) => {
    await setPassword(ctx, 'admin', 'admin', request.body.password);
    return reply.code(204).send();
  });
};

/** Errors as HTML pages for people, JSON for the APIs; a missing session shows the log-in. */
function errorPage(err: FastifyError, request: FastifyRequest, reply: FastifyReply): unknown {
  if (request.url.startsWith('/api/')) return jsonErrorHandler(err, request, reply);
  const { answer, internal } = toErrorAnswer(err);
  if (internal) logInternalError(request, err);
  const area = request.url === '/admin' || request.url.startsWith('/admin/') ? 'admin' : 'user';
  if (answer.status === 401 && request.method === 'GET') return loginPage(request, reply, area, undefined, 401);
  const back = area === 'admin' ? '/admin' : '/';
  return sendPage(reply, page({ title: 'Something went wrong', area },
    html`<section><p class="notice error" role="alert">${answer.message}</p><p class="muted">(${answer.code})</p>
      <p><a href="${back}">Back</a></p></section>`), answer.status);
}
