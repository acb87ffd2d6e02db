// The server's domain vocabulary: billing modes, cost models, restrictions, decisions and
// job states as plain data. Pure types, no I/O; the service, the storage layer and the
// HTTP layer all speak these. Money is always integer minor units (`...Minor` fields).

import type { Minor } from '../../shared/money.ts';

/** prepaid: deny when the job exceeds available credit; postpaid: always allowed, the
 *  balance goes negative for invoicing; free: recorded at zero cost. */
export type BillingMode = 'prepaid' | 'postpaid' | 'free';
export const BILLING_MODES: readonly BillingMode[] = ['prepaid', 'postpaid', 'free'];

export type QuotaPeriod = 'daily' | 'weekly' | 'monthly';
export const QUOTA_PERIODS: readonly QuotaPeriod[] = ['daily', 'weekly', 'monthly'];

/** One row of a table cost model; `null` in a selector matches anything. */
export interface CostRow {
  color: boolean | null;
  duplex: boolean | null;
  media: string | null;
  /** Price of one impression (one printed side). */
  perPageMinor: Minor;
}

/**
 * How a printer prices a job. Prices are per impression (printed side): a duplex sheet is
 * two impressions, so a table that wants duplex cheaper gives its duplex rows a lower
 * per-side price. `table`: the most specific matching row wins (most non-null selectors,
 * then the earlier row); no match uses `defaultMinor`.
 */
export type CostModel =
  | { type: 'simple'; perPageMinor: Minor }
  | { type: 'table'; rows: CostRow[]; defaultMinor: Minor };

/** What to do with a job whose pages could not be determined. */
export type UnknownPagesRule = { action: 'deny' } | { action: 'charge'; amountMinor: Minor };

/**
 * Restrictions of a printer or of a group. Unset (undefined/null) fields restrict nothing.
 * For a user in several groups every group's restrictions apply (the strictest wins).
 */
export interface Restrictions {
  maxPages?: number | null;          // impressions per job, all copies
  maxCostMinor?: Minor | null;
  maxCopies?: number | null;
  /** 'deny': colour jobs are denied; 'grayscale': forced to grayscale and re-priced. */
  color?: 'allow' | 'deny' | 'grayscale';
  /** 'force': one-sided jobs are turned duplex and re-priced. */
  duplex?: 'allow' | 'force';
  /** Document-name globs (`*`, `?`, case-insensitive) that are denied. */
  deniedTitles?: string[];
  /** Deny the same user+printer+title+pages+size again within this many seconds (0 = off). */
  duplicateWindowSeconds?: number | null;
  /** Printer only: groups allowed to print (empty or unset = everyone). */
  allowedGroups?: string[];
  /** Printer only: overrides the `job.unknown-pages` setting. */
  unknownPages?: UnknownPagesRule | null;
}

export type FailureMode = 'ALLOW_AND_LOG_NOTHING' | 'ALLOW_AND_LOG_LATER' | 'HOLD_UNTIL_RECONNECTED';
export const FAILURE_MODES: readonly FailureMode[] = ['ALLOW_AND_LOG_NOTHING', 'ALLOW_AND_LOG_LATER', 'HOLD_UNTIL_RECONNECTED'];

export type Decision = 'ALLOW' | 'DENY' | 'HOLD';
/** Names equal to the protocol's HoldKind enum. */
export type HoldKind = 'RELEASE' | 'CONFIRM' | 'CHOOSE_ACCOUNT' | 'CLAIM';

/** The server-side job lifecycle (see server/domain/lifecycle.ts for the transition table). */
export type JobStatus = 'held' | 'authorized' | 'printed' | 'cancelled' | 'failed' | 'denied' | 'timed-out';
export const JOB_STATUSES: readonly JobStatus[] = ['held', 'authorized', 'printed', 'cancelled', 'failed', 'denied', 'timed-out'];

/** Ledger row kinds. `settle` is the charge of a printed job. */
export type TransactionKind = 'adjust' | 'set' | 'settle' | 'refund' | 'quota' | 'card' | 'initial';

/**
 * Stable reason codes of a DENY decision (also in shared/errors.ts). Shown to agents and
 * users together with a message meant for the user.
 */
export type DenyReason =
  | 'UNKNOWN_USER'
  | 'USER_DISABLED'
  | 'PRINTER_DISABLED'
  | 'PRINTER_ACCESS_DENIED'
  | 'UNKNOWN_ACCOUNT'
  | 'ACCOUNT_ACCESS_DENIED'
  | 'INSUFFICIENT_CREDIT'
  | 'MAX_PAGES_EXCEEDED'
  | 'MAX_COST_EXCEEDED'
  | 'MAX_COPIES_EXCEEDED'
  | 'COLOR_NOT_ALLOWED'
  | 'DOCUMENT_NAME_DENIED'
  | 'DUPLICATE_JOB'
  | 'UNKNOWN_PAGES'
  | 'INVALID_JOB';

/** The protocol's Analysis message as plain data (what the agent reports; see domain/analysis.ts). */
export interface MediaCountInput {
  media: string;
  pages: number;
  colorPages: number;
}
export interface AnalysisInput {
  format?: string;
  pagesKnown: boolean;
  pages?: number;
  colorKnown?: boolean;
  colorPages?: number;
  colorPageNumbers?: number[];
  copies?: number;        // 0 = not said
  duplex?: boolean;
  media?: string[];
  method?: string;
  warnings?: string[];
  recovered?: boolean;
  mediaPages?: MediaCountInput[];
}
