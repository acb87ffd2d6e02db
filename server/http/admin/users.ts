// Admin API: users, their balances and their transactions (docs/api.md).

import type { FastifyPluginAsync } from 'fastify';
import type { BillingMode } from '../../service/types.ts';
import {
  actorOf, body, COMMENT, defined, MONEY_IN, moneyFor, NAME, nameParams, NO_CONTENT, nonNegative, KEYED, once, PAGING_QUERY, pageOf,
} from './common.ts';
import * as F from './format.ts';

const ADMIN = { auth: 'admin' } as const;
const TAGS = ['users'];
const NULL_MODE = { type: ['string', 'null'], enum: ['prepaid', 'postpaid', 'free', null] } as const;

interface Paging { limit?: number; cursor?: string }
interface NameP { name: string }

export const userRoutes: FastifyPluginAsync = async (app) => {
  const { service } = app.printgate;

  app.get<{ Querystring: Paging }>('/users', {
    config: ADMIN,
    schema: { summary: 'List users', tags: TAGS, querystring: PAGING_QUERY, response: { 200: pageOf(F.USER_SCHEMA) } },
  }, async (request) => {
    const m = await moneyFor(service);
    const page = await service.listUsers(defined({ limit: request.query.limit, cursor: request.query.cursor }));
    return { items: page.items.map((u) => F.user(u, m)), nextCursor: page.nextCursor };
  });

  app.post<{ Body: { name: string; fullName?: string; email?: string; restricted?: boolean; billingMode?: BillingMode | null; balance?: string } }>('/users', {
    config: ADMIN,
    schema: {
      ...KEYED,
      summary: 'Create a user', tags: TAGS,
      body: body({ name: NAME, fullName: { type: 'string', maxLength: 200 }, email: { type: 'string', maxLength: 320 }, restricted: { type: 'boolean' }, billingMode: NULL_MODE, balance: MONEY_IN }, ['name']),
      response: { 201: F.USER_SCHEMA },
    },
  }, async (request, reply) => {
    const m = await moneyFor(service);
    const b = request.body;
    const balanceMinor = m.parseOptional(b.balance, 'balance');
    const answer = await once(service, request, async (s) => F.user(await s.createUser(defined({
      name: b.name, fullName: b.fullName, email: b.email, restricted: b.restricted, billingMode: b.billingMode, balanceMinor,
    }), actorOf(request)), m));
    return reply.code(201).send(answer);
  });

  app.get<{ Params: NameP }>('/users/:name', {
    config: ADMIN,
    schema: { summary: 'Get a user', tags: TAGS, params: nameParams('name'), response: { 200: F.USER_SCHEMA } },
  }, async (request) => F.user(await service.getUser(request.params.name), await moneyFor(service)));

  app.patch<{ Params: NameP; Body: { fullName?: string; email?: string; restricted?: boolean; billingMode?: BillingMode | null; overdraft?: string; disabled?: boolean } }>('/users/:name', {
    config: ADMIN,
    schema: {
      ...KEYED,
      summary: 'Change a user', tags: TAGS, params: nameParams('name'),
      body: body({ fullName: { type: 'string', maxLength: 200 }, email: { type: 'string', maxLength: 320 }, restricted: { type: 'boolean' }, billingMode: NULL_MODE, overdraft: MONEY_IN, disabled: { type: 'boolean' } }),
      response: { 200: F.USER_SCHEMA },
    },
  }, async (request) => {
    const m = await moneyFor(service);
    const b = request.body;
    const overdraftMinor = m.parseOptional(b.overdraft, 'overdraft');
    if (overdraftMinor !== undefined) nonNegative(overdraftMinor, 'overdraft');
    return once(service, request, async (s) => F.user(await s.updateUser(request.params.name, defined({
      fullName: b.fullName, email: b.email, restricted: b.restricted, billingMode: b.billingMode, disabled: b.disabled, overdraftMinor,
    })), m));
  });

  app.delete<{ Params: NameP }>('/users/:name', {
    config: ADMIN,
    schema: { ...KEYED, summary: 'Delete a user (history is kept)', tags: TAGS, params: nameParams('name'), response: NO_CONTENT },
  }, async (request, reply) => {
    await once(service, request, (s) => s.deleteUser(request.params.name));
    return reply.code(204).send();
  });

  app.post<{ Params: NameP; Body: { name: string; isDefault?: boolean } }>('/users/:name/accounts', {
    config: ADMIN,
    schema: {
      ...KEYED,
      summary: 'Add a named personal account (balance) to a user', tags: TAGS, params: nameParams('name'),
      body: body({ name: NAME, isDefault: { type: 'boolean' } }, ['name']), response: { 201: F.USER_SCHEMA },
    },
  }, async (request, reply) => {
    const m = await moneyFor(service);
    const answer = await once(service, request, async (s) => F.user(await s.addUserAccount(request.params.name, request.body.name, { isDefault: request.body.isDefault }), m));
    return reply.code(201).send(answer);
  });

  app.get<{ Params: NameP; Querystring: { account?: string } }>('/users/:name/balance', {
    config: ADMIN,
    schema: {
      summary: "A user's balance", tags: TAGS, params: nameParams('name'),
      querystring: { type: 'object', properties: { account: NAME }, additionalProperties: false },
      response: { 200: F.BALANCE_SCHEMA },
    },
  }, async (request) => F.balance(await service.getBalance(request.params.name, request.query.account), await moneyFor(service)));

  app.get<{ Params: NameP }>('/users/:name/balances', {
    config: ADMIN,
    schema: {
      summary: 'Every balance a user may print from (personal and shared accounts)', tags: TAGS, params: nameParams('name'),
      response: { 200: { type: 'object', properties: { items: { type: 'array', items: F.BALANCE_SCHEMA } }, required: ['items'] } },
    },
  }, async (request) => {
    const m = await moneyFor(service);
    return { items: (await service.listBalances(request.params.name)).map((b) => F.balance(b, m)) };
  });

  app.post<{ Params: NameP; Body: { amount: string; comment?: string; account?: string } }>('/users/:name/adjust', {
    config: ADMIN,
    schema: {
      ...KEYED,
      summary: "Adjust a user's balance by a signed amount", tags: TAGS, params: nameParams('name'),
      body: body({ amount: MONEY_IN, comment: COMMENT, account: NAME }, ['amount']), response: { 200: F.BALANCE_CHANGE_SCHEMA },
    },
  }, async (request) => {
    const m = await moneyFor(service);
    const b = request.body;
    const amountMinor = m.parse(b.amount, 'amount');
    return once(service, request, async (s) => F.balanceChange(await s.adjustUserBalance(request.params.name, defined({ amountMinor, comment: b.comment, account: b.account }), actorOf(request)), m));
  });

  app.post<{ Params: NameP; Body: { balance: string; comment?: string; account?: string } }>('/users/:name/set-balance', {
    config: ADMIN,
    schema: {
      ...KEYED,
      summary: "Set a user's balance", tags: TAGS, params: nameParams('name'),
      body: body({ balance: MONEY_IN, comment: COMMENT, account: NAME }, ['balance']), response: { 200: F.BALANCE_CHANGE_SCHEMA },
    },
  }, async (request) => {
    const m = await moneyFor(service);
    const b = request.body;
    const balanceMinor = m.parse(b.balance, 'balance');
    return once(service, request, async (s) => F.balanceChange(await s.setUserBalance(request.params.name, defined({ balanceMinor, comment: b.comment, account: b.account }), actorOf(request)), m));
  });

  app.get<{ Params: NameP; Querystring: Paging & { account?: string } }>('/users/:name/transactions', {
    config: ADMIN,
    schema: {
      summary: "A user's transactions, newest first", tags: TAGS, params: nameParams('name'),
      querystring: { ...PAGING_QUERY, properties: { ...PAGING_QUERY.properties, account: NAME } },
      response: { 200: pageOf(F.TRANSACTION_SCHEMA) },
    },
  }, async (request) => {
    const m = await moneyFor(service);
    await service.getUser(request.params.name);
    const q = request.query;
    const page = await service.listTransactions(defined({ user: request.params.name, account: q.account, limit: q.limit, cursor: q.cursor }));
    return { items: page.items.map((t) => F.transaction(t, m)), nextCursor: page.nextCursor };
  });
};
