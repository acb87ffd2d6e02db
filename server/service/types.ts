// The contract of the application server's core: every operation the HTTP layer (agent
// API, admin API, later the web pages) calls, with plain-object inputs and outputs.
// Field names follow docs/api.md; money is integer minor units in `...Minor` fields (the
// HTTP layer formats them as decimal strings with the `currency.exponent` setting).
// Failures throw PrintgateError (shared/errors.ts) with a catalogue code; a DENY is not an
// error but a decision. Timestamps are ISO-8601 strings (UTC) unless named `...Ms`.

import type { Minor } from '../../shared/money.ts';
import type {
  BillingMode, CostModel, Decision, FailureMode, HoldKind, JobStatus, QuotaPeriod,
  Restrictions, TransactionKind,
} from '../domain/types.ts';

export type * from '../domain/types.ts';

// ---- options ------------------------------------------------------------------------------

export interface ServiceOptions {
  /** A SQLite file path (default `<dataDir>/printgate.db`) or a `postgres://` URL. */
  db?: string;
  /** Data directory (created when missing). */
  dataDir: string;
  /** Injected clock (ms since epoch); tests drive time with it. Default Date.now. */
  clock?: () => number;
  /** Run the hold-timeout sweep and quota scheduler on timers (default true). */
  background?: boolean;
  /** How often a waiting pollEvents re-checks the database for events written by other
   *  server processes (default 1000 ms). */
  eventRecheckMs?: number;
  /** Where background failures (sweep, quota run) are reported; default process.emitWarning. */
  log?: (message: string, error?: unknown) => void;
}

export type OpenService = (options: ServiceOptions) => Promise<PrintService>;

// ---- paging -------------------------------------------------------------------------------

export interface PageRequest {
  /** default 100, max 1000 */
  limit?: number;
  /** opaque, from a previous `nextCursor` */
  cursor?: string | null;
}
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

// ---- agents, authorize / complete, events: agent-types.ts -------------------------------

export type * from './agent-types.ts';
import type { AgentIdentity, AgentInfo, RegisterInput, RegisterResult, HeartbeatInput, HeartbeatResult, AuthorizeInput, AuthorizeResult, CompleteInput, CompleteResult, EventsResult } from './agent-types.ts';

// ---- users, groups, accounts -------------------------------------------------------------

export interface AccountBalance {
  name: string;
  balanceMinor: Minor;
  isDefault: boolean;
}
export interface User {
  name: string;
  fullName: string;
  email: string;
  restricted: boolean;
  /** Effective mode: the user's own, else the most generous of their groups', else prepaid. */
  billingMode: BillingMode;
  /** The user's own setting (null = inherited from groups). */
  ownBillingMode: BillingMode | null;
  overdraftMinor: Minor;
  disabled: boolean;
  groups: string[];
  accounts: AccountBalance[];
  createdAt: string;
}
export interface CreateUserInput {
  name: string;
  fullName?: string;
  email?: string;
  restricted?: boolean;
  billingMode?: BillingMode | null;
  /** Starting balance; default the `user.default.balance` setting. */
  balanceMinor?: Minor;
}
export interface UpdateUserInput {
  fullName?: string;
  email?: string;
  restricted?: boolean;
  billingMode?: BillingMode | null;
  overdraftMinor?: Minor;
  disabled?: boolean;
}
export interface BalanceInfo {
  user: string;
  account: string;
  balanceMinor: Minor;
  /** Held for authorized jobs not yet completed. */
  reservedMinor: Minor;
  /** balance − reserved + overdraft */
  availableMinor: Minor;
}
export interface BalanceChange {
  balanceMinor: Minor;
  transactionId: string;
}
export interface AdjustInput {
  amountMinor: Minor;
  comment?: string;
  /** Personal account name (default: the user's default account). */
  account?: string;
}
export interface SetBalanceInput {
  balanceMinor: Minor;
  comment?: string;
  account?: string;
}

export interface Group {
  name: string;
  billingMode: BillingMode | null;
  restrictions: Restrictions;
  members: number;
  quota: Quota | null;
  createdAt: string;
}
export interface CreateGroupInput {
  name: string;
  billingMode?: BillingMode | null;
  restrictions?: Restrictions;
}
export interface UpdateGroupInput {
  billingMode?: BillingMode | null;
  restrictions?: Restrictions;
}
export interface Quota {
  group: string;
  amountMinor: Minor;
  period: QuotaPeriod;
  maxAccumulationMinor: Minor;
}
export interface QuotaInput {
  amountMinor: Minor;
  period: QuotaPeriod;
  maxAccumulationMinor: Minor;
}

export interface SharedAccount {
  name: string;
  balanceMinor: Minor;
  restricted: boolean;
  overdraftMinor: Minor;
  hasPin: boolean;
  disabled: boolean;
  access: { users: string[]; groups: string[] };
  createdAt: string;
}
export interface CreateSharedAccountInput {
  name: string;
  pin?: string;
  balanceMinor?: Minor;
  restricted?: boolean;
  overdraftMinor?: Minor;
}
export interface AccessInput {
  user?: string;
  group?: string;
}

export interface Transaction {
  id: string;
  /** Account name: personal account name (with `user` set) or shared account name. */
  account: string;
  accountType: 'personal' | 'shared';
  user: string | null;
  amountMinor: Minor;
  balanceAfterMinor: Minor;
  kind: TransactionKind;
  comment: string;
  actor: string;
  jobId: string | null;
  createdAt: string;
}
export interface TransactionFilter extends PageRequest {
  user?: string;
  /** Personal account name with `user`, else a shared account name. */
  account?: string;
  jobId?: string;
}

// ---- printers -----------------------------------------------------------------------------

export interface Printer {
  id: string;              // "<agent>/<queue>"
  agent: string;
  queue: string;
  description: string;
  enabled: boolean;
  costModel: CostModel;
  restrictions: Restrictions;
  failureMode: FailureMode;
  releaseRequired: boolean;
  confirmRequired: boolean;
  claimRequired: boolean;
  watermark: boolean;
  watermarkTemplate: string;
  watermarkRequired: boolean;
  firstSeenAt: string;
}
export interface UpdatePrinterInput {
  description?: string;
  enabled?: boolean;
  costModel?: CostModel;
  restrictions?: Restrictions;
  failureMode?: FailureMode;
  releaseRequired?: boolean;
  confirmRequired?: boolean;
  claimRequired?: boolean;
  watermark?: boolean;
  watermarkTemplate?: string;
  watermarkRequired?: boolean;
}

// ---- config ------------------------------------------------------------------------------

export interface ConfigEntry {
  key: string;
  value: string;
  default: string;
  description: string;
}

// ---- job log -------------------------------------------------------------------------------

export interface Job {
  id: string;
  user: string;
  account: string | null;
  printer: string;
  agent: string;
  host: string;
  title: string;
  spoolerJobId: string;
  pages: number | null;            // document pages, one copy
  colorPages: number | null;
  copies: number;
  duplex: boolean;
  grayscale: boolean;
  media: string;
  impressions: number;
  colorImpressions: number;
  sheets: number;
  costMinor: Minor;                // final charge once printed; estimate before
  /** Amount reserved at authorization (counted against the account while authorized). */
  reservedMinor: Minor;
  refundedMinor: Minor;
  decision: Decision;
  reasonCode: string;
  reason: string;
  holdKind: HoldKind | null;
  status: JobStatus;
  method: string;
  offline: boolean;
  createdAt: string;
  completedAt: string | null;
}
export interface JobFilter extends PageRequest {
  user?: string;
  printer?: string;
  /** ISO timestamps, inclusive from, exclusive to */
  from?: string;
  to?: string;
  decision?: Decision;
  status?: JobStatus;
}
export interface RefundInput {
  /** default: everything charged and not yet refunded */
  amountMinor?: Minor;
  comment?: string;
}

// ---- the service ---------------------------------------------------------------------------

/** Who performs an admin operation: written into the ledger's `actor`. */
export type Actor = string;

export interface LedgerCheck {
  ok: boolean;
  accounts: number;
  /** Accounts whose stored balance differs from the sum of their transactions, or whose
   *  reserved amount differs from the sum of their authorized jobs' reservations. */
  mismatches: Array<{ accountId: number; balanceMinor: Minor; ledgerMinor: Minor; reservedMinor: Minor; jobsReservedMinor: Minor }>;
}

export interface PrintService {
  // agent API
  /** Throws INVALID_TOKEN. Constant-time hash comparison. */
  authenticateAgent(token: string): Promise<AgentIdentity>;
  registerAgent(agent: AgentIdentity, input: RegisterInput): Promise<RegisterResult>;
  heartbeat(agent: AgentIdentity, input: HeartbeatInput): Promise<HeartbeatResult>;
  /** Idempotent by (agent, idempotencyKey); a different request under the same key throws
   *  IDEMPOTENCY_MISMATCH. Bad input throws INVALID_ARGUMENT. */
  authorize(agent: AgentIdentity, input: AuthorizeInput): Promise<AuthorizeResult>;
  /** Idempotent by (agent, idempotencyKey). UNKNOWN_JOB for a job of another agent. */
  complete(agent: AgentIdentity, input: CompleteInput): Promise<CompleteResult>;
  /** Long-poll: resolves as soon as events after `afterSeq` exist, or after `waitMs`
   *  (capped at 30 000) with none, or when `signal` aborts. */
  pollEvents(agent: AgentIdentity, afterSeq: number, waitMs: number, signal?: AbortSignal): Promise<EventsResult>;

  // held jobs (web pages / user client / admin)
  /** Release a held job (RELEASE/CONFIRM/CLAIM): reserves the cost (INSUFFICIENT_CREDIT
   *  leaves it held), marks it authorized, emits RELEASED. `account` picks the account
   *  (CHOOSE_ACCOUNT: emits ACCOUNT_CHOSEN). JOB_NOT_HELD when not held. */
  releaseJob(jobId: string, actor: Actor, options?: { account?: string; user?: string }): Promise<Job>;
  /** Cancel a held job, uncharged; emits CANCELLED. */
  cancelHeldJob(jobId: string, actor: Actor, message?: string): Promise<Job>;
  /** Time out held jobs older than `hold.timeout-minutes`; emits TIMED_OUT. Returns count. */
  sweepHeldJobs(nowMs?: number): Promise<number>;
  /** Held jobs of a user (web release page) or of everyone. */
  listHeldJobs(user?: string): Promise<Job[]>;

  // users
  listUsers(page?: PageRequest): Promise<Page<User>>;
  createUser(input: CreateUserInput, actor: Actor): Promise<User>;
  getUser(name: string): Promise<User>;
  /** null when unknown (web log-in, lookups). */
  findUser(name: string): Promise<User | null>;
  updateUser(name: string, patch: UpdateUserInput): Promise<User>;
  deleteUser(name: string): Promise<void>;
  /** Add another personal account (e.g. "copy") to a user. */
  addUserAccount(user: string, account: string, options?: { isDefault?: boolean }): Promise<User>;
  getBalance(user: string, account?: string): Promise<BalanceInfo>;
  /** All balances of a user: personal accounts and the shared accounts they may use. */
  listBalances(user: string): Promise<BalanceInfo[]>;
  adjustUserBalance(user: string, input: AdjustInput, actor: Actor): Promise<BalanceChange>;
  setUserBalance(user: string, input: SetBalanceInput, actor: Actor): Promise<BalanceChange>;

  // groups and quotas
  listGroups(page?: PageRequest): Promise<Page<Group>>;
  createGroup(input: CreateGroupInput): Promise<Group>;
  getGroup(name: string): Promise<Group>;
  updateGroup(name: string, patch: UpdateGroupInput): Promise<Group>;
  deleteGroup(name: string): Promise<void>;
  listGroupMembers(name: string): Promise<string[]>;
  addGroupMember(group: string, user: string): Promise<void>;
  removeGroupMember(group: string, user: string): Promise<void>;
  setGroupQuota(group: string, quota: QuotaInput): Promise<Quota>;
  clearGroupQuota(group: string): Promise<void>;
  /** Apply every quota due at `nowMs` exactly once per (group, user, period). */
  runDueQuotas(nowMs?: number): Promise<{ applied: number }>;

  // shared accounts
  listSharedAccounts(page?: PageRequest): Promise<Page<SharedAccount>>;
  createSharedAccount(input: CreateSharedAccountInput, actor: Actor): Promise<SharedAccount>;
  getSharedAccount(name: string): Promise<SharedAccount>;
  adjustSharedAccount(name: string, input: { amountMinor: Minor; comment?: string }, actor: Actor): Promise<BalanceChange>;
  grantSharedAccess(name: string, access: AccessInput): Promise<void>;
  revokeSharedAccess(name: string, access: AccessInput): Promise<void>;
  /** Whether `pin` is the shared account's PIN (false when it has none). Constant time. */
  verifySharedAccountPin(name: string, pin: string): Promise<boolean>;

  // ledger
  listTransactions(filter?: TransactionFilter): Promise<Page<Transaction>>;
  refundJob(jobId: string, input: RefundInput, actor: Actor): Promise<Transaction>;
  checkLedger(): Promise<LedgerCheck>;

  // printers
  listPrinters(): Promise<Printer[]>;
  /** `<agent>/<queue>` or a bare queue name when unique (else AMBIGUOUS_PRINTER). */
  getPrinter(ref: string): Promise<Printer>;
  updatePrinter(ref: string, patch: UpdatePrinterInput): Promise<Printer>;

  // agents
  listAgents(): Promise<AgentInfo[]>;
  /** The token ("pga_" + 32 random bytes, base64url) is returned once; only its SHA-256 is stored. */
  createAgent(name: string): Promise<{ name: string; token: string }>;
  deleteAgent(name: string): Promise<void>;

  // config
  listConfig(): Promise<ConfigEntry[]>;
  getConfigValue(key: string): Promise<ConfigEntry>;
  /** Validates the value for the key (VALIDATION_FAILED); UNKNOWN_CONFIG_KEY. */
  setConfigValue(key: string, value: string): Promise<ConfigEntry>;
  /** Currency display settings for the HTTP layer's money formatting. */
  moneyFormat(): Promise<{ currency: string; exponent: number }>;

  // job log
  listJobs(filter?: JobFilter): Promise<Page<Job>>;
  getJob(id: string): Promise<Job>;

  /**
   * Run `fn` at most once per (scope, key): a retry with the same key and an equal request
   * returns the stored answer; a different request throws IDEMPOTENCY_MISMATCH. For the
   * admin API's Idempotency-Key header (scope e.g. "admin"). `fn` runs inside the one
   * transaction that claims the key and stores its answer (crash- and race-safe, see
   * idempotency.ts) and must make every call through the service it is given, never
   * through this one (on SQLite such a call would wait for the transaction it is in). A
   * refusal (fn throws) stores nothing.
   */
  idempotent<T>(scope: string, key: string, request: unknown, fn: (service: TransactionalService) => Promise<T>): Promise<T>;

  /** Stop timers, wake pollers, close the database. Idempotent. */
  close(): Promise<void>;
}

/** The operations an idempotent request runs, bound to its transaction (PrintService.idempotent). */
export type TransactionalService = Omit<PrintService, 'idempotent' | 'close' | 'pollEvents'>;
