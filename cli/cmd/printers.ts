// `printgate cmd` sub-commands about printers: listing, prices, enabling. Printers are
// `<agent>/<queue>`; the bare queue name works when it is unique.

import { UsageError } from '../usage.ts';
import { seg } from './admin-client.ts';
import { parseBool, type CmdDef } from './types.ts';

type Json = Record<string, unknown>;

const FAILURE_MODES: Record<string, string> = {
  'allow-and-log-nothing': 'ALLOW_AND_LOG_NOTHING',
  'allow-and-log-later': 'ALLOW_AND_LOG_LATER',
  'hold-until-reconnected': 'HOLD_UNTIL_RECONNECTED',
};

/** A cost model in a few words: "0.10/page" or "table(3 rows) default 0.10". */
export function costSummary(model: Json | undefined): string {
  if (!model) return '';
  if (model.type === 'simple') return `${model.perPage}/page`;
  const rows = Array.isArray(model.rows) ? model.rows.length : 0;
  return `table(${rows} rows) default ${model.default}`;
}

async function patch(ctx: Parameters<CmdDef['run']>[0], printer: string, body: Json): Promise<void> {
  const answer = await ctx.api.patch(`printers/${seg(printer)}`, body);
  if (ctx.out.json) ctx.out.object(answer);
}

export const PRINTER_COMMANDS: CmdDef[] = [
  {
    name: 'list-printers',
    args: [],
    summary: 'list printers: agent/queue, enabled or disabled, cost, failure mode',
    async run(ctx) {
      for (const p of await ctx.api.items('printers')) {
        if (ctx.out.json) ctx.out.object(p);
        else ctx.out.row([p.id, p.enabled ? 'enabled' : 'disabled', costSummary(p.costModel as Json), p.failureMode]);
      }
    },
  },
  {
    name: 'get-printer',
    args: ['PRINTER'],
    summary: 'print one printer\'s settings as JSON',
    async run(ctx, [printer]) {
      ctx.out.object(await ctx.api.get(`printers/${seg(printer!)}`));
    },
  },
  {
    name: 'set-printer-cost-simple',
    args: ['PRINTER', 'AMOUNT'],
    summary: 'charge AMOUNT per page on PRINTER',
    async run(ctx, [printer, amount]) {
      const answer = await ctx.api.put(`printers/${seg(printer!)}/cost`, { simple: amount });
      if (ctx.out.json) ctx.out.object(answer);
    },
  },
  {
    name: 'disable-printer',
    args: ['PRINTER'],
    summary: 'deny every job on PRINTER',
    run: (ctx, [printer]) => patch(ctx, printer!, { enabled: false }),
  },
  {
    name: 'enable-printer',
    args: ['PRINTER'],
    summary: 'allow jobs on PRINTER again',
    run: (ctx, [printer]) => patch(ctx, printer!, { enabled: true }),
  },
  {
    name: 'set-printer-failure-mode',
    args: ['PRINTER', 'MODE'],
    summary: 'what the agent does when the server is unreachable: allow-and-log-nothing, allow-and-log-later, hold-until-reconnected',
    run(ctx, [printer, mode]) {
      const value = FAILURE_MODES[mode!];
      if (!value) throw new UsageError(`MODE must be one of ${Object.keys(FAILURE_MODES).join(', ')}`);
      return patch(ctx, printer!, { failureMode: value });
    },
  },
  {
    name: 'set-printer-release-required',
    args: ['PRINTER', 'true|false'],
    summary: 'hold jobs until the user releases them at the web page (secure print release)',
    run: (ctx, [printer, on]) => patch(ctx, printer!, { releaseRequired: parseBool(on!, 'the release setting') }),
  },
];
