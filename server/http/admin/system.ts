// Admin API: agents (their tokens are shown once, at creation), settings stored in the
// database, the job log with refunds, and the quota run (docs/api.md).

import type { FastifyPluginAsync } from 'fastify';
import type { Decision, JobStatus } from '../../service/types.ts';
import { actorOf, body, COMMENT, defined, MONEY_IN, moneyFor, NAME, nameParams, NO_CONTENT, nonNegative, KEYED, once, PAGING_QUERY, pageOf } from './common.ts';
import * as F from './format.ts';

const ADMIN = { auth: 'admin' } as const;
const KEY_PARAMS = {
  type: 'object',
  properties: { key: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9._-]+$' } },
  required: ['key'],
} as const;
const ISO_TIME = { type: 'string', maxLength: 40, format: 'date-time' } as const;

interface JobsQuery {
  user?: string;
  printer?: string;
  from?: string;
  to?: string;
  decision?: Decision;
  status?: JobStatus;
  limit?: number;
  cursor?: string;
}

export const systemRoutes: FastifyPluginAsync = async (app) => {
  const { service } = app.printgate;

  // ---- agents ----
  app.get('/agents', {
    config: ADMIN,
    schema: {
      summary: 'List agents', tags: ['agents'],
      response: { 200: { type: 'object', properties: { items: { type: 'array', items: F.AGENT_SCHEMA } }, required: ['items'] } },
    },
  }, async () => ({ items: await service.listAgents() }));

  app.post<{ Body: { name: string } }>('/agents', {
    config: ADMIN,
    schema: {
      ...KEYED,
      summary: 'Create an agent and its token (shown once)', tags: ['agents'],
      body: body({ name: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9._-]+$' } }, ['name']),
      response: { 201: { type: 'object', properties: { name: { type: 'string' }, token: { type: 'string' } }, required: ['name', 'token'] } },
    },
  }, async (request, reply) => {
    const answer = await once(service, request, (s) => s.createAgent(request.body.name));
    return reply.code(201).send(answer);
  });

  app.delete<{ Params: { name: string } }>('/agents/:name', {
    config: ADMIN,
    schema: { summary: 'Delete an agent: its token stops working', tags: ['agents'], params: nameParams('name'), response: NO_CONTENT },
  }, async (request, reply) => {
    await service.deleteAgent(request.params.name);
    return reply.code(204).send();
  });

  // ---- settings ----
  app.get('/config', {
    config: ADMIN,
    schema: {
      summary: 'Every setting with its value and default', tags: ['config'],
      response: { 200: { type: 'object', properties: { items: { type: 'array', items: F.CONFIG_SCHEMA } }, required: ['items'] } },
    },
  }, async () => ({ items: await service.listConfig() }));

  app.get<{ Params: { key: string } }>('/config/:key', {
    config: ADMIN,
    schema: { summary: 'One setting', tags: ['config'], params: KEY_PARAMS, response: { 200: F.CONFIG_SCHEMA } },
  }, async (request) => service.getConfigValue(request.params.key));

  app.put<{ Params: { key: string }; Body: { value: string } }>('/config/:key', {
    config: ADMIN,
    schema: {
      ...KEYED,
      summary: 'Change a setting', tags: ['config'], params: KEY_PARAMS,
      body: body({ value: { type: 'string', maxLength: 4000 } }, ['value']), response: { 200: F.CONFIG_SCHEMA },
    },
  }, async (request) => once(service, request, (s) => s.setConfigValue(request.params.key, request.body.value)));

  // ---- job log ----
  app.get<{ Querystring: JobsQuery }>('/jobs', {
    config: ADMIN,
    schema: {
      summary: 'The job log, newest first', tags: ['jobs'],
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          ...PAGING_QUERY.properties,
          user: NAME, printer: NAME, from: ISO_TIME, to: ISO_TIME,
          decision: { type: 'string', enum: ['ALLOW', 'DENY', 'HOLD'] },
          status: { type: 'string', enum: ['held', 'authorized', 'printed', 'cancelled', 'failed', 'denied', 'timed-out'] },
        },
      },
      response: { 200: pageOf(F.JOB_SCHEMA) },
    },
  }, async (request) => {
    const m = await moneyFor(service);
    const page = await service.listJobs(defined({ ...request.query }));
    return { items: page.items.map((j) => F.job(j, m)), nextCursor: page.nextCursor };
  });

  app.get<{ Params: { id: string } }>('/jobs/:id', {
    config: ADMIN,
    schema: { summary: 'One job', tags: ['jobs'], params: nameParams('id'), response: { 200: F.JOB_SCHEMA } },
  }, async (request) => F.job(await service.getJob(request.params.id), await moneyFor(service)));

  app.post<{ Params: { id: string }; Body: { amount?: string; comment?: string } }>('/jobs/:id/refund', {
    config: ADMIN,
    schema: {
      ...KEYED,
      summary: 'Refund a job (all of it when amount is omitted)', tags: ['jobs'], params: nameParams('id'),
      body: body({ amount: MONEY_IN, comment: COMMENT }), response: { 200: F.TRANSACTION_SCHEMA },
    },
  }, async (request) => {
    const m = await moneyFor(service);
    const amount = m.parseOptional(request.body.amount, 'amount');
    const amountMinor = amount === undefined ? undefined : nonNegative(amount, 'amount');
    return once(service, request, async (s) => F.transaction(await s.refundJob(request.params.id, defined({ amountMinor, comment: request.body.comment }), actorOf(request)), m));
  });

  app.post<{ Params: { id: string }; Body: { account?: string; user?: string } }>('/jobs/:id/release', {
    config: ADMIN,
    schema: {
      ...KEYED,
      summary: 'Release a held job (it prints; charged to `account` when given)', tags: ['jobs'], params: nameParams('id'),
      body: body({ account: NAME, user: NAME }), response: { 200: F.JOB_SCHEMA },
    },
  }, async (request) => {
    const m = await moneyFor(service);
    return once(service, request, async (s) => F.job(await s.releaseJob(request.params.id, actorOf(request), defined({ ...request.body })), m));
  });

  app.post<{ Params: { id: string }; Body: { message?: string } }>('/jobs/:id/cancel', {
    config: ADMIN,
    schema: {
      ...KEYED,
      summary: 'Cancel a held job, uncharged', tags: ['jobs'], params: nameParams('id'),
      body: body({ message: COMMENT }), response: { 200: F.JOB_SCHEMA },
    },
  }, async (request) => {
    const m = await moneyFor(service);
    return once(service, request, async (s) => F.job(await s.cancelHeldJob(request.params.id, actorOf(request), request.body.message), m));
  });

  // ---- quotas ----
  app.post('/quotas/run', {
    config: ADMIN,
    schema: {
      summary: 'Apply due quotas now (the scheduler also does)', tags: ['groups'],
      response: { 200: { type: 'object', properties: { applied: { type: 'integer' } }, required: ['applied'] } },
    },
  }, async () => service.runDueQuotas());
};
