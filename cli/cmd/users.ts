// `printgate cmd` sub-commands about users and their personal balances (PaperCut's
// server-command names where it has one).

import { UsageError } from '../usage.ts';
import { seg } from './admin-client.ts';
import { parseBool, parseCount, str, type CmdDef } from './types.ts';

type Json = Record<string, unknown>;

const ACCOUNT = { account: { type: 'string', value: 'NAME', help: 'the personal account (default: the user\'s default account)' } } as const;

function defaultAccount(user: Json): Json | undefined {
  const accounts = (user.accounts as Json[] | undefined) ?? [];
  return accounts.find((a) => a.isDefault) ?? accounts[0];
}

/** User properties for get-/set-user-property: CLI name -> JSON field and kind. */
const PROPERTIES: Record<string, { field: string; kind: 'string' | 'bool' | 'money' | 'mode'; settable: boolean }> = {
  'full-name': { field: 'fullName', kind: 'string', settable: true },
  email: { field: 'email', kind: 'string', settable: true },
  restricted: { field: 'restricted', kind: 'bool', settable: true },
  'billing-mode': { field: 'billingMode', kind: 'mode', settable: true },
  overdraft: { field: 'overdraft', kind: 'money', settable: true },
  disabled: { field: 'disabled', kind: 'bool', settable: true },
  balance: { field: 'balance', kind: 'money', settable: false },
  groups: { field: 'groups', kind: 'string', settable: false },
  created: { field: 'createdAt', kind: 'string', settable: false },
};
const MODES = ['prepaid', 'postpaid', 'free'];

function property(name: string, settable: boolean) {
  const p = PROPERTIES[name];
  const names = Object.entries(PROPERTIES).filter(([, v]) => !settable || v.settable).map(([k]) => k);
  if (!p || (settable && !p.settable)) throw new UsageError(`unknown property "${name}" (one of: ${names.join(', ')})`);
  return p;
}

function balanceChanged(ctx: Parameters<CmdDef['run']>[0], answer: unknown): void {
  if (ctx.out.json) ctx.out.object(answer);
  else ctx.out.line(String((answer as Json).balance));
}

export const USER_COMMANDS: CmdDef[] = [
  {
    name: 'add-new-user',
    args: ['USER'],
    summary: 'create a user (restricted, zero balance unless told otherwise)',
    options: {
      'full-name': { type: 'string', value: 'TEXT', help: 'full name' },
      email: { type: 'string', value: 'ADDRESS', help: 'e-mail address' },
      balance: { type: 'string', value: 'AMOUNT', help: 'starting balance (default: the user.default.balance setting)' },
      'billing-mode': { type: 'string', value: 'MODE', help: 'prepaid, postpaid or free' },
      unrestricted: { type: 'boolean', help: 'may print beyond the balance' },
    },
    async run(ctx, [name], o) {
      const mode = str(o['billing-mode']);
      if (mode !== undefined && !MODES.includes(mode)) throw new UsageError(`--billing-mode must be one of ${MODES.join(', ')}`);
      const body: Json = { name };
      if (o['full-name'] !== undefined) body.fullName = str(o['full-name']);
      if (o.email !== undefined) body.email = str(o.email);
      if (o.balance !== undefined) body.balance = str(o.balance);
      if (mode !== undefined) body.billingMode = mode;
      if (o.unrestricted) body.restricted = false;
      const user = await ctx.api.post('users', body);
      if (ctx.out.json) ctx.out.object(user);
    },
  },
  {
    name: 'delete-existing-user',
    args: ['USER'],
    summary: 'delete a user (the job log and transactions are kept)',
    async run(ctx, [name]) {
      await ctx.api.delete(`users/${seg(name!)}`);
    },
  },
  {
    name: 'user-exists',
    args: ['USER'],
    summary: 'print true or false',
    async run(ctx, [name]) {
      let exists = true;
      try {
        await ctx.api.get(`users/${seg(name!)}`);
      } catch (err) {
        if ((err as { code?: string }).code !== 'UNKNOWN_USER') throw err;
        exists = false;
      }
      if (ctx.out.json) ctx.out.object({ user: name, exists });
      else ctx.out.line(String(exists));
    },
  },
  {
    name: 'list-user-accounts',
    args: [],
    summary: 'list users: name, balance, billing mode, restricted, full name',
    async run(ctx) {
      for (const u of await ctx.api.list('users')) {
        if (ctx.out.json) ctx.out.object(u);
        else ctx.out.row([u.name, defaultAccount(u)?.balance ?? '', u.billingMode, u.restricted ? 'restricted' : 'unrestricted', u.fullName]);
      }
    },
  },
  {
    name: 'get-user-account-balance',
    args: ['USER'],
    summary: 'print the user\'s balance alone, e.g. 4.70',
    options: ACCOUNT,
    async run(ctx, [name], o) {
      const account = str(o.account);
      const query = account !== undefined ? `?account=${encodeURIComponent(account)}` : '';
      const answer = (await ctx.api.get(`users/${seg(name!)}/balance${query}`)) as Json;
      if (ctx.out.json) ctx.out.object(answer);
      else ctx.out.line(String(answer.balance));
    },
  },
  {
    name: 'adjust-user-account-balance',
    args: ['USER', 'AMOUNT', '[COMMENT]'],
    summary: 'add AMOUNT (negative to deduct) to the user\'s balance; prints the new balance',
    options: ACCOUNT,
    async run(ctx, [name, amount, comment], o) {
      const body: Json = { amount };
      if (comment !== undefined) body.comment = comment;
      if (o.account !== undefined) body.account = str(o.account);
      balanceChanged(ctx, await ctx.api.post(`users/${seg(name!)}/adjust`, body));
    },
  },
  {
    name: 'set-user-account-balance',
    args: ['USER', 'AMOUNT', '[COMMENT]'],
    summary: 'set the user\'s balance to AMOUNT (recorded as a transaction); prints it',
    options: ACCOUNT,
    async run(ctx, [name, amount, comment], o) {
      const body: Json = { balance: amount };
      if (comment !== undefined) body.comment = comment;
      if (o.account !== undefined) body.account = str(o.account);
      balanceChanged(ctx, await ctx.api.post(`users/${seg(name!)}/set-balance`, body));
    },
  },
  {
    name: 'get-user-property',
    args: ['USER', 'PROPERTY'],
    summary: 'print one property: full-name, email, restricted, billing-mode, overdraft, disabled, balance, groups, created',
    async run(ctx, [name, prop]) {
      const p = property(prop!, false);
      const user = (await ctx.api.get(`users/${seg(name!)}`)) as Json;
      const value = p.field === 'balance' ? defaultAccount(user)?.balance : user[p.field];
      if (ctx.out.json) ctx.out.object({ user: name, property: prop, value });
      else ctx.out.line(Array.isArray(value) ? value.join(',') : String(value ?? ''));
    },
  },
  {
    name: 'set-user-property',
    args: ['USER', 'PROPERTY', 'VALUE'],
    summary: 'change one property: full-name, email, restricted, billing-mode, overdraft, disabled',
    async run(ctx, [name, prop, value]) {
      const p = property(prop!, true);
      let v: unknown = value;
      if (p.kind === 'bool') v = parseBool(value!, prop!);
      if (p.kind === 'mode' && !MODES.includes(value!)) throw new UsageError(`billing-mode must be one of ${MODES.join(', ')}`);
      const user = await ctx.api.patch(`users/${seg(name!)}`, { [p.field]: v });
      if (ctx.out.json) ctx.out.object(user);
    },
  },
  {
    name: 'list-user-transactions',
    args: ['USER'],
    summary: 'the user\'s transactions, newest first: id, time, kind, amount, balance after, comment',
    options: { limit: { type: 'string', value: 'N', help: 'at most N transactions (default 50)' } },
    async run(ctx, [name], o) {
      const items = await ctx.api.list(`users/${seg(name!)}/transactions`, {}, parseCount(o.limit, '--limit', 50));
      for (const t of items) {
        if (ctx.out.json) ctx.out.object(t);
        else ctx.out.row([t.id, t.createdAt, t.kind, t.amount, t.balanceAfter, t.comment]);
      }
    },
  },
];
