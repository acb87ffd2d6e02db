// Admin API: shared accounts (PaperCut's shared/department accounts), their balances and
// who may charge them (docs/api.md).

import type { FastifyPluginAsync } from 'fastify';
import { PrintgateError } from '../../../shared/errors.ts';
import {
  actorOf, body, COMMENT, defined, MONEY_IN, moneyFor, NAME, nameParams, NO_CONTENT, nonNegative, KEYED, once, PAGING_QUERY, pageOf,
} from './common.ts';
import * as F from './format.ts';

const ADMIN = { auth: 'admin' } as const;
const TAGS = ['shared accounts'];
const ACCESS_BODY = body({ user: NAME, group: NAME });

interface NameP { name: string }

export const sharedAccountRoutes: FastifyPluginAsync = async (app) => {
  const { service } = app.printgate;

  app.get<{ Querystring: { limit?: number; cursor?: string } }>('/shared-accounts', {
    config: ADMIN,
    schema: { summary: 'List shared accounts', tags: TAGS, querystring: PAGING_QUERY, response: { 200: pageOf(F.SHARED_ACCOUNT_SCHEMA) } },
  }, async (request) => {
    const m = await moneyFor(service);
    const page = await service.listSharedAccounts(defined({ limit: request.query.limit, cursor: request.query.cursor }));
    return { items: page.items.map((a) => F.sharedAccount(a, m)), nextCursor: page.nextCursor };
  });

  app.post<{ Body: { name: string; pin?: string; balance?: string; restricted?: boolean; overdraft?: string } }>('/shared-accounts', {
    config: ADMIN,
    schema: {
      ...KEYED,
      summary: 'Create a shared account', tags: TAGS,
      body: body({ name: NAME, pin: { type: 'string', minLength: 1, maxLength: 64 }, balance: MONEY_IN, restricted: { type: 'boolean' }, overdraft: MONEY_IN }, ['name']),
      response: { 201: F.SHARED_ACCOUNT_SCHEMA },
    },
  }, async (request, reply) => {
    const m = await moneyFor(service);
    const b = request.body;
    const balanceMinor = m.parseOptional(b.balance, 'balance');
    const overdraftMinor = m.parseOptional(b.overdraft, 'overdraft');
    if (overdraftMinor !== undefined) nonNegative(overdraftMinor, 'overdraft');
    const answer = await once(service, request, async (s) => F.sharedAccount(await s.createSharedAccount(defined({
      name: b.name, pin: b.pin, balanceMinor, restricted: b.restricted, overdraftMinor,
    }), actorOf(request)), m));
    return reply.code(201).send(answer);
  });

  app.get<{ Params: NameP }>('/shared-accounts/:name', {
    config: ADMIN,
    schema: { summary: 'Get a shared account', tags: TAGS, params: nameParams('name'), response: { 200: F.SHARED_ACCOUNT_SCHEMA } },
  }, async (request) => F.sharedAccount(await service.getSharedAccount(request.params.name), await moneyFor(service)));

  app.post<{ Params: NameP; Body: { amount: string; comment?: string } }>('/shared-accounts/:name/adjust', {
    config: ADMIN,
    schema: {
      ...KEYED,
      summary: "Adjust a shared account's balance by a signed amount", tags: TAGS, params: nameParams('name'),
      body: body({ amount: MONEY_IN, comment: COMMENT }, ['amount']), response: { 200: F.BALANCE_CHANGE_SCHEMA },
    },
  }, async (request) => {
    const m = await moneyFor(service);
    const amountMinor = m.parse(request.body.amount, 'amount');
    return once(service, request, async (s) => F.balanceChange(await s.adjustSharedAccount(request.params.name, defined({ amountMinor, comment: request.body.comment }), actorOf(request)), m));
  });

  app.get<{ Params: NameP; Querystring: { limit?: number; cursor?: string } }>('/shared-accounts/:name/transactions', {
    config: ADMIN,
    schema: {
      summary: "A shared account's transactions, newest first", tags: TAGS, params: nameParams('name'),
      querystring: PAGING_QUERY, response: { 200: pageOf(F.TRANSACTION_SCHEMA) },
    },
  }, async (request) => {
    const m = await moneyFor(service);
    await service.getSharedAccount(request.params.name);
    const page = await service.listTransactions(defined({ account: request.params.name, limit: request.query.limit, cursor: request.query.cursor }));
    return { items: page.items.map((t) => F.transaction(t, m)), nextCursor: page.nextCursor };
  });

  app.post<{ Params: NameP; Body: { user?: string; group?: string } }>('/shared-accounts/:name/access', {
    config: ADMIN,
    schema: { ...KEYED, summary: 'Let a user or a group charge the account', tags: TAGS, params: nameParams('name'), body: ACCESS_BODY, response: NO_CONTENT },
  }, async (request, reply) => {
    await once(service, request, (s) => s.grantSharedAccess(request.params.name, accessOf(request.body)));
    return reply.code(204).send();
  });

  app.delete<{ Params: NameP; Body: { user?: string; group?: string } }>('/shared-accounts/:name/access', {
    config: ADMIN,
    schema: { ...KEYED, summary: 'Withdraw access', tags: TAGS, params: nameParams('name'), body: ACCESS_BODY, response: NO_CONTENT },
  }, async (request, reply) => {
    await once(service, request, (s) => s.revokeSharedAccess(request.params.name, accessOf(request.body)));
    return reply.code(204).send();
  });
};

function accessOf(b: { user?: string; group?: string }): { user?: string; group?: string } {
  if ((b.user === undefined) === (b.group === undefined)) throw new PrintgateError('VALIDATION_FAILED', 'give exactly one of user or group');
  return defined({ user: b.user, group: b.group });
}
