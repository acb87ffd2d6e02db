// One spool file through the print provider's steps, against a real server: analyse it
// with the analysis engine, authorize, and act on the decision the way the agent does:
//   ALLOW -> (the printer prints) -> complete PRINTED: the server settles the charge
//   DENY  -> nothing printed, the reason is reported
//   HOLD  -> wait on the events channel for this job: RELEASED / ACCOUNT_CHOSEN -> complete
//            PRINTED; CANCELLED / TIMED_OUT -> reported; nothing within --wait -> still held
// A document the engine cannot analyse is still authorized, with its pages unknown, so
// the server's "unknown pages" rule decides (as for a real job).

import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { AnalysisResult } from '../shared/analysis.ts';
import { formatMoney } from '../shared/money.ts';
import { pb } from '../shared/protocol/index.ts';
import { failedAnalysis, mimeTypeOf, toProtocolAnalysis, type AnalysisMessage } from './client/analysis.ts';
import type { JobEvent, ServerClient } from './client/client.ts';
import { jobIdempotencyKey, stepIdempotencyKey } from './client/idempotency.ts';

export interface ReplaySettings {
  agent: string;
  queue: string;
  user: string;
  host: string;
  title?: string;
  account?: string;
  copies?: number;
  sides?: string;
  colorMode?: string;
  media?: string;
  numberUp?: number;
  pageRanges?: string;
  /** How long to wait for a held job's fate, in milliseconds (0 = do not wait). */
  waitMs: number;
}

export type Analyze = (path: string) => Promise<AnalysisResult>;

/** Events seen so far on the agent's channel, shared by the files of one run. */
export interface EventCursor {
  lastSeq: number;
  /** Events that arrived for jobs other than the one being waited for. */
  pending: JobEvent[];
}

export interface ReplayResult {
  file: string;
  /** ALLOW, DENY, HOLD (still held), RELEASED, CANCELLED, TIMED_OUT, or ERROR. */
  decision: string;
  jobId: string;
  cost: string;
  costMinor: number;
  estimate: string;
  estimateMinor: number;
  currency: string;
  account: string;
  balanceAfter: string | null;
  reasonCode: string;
  reason: string;
  format: string;
  pages: number | null;
  colorPages: number | null;
  method: string;
}

/** Minor-unit decimal places of an ISO currency (USD 2, JPY 0); 2 when unknown. */
export function currencyExponent(currency: string): number {
  if (!/^[A-Z]{3}$/.test(currency)) return 2;
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

export function errorResult(file: string, err: unknown): ReplayResult {
  const e = err as { code?: unknown; message?: unknown };
  return {
    file, decision: 'ERROR', jobId: '', cost: '', costMinor: 0, estimate: '', estimateMinor: 0, currency: '', account: '',
    balanceAfter: null, reasonCode: typeof e?.code === 'string' ? e.code : 'INTERNAL',
    reason: typeof e?.message === 'string' ? e.message : String(err), format: '', pages: null, colorPages: null, method: '',
  };
}

const EVENT_DECISION: Record<number, string> = {
  [pb.JobEventKind.RELEASED]: 'RELEASED',
  [pb.JobEventKind.ACCOUNT_CHOSEN]: 'RELEASED',
  [pb.JobEventKind.CANCELLED]: 'CANCELLED',
  [pb.JobEventKind.TIMED_OUT]: 'TIMED_OUT',
};

/** Wait for the event that decides `jobId`, up to `waitMs`; null when none came. */
async function waitForFate(client: ServerClient, cursor: EventCursor, jobId: string, waitMs: number): Promise<JobEvent | null> {
  const decides = (e: JobEvent): boolean => e.jobId === jobId && EVENT_DECISION[e.kind] !== undefined;
  const early = cursor.pending.findIndex(decides);
  if (early !== -1) return cursor.pending.splice(early, 1)[0]!;
  const deadline = Date.now() + waitMs;
  for (let remaining = waitMs; remaining > 0; remaining = deadline - Date.now()) {
    const answer = await client.events(cursor.lastSeq, Math.min(remaining, 30_000));
    // Never move the cursor backwards; a server restart may number from a lower point.
    cursor.lastSeq = Math.max(cursor.lastSeq, answer.lastSeq, ...answer.events.map((e) => e.seq));
    let found: JobEvent | null = null;
    for (const e of answer.events) {
      if (!found && decides(e)) found = e;
      else cursor.pending.push(e);
    }
    if (found) return found;
  }
  return null;
}

export async function replayFile(client: ServerClient, analyze: Analyze, path: string, s: ReplaySettings, cursor: EventCursor): Promise<ReplayResult> {
  const info = await stat(path);
  if (!info.isFile()) throw Object.assign(new Error(`${path} is not a file`), { code: 'INVALID_ARGUMENT' });

  let analysis: AnalysisMessage;
  let result: AnalysisResult | null = null;
  try {
    result = await analyze(path);
    analysis = toProtocolAnalysis(result);
  } catch (err) {
    analysis = failedAnalysis(err as Error & { code?: string });
  }

  const submittedAtMs = Date.now();
  const spoolerJobId = `replay-${randomUUID()}`;
  const key = jobIdempotencyKey({ agent: s.agent, queue: s.queue, spoolerJobId, submittedAtMs });
  const auth = await client.authorize({
    idempotencyKey: key,
    job: {
      queue: s.queue, spoolerJobId, user: s.user, host: s.host, title: s.title ?? basename(path),
      documentFormat: mimeTypeOf(String(analysis.format)), copies: s.copies ?? 0, numberUp: s.numberUp ?? 0,
      pageRanges: s.pageRanges ?? '', sides: s.sides ?? '', colorMode: s.colorMode ?? '', media: s.media ?? '',
      sizeBytes: info.size, submittedAtMs,
    },
    analysis,
    account: s.account ?? '',
  });

  const exp = currencyExponent(auth.currency);
  const out: ReplayResult = {
    file: path, decision: pb.Decision[auth.decision] ?? String(auth.decision), jobId: auth.jobId,
    cost: formatMoney(0, exp), costMinor: 0, estimate: formatMoney(auth.cost, exp), estimateMinor: auth.cost,
    currency: auth.currency, account: auth.account, balanceAfter: null, reasonCode: auth.reasonCode, reason: auth.message,
    format: result?.format ?? String(analysis.format ?? 'unknown'), pages: result?.pages ?? null,
    colorPages: result?.colorPages ?? null, method: result?.method ?? 'failed',
  };

  const printed = async (): Promise<void> => {
    const done = await client.complete({
      idempotencyKey: stepIdempotencyKey(key, 'complete'), jobId: auth.jobId, outcome: pb.Outcome.PRINTED, finishedAtMs: Date.now(),
    });
    out.cost = formatMoney(done.cost, exp);
    out.costMinor = done.cost;
    out.balanceAfter = formatMoney(done.balanceAfter, exp);
    if (done.account) out.account = done.account;
  };

  if (auth.decision === pb.Decision.ALLOW) {
    await printed();
  } else if (auth.decision === pb.Decision.HOLD) {
    const fate = s.waitMs > 0 ? await waitForFate(client, cursor, auth.jobId, s.waitMs) : null;
    if (!fate) {
      out.reason ||= 'held';
      out.reason += s.waitMs > 0 ? ` (still held after ${s.waitMs / 1000} s)` : '';
    } else {
      out.decision = EVENT_DECISION[fate.kind]!;
      if (fate.message) out.reason = fate.message;
      if (out.decision === 'RELEASED') {
        if (fate.account) out.account = fate.account;
        await printed();
      }
    }
  }
  return out;
}
