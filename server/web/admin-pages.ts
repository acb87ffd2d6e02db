// Admin pages at `/admin`: log-in (the only admin page a visitor sees), the dashboard,
// printers (price, restrictions, failure mode, release/confirm/claim, watermark) and users
// (create, password, balance). Every change is a form POST with the session's CSRF token
// and goes through the PrintService, with the administrator as the ledger's actor.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PrintgateError } from '../../shared/errors.ts';
import { BILLING_MODES, FAILURE_MODES } from '../domain/types.ts';
import type { CostModel, Printer, Restrictions, UpdatePrinterInput } from '../service/types.ts';
import { adminOf, csrfOf, field, moneyFormat, setPassword, type MoneyFormat, type WebContext } from './context.ts';
import { dashboard, environment, pagesChart } from './dashboard.ts';
import { html, type Html } from './html.ts';
import { hidden, notice, page, sendPage, when } from './layout.ts';
import { checkLoginToken } from './session.ts';
import { loginPage } from './user-pages.ts';

const ADMIN_MESSAGES: Record<string, string> = {
  saved: 'Saved.', created: 'Created.', password: 'The password was set; that person\'s other sessions ended.',
  adjusted: 'The balance was adjusted.', refunded: 'The refund was booked.',
};

export function adminShell(request: FastifyRequest, title: string, current: string) {
  const c = request.caller;
  return { title, area: 'admin' as const, current, who: { name: c?.kind === 'admin' ? c.name : '', csrf: csrfOf(request) } };
}

export function adminFlash(request: FastifyRequest): Html | '' {
  const key = (request.query as Record<string, unknown> | undefined)?.msg;
  return typeof key === 'string' && ADMIN_MESSAGES[key] ? notice('ok', ADMIN_MESSAGES[key]) : '';
}

const checked = (on: boolean): Html | '' => (on ? html` checked` : '');

function priceOf(model: CostModel, m: MoneyFormat): string {
  return m.fmt(model.type === 'simple' ? model.perPageMinor : model.defaultMinor);
}

/** The page's two-price form of a model: a table of exactly one colour row is "colour price". */
function colourPriceOf(model: CostModel, m: MoneyFormat): string {
  if (model.type !== 'table' || model.rows.length !== 1) return '';
  const r = model.rows[0]!;
  return r.color === true && r.duplex === null && r.media === null ? m.fmt(r.perPageMinor) : '';
}

/** Other tables (by duplex or paper size) are edited with the admin API; this page shows them only. */
function isOtherTable(model: CostModel, m: MoneyFormat): boolean {
  return model.type === 'table' && colourPriceOf(model, m) === '';
}

/**
 * The cost model a saved printer form asks for. When both price fields still show what the
 * page showed, the printer keeps its model as it is: a price table made with the admin
 * API (by duplex or paper size) survives saving the printer's other settings.
 */
export function submittedCostModel(current: CostModel, price: string, colourPrice: string, m: MoneyFormat): CostModel {
  const shownColour = colourPriceOf(current, m);
  const samePrice = m.parse(price, 'price') === m.parse(priceOf(current, m), 'price');
  const sameColour = colourPrice.trim() === ''
    ? shownColour === ''
    : shownColour !== '' && m.parse(colourPrice, 'colour price') === m.parse(shownColour, 'colour price');
  return samePrice && sameColour ? current : costModelFrom(price, colourPrice, m);
}

export function costModelFrom(price: string, colourPrice: string, m: MoneyFormat): CostModel {
  const perPageMinor = m.parse(price, 'price');
  if (!colourPrice.trim()) return { type: 'simple', perPageMinor };
  return { type: 'table', defaultMinor: perPageMinor, rows: [{ color: true, duplex: null, media: null, perPageMinor: m.parse(colourPrice, 'colour price') }] };
}

function printerForm(p: Printer, m: MoneyFormat, csrf: string): Html {
  const r = p.restrictions;
  const id = `p${p.id.replace(/[^A-Za-z0-9]/g, '_')}`;
  const box = (name: string, label: string, on: boolean) =>
    html`<label class="check"><input type="checkbox" name="${name}" value="1"${checked(on)}> ${label}</label>`;
  return html`<section aria-labelledby="${id}-h"><h2 id="${id}-h">${p.id}</h2><p class="muted">${p.description} · first seen ${when(p.firstSeenAt)}</p>
    <form method="post" action="/admin/printers/edit">${hidden('_csrf', csrf)}${hidden('ref', p.id)}
    <div class="row">
      <div><label for="${id}-price">Price per page (${m.currency})${isOtherTable(p.costModel, m) ? ' — a price table is set: changing this replaces it' : ''}</label>
        <input id="${id}-price" name="price" type="text" inputmode="decimal" value="${priceOf(p.costModel, m)}" required></div>
      <div><label for="${id}-cprice">Colour page price (empty: the same)</label>
        <input id="${id}-cprice" name="colourPrice" type="text" inputmode="decimal" value="${colourPriceOf(p.costModel, m)}"></div>
      <div><label for="${id}-fm">When the server is unreachable</label><select id="${id}-fm" name="failureMode">
        ${FAILURE_MODES.map((f) => html`<option value="${f}"${p.failureMode === f ? html` selected` : ''}>${f}</option>`)}</select></div>
      <div><label for="${id}-color">Colour</label><select id="${id}-color" name="color">
        ${(['allow', 'deny', 'grayscale'] as const).map((c) => html`<option${(r.color ?? 'allow') === c ? html` selected` : ''}>${c}</option>`)}</select></div>
      <div><label for="${id}-duplex">Duplex</label><select id="${id}-duplex" name="duplex">
        ${(['allow', 'force'] as const).map((c) => html`<option${(r.duplex ?? 'allow') === c ? html` selected` : ''}>${c}</option>`)}</select></div>
      <div><label for="${id}-max">Most pages per job (empty: no limit)</label><input id="${id}-max" name="maxPages" type="number" min="1" value="${r.maxPages ?? ''}"></div>
      <div><label for="${id}-copies">Most copies (empty: no limit)</label><input id="${id}-copies" name="maxCopies" type="number" min="1" value="${r.maxCopies ?? ''}"></div>
      <div><label for="${id}-maxcost">Highest job cost (empty: no limit)</label><input id="${id}-maxcost" name="maxCost" type="text" inputmode="decimal" value="${r.maxCostMinor == null ? '' : m.fmt(r.maxCostMinor)}"></div>
    </div>
    <div class="row">
      <div><label for="${id}-groups">Only these groups may print (comma-separated; empty: everyone)</label><input id="${id}-groups" name="allowedGroups" type="text" value="${(r.allowedGroups ?? []).join(', ')}"></div>
      <div><label for="${id}-titles">Refuse documents named like (comma-separated globs)</label><input id="${id}-titles" name="deniedTitles" type="text" value="${(r.deniedTitles ?? []).join(', ')}"></div>
    </div>
    ${box('enabled', 'Enabled', p.enabled)}${box('releaseRequired', 'Release required (secure print release)', p.releaseRequired)}
    ${box('confirmRequired', 'Users confirm the cost first', p.confirmRequired)}${box('claimRequired', 'Jobs must be claimed by the logged-in user (popup authentication)', p.claimRequired)}
    ${box('watermark', 'Watermark', p.watermark)}${box('watermarkRequired', 'Deny when the watermark cannot be applied', p.watermarkRequired)}
    <label for="${id}-wm">Watermark text</label><input id="${id}-wm" name="watermarkTemplate" type="text" value="${p.watermarkTemplate}">
    <p><button type="submit">Save ${p.id}</button></p></form></section>`;
}

export async function adminPages(app: FastifyInstance, ctx: WebContext): Promise<void> {
  const { service } = ctx;

  app.get('/admin', { config: { auth: 'anonymous' } }, async (request, reply) => {
    if (request.caller?.kind !== 'admin' || request.caller.via !== 'session') return loginPage(request, reply, 'admin');
    const m = await moneyFormat(service);
    const d = await dashboard(ctx.store.db, ctx.store.clock(), (await service.getConfigValue('timezone')).value);
    const env = environment(d.last30.sheets);
    const share = d.last30.pages ? Math.round((100 * d.last30.colorPages) / d.last30.pages) : 0;
    const tile = (title: string, t: typeof d.today) => html`<div class="card"><h2>${title}</h2>
      <p class="big">${t.pages} pages</p><p>${m.fmt(t.costMinor)} ${m.currency} · ${t.jobs} jobs · ${t.sheets} sheets</p></div>`;
    const ranked = (title: string, rows: typeof d.topUsers) => html`<section><h2>${title}</h2>${rows.length === 0 ? html`<p>Nothing printed yet this week.</p>`
      : html`<div class="table"><table><thead><tr><th scope="col">Name</th><th scope="col" class="num">Pages</th><th scope="col" class="num">Cost</th></tr></thead>
        <tbody>${rows.map((r) => html`<tr><td>${r.name}</td><td class="num">${r.pages}</td><td class="num">${m.fmt(r.costMinor)}</td></tr>`)}</tbody></table></div>`}</section>`;
    const body = html`<div class="cards">${tile('Today', d.today)}${tile('This week', d.week)}
      <div class="card"><h2>Colour share</h2><p class="big">${share}%</p><p>of pages, last 30 days</p></div>
      <div class="card"><h2>Held now</h2><p class="big">${d.heldNow}</p><p><a href="/admin/jobs?status=held">see them</a></p></div></div>
      <section><h2>Pages per day</h2>${pagesChart(d.perDay)}<p class="muted">Days and weeks (from Monday) in the ${d.timeZone} time zone.</p></section>
      <div class="cards">${ranked('Top users this week', d.topUsers)}${ranked('Top printers this week', d.topPrinters)}</div>
      <section><h2>Environmental impact, last 30 days</h2>
        <p>${d.last30.sheets} sheets · ${env.trees.toFixed(3)} trees · ${env.co2Kg.toFixed(2)} kg CO₂</p>
        <p class="muted">8,333 sheets per tree and 12.7 g CO₂ per sheet (PaperCut's published constants).</p></section>`;
    return sendPage(reply, page(adminShell(request, 'Dashboard', '/admin'), body));
  });

  app.post('/admin/login', { config: { auth: 'anonymous' } }, async (request, reply) => {
    checkLoginToken(request, field(request.body, '_login'));
    try {
      await ctx.logins.admin.login(request, reply, 'admin', field(request.body, 'name').trim(), field(request.body, 'password'));
    } catch (err) {
      if (err instanceof PrintgateError && (err.code === 'INVALID_TOKEN' || err.code === 'RATE_LIMITED')) {
        return loginPage(request, reply, 'admin', err.message, err.status);
      }
      throw err;
    }
    return reply.redirect('/admin', 303);
  });

  app.post('/admin/logout', { config: { auth: 'admin' } }, async (request, reply) => {
    await ctx.logins.admin.logout(request, reply, 'admin');
    return reply.redirect('/admin', 303);
  });

  app.get('/admin/printers', { config: { auth: 'admin' } }, async (request, reply) => {
    const m = await moneyFormat(service);
    const printers = await service.listPrinters();
    const body = html`${adminFlash(request)}${printers.length === 0 ? html`<p>No printer yet: printers appear when an agent reports them.</p>` : ''}
      ${printers.map((p) => printerForm(p, m, csrfOf(request)))}`;
    return sendPage(reply, page(adminShell(request, 'Printers', '/admin/printers'), body));
  });

  app.post('/admin/printers/edit', { config: { auth: 'admin' } }, async (request, reply) => {
    const b = request.body;
    const m = await moneyFormat(service);
    const current = await service.getPrinter(field(b, 'ref'));
    const count = (name: string, what: string): number | null => {
      const v = field(b, name).trim();
      if (v && !/^\d{1,9}$/.test(v)) throw new PrintgateError('VALIDATION_FAILED', `${what} must be a whole number`);
      return v ? Number(v) : null;
    };
    const list = (name: string) => field(b, name).split(',').map((x) => x.trim()).filter(Boolean);
    const maxCost = field(b, 'maxCost').trim();
    const restrictions: Restrictions = {
      ...current.restrictions, color: field(b, 'color') as Restrictions['color'], duplex: field(b, 'duplex') as Restrictions['duplex'],
      maxPages: count('maxPages', 'most pages per job'), maxCopies: count('maxCopies', 'most copies'),
      maxCostMinor: maxCost ? m.parse(maxCost, 'highest job cost') : null,
      allowedGroups: list('allowedGroups'), deniedTitles: list('deniedTitles'),
    };
    const patch: UpdatePrinterInput = {
      costModel: submittedCostModel(current.costModel, field(b, 'price'), field(b, 'colourPrice'), m),
      failureMode: field(b, 'failureMode') as Printer['failureMode'], restrictions,
      enabled: field(b, 'enabled') === '1', releaseRequired: field(b, 'releaseRequired') === '1',
      confirmRequired: field(b, 'confirmRequired') === '1', claimRequired: field(b, 'claimRequired') === '1',
      watermark: field(b, 'watermark') === '1', watermarkRequired: field(b, 'watermarkRequired') === '1',
      watermarkTemplate: field(b, 'watermarkTemplate'),
    };
    await service.updatePrinter(current.id, patch);
    return reply.redirect('/admin/printers?msg=saved', 303);
  });

  app.get('/admin/users', { config: { auth: 'admin' } }, async (request, reply) => {
    const m = await moneyFormat(service);
    const cursor = (request.query as Record<string, unknown>).cursor;
    const users = await service.listUsers({ limit: 100, cursor: typeof cursor === 'string' ? cursor : null });
    const csrf = csrfOf(request);
    const body = html`${adminFlash(request)}
      <section><h2>New user</h2><form method="post" action="/admin/users" class="row">${hidden('_csrf', csrf)}
        <div><label for="nu-name">User name</label><input id="nu-name" name="name" type="text" required></div>
        <div><label for="nu-full">Full name</label><input id="nu-full" name="fullName" type="text"></div>
        <div><label for="nu-bal">Starting balance</label><input id="nu-bal" name="balance" type="text" inputmode="decimal"></div>
        <div><button type="submit">Create</button></div></form></section>
      <div class="table"><table><thead><tr><th scope="col">User</th><th scope="col">Accounts</th><th scope="col">Groups</th><th scope="col">Mode</th>
        <th scope="col">Password</th><th scope="col">Balance</th><th scope="col">Settings</th></tr></thead><tbody>
      ${users.items.map((u, i) => html`<tr><th scope="row">${u.name}<br><span class="muted">${u.fullName}</span>${u.disabled ? ' (disabled)' : ''}</th>
        <td>${u.accounts.map((a) => html`${a.name}: ${m.fmt(a.balanceMinor)}<br>`)}</td><td>${u.groups.join(', ')}</td><td>${u.billingMode}</td>
        <td><form method="post" action="/admin/users/password">${hidden('_csrf', csrf)}${hidden('name', u.name)}
          <label for="pw-${i}">New password</label><input id="pw-${i}" name="password" type="password" autocomplete="new-password" minlength="8" required>
          <button type="submit" class="secondary">Set</button></form></td>
        <td><form method="post" action="/admin/users/adjust">${hidden('_csrf', csrf)}${hidden('name', u.name)}
          <label for="adj-${i}">Adjust by</label><input id="adj-${i}" name="amount" type="text" inputmode="decimal" required>
          <label for="adjc-${i}">Comment</label><input id="adjc-${i}" name="comment" type="text">
          <button type="submit" class="secondary">Adjust</button></form></td>
        <td><form method="post" action="/admin/users/edit">${hidden('_csrf', csrf)}${hidden('name', u.name)}
          <label for="bm-${i}">Billing mode</label><select id="bm-${i}" name="billingMode">
            <option value=""${u.ownBillingMode === null ? html` selected` : ''}>from groups (${u.billingMode})</option>
            ${BILLING_MODES.map((b) => html`<option${u.ownBillingMode === b ? html` selected` : ''}>${b}</option>`)}</select>
          <label class="check"><input type="checkbox" name="disabled" value="1"${checked(u.disabled)}> Disabled</label>
          <button type="submit" class="secondary">Save</button></form></td></tr>`)}</tbody></table></div>
      <div class="pager">${users.nextCursor ? html`<a href="/admin/users?cursor=${encodeURIComponent(users.nextCursor)}">More users</a>` : ''}</div>`;
    return sendPage(reply, page(adminShell(request, 'Users', '/admin/users'), body));
  });

  app.post('/admin/users', { config: { auth: 'admin' } }, async (request, reply) => {
    const m = await moneyFormat(service);
    const balance = field(request.body, 'balance').trim();
    await service.createUser({
      name: field(request.body, 'name').trim(), fullName: field(request.body, 'fullName'),
      ...(balance ? { balanceMinor: m.parse(balance, 'balance') } : {}),
    }, adminOf(request));
    return reply.redirect('/admin/users?msg=created', 303);
  });

  app.post('/admin/users/password', { config: { auth: 'admin' } }, async (request, reply) => {
    await setPassword(ctx, 'user', field(request.body, 'name'), field(request.body, 'password'));
    return reply.redirect('/admin/users?msg=password', 303);
  });

  app.post('/admin/users/adjust', { config: { auth: 'admin' } }, async (request, reply) => {
    const m = await moneyFormat(service);
    await service.adjustUserBalance(field(request.body, 'name'), {
      amountMinor: m.parse(field(request.body, 'amount'), 'amount'), comment: field(request.body, 'comment'),
    }, adminOf(request));
    return reply.redirect('/admin/users?msg=adjusted', 303);
  });
}
