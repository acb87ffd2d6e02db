// Admin pages for records: the job log (filters, paging, CSV export, whole or partial
// refunds booked with the administrator as actor) and top-up card batches (the codes are
// shown once, at creation).

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PrintgateError } from '../../shared/errors.ts';
import { JOB_STATUSES } from '../domain/types.ts';
import type { Decision, Job, JobFilter, JobStatus } from '../service/types.ts';
import { adminFlash, adminShell } from './admin-pages.ts';
import { adminOf, csrfOf, field, moneyFormat, type MoneyFormat, type WebContext } from './context.ts';
import { html } from './html.ts';
import { hidden, page, sendPage, when } from './layout.ts';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DECISIONS: readonly Decision[] = ['ALLOW', 'DENY', 'HOLD'];

/** The job log's filters from the query string (dates are whole UTC days). */
function jobFilter(query: Record<string, unknown>): { filter: JobFilter; params: URLSearchParams } {
  const filter: JobFilter = {};
  const params = new URLSearchParams();
  const text = (k: string) => (typeof query[k] === 'string' ? (query[k] as string).trim() : '');
  if (text('user')) { filter.user = text('user'); params.set('user', filter.user); }
  if (text('printer')) { filter.printer = text('printer'); params.set('printer', filter.printer); }
  if (DATE.test(text('from'))) { filter.from = `${text('from')}T00:00:00.000Z`; params.set('from', text('from')); }
  if (DATE.test(text('to'))) {
    filter.to = new Date(Date.parse(`${text('to')}T00:00:00.000Z`) + 86_400_000).toISOString();
    params.set('to', text('to'));
  }
  if ((JOB_STATUSES as readonly string[]).includes(text('status'))) { filter.status = text('status') as JobStatus; params.set('status', text('status')); }
  if (DECISIONS.includes(text('decision') as Decision)) { filter.decision = text('decision') as Decision; params.set('decision', text('decision')); }
  return { filter, params };
}

const CSV_COLUMNS = ['id', 'created', 'user', 'account', 'printer', 'title', 'pages', 'colorPages', 'copies', 'impressions', 'colorImpressions',
  'sheets', 'duplex', 'grayscale', 'cost', 'refunded', 'decision', 'status', 'reason'] as const;

function csvField(value: unknown): string {
  let s = value === null || value === undefined ? '' : String(value);
  // Spreadsheets run cells that start with = + - @ as formulas: quote them as text.
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csvRow(j: Job, m: MoneyFormat): string {
  return [j.id, j.createdAt, j.user, j.account, j.printer, j.title, j.pages, j.colorPages, j.copies, j.impressions, j.colorImpressions,
    j.sheets, j.duplex, j.grayscale, m.fmt(j.costMinor), m.fmt(j.refundedMinor), j.decision, j.status, j.reason].map(csvField).join(',');
}

function filterForm(request: FastifyRequest) {
  const q = request.query as Record<string, string | undefined>;
  return html`<form method="get" action="/admin/jobs" class="row" role="search">
    <div><label for="f-user">User</label><input id="f-user" name="user" type="text" value="${q.user ?? ''}"></div>
    <div><label for="f-printer">Printer</label><input id="f-printer" name="printer" type="text" value="${q.printer ?? ''}"></div>
    <div><label for="f-from">From</label><input id="f-from" name="from" type="date" value="${q.from ?? ''}"></div>
    <div><label for="f-to">To</label><input id="f-to" name="to" type="date" value="${q.to ?? ''}"></div>
    <div><label for="f-status">Status</label><select id="f-status" name="status"><option value="">any</option>
      ${JOB_STATUSES.map((s) => html`<option${q.status === s ? html` selected` : ''}>${s}</option>`)}</select></div>
    <div><label for="f-decision">Decision</label><select id="f-decision" name="decision"><option value="">any</option>
      ${DECISIONS.map((d) => html`<option${q.decision === d ? html` selected` : ''}>${d}</option>`)}</select></div>
    <div><button type="submit">Filter</button></div></form>`;
}

export async function adminRecords(app: FastifyInstance, ctx: WebContext): Promise<void> {
  const { service, store } = ctx;

  app.get('/admin/jobs', { config: { auth: 'admin' } }, async (request, reply) => {
    const m = await moneyFormat(service);
    const query = request.query as Record<string, unknown>;
    const { filter, params } = jobFilter(query);
    const jobs = await service.listJobs({ ...filter, limit: 50, cursor: typeof query.cursor === 'string' ? query.cursor : null });
    const csrf = csrfOf(request);
    const next = new URLSearchParams(params);
    if (jobs.nextCursor) next.set('cursor', jobs.nextCursor);
    const body = html`${adminFlash(request)}${filterForm(request)}
      <p><a href="/admin/jobs.csv?${params.toString()}" download>Export these jobs as CSV</a></p>
      <div class="table"><table><thead><tr><th scope="col">Job</th><th scope="col">When</th><th scope="col">User</th><th scope="col">Printer</th>
        <th scope="col">Document</th><th scope="col" class="num">Pages</th><th scope="col" class="num">Cost</th><th scope="col">Status</th><th scope="col">Action</th></tr></thead>
      <tbody>${jobs.items.map((j) => html`<tr><td>${j.id}</td><td>${when(j.createdAt)}</td><td>${j.user}</td><td>${j.printer}</td><td>${j.title}</td>
        <td class="num">${j.impressions}${j.colorImpressions ? html` (${j.colorImpressions} colour)` : ''}</td>
        <td class="num">${m.fmt(j.costMinor)}${j.refundedMinor ? html`<br><span class="muted">−${m.fmt(j.refundedMinor)} refunded</span>` : ''}</td>
        <td>${j.status}${j.reason ? html`<br><span class="muted">${j.reason}</span>` : ''}</td>
        <td>${j.status === 'printed' && j.costMinor > j.refundedMinor ? html`<form method="post" action="/admin/jobs/refund">${hidden('_csrf', csrf)}${hidden('job', j.id)}
          <label for="rf-${j.id}">Amount (empty: all)</label><input id="rf-${j.id}" name="amount" type="text" inputmode="decimal" size="6">
          <button type="submit" class="secondary">Refund</button></form>` : ''}${j.status === 'held' ? html`<form method="post" action="/admin/jobs/release" class="inline">${hidden('_csrf', csrf)}${hidden('job', j.id)}
          <button type="submit" class="secondary" aria-label="Release job ${j.id}">Release</button></form>
          <form method="post" action="/admin/jobs/cancel" class="inline">${hidden('_csrf', csrf)}${hidden('job', j.id)}
          <button type="submit" class="secondary" aria-label="Cancel job ${j.id}">Cancel</button></form>` : ''}</td></tr>`)}</tbody></table></div>
      <div class="pager">${jobs.nextCursor ? html`<a href="/admin/jobs?${next.toString()}">Older jobs</a>` : ''}</div>`;
    return sendPage(reply, page(adminShell(request, 'Job log', '/admin/jobs'), body));
  });

  app.get('/admin/jobs.csv', { config: { auth: 'admin' } }, async (request, reply) => {
    const m = await moneyFormat(service);
    const { filter } = jobFilter(request.query as Record<string, unknown>);
    const lines = [CSV_COLUMNS.join(',')];
    // Every matching job, page by page (bounded: at most 100 000 rows per export).
    let cursor: string | null = null;
    do {
      const p = await service.listJobs({ ...filter, limit: 1000, cursor });
      for (const j of p.items) lines.push(csvRow(j, m));
      cursor = p.nextCursor;
    } while (cursor && lines.length <= 100_000);
    return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="printgate-jobs.csv"')
      .header('cache-control', 'no-store').send(`${lines.join('\r\n')}\r\n`);
  });

  app.post('/admin/jobs/refund', { config: { auth: 'admin' } }, async (request, reply) => {
    const m = await moneyFormat(service);
    const amount = field(request.body, 'amount').trim();
    await service.refundJob(field(request.body, 'job'), {
      ...(amount ? { amountMinor: m.parse(amount, 'amount') } : {}), comment: 'refund from the admin pages',
    }, adminOf(request));
    return reply.redirect('/admin/jobs?msg=refunded', 303);
  });

  // A help desk may release or cancel a held job for its owner (the owner's account pays).
  app.post('/admin/jobs/release', { config: { auth: 'admin' } }, async (request, reply) => {
    await service.releaseJob(field(request.body, 'job'), adminOf(request));
    return reply.redirect('/admin/jobs?status=held&msg=saved', 303);
  });
  app.post('/admin/jobs/cancel', { config: { auth: 'admin' } }, async (request, reply) => {
    await service.cancelHeldJob(field(request.body, 'job'), adminOf(request));
    return reply.redirect('/admin/jobs?status=held&msg=saved', 303);
  });

  app.get('/admin/cards', { config: { auth: 'admin' } }, async (request, reply) => {
    const m = await moneyFormat(service);
    const batches = await store.listCardBatches();
    const body = html`<section><h2>New batch</h2><form method="post" action="/admin/cards" class="row">${hidden('_csrf', csrfOf(request))}
        <div><label for="cb-name">Name</label><input id="cb-name" name="name" type="text" required></div>
        <div><label for="cb-count">Cards</label><input id="cb-count" name="count" type="number" min="1" max="10000" required></div>
        <div><label for="cb-amount">Value of each (${m.currency})</label><input id="cb-amount" name="amount" type="text" inputmode="decimal" required></div>
        <div><button type="submit">Make the cards</button></div></form></section>
      <div class="table"><table><thead><tr><th scope="col">Batch</th><th scope="col">Created</th><th scope="col" class="num">Value</th>
        <th scope="col" class="num">Cards</th><th scope="col" class="num">Redeemed</th></tr></thead>
      <tbody>${batches.map((b) => html`<tr><td>${b.name}</td><td>${when(new Date(b.createdAt).toISOString())} by ${b.createdBy}</td>
        <td class="num">${m.fmt(b.amountMinor)}</td><td class="num">${b.count}</td><td class="num">${b.redeemed}</td></tr>`)}</tbody></table></div>`;
    return sendPage(reply, page(adminShell(request, 'Top-up cards', '/admin/cards'), body));
  });

  app.post('/admin/cards', { config: { auth: 'admin' } }, async (request, reply) => {
    const m = await moneyFormat(service);
    const count = field(request.body, 'count').trim();
    if (!/^\d{1,5}$/.test(count)) throw new PrintgateError('VALIDATION_FAILED', 'the number of cards must be a whole number');
    const name = field(request.body, 'name').trim();
    if (!name) throw new PrintgateError('VALIDATION_FAILED', 'a batch needs a name');
    const { batch, codes } = await store.createCardBatch(name, Number(count), m.parse(field(request.body, 'amount'), 'value'), adminOf(request));
    const body = html`<p class="notice warn" role="alert">These codes are shown only now: print or save them.</p>
      <section><h2>${batch.name}: ${codes.length} cards of ${m.fmt(batch.amountMinor)} ${m.currency}</h2><ul class="codes">${codes.map((c) => html`<li>${c}</li>`)}</ul></section>
      <p><a href="/admin/cards">Back to the batches</a></p>`;
    return sendPage(reply, page(adminShell(request, 'New top-up cards', '/admin/cards'), body));
  });
}
