// Helpers for the service tests: open a service on an engine, make agents and jobs.
import { openService } from '../../../server/service/index.ts';
import type { AgentIdentity, AuthorizeInput, PrintService } from '../../../server/service/types.ts';
import type { EngineContext } from '../../helpers/engines.ts';

export interface Clock { now: number; (): number }

export function fakeClock(start = Date.UTC(2026, 10, 20, 12, 0)): Clock {
  const c = (() => c.now) as Clock;
  c.now = start;
  return c;
}

export async function service(t: { teardown(fn: () => unknown): void }, ctx: EngineContext, clock?: () => number): Promise<PrintService> {
  const s = await openService({ db: ctx.db, dataDir: ctx.dataDir, background: false, eventRecheckMs: 100, ...(clock ? { clock } : {}) });
  t.teardown(() => s.close());
  return s;
}

export async function agent(s: PrintService, name = 'ps1'): Promise<AgentIdentity> {
  const { token } = await s.createAgent(name);
  return s.authenticateAgent(token);
}

let seq = 0;
export function job(user: string, pages: number, over: Partial<AuthorizeInput> & { queue?: string; title?: string; copies?: number; colour?: number[] } = {}): AuthorizeInput {
  const { queue, title, copies, colour, ...rest } = over;
  return {
    idempotencyKey: `k${++seq}-${Math.random().toString(36).slice(2)}`,
    job: { queue: queue ?? 'office', user, title: title ?? `doc ${seq}`, copies: copies ?? 1, host: 'pc1', spoolerJobId: String(seq) },
    analysis: { pagesKnown: true, pages, colorKnown: true, colorPageNumbers: colour ?? [], format: 'pdf', method: 'test', media: ['A4'] },
    ...rest,
  };
}
