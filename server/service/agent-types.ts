// The agent side of the application server's contract (types.ts re-exports all of it):
// registration, heartbeats, authorize / complete and the job events an agent polls, with
// field names as the protocol's camelCase JSON. Money is integer minor units.

import type { Minor } from '../../shared/money.ts';
import type { AnalysisInput, Decision, FailureMode, HoldKind } from '../domain/types.ts';

/** Who is calling the agent API; from authenticateAgent(token). */
export interface AgentIdentity {
  id: number;
  name: string;
}

export interface AgentInfo {
  name: string;
  hostname: string;
  version: string;
  platform: string;
  createdAt: string;
  lastContactAt: string | null;
}

export interface PrinterInfoInput {
  queue: string;
  description?: string;
  deviceUri?: string;
}
export interface RegisterInput {
  hostname?: string;
  version?: string;
  platform?: string;
  printers?: PrinterInfoInput[];
}
/** Protocol PrinterPolicy. */
export interface PrinterPolicy {
  printer: string;
  queue: string;
  failureMode: FailureMode;
  watermark: boolean;
  watermarkTemplate: string;
  watermarkRequired: boolean;
  enabled: boolean;
}
export interface RegisterResult {
  agent: string;
  serverTimeMs: number;
  printers: PrinterPolicy[];
  heartbeatIntervalMs: number;
}
export interface HeartbeatInput {
  jobsWaiting?: number;
  journalBacklog?: number;
}
export interface HeartbeatResult {
  serverTimeMs: number;
  printers: PrinterPolicy[];
}

// ---- authorize / complete (field names as the protocol's camelCase JSON) -------------------

export interface JobAttributesInput {
  queue: string;
  spoolerJobId?: string;
  user: string;
  host?: string;
  title?: string;
  documentFormat?: string;
  copies?: number;        // 0 = 1
  numberUp?: number;      // 0 = 1
  pageRanges?: string;
  sides?: string;
  colorMode?: string;
  media?: string;
  sizeBytes?: number;
  submittedAtMs?: number;
}
export interface AuthorizeInput {
  idempotencyKey: string;
  job: JobAttributesInput;
  analysis: AnalysisInput;
  /** Requested account: a personal account name of the user, or a shared account name. */
  account?: string;
  offlineReplay?: boolean;
  offlineAtMs?: number;
}
/** Protocol AuthorizeResponse. reasonCode/message are '' when not applicable. */
export interface AuthorizeResult {
  decision: Decision;
  jobId: string;
  reasonCode: string;
  message: string;
  forceGrayscale: boolean;
  forceDuplex: boolean;
  costMinor: Minor;
  account: string;
  currency: string;
  holdKind: HoldKind | 'HOLD_KIND_UNSPECIFIED';
  holdExpiresAtMs: number;
  watermark: boolean;
  watermarkText: string;
  /** The account's available balance after the reservation. */
  balanceAfterMinor: Minor;
}

export type Outcome = 'PRINTED' | 'CANCELLED' | 'FAILED';
export interface CompleteInput {
  idempotencyKey: string;
  jobId: string;
  outcome: Outcome;
  /** Impressions actually printed, all copies; 0 = settle at the authorized figure. */
  impressionsPrinted?: number;
  finishedAtMs?: number;
  note?: string;
}
export interface CompleteResult {
  jobId: string;
  costMinor: Minor;
  balanceAfterMinor: Minor;
  account: string;
}

export type JobEventKind = 'RELEASED' | 'CANCELLED' | 'TIMED_OUT' | 'ACCOUNT_CHOSEN';
export interface JobEvent {
  seq: number;
  jobId: string;
  queue: string;
  spoolerJobId: string;
  kind: JobEventKind;
  account: string;
  costMinor: Minor;
  message: string;
  forceGrayscale: boolean;
  forceDuplex: boolean;
}
export interface EventsResult {
  events: JobEvent[];
  lastSeq: number;
}
