// Admin management of groups (membership, quotas), shared accounts (create with a PIN,
// balance, access), agents (create, showing the token once; delete), a user's billing
// mode and disabled flag, and the settings (hold time-out, low-credit threshold, ...). Each is a form POST (CSRF-checked) that calls the PrintService
// and redirects back with a fixed message.

import type { FastifyInstance } from 'fastify';
import { PrintgateError } from '../../shared/errors.ts';
import { BILLING_MODES, QUOTA_PERIODS, type BillingMode, type QuotaPeriod } from '../domain/types.ts';
import { adminFlash, adminShell } from './admin-pages.ts';
import { adminOf, csrfOf, field, moneyFormat, type WebContext } from './context.ts';
import { html } from './html.ts';
import { hidden, page, sendPage, when } from './layout.ts';

export async function adminManage(app: FastifyInstance, ctx: WebContext): Promise<void> {
  const { service } = ctx;
  const back = (to: string) => `${to}?msg=saved`;

  app.get('/admin/accounts', { config: { auth: 'admin' } }, async (request, reply) => {
    const m = await moneyFormat(service);
    const csrf = csrfOf(request);
    const [groups, shared, agents] = await Promise.all([service.listGroups({ limit: 500 }), service.listSharedAccounts({ limit: 500 }), service.listAgents()]);
    const members = await Promise.all(groups.items.map((g) => service.listGroupMembers(g.name)));
    const body = html`${adminFlash(request)}
      <section><h2>Groups and quotas</h2><div class="table"><table><thead><tr><th scope="col">Group</th><th scope="col">Members</th>
        <th scope="col">Quota</th><th scope="col">Set quota</th></tr></thead>
      <tbody>${groups.items.map((g, i) => html`<tr><th scope="row">${g.name}<br><span class="muted">${g.billingMode ?? 'mode inherited'}</span></th>
        <td>${members[i]!.join(', ') || 'nobody'}
          <form method="post" action="/admin/groups/members" class="row">${hidden('_csrf', csrf)}${hidden('group', g.name)}
            <div><label for="gm-${i}">User</label><input id="gm-${i}" name="user" type="text" required></div>
            <div><button type="submit" name="action" value="add" class="secondary">Add</button>
            <button type="submit" name="action" value="remove" class="secondary">Remove</button></div></form></td>
        <td>${g.quota ? `${m.fmt(g.quota.amountMinor)} ${g.quota.period}` : 'none'}</td>
        <td><form method="post" action="/admin/quotas" class="row">${hidden('_csrf', csrf)}${hidden('group', g.name)}
          <div><label for="q-${i}">Amount</label><input id="q-${i}" name="amount" type="text" inputmode="decimal" required></div>
          <div><label for="qp-${i}">Period</label><select id="qp-${i}" name="period">${QUOTA_PERIODS.map((p) => html`<option>${p}</option>`)}</select></div>
          <div><button type="submit" class="secondary">Set</button></div></form></td></tr>`)}</tbody></table></div>
        <form method="post" action="/admin/groups" class="row">${hidden('_csrf', csrf)}
          <div><label for="ng">New group</label><input id="ng" name="name" type="text" required></div><div><button type="submit">Create</button></div></form></section>
      <section><h2>Shared accounts</h2><div class="table"><table><thead><tr><th scope="col">Account</th><th scope="col" class="num">Balance</th>
        <th scope="col">Who may use it</th><th scope="col">Adjust</th></tr></thead>
      <tbody>${shared.items.map((s, i) => html`<tr><th scope="row">${s.name}${s.hasPin ? html`<br><span class="muted">has a PIN</span>` : ''}</th>
        <td class="num">${m.fmt(s.balanceMinor)}</td>
        <td>${[...s.access.users, ...s.access.groups.map((g) => `group:${g}`)].join(', ') || 'nobody'}
          <form method="post" action="/admin/shared-accounts/access" class="row">${hidden('_csrf', csrf)}${hidden('name', s.name)}
            <div><label for="sa-${i}">User, or group:NAME</label><input id="sa-${i}" name="who" type="text" required></div>
            <div><button type="submit" name="action" value="grant" class="secondary">Grant</button>
            <button type="submit" name="action" value="revoke" class="secondary">Revoke</button></div></form></td>
        <td><form method="post" action="/admin/shared-accounts/adjust" class="row">${hidden('_csrf', csrf)}${hidden('name', s.name)}
          <div><label for="sj-${i}">Adjust by</label><input id="sj-${i}" name="amount" type="text" inputmode="decimal" required></div>
          <div><label for="sjc-${i}">Comment</label><input id="sjc-${i}" name="comment" type="text"></div>
          <div><button type="submit" class="secondary">Adjust</button></div></form></td></tr>`)}</tbody></table></div>
        <form method="post" action="/admin/shared-accounts" class="row">${hidden('_csrf', csrf)}
          <div><label for="ns">New shared account</label><input id="ns" name="name" type="text" required></div>
          <div><label for="ns-pin">PIN (optional)</label><input id="ns-pin" name="pin" type="password" autocomplete="off"></div>
          <div><label for="ns-user">Grant to user</label><input id="ns-user" name="user" type="text"></div>
          <div><button type="submit">Create</button></div></form></section>
      <section><h2>Agents</h2><div class="table"><table><thead><tr><th scope="col">Agent</th><th scope="col">Host</th><th scope="col">Version</th>
        <th scope="col">Last contact</th><th scope="col">Remove</th></tr></thead><tbody>${agents.map((a) => html`<tr><th scope="row">${a.name}</th><td>${a.hostname}</td><td>${a.version}</td>
        <td>${when(a.lastContactAt) || 'never'}</td><td><form method="post" action="/admin/agents/delete">${hidden('_csrf', csrf)}${hidden('name', a.name)}
          <button type="submit" class="danger" aria-label="Delete agent ${a.name}">Delete</button></form></td></tr>`)}</tbody></table></div>
        <form method="post" action="/admin/agents" class="row">${hidden('_csrf', csrf)}
          <div><label for="na">New agent</label><input id="na" name="name" type="text" required pattern="[A-Za-z0-9._\\-]+"></div>
          <div><button type="submit">Create and show its token</button></div></form></section>`;
    return sendPage(reply, page(adminShell(request, 'Groups, shared accounts and agents', '/admin/accounts'), body));
  });

  app.post('/admin/groups', { config: { auth: 'admin' } }, async (request, reply) => {
    await service.createGroup({ name: field(request.body, 'name').trim() });
    return reply.redirect('/admin/accounts?msg=created', 303);
  });

  app.post('/admin/quotas', { config: { auth: 'admin' } }, async (request, reply) => {
    const m = await moneyFormat(service);
    const period = field(request.body, 'period') as QuotaPeriod;
    if (!QUOTA_PERIODS.includes(period)) throw new PrintgateError('VALIDATION_FAILED', 'unknown quota period');
    const amountMinor = m.parse(field(request.body, 'amount'), 'amount');
    // The balance a quota may build up to: ten periods' worth.
    await service.setGroupQuota(field(request.body, 'group'), { amountMinor, period, maxAccumulationMinor: amountMinor * 10 });
    return reply.redirect('/admin/accounts?msg=saved', 303);
  });

  app.post('/admin/shared-accounts', { config: { auth: 'admin' } }, async (request, reply) => {
    const name = field(request.body, 'name').trim();
    const pin = field(request.body, 'pin');
    await service.createSharedAccount({ name, ...(pin ? { pin } : {}) }, adminOf(request));
    const user = field(request.body, 'user').trim();
    if (user) await service.grantSharedAccess(name, { user });
    return reply.redirect('/admin/accounts?msg=created', 303);
  });

  app.post('/admin/agents', { config: { auth: 'admin' } }, async (request, reply) => {
    const name = field(request.body, 'name').trim();
    if (!/^[A-Za-z0-9._-]{1,100}$/.test(name)) throw new PrintgateError('VALIDATION_FAILED', 'an agent name has letters, digits, dots, dashes and underscores');
    const { token } = await service.createAgent(name);
    const body = html`<p class="notice warn" role="alert">The token is shown only now. Give it to the agent (PRINTGATE_AGENT_TOKEN or --agent-token-file).</p>
      <section><h2>Agent ${name}</h2><p><label for="tok">Token</label><input id="tok" type="text" readonly value="${token}"></p></section>
      <p><a href="/admin/accounts">Back</a></p>`;
    return sendPage(reply, page(adminShell(request, 'New agent', '/admin/accounts'), body));
  });

  app.post('/admin/agents/delete', { config: { auth: 'admin' } }, async (request, reply) => {
    await service.deleteAgent(field(request.body, 'name'));
    return reply.redirect(back('/admin/accounts'), 303);
  });

  app.post('/admin/groups/members', { config: { auth: 'admin' } }, async (request, reply) => {
    const group = field(request.body, 'group');
    const user = field(request.body, 'user').trim();
    if (field(request.body, 'action') === 'remove') await service.removeGroupMember(group, user);
    else await service.addGroupMember(group, user);
    return reply.redirect(back('/admin/accounts'), 303);
  });

  app.post('/admin/shared-accounts/adjust', { config: { auth: 'admin' } }, async (request, reply) => {
    const m = await moneyFormat(service);
    await service.adjustSharedAccount(field(request.body, 'name'), {
      amountMinor: m.parse(field(request.body, 'amount'), 'amount'), comment: field(request.body, 'comment'),
    }, adminOf(request));
    return reply.redirect(back('/admin/accounts'), 303);
  });

  app.post('/admin/shared-accounts/access', { config: { auth: 'admin' } }, async (request, reply) => {
    const who = field(request.body, 'who').trim();
    const access = who.startsWith('group:') ? { group: who.slice(6).trim() } : { user: who };
    if (field(request.body, 'action') === 'revoke') await service.revokeSharedAccess(field(request.body, 'name'), access);
    else await service.grantSharedAccess(field(request.body, 'name'), access);
    return reply.redirect(back('/admin/accounts'), 303);
  });

  app.get('/admin/settings', { config: { auth: 'admin' } }, async (request, reply) => {
    const csrf = csrfOf(request);
    const entries = await service.listConfig();
    const body = html`${adminFlash(request)}<div class="table"><table><thead><tr><th scope="col">Setting</th><th scope="col">Value</th></tr></thead><tbody>
      ${entries.map((e, i) => html`<tr><th scope="row"><label for="cfg-${i}">${e.key}</label><br><span class="muted">${e.description} (default ${e.default})</span></th>
        <td><form method="post" action="/admin/settings" class="row">${hidden('_csrf', csrf)}${hidden('key', e.key)}
          <div><input id="cfg-${i}" name="value" type="text" value="${e.value}"></div><div><button type="submit" class="secondary">Save</button></div></form></td></tr>`)}
      </tbody></table></div>`;
    return sendPage(reply, page(adminShell(request, 'Settings', '/admin/settings'), body));
  });

  app.post('/admin/settings', { config: { auth: 'admin' } }, async (request, reply) => {
    await service.setConfigValue(field(request.body, 'key'), field(request.body, 'value'));
    return reply.redirect(back('/admin/settings'), 303);
  });

  app.post('/admin/users/edit', { config: { auth: 'admin' } }, async (request, reply) => {
    const mode = field(request.body, 'billingMode');
    if (mode !== '' && !BILLING_MODES.includes(mode as BillingMode)) throw new PrintgateError('VALIDATION_FAILED', 'unknown billing mode');
    await service.updateUser(field(request.body, 'name'), {
      billingMode: mode === '' ? null : mode as BillingMode, disabled: field(request.body, 'disabled') === '1',
    });
    return reply.redirect(back('/admin/users'), 303);
  });
}
