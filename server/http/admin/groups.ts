// Admin API: groups, membership and group quotas (docs/api.md).

import type { FastifyPluginAsync } from 'fastify';
import type { BillingMode, QuotaPeriod } from '../../service/types.ts';
import { body, defined, MONEY_IN, moneyFor, NAME, nameParams, NO_CONTENT, nonNegative, KEYED, once, PAGING_QUERY, pageOf } from './common.ts';
import * as F from './format.ts';
import { RESTRICTIONS_IN, restrictionsIn, type RestrictionsJson } from './inputs.ts';

const ADMIN = { auth: 'admin' } as const;
const TAGS = ['groups'];
const NULL_MODE = { type: ['string', 'null'], enum: ['prepaid', 'postpaid', 'free', null] } as const;

interface NameP { name: string }

export const groupRoutes: FastifyPluginAsync = async (app) => {
  const { service } = app.printgate;

  app.get<{ Querystring: { limit?: number; cursor?: string } }>('/groups', {
    config: ADMIN,
    schema: { summary: 'List groups', tags: TAGS, querystring: PAGING_QUERY, response: { 200: pageOf(F.GROUP_SCHEMA) } },
  }, async (request) => {
    const m = await moneyFor(service);
    const page = await service.listGroups(defined({ limit: request.query.limit, cursor: request.query.cursor }));
    return { items: page.items.map((g) => F.group(g, m)), nextCursor: page.nextCursor };
  });

  app.post<{ Body: { name: string; billingMode?: BillingMode | null; restrictions?: RestrictionsJson } }>('/groups', {
    config: ADMIN,
    schema: {
      ...KEYED,
      summary: 'Create a group', tags: TAGS,
      body: body({ name: NAME, billingMode: NULL_MODE, restrictions: RESTRICTIONS_IN }, ['name']),
      response: { 201: F.GROUP_SCHEMA },
    },
  }, async (request, reply) => {
    const m = await moneyFor(service);
    const b = request.body;
    const restrictions = b.restrictions ? restrictionsIn(b.restrictions, m) : undefined;
    const answer = await once(service, request, async (s) => F.group(await s.createGroup(defined({ name: b.name, billingMode: b.billingMode, restrictions })), m));
    return reply.code(201).send(answer);
  });

  app.get<{ Params: NameP }>('/groups/:name', {
    config: ADMIN,
    schema: { summary: 'Get a group', tags: TAGS, params: nameParams('name'), response: { 200: F.GROUP_SCHEMA } },
  }, async (request) => F.group(await service.getGroup(request.params.name), await moneyFor(service)));

  app.patch<{ Params: NameP; Body: { billingMode?: BillingMode | null; restrictions?: RestrictionsJson } }>('/groups/:name', {
    config: ADMIN,
    schema: {
      ...KEYED,
      summary: "Change a group's billing mode or restrictions", tags: TAGS, params: nameParams('name'),
      body: body({ billingMode: NULL_MODE, restrictions: RESTRICTIONS_IN }), response: { 200: F.GROUP_SCHEMA },
    },
  }, async (request) => {
    const m = await moneyFor(service);
    const b = request.body;
    const restrictions = b.restrictions ? restrictionsIn(b.restrictions, m) : undefined;
    return once(service, request, async (s) => F.group(await s.updateGroup(request.params.name, defined({ billingMode: b.billingMode, restrictions })), m));
  });

  app.delete<{ Params: NameP }>('/groups/:name', {
    config: ADMIN,
    schema: { ...KEYED, summary: 'Delete a group', tags: TAGS, params: nameParams('name'), response: NO_CONTENT },
  }, async (request, reply) => {
    await once(service, request, (s) => s.deleteGroup(request.params.name));
    return reply.code(204).send();
  });

  app.get<{ Params: NameP }>('/groups/:name/members', {
    config: ADMIN,
    schema: {
      summary: "A group's members", tags: TAGS, params: nameParams('name'),
      response: { 200: { type: 'object', properties: { items: { type: 'array', items: { type: 'string' } } }, required: ['items'] } },
    },
  }, async (request) => ({ items: await service.listGroupMembers(request.params.name) }));

  app.post<{ Params: NameP; Body: { user: string } }>('/groups/:name/members', {
    config: ADMIN,
    schema: { ...KEYED, summary: 'Add a user to a group', tags: TAGS, params: nameParams('name'), body: body({ user: NAME }, ['user']), response: NO_CONTENT },
  }, async (request, reply) => {
    await once(service, request, (s) => s.addGroupMember(request.params.name, request.body.user));
    return reply.code(204).send();
  });

  app.delete<{ Params: NameP & { user: string } }>('/groups/:name/members/:user', {
    config: ADMIN,
    schema: { ...KEYED, summary: 'Remove a user from a group', tags: TAGS, params: nameParams('name', 'user'), response: NO_CONTENT },
  }, async (request, reply) => {
    await once(service, request, (s) => s.removeGroupMember(request.params.name, request.params.user));
    return reply.code(204).send();
  });

  app.put<{ Params: NameP; Body: { amount: string; period: QuotaPeriod; maxAccumulation: string } }>('/groups/:name/quota', {
    config: ADMIN,
    schema: {
      ...KEYED,
      summary: "Set a group's quota", tags: TAGS, params: nameParams('name'),
      body: body({ amount: MONEY_IN, period: { type: 'string', enum: ['daily', 'weekly', 'monthly'] }, maxAccumulation: MONEY_IN }, ['amount', 'period', 'maxAccumulation']),
      response: { 200: F.QUOTA_SCHEMA },
    },
  }, async (request) => {
    const m = await moneyFor(service);
    const b = request.body;
    const amountMinor = nonNegative(m.parse(b.amount, 'amount'), 'amount');
    const maxAccumulationMinor = nonNegative(m.parse(b.maxAccumulation, 'maxAccumulation'), 'maxAccumulation');
    return once(service, request, async (s) => F.quota(await s.setGroupQuota(request.params.name, { amountMinor, period: b.period, maxAccumulationMinor }), m));
  });

  app.delete<{ Params: NameP }>('/groups/:name/quota', {
    config: ADMIN,
    schema: { ...KEYED, summary: "Remove a group's quota", tags: TAGS, params: nameParams('name'), response: NO_CONTENT },
  }, async (request, reply) => {
    await once(service, request, (s) => s.clearGroupQuota(request.params.name));
    return reply.code(204).send();
  });
};
