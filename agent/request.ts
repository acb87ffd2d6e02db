// Pure translations between the spooler's and the engine's view of a job and the protocol:
// the AuthorizeRequest (JobAttributes + Analysis), the server's answer in plain form, and
// the spooler changes a decision forces (grayscale, duplex). No I/O.

import type { AnalysisResult } from '../shared/analysis.ts';
import { pb } from '../shared/protocol/index.ts';
import type { JobArrived, ReleaseChanges } from '../platform/spooler.ts';
import { failedAnalysis, toProtocolAnalysis } from './client/analysis.ts';

/** An AuthorizeRequest as a plain object: JSON-able (it is journaled) and encodable. */
export interface AuthorizeRequestObject {
  idempotencyKey: string;
  job: Record<string, unknown>;
  analysis: Record<string, unknown>;
  offlineReplay?: boolean;
  offlineAtMs?: number;
  [k: string]: unknown;
}

export function jobAttributes(job: JobArrived): Record<string, unknown> {
  return {
    queue: job.queue,
    spoolerJobId: job.spoolerJobId,
    user: job.user,
    host: job.host,
    title: job.title,
    documentFormat: job.documentFormat,
    copies: job.copies,
    numberUp: job.numberUp,
    pageRanges: job.pageRanges,
    sides: job.sides,
    colorMode: job.colorMode,
    media: job.media,
    sizeBytes: job.sizeBytes,
    submittedAtMs: Math.trunc(job.submittedAt),
  };
}

/** The Analysis message (the client's mapping); a failed analysis is "pages unknown". */
export function analysisMessage(a: AnalysisResult | undefined, failure?: { code?: string; message: string }): Record<string, unknown> {
  const m = a ? toProtocolAnalysis(a) : failedAnalysis(failure ?? { message: 'not analysed' });
  return { ...m, warnings: (m.warnings ?? []).slice(0, 20) };
}

/** Several documents of one job as one analysis: pages add up, colour pages are renumbered. */
export function mergeAnalyses(parts: readonly AnalysisResult[]): AnalysisResult {
  if (parts.length === 1) return parts[0]!;
  let pages: number | null = 0;
  let colorPages: number | null = 0;
  let colorPageNumbers: number[] | null = [];
  const media = new Map<string, { name: string; pages: number; colorPages: number }>();
  for (const p of parts) {
    if (pages !== null && p.pages !== null && colorPageNumbers !== null && p.colorPageNumbers !== null && colorPages !== null && p.colorPages !== null) {
      const offset: number = pages;
      colorPageNumbers.push(...p.colorPageNumbers.map((n) => n + offset));
      colorPages += p.colorPages;
    } else {
      colorPages = null;
      colorPageNumbers = null;
    }
    pages = pages !== null && p.pages !== null ? pages + p.pages : null;
    for (const m of p.media) {
      const e = media.get(m.name) ?? { name: m.name, pages: 0, colorPages: 0 };
      e.pages += m.pages;
      e.colorPages += m.colorPages;
      media.set(m.name, e);
    }
  }
  const first = parts[0]!;
  return {
    format: parts.every((p) => p.format === first.format) ? first.format : 'unknown',
    pages, colorPages, colorPageNumbers,
    copies: first.copies,
    duplex: parts.some((p) => p.duplex),
    media: [...media.values()],
    method: [...new Set(parts.map((p) => p.method))].join('+'),
    warnings: parts.flatMap((p) => p.warnings),
    recovered: parts.some((p) => p.recovered),
  };
}

export function buildAuthorizeRequest(key: string, job: JobArrived, analysis: AnalysisResult | undefined, failure?: { code?: string; message: string }): AuthorizeRequestObject {
  return { idempotencyKey: key, job: jobAttributes(job), analysis: analysisMessage(analysis, failure) };
}

export type DecisionName = 'ALLOW' | 'DENY' | 'HOLD';

/** The server's answer, normalised (enums as names, absent fields as defaults). */
export interface Decision {
  decision: DecisionName;
  jobId: string;
  reasonCode: string;
  message: string;
  forceGrayscale: boolean;
  forceDuplex: boolean;
  watermark: boolean;
  watermarkText: string;
  cost: number;
  account: string;
}

export interface AuthorizeResponseLike {
  decision?: number | string | null;
  jobId?: string | null;
  reasonCode?: string | null;
  message?: string | null;
  forceGrayscale?: boolean | null;
  forceDuplex?: boolean | null;
  watermark?: boolean | null;
  watermarkText?: string | null;
  cost?: number | null;
  account?: string | null;
}

export function toDecision(r: AuthorizeResponseLike): Decision {
  const name = typeof r.decision === 'number' ? pb.Decision[r.decision] : r.decision;
  // An answer without a decision is a server bug: refusing to print is the safe reading.
  const decision: DecisionName = name === 'ALLOW' || name === 'HOLD' ? name : 'DENY';
  return {
    decision,
    jobId: r.jobId ?? '',
    reasonCode: r.reasonCode ?? (decision === 'DENY' && name !== 'DENY' ? 'INTERNAL' : ''),
    message: r.message ?? '',
    forceGrayscale: r.forceGrayscale === true,
    forceDuplex: r.forceDuplex === true,
    watermark: r.watermark === true,
    watermarkText: r.watermarkText ?? '',
    cost: Number(r.cost ?? 0),
    account: r.account ?? '',
  };
}

/** The spooler changes forced by the server; undefined when nothing changes. */
export function releaseChanges(job: Pick<JobArrived, 'sides' | 'colorMode'> | undefined, force: { grayscale: boolean; duplex: boolean }): ReleaseChanges | undefined {
  const changes: { sides?: ReleaseChanges['sides']; colorMode?: ReleaseChanges['colorMode'] } = {};
  if (force.grayscale && job?.colorMode !== 'monochrome') changes.colorMode = 'monochrome';
  if (force.duplex && job?.sides !== 'two-sided-long-edge' && job?.sides !== 'two-sided-short-edge') changes.sides = 'two-sided-long-edge';
  return Object.keys(changes).length ? changes : undefined;
}
