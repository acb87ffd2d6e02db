// `printgate cmd` sub-commands about the server itself: settings, agents, the job log.

import { seg } from './admin-client.ts';
import { UsageError } from '../usage.ts';
import { parseCount, str, type CmdDef } from './types.ts';

type Json = Record<string, unknown>;

const DECISIONS = ['ALLOW', 'DENY', 'HOLD'];

export const SYSTEM_COMMANDS: CmdDef[] = [
  {
    name: 'get-config-value',
    args: ['KEY'],
    summary: 'print a setting\'s value',
    async run(ctx, [key]) {
      const answer = (await ctx.api.get(`config/${seg(key!)}`)) as Json;
      if (ctx.out.json) ctx.out.object(answer);
      else ctx.out.line(String(answer.value));
    },
  },
  {
    name: 'set-config-value',
    args: ['KEY', 'VALUE'],
    summary: 'change a setting',
    async run(ctx, [key, value]) {
      const answer = await ctx.api.put(`config/${seg(key!)}`, { value });
      if (ctx.out.json) ctx.out.object(answer);
    },
  },
  {
    name: 'list-config-values',
    args: [],
    summary: 'list settings: key, value, default',
    async run(ctx) {
      for (const c of await ctx.api.items('config')) {
        if (ctx.out.json) ctx.out.object(c);
        else ctx.out.row([c.key, c.value, c.default]);
      }
    },
  },
  {
    name: 'add-agent',
    args: ['NAME'],
    summary: 'create an agent; prints its token (shown once) on the last line',
    async run(ctx, [name]) {
      const answer = (await ctx.api.post('agents', { name })) as Json;
      if (ctx.out.json) { ctx.out.object(answer); return; }
      ctx.out.line(`agent "${String(answer.name)}" created; its token (shown only now):`);
      ctx.out.line(String(answer.token));
    },
  },
  {
    name: 'list-agents',
    args: [],
    summary: 'list agents: name, last contact, host name, platform, version',
    async run(ctx) {
      for (const a of await ctx.api.items('agents')) {
        if (ctx.out.json) ctx.out.object(a);
        else ctx.out.row([a.name, a.lastContactAt ?? 'never', a.hostname, a.platform, a.version]);
      }
    },
  },
  {
    name: 'list-jobs',
    args: [],
    summary: 'the job log, newest first: id, time, user, printer, pages, cost, decision, status, title',
    options: {
      user: { type: 'string', value: 'USER', help: 'only this user\'s jobs' },
      printer: { type: 'string', value: 'PRINTER', help: 'only jobs on this printer' },
      decision: { type: 'string', value: 'D', help: 'ALLOW, DENY or HOLD' },
      from: { type: 'string', value: 'TIME', help: 'ISO-8601 time, inclusive' },
      to: { type: 'string', value: 'TIME', help: 'ISO-8601 time, exclusive' },
      limit: { type: 'string', value: 'N', help: 'at most N jobs (default 50)' },
    },
    async run(ctx, _args, o) {
      const decision = str(o.decision)?.toUpperCase();
      if (decision !== undefined && !DECISIONS.includes(decision)) throw new UsageError(`--decision must be one of ${DECISIONS.join(', ')}`);
      const query = { user: str(o.user), printer: str(o.printer), decision, from: str(o.from), to: str(o.to) };
      for (const j of await ctx.api.list('jobs', query, parseCount(o.limit, '--limit', 50))) {
        if (ctx.out.json) ctx.out.object(j);
        else ctx.out.row([j.id, j.createdAt, j.user, j.printer, j.pages, j.cost, j.decision, j.status, j.title]);
      }
    },
  },
  {
    name: 'refund-job',
    args: ['JOB', '[AMOUNT]', '[COMMENT]'],
    summary: 'refund a job (all of it unless AMOUNT is given); prints the amount and balance after',
    async run(ctx, [job, amount, comment]) {
      const body: Json = {};
      if (amount !== undefined && amount !== '') body.amount = amount;
      if (comment !== undefined) body.comment = comment;
      const answer = (await ctx.api.post(`jobs/${seg(job!)}/refund`, body)) as Json;
      if (ctx.out.json) ctx.out.object(answer);
      else ctx.out.row([answer.amount, answer.balanceAfter]);
    },
  },
];
