// The user web tools at `/`: log-in (the only page an anonymous visitor sees), balances
// with held jobs and their questions (release, confirm, choose the account, claim,
// cancel), job history, transactions, and top-up card redemption. Server-rendered; every
// form posts with the session's CSRF token and answers with a redirect (POST/redirect/GET).

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PrintgateError } from '../../shared/errors.ts';
import type { Job } from '../service/types.ts';
import { question } from './answers.ts';
import { csrfOf, field, moneyFormat, setPassword, userOf, type MoneyFormat, type WebContext } from './context.ts';
import { html, type Html } from './html.ts';
import { passwordProblem, verifyPassword } from './password.ts';
import { RateLimiter } from './rate-limit.ts';
import { hidden, notice, page, sendPage, when } from './layout.ts';
import { checkLoginToken, loginToken } from './session.ts';

/** Messages shown after a redirect: fixed texts by key, never text from the URL. */
const MESSAGES: Record<string, ['ok' | 'error', string]> = {
  released: ['ok', 'The job was sent to the printer.'],
  cancelled: ['ok', 'The job was cancelled; nothing was charged.'],
  redeemed: ['ok', 'The card was redeemed.'],
  'password-changed': ['ok', 'Your password was changed; log in with the new one.'],
};

export function flash(request: FastifyRequest): Html | '' {
  const key = (request.query as Record<string, unknown> | undefined)?.msg;
  const m = typeof key === 'string' ? MESSAGES[key] : undefined;
  return m ? notice(m[0], m[1]) : '';
}

export function loginPage(request: FastifyRequest, reply: FastifyReply, area: 'user' | 'admin', error?: string, status = error ? 401 : 200): FastifyReply {
  const token = loginToken(request, reply);
  const action = area === 'admin' ? '/admin/login' : '/login';
  const body = html`<section class="login" aria-labelledby="login-h">
    <h2 id="login-h">${area === 'admin' ? 'Administrator log-in' : 'Log in to see your balance and jobs'}</h2>
    ${error ? notice('error', error) : flash(request)}
    <form method="post" action="${action}">
      ${hidden('_login', token)}
      <label for="name">${area === 'admin' ? 'Administrator' : 'User name'}</label>
      <input id="name" name="name" type="text" autocomplete="username" required autofocus value="${area === 'admin' ? 'admin' : ''}">
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required>
      <button type="submit">Log in</button>
    </form></section>`;
  return sendPage(reply, page({ title: 'Log in', area }, body), status);
}

function jobRow(job: Job, m: MoneyFormat): Html {
  return html`<tr><td>${when(job.createdAt)}</td><td>${job.title || '(untitled)'}</td><td>${job.printer}</td>
    <td class="num">${job.pages ?? '?'}</td><td class="num">${job.copies}</td><td>${job.colorImpressions > 0 ? 'colour' : 'grey'}</td>
    <td class="num">${m.fmt(job.costMinor - job.refundedMinor)}</td><td>${job.status}${job.reason ? html`<br><span class="muted">${job.reason}</span>` : ''}</td></tr>`;
}

const JOB_HEAD = html`<thead><tr><th scope="col">When</th><th scope="col">Document</th><th scope="col">Printer</th><th scope="col" class="num">Pages</th>
  <th scope="col" class="num">Copies</th><th scope="col">Colour</th><th scope="col" class="num">Cost</th><th scope="col">Status</th></tr></thead>`;

/** One held job with its question and the answers the user may give. */
export function heldJob(job: Job, m: MoneyFormat, csrf: string, choices: Array<{ name: string; shared: boolean; hasPin: boolean }>, expiresMs?: number): Html {
  const ask = question(job.holdKind, m.fmt(job.costMinor), m.currency);
  const chooser = job.holdKind === 'CHOOSE_ACCOUNT'
    ? html`<label for="acc-${job.id}">Account</label><select id="acc-${job.id}" name="account">${choices.map((c) =>
      html`<option value="${c.name}">${c.name}${c.shared ? ' (shared)' : ''}</option>`)}</select>
      ${choices.some((c) => c.hasPin) ? html`<label for="pin-${job.id}">PIN (accounts that have one)</label><input id="pin-${job.id}" name="pin" type="password" autocomplete="off">` : ''}`
    : '';
  const go = job.holdKind === 'CONFIRM' ? 'Print' : job.holdKind === 'CLAIM' ? 'Claim and print' : job.holdKind === 'CHOOSE_ACCOUNT' ? 'Print' : 'Release';
  return html`<div class="card question" data-job="${job.id}"><p><strong>${job.title || '(untitled)'}</strong> on ${job.printer},
    ${job.pages ?? '?'} page(s) × ${job.copies}<br>${ask}
    ${expiresMs ? html`<br><span class="muted">Cancelled without charge at ${when(new Date(expiresMs).toISOString())} UTC if nobody answers.</span>` : ''}</p>
    <form method="post" action="/jobs/${job.id}/release" class="inline">${hidden('_csrf', csrf)}${chooser}
      <button type="submit" aria-label="${go} ${job.title || 'untitled'}">${go}</button></form>
    <form method="post" action="/jobs/${job.id}/cancel" class="inline">${hidden('_csrf', csrf)}<button type="submit" class="secondary" aria-label="Cancel ${job.title || 'untitled'}">Cancel</button></form></div>`;
}

export async function userPages(app: FastifyInstance, ctx: WebContext): Promise<void> {
  const { service } = ctx;

  app.get('/', { config: { auth: 'anonymous' } }, async (request, reply) => {
    if (request.caller?.kind !== 'user') return loginPage(request, reply, 'user');
    const user = userOf(request);
    const m = await moneyFormat(service);
    const [balances, held, recent, choices, threshold, expiries] = await Promise.all([
      service.listBalances(user), service.listHeldJobs(user), service.listJobs({ user, limit: 10 }),
      ctx.answers.choices(user), service.getConfigValue('low-balance.threshold'), ctx.answers.holdExpiries(user),
    ]);
    const low = balances.length > 0 && balances[0]!.availableMinor < m.parse(threshold.value, 'threshold');
    const body = html`${flash(request)}
      ${low ? notice('warn', `Your balance is low (below ${threshold.value} ${m.currency}).`) : ''}
      <div class="cards">${balances.map((b) => html`<div class="card"><h2>${b.account}</h2>
        <p class="big" data-balance="${b.account}">${m.fmt(b.balanceMinor)} ${m.currency}</p>
        ${b.reservedMinor ? html`<p class="muted">${m.fmt(b.reservedMinor)} reserved for jobs printing now</p>` : ''}</div>`)}</div>
      <h2 id="held-h">Held jobs</h2>
      <section aria-labelledby="held-h">${held.length === 0 ? html`<p>No job is waiting for you.</p>`
        : held.map((j) => heldJob(j, m, csrfOf(request), choices, expiries.get(j.id)))}</section>
      <h2>Recent jobs</h2><div class="table"><table>${JOB_HEAD}<tbody>${recent.items.map((j) => jobRow(j, m))}</tbody></table></div>
      <p><a href="/jobs">All jobs</a></p>`;
    return sendPage(reply, page({ title: 'Your balance', area: 'user', who: { name: user, csrf: csrfOf(request) }, current: '/' }, body));
  });

  app.post('/login', { config: { auth: 'anonymous' } }, async (request, reply) => {
    checkLoginToken(request, field(request.body, '_login'));
    try {
      await ctx.logins.user.login(request, reply, 'user', field(request.body, 'name').trim(), field(request.body, 'password'));
    } catch (err) {
      if (err instanceof PrintgateError && (err.code === 'INVALID_TOKEN' || err.code === 'RATE_LIMITED')) {
        return loginPage(request, reply, 'user', err.message, err.status);
      }
      throw err;
    }
    return reply.redirect('/', 303);
  });

  app.post('/logout', { config: { auth: 'user' } }, async (request, reply) => {
    await ctx.logins.user.logout(request, reply, 'user');
    return reply.redirect('/', 303);
  });

  app.get('/jobs', { config: { auth: 'user' } }, async (request, reply) => {
    const user = userOf(request);
    const cursor = (request.query as Record<string, unknown>).cursor;
    const m = await moneyFormat(service);
    const jobs = await service.listJobs({ user, limit: 50, cursor: typeof cursor === 'string' ? cursor : null });
    const body = html`<div class="table"><table>${JOB_HEAD}<tbody>${jobs.items.map((j) => jobRow(j, m))}</tbody></table></div>
      <div class="pager">${jobs.nextCursor ? html`<a href="/jobs?cursor=${encodeURIComponent(jobs.nextCursor)}">Older jobs</a>` : ''}</div>`;
    return sendPage(reply, page({ title: 'Your jobs', area: 'user', who: { name: user, csrf: csrfOf(request) }, current: '/jobs' }, body));
  });

  app.get('/transactions', { config: { auth: 'user' } }, async (request, reply) => {
    const user = userOf(request);
    const cursor = (request.query as Record<string, unknown>).cursor;
    const m = await moneyFormat(service);
    const txs = await service.listTransactions({ user, limit: 50, cursor: typeof cursor === 'string' ? cursor : null });
    const body = html`<div class="table"><table><thead><tr><th scope="col">When</th><th scope="col">Account</th><th scope="col">Kind</th>
      <th scope="col" class="num">Amount</th><th scope="col" class="num">Balance after</th><th scope="col">Comment</th></tr></thead><tbody>
      ${txs.items.map((t) => html`<tr><td>${when(t.createdAt)}</td><td>${t.account}</td><td>${t.kind}</td><td class="num">${m.fmt(t.amountMinor)}</td>
        <td class="num">${m.fmt(t.balanceAfterMinor)}</td><td>${t.comment}${t.jobId ? ` (job ${t.jobId})` : ''}</td></tr>`)}</tbody></table></div>
      <div class="pager">${txs.nextCursor ? html`<a href="/transactions?cursor=${encodeURIComponent(txs.nextCursor)}">Older</a>` : ''}</div>`;
    return sendPage(reply, page({ title: 'Your transactions', area: 'user', who: { name: user, csrf: csrfOf(request) }, current: '/transactions' }, body));
  });

  const ID = { type: 'object', properties: { id: { type: 'string', pattern: '^[0-9]{1,18}$' } }, required: ['id'] } as const;
  app.post<{ Params: { id: string } }>('/jobs/:id/release', { config: { auth: 'user' }, schema: { params: ID } }, async (request, reply) => {
    const pin = field(request.body, 'pin');
    await ctx.answers.release(userOf(request), request.params.id, { account: field(request.body, 'account'), ...(pin ? { pin } : {}) });
    return reply.redirect('/?msg=released', 303);
  });

  app.post<{ Params: { id: string } }>('/jobs/:id/cancel', { config: { auth: 'user' }, schema: { params: ID } }, async (request, reply) => {
    await ctx.answers.cancel(userOf(request), request.params.id);
    return reply.redirect('/?msg=cancelled', 303);
  });

  const cardsPage = (request: FastifyRequest, reply: FastifyReply, message?: Html | '', status = 200) => {
    const user = userOf(request);
    const body = html`${flash(request)}${message ?? ''}<section><form method="post" action="/cards">${hidden('_csrf', csrfOf(request))}
      <label for="code">Card number</label><input id="code" name="code" type="text" autocomplete="off" required placeholder="XXXX-XXXX-XXXX-XXXX">
      <p><button type="submit">Redeem</button></p></form></section>`;
    return sendPage(reply, page({ title: 'Redeem a top-up card', area: 'user', who: { name: user, csrf: csrfOf(request) }, current: '/cards' }, body), status);
  };
  app.get('/cards', { config: { auth: 'user' } }, async (request, reply) => cardsPage(request, reply));
  app.post('/cards', { config: { auth: 'user' } }, async (request, reply) => {
    const user = userOf(request);
    if (ctx.cardLimiter.retryAfter(user) > 0) return cardsPage(request, reply, notice('error', 'Too many wrong card numbers; try again later.'), 429);
    try {
      await ctx.store.redeemCard(field(request.body, 'code'), user);
    } catch (err) {
      if (err instanceof PrintgateError && err.code === 'CARD_INVALID') {
        ctx.cardLimiter.hit(user);
        return cardsPage(request, reply, notice('error', err.message), 404);
      }
      throw err;
    }
    return reply.redirect('/?msg=redeemed', 303);
  });
}

/** A user changes their own password (the current one is required; tries are limited). */
export async function passwordPage(app: FastifyInstance, ctx: WebContext): Promise<void> {
  const tries = new RateLimiter({ limit: 5, windowMs: 15 * 60_000 });
  const form = (request: FastifyRequest, reply: FastifyReply, error?: string, status = 200) => {
    const user = userOf(request);
    const body = html`${notice('error', error)}<section><form method="post" action="/password">${hidden('_csrf', csrfOf(request))}
      <label for="current">Current password</label><input id="current" name="current" type="password" autocomplete="current-password" required>
      <label for="new">New password (at least 8 characters)</label><input id="new" name="password" type="password" autocomplete="new-password" minlength="8" required>
      <label for="again">New password again</label><input id="again" name="again" type="password" autocomplete="new-password" minlength="8" required>
      <p><button type="submit">Change the password</button></p></form></section>`;
    return sendPage(reply, page({ title: 'Change your password', area: 'user', who: { name: user, csrf: csrfOf(request) }, current: '/password' }, body), status);
  };
  app.get('/password', { config: { auth: 'user' } }, async (request, reply) => form(request, reply));
  app.post('/password', { config: { auth: 'user' } }, async (request, reply) => {
    const user = userOf(request);
    if (tries.retryAfter(user) > 0) return form(request, reply, 'Too many wrong passwords; try again later.', 429);
    const stored = await ctx.store.passwordHash('user', user);
    if (!stored || !(await verifyPassword(field(request.body, 'current'), stored))) {
      tries.hit(user);
      return form(request, reply, 'The current password is wrong.', 403);
    }
    const next = field(request.body, 'password');
    if (next !== field(request.body, 'again')) return form(request, reply, 'The two new passwords differ.', 400);
    const problem = passwordProblem(next);
    if (problem) return form(request, reply, `The new password is not acceptable: ${problem}.`, 400);
    // Every session of the user ends, this one included: log in again with the new password.
    await setPassword(ctx, 'user', user, next);
    await ctx.logins.user.logout(request, reply, 'user');
    return reply.redirect('/?msg=password-changed', 303);
  });
}

/** The live client page: the markup the script fills from the event stream. */
export async function livePage(app: FastifyInstance): Promise<void> {
  app.get('/client', { config: { auth: 'user' } }, async (request, reply) => {
    const user = userOf(request);
    const body = html`<div id="live" data-csrf="${csrfOf(request)}">
      <p class="muted">Status: <span id="live-status" role="status">Connecting…</span></p>
      <p id="live-warning" class="notice warn" role="alert" hidden></p>
      <div id="live-balances" class="cards" aria-live="polite"></div>
      <h2>Questions from the printers</h2>
      <p id="live-none">Nothing is waiting for you.</p>
      <div id="live-questions"></div>
      <h2>Refused jobs</h2><ul id="live-denied" aria-live="assertive"></ul>
      <noscript><p>The live client needs JavaScript; <a href="/">the balance page</a> works without it.</p></noscript></div>`;
    return sendPage(reply, page({ title: 'Live client', area: 'user', who: { name: user, csrf: csrfOf(request) }, current: '/client', script: 'client.js' }, body));
  });
}
