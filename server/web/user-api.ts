// The user API behind the live client page and `printgate client`: JSON log-in (a session
// cookie plus the CSRF token the client must send in `x-csrf-token`), the user's state
// (balances, low-credit warning, held jobs and the question each asks, the accounts they
// may choose), answers to held jobs, and `GET /api/user/v1/events`, a Server-Sent Events
// stream that pushes the state whenever it changes and each newly denied job with its
// reason. The stream re-reads the state every `livePollMs` (default 1 s): simple, and it
// sees changes made by any server process sharing the database.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PrintgateError } from '../../shared/errors.ts';
import type { Job } from '../service/types.ts';
import { question } from './answers.ts';
import { moneyFormat, userOf, type MoneyFormat, type WebContext } from './context.ts';

export interface HeldQuestion {
  jobId: string;
  title: string;
  printer: string;
  pages: number | null;
  copies: number;
  cost: string;
  holdKind: string;
  question: string;
  host: string;
  /** When the server cancels it (uncharged) if nobody answers; ISO time or null. */
  expiresAt: string | null;
}

export interface UserState {
  user: string;
  currency: string;
  balances: Array<{ account: string; balance: string; available: string }>;
  lowBalance: boolean;
  threshold: string;
  held: HeldQuestion[];
  accounts: Array<{ name: string; shared: boolean; hasPin: boolean }>;
}

export interface DeniedNotice {
  jobId: string;
  title: string;
  printer: string;
  reasonCode: string;
  reason: string;
}

function held(job: Job, m: MoneyFormat, expiries: Map<string, number>): HeldQuestion {
  const expires = expiries.get(job.id);
  return {
    expiresAt: expires === undefined ? null : new Date(expires).toISOString(),
    jobId: job.id, title: job.title, printer: job.printer, pages: job.pages, copies: job.copies, cost: m.fmt(job.costMinor),
    holdKind: job.holdKind ?? 'RELEASE', question: question(job.holdKind, m.fmt(job.costMinor), m.currency), host: job.host,
  };
}

export async function userState(ctx: WebContext, user: string): Promise<UserState> {
  const m = await moneyFormat(ctx.service);
  const [balances, jobs, choices, threshold, expiries] = await Promise.all([
    ctx.service.listBalances(user), ctx.service.listHeldJobs(user), ctx.answers.choices(user), ctx.service.getConfigValue('low-balance.threshold'),
    ctx.answers.holdExpiries(user),
  ]);
  return {
    user, currency: m.currency,
    balances: balances.map((b) => ({ account: b.account, balance: m.fmt(b.balanceMinor), available: m.fmt(b.availableMinor) })),
    // The warning is about the user's default (first) personal account.
    lowBalance: balances.length > 0 && balances[0]!.availableMinor < m.parse(threshold.value, 'threshold'),
    threshold: threshold.value,
    held: jobs.map((j) => held(j, m, expiries)),
    accounts: choices.map(({ name, shared, hasPin }) => ({ name, shared, hasPin })),
  };
}

async function deniedSince(ctx: WebContext, user: string, afterId: number): Promise<{ notices: DeniedNotice[]; lastId: number }> {
  const page = await ctx.service.listJobs({ user, limit: 20 });
  let lastId = afterId;
  const notices: DeniedNotice[] = [];
  for (const j of [...page.items].reverse()) {
    const id = Number(j.id);
    if (id <= afterId) continue;
    lastId = Math.max(lastId, id);
    if (j.decision === 'DENY') notices.push({ jobId: j.id, title: j.title, printer: j.printer, reasonCode: j.reasonCode, reason: j.reason });
  }
  return { notices, lastId };
}

const ID_PARAMS = { type: 'object', properties: { id: { type: 'string', pattern: '^[0-9]{1,18}$' } }, required: ['id'] } as const;
const ANSWER_BODY = {
  type: ['object', 'null'],
  properties: { account: { type: 'string', maxLength: 200 }, pin: { type: 'string', maxLength: 64 } },
  additionalProperties: false,
} as const;

export async function userApi(app: FastifyInstance, ctx: WebContext): Promise<void> {
  const P = '/api/user/v1';

  app.post<{ Body: { user: string; password: string } }>(`${P}/login`, {
    config: { auth: 'anonymous' },
    schema: {
      body: {
        type: 'object', additionalProperties: false, required: ['user', 'password'],
        properties: { user: { type: 'string', minLength: 1, maxLength: 200 }, password: { type: 'string', minLength: 1, maxLength: 1024 } },
      },
    },
  }, async (request, reply) => {
    const s = await ctx.logins.user.login(request, reply, 'user', request.body.user, request.body.password);
    return { user: s.name, csrf: s.csrf, expiresAt: new Date(s.expiresAt).toISOString() };
  });

  app.post(`${P}/logout`, { config: { auth: 'user' } }, async (request, reply) => {
    await ctx.logins.user.logout(request, reply, 'user');
    return reply.code(204).send();
  });

  app.get(`${P}/state`, { config: { auth: 'user' } }, async (request) => userState(ctx, userOf(request)));

  app.post<{ Params: { id: string }; Body: { account?: string; pin?: string } | null }>(`${P}/jobs/:id/release`, {
    config: { auth: 'user' }, schema: { params: ID_PARAMS, body: ANSWER_BODY },
  }, async (request) => {
    // The client's address: the socket's peer, or, when that peer is a trusted proxy
    // (--trust-proxy), the client it names in X-Forwarded-For. Claims through the client
    // must come from the job's host.
    const job = await ctx.answers.release(userOf(request), request.params.id, request.body ?? {}, request.ip);
    return { jobId: job.id, status: job.status, account: job.account };
  });

  app.post<{ Params: { id: string } }>(`${P}/jobs/:id/cancel`, { config: { auth: 'user' }, schema: { params: ID_PARAMS } }, async (request) => {
    const job = await ctx.answers.cancel(userOf(request), request.params.id);
    return { jobId: job.id, status: job.status };
  });

  app.get(`${P}/events`, { config: { auth: 'user' } }, async (request, reply) => {
    const user = userOf(request);
    reply.hijack();
    await stream(ctx, app, request, reply, user);
  });
}

/** The SSE loop: state on change, denials as they happen, a comment line as keep-alive. */
async function stream(ctx: WebContext, app: FastifyInstance, request: FastifyRequest, reply: { raw: import('node:http').ServerResponse }, user: string): Promise<void> {
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no', connection: 'keep-alive',
  });
  const stop = new AbortController();
  request.raw.once('close', () => stop.abort());
  const closing = app.printgate.closing;
  const onClosing = () => stop.abort();
  closing.addEventListener('abort', onClosing);
  const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);

  let lastState = '';
  // Start from the newest job the user has now: only later denials are news.
  let lastId = (await ctx.service.listJobs({ user, limit: 1 })).items.map((j) => Number(j.id))[0] ?? 0;
  let beat = 0;
  try {
    const sessionId = request.webSession?.id;
    while (!stop.signal.aborted) {
      // A log-out or a password change ends the stream too, not only new requests.
      if (sessionId !== undefined && !(await ctx.store.findSession(sessionId))) {
        send('error', { message: 'the session ended' });
        break;
      }
      const state = await userState(ctx, user);
      const text = JSON.stringify(state);
      if (text !== lastState) {
        send('state', state);
        lastState = text;
      }
      const d = await deniedSince(ctx, user, lastId);
      lastId = d.lastId;
      for (const n of d.notices) send('denied', n);
      if (++beat * ctx.livePollMs >= 15_000) {
        res.write(': keep-alive\n\n');
        beat = 0;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, ctx.livePollMs);
        stop.signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
      });
    }
  } catch (err) {
    if (!(err instanceof PrintgateError)) request.log.error({ err }, 'event stream failed');
    if (!res.writableEnded) send('error', { message: err instanceof PrintgateError ? err.message : 'internal error' });
  } finally {
    closing.removeEventListener('abort', onClosing);
    if (!res.writableEnded) res.end();
  }
}
