// `printgate cmd` sub-commands about groups, membership, quotas and shared accounts.

import { UsageError } from '../usage.ts';
import { seg } from './admin-client.ts';
import { str, type CmdDef } from './types.ts';

type Json = Record<string, unknown>;

const MODES = ['prepaid', 'postpaid', 'free'];
const PERIODS = ['daily', 'weekly', 'monthly'];

function balanceChanged(ctx: Parameters<CmdDef['run']>[0], answer: unknown): void {
  if (ctx.out.json) ctx.out.object(answer);
  else ctx.out.line(String((answer as Json).balance));
}

export const GROUP_COMMANDS: CmdDef[] = [
  {
    name: 'add-new-group',
    args: ['GROUP'],
    summary: 'create a group',
    options: { 'billing-mode': { type: 'string', value: 'MODE', help: 'prepaid, postpaid or free for its members' } },
    async run(ctx, [name], o) {
      const mode = str(o['billing-mode']);
      if (mode !== undefined && !MODES.includes(mode)) throw new UsageError(`--billing-mode must be one of ${MODES.join(', ')}`);
      const group = await ctx.api.post('groups', mode === undefined ? { name } : { name, billingMode: mode });
      if (ctx.out.json) ctx.out.object(group);
    },
  },
  {
    name: 'list-groups',
    args: [],
    summary: 'list groups: name, members, billing mode, quota',
    async run(ctx) {
      for (const g of await ctx.api.list('groups')) {
        if (ctx.out.json) { ctx.out.object(g); continue; }
        const q = g.quota as Json | null;
        ctx.out.row([g.name, g.members, g.billingMode ?? '', q ? `${q.amount} ${q.period} max ${q.maxAccumulation}` : '']);
      }
    },
  },
  {
    name: 'add-user-to-group',
    args: ['USER', 'GROUP'],
    summary: 'make USER a member of GROUP',
    async run(ctx, [user, group]) {
      await ctx.api.post(`groups/${seg(group!)}/members`, { user });
    },
  },
  {
    name: 'remove-user-from-group',
    args: ['USER', 'GROUP'],
    summary: 'end USER\'s membership of GROUP',
    async run(ctx, [user, group]) {
      await ctx.api.delete(`groups/${seg(group!)}/members/${seg(user!)}`);
    },
  },
  {
    name: 'set-group-quota',
    args: ['GROUP', 'AMOUNT', 'PERIOD', 'MAX'],
    summary: 'give each member AMOUNT every PERIOD (daily, weekly, monthly), accumulating up to MAX',
    async run(ctx, [group, amount, period, max]) {
      if (!PERIODS.includes(period!)) throw new UsageError(`PERIOD must be one of ${PERIODS.join(', ')}, not "${period}"`);
      const quota = await ctx.api.put(`groups/${seg(group!)}/quota`, { amount, period, maxAccumulation: max });
      if (ctx.out.json) ctx.out.object(quota);
    },
  },
  {
    name: 'apply-quotas',
    args: [],
    summary: 'apply the quotas that are due now (the server\'s scheduler also does); prints how many',
    async run(ctx) {
      const answer = (await ctx.api.post('quotas/run')) as Json;
      if (ctx.out.json) ctx.out.object(answer);
      else ctx.out.line(String(answer.applied));
    },
  },
  {
    name: 'add-new-shared-account',
    args: ['NAME'],
    summary: 'create a shared account',
    options: {
      balance: { type: 'string', value: 'AMOUNT', help: 'starting balance' },
      pin: { type: 'string', value: 'PIN', help: 'a PIN users give to charge it' },
    },
    async run(ctx, [name], o) {
      const body: Json = { name };
      if (o.balance !== undefined) body.balance = str(o.balance);
      if (o.pin !== undefined) body.pin = str(o.pin);
      const account = await ctx.api.post('shared-accounts', body);
      if (ctx.out.json) ctx.out.object(account);
    },
  },
  {
    name: 'list-shared-accounts',
    args: [],
    summary: 'list shared accounts: name, balance, users, groups',
    async run(ctx) {
      for (const a of await ctx.api.list('shared-accounts')) {
        if (ctx.out.json) { ctx.out.object(a); continue; }
        const access = (a.access as { users?: string[]; groups?: string[] } | undefined) ?? {};
        ctx.out.row([a.name, a.balance, (access.users ?? []).join(','), (access.groups ?? []).join(',')]);
      }
    },
  },
  {
    name: 'adjust-shared-account-account-balance',
    args: ['NAME', 'AMOUNT', '[COMMENT]'],
    summary: 'add AMOUNT (negative to deduct) to a shared account; prints the new balance',
    async run(ctx, [name, amount, comment]) {
      const body: Json = { amount };
      if (comment !== undefined) body.comment = comment;
      balanceChanged(ctx, await ctx.api.post(`shared-accounts/${seg(name!)}/adjust`, body));
    },
  },
  {
    name: 'add-shared-account-access',
    args: ['NAME'],
    summary: 'let a user (--user) or a group (--group) charge a shared account',
    options: {
      user: { type: 'string', value: 'USER', help: 'the user' },
      group: { type: 'string', value: 'GROUP', help: 'the group' },
    },
    async run(ctx, [name], o) {
      const user = str(o.user);
      const group = str(o.group);
      if ((user === undefined) === (group === undefined)) throw new UsageError('give exactly one of --user or --group');
      await ctx.api.post(`shared-accounts/${seg(name!)}/access`, user !== undefined ? { user } : { group });
    },
  },
];
