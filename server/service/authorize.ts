// authorize and complete: the agent's two money calls. Each is ONE database transaction
// (decision, job row, reservation or settlement, stored answer), idempotent by the
// agent's key. authorize: user (created on demand when configured), groups, account,
// duplicate check, the pure decision, then an atomic conditional reservation
// (`reserved = reserved + cost WHERE available >= cost`) so concurrent jobs cannot
// overdraw. complete: settles at what printed (ledger row) or releases the reservation.

import { PrintgateError } from '../../shared/errors.ts';
import { MAX_COPIES } from '../../shared/billing.ts';
import type { Minor } from '../../shared/money.ts';
import { formatMoney } from '../../shared/money.ts';
import { toAnalysisResult } from '../domain/analysis.ts';
import { decide, effectiveBillingMode, type DecisionOutcome } from '../domain/decide.ts';
import { transition } from '../domain/lifecycle.ts';
import { settleCost } from '../domain/pricing.ts';
import { combineRestrictions } from '../domain/restrictions.ts';
import type { DenyReason } from '../domain/types.ts';
import type { Queryable } from '../storage/port.ts';
import {
  ACCOUNT_COLUMNS, accountFromRow, available, hasSharedAccess, insertUser, personalAccount, userFromRow, type AccountRow, type UserRow,
} from './accounts.ts';

const USER_COLUMNS_U = 'u.id, u.name, u.full_name, u.email, u.restricted, u.billing_mode, u.disabled, u.created_at';
const ACCOUNT_COLUMNS_A = `a.id AS account_id, a.kind, a.user_id, a.name AS account_name, a.balance, a.reserved, a.overdraft,
  a.restricted AS account_restricted, a.is_default, a.pin_hash, a.disabled AS account_disabled, a.created_at AS account_created_at`;
import type { AgentAuth } from './agents.ts';
import type { GroupRow, PrinterRow, Snapshot } from './cache.ts';
import type { Core } from './core.ts';
import { checkedReserveAndInsertSql, forgetUser, rememberedUser, rememberUser, sortedGroupIds } from './authorize-pg.ts';
import { appendLedgerRow, post } from './ledger.ts';
import { ensurePrinter } from './printers.ts';
import type { AgentIdentity, AuthorizeInput, AuthorizeResult, CompleteInput, CompleteResult } from './types.ts';
import { checkName, flag, jobIdNumber, requestHash } from './util.ts';

const clip = (v: unknown, max: number): string => (typeof v === 'string' ? v.slice(0, max) : '');

function checkCount(v: unknown, what: string, max: number): number {
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max) {
    throw new PrintgateError('INVALID_ARGUMENT', `${what} must be an integer from 0 to ${max}`);
  }
  return v;
}

/** The user's groups, from one membership query and the cached group table. */
export async function userGroups(q: Queryable, snap: Snapshot, userId: number): Promise<GroupRow[]> {
  const rows = await q.all<{ group_id: number }>('SELECT group_id FROM group_members WHERE user_id = ?', [userId]);
  return rows.map((r) => snap.groups.get(Number(r.group_id))).filter((g): g is GroupRow => g !== undefined);
}

/** The account a job asks for: a personal account by name, else a shared account it may use. */
async function requestedAccount(q: Queryable, user: UserRow, name: string): Promise<AccountRow | { deny: DenyReason; message: string }> {
  const own = await q.get(`SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE user_id = ? AND kind = 'personal' AND name = ?`, [user.id, name]);
  if (own) return accountFromRow(own);
  const shared = await q.get(`SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE kind = 'shared' AND name = ? AND deleted_at IS NULL`, [name]);
  if (!shared) return { deny: 'UNKNOWN_ACCOUNT', message: `There is no account named "${name}".` };
  const acc = accountFromRow(shared);
  if (acc.disabled || !(await hasSharedAccess(q, acc.id, user.id))) return { deny: 'ACCOUNT_ACCESS_DENIED', message: `You may not charge the account "${name}".` };
  return acc;
}

/** Reserve `cost` on an account; null when a credit-limited account lacks the credit. */
export async function reserve(tx: Queryable, accountId: number, cost: Minor, creditLimited: boolean): Promise<{ balance: number; reserved: number; overdraft: number } | null> {
  const r = await tx.get<{ balance: number; reserved: number; overdraft: number }>(
    'UPDATE accounts SET reserved = reserved + ? WHERE id = ? AND (? = 0 OR balance - reserved + overdraft >= ?) RETURNING balance, reserved, overdraft',
    [cost, accountId, flag(creditLimited), cost]);
  return r ? { balance: Number(r.balance), reserved: Number(r.reserved), overdraft: Number(r.overdraft) } : null;
}

function watermarkText(template: string, vars: Record<string, string>): string {
  return template.replace(/\{(user|printer|job|date|host)\}/g, (_, k: string) => vars[k] ?? '');
}

export async function authorize(core: Core, auth: AgentAuth, agent: AgentIdentity, input: AuthorizeInput): Promise<AuthorizeResult> {
  if (typeof input !== 'object' || input === null || typeof input.job !== 'object' || input.job === null) {
    throw new PrintgateError('INVALID_ARGUMENT', 'job is missing');
  }
  const job = input.job;
  const queue = checkName(job.queue, 'job.queue', { noSlash: true });
  const userName = checkName(job.user, 'job.user');
  const attrs = {
    copies: checkCount(job.copies, 'job.copies', 1_000_000),
    numberUp: checkCount(job.numberUp, 'job.numberUp', 64),
    pageRanges: clip(job.pageRanges, 200), sides: clip(job.sides, 40), colorMode: clip(job.colorMode, 40), media: clip(job.media, 100),
  };
  const analysis = toAnalysisResult(input.analysis);
  const offline = input.offlineReplay === true;
  if (input.offlineAtMs !== undefined) checkCount(input.offlineAtMs, 'offlineAtMs', 8.64e15);
  const printer = await ensurePrinter(core, agent, queue);
  const snap = await core.caches.get();
  await auth.touch(agent.id);

  const key = checkKey(input.idempotencyKey);
  const hash = requestHash(input);
  // PostgreSQL, common case: no transaction at all, two round trips (see decideAndRecord),
  // or one when this process has seen the user before (authorize-pg.ts).
  let autocommit = core.db.dialect.engine === 'postgres' && !offline;
  const prepared: Prepared = { printer, snap, analysis, attrs, offline, userName, memo: autocommit && !input.account && snap.settings.accountSelection !== 'choose' };
  for (let attempt = 1; ; attempt++) {
    try {
      if (autocommit) return await decideAndRecord(core, core.db, true, agent, input, key, hash, prepared);
      return await core.db.transaction((tx) => decideAndRecord(core, tx, false, agent, input, key, hash, prepared));
    } catch (e) {
      // The key was answered before (a retry), or a race on it or on an on-demand user
      // insert was lost: everything this attempt did is rolled back; answer as before.
      if (e instanceof NeedsTransaction) {
        autocommit = false;
        prepared.memo = false;
        attempt--;
        continue;
      }
      if (e instanceof NeedsRead) {
        prepared.memo = false;
        attempt--;
        continue;
      }
      const lostRace = e instanceof KeyTaken || core.db.isUniqueViolation(e) || (e instanceof PrintgateError && e.code === 'ALREADY_EXISTS');
      if (!lostRace || (attempt >= 3 && !(e instanceof KeyTaken))) throw e;
      const first = await storedAuthorize(core, snap, core.db, agent, key, hash);
      if (first) return first;
      if (attempt >= 3) throw e;
    }
  }
}

/** Thrown inside the transaction when (agent, key) already has a job: roll back, answer as before. */
class KeyTaken extends Error {}
/** The autocommit path cannot handle this job (new user, lost credit race): use a transaction. */
class NeedsTransaction extends Error {}
/** The remembered profile does not hold or does not settle this job: read the user afresh. */
class NeedsRead extends Error {}

const JOB_INSERT_COLUMNS = `user_id, user_name, account_id, printer_id, agent_id, host, title, spooler_job_id, pages, color_pages,
  copies, duplex, grayscale, media, impressions, color_impressions, sheets, cost, reserved, decision, reason_code, reason,
  hold_kind, hold_expires_at, force_grayscale, force_duplex, status, method, offline, created_at, completed_at,
  idem_key, request_hash, quoted_cost, balance_after`;
const JOB_INSERT_VALUES = Array<string>(34).fill('?').join(', ');
const CHECKED_RESERVE_AND_INSERT = checkedReserveAndInsertSql(JOB_INSERT_COLUMNS, 34);

interface Prepared {
  printer: PrinterRow;
  snap: Snapshot;
  analysis: ReturnType<typeof toAnalysisResult>;
  attrs: { copies: number; numberUp: number; pageRanges: string; sides: string; colorMode: string; media: string };
  offline: boolean;
  userName: string;
  /** PostgreSQL autocommit: decide from the user's remembered profile (authorize-pg.ts). */
  memo: boolean;
}

/**
 * Decide a job and record it. In a transaction (`autocommit` false) on either engine; or,
 * on PostgreSQL for a known user, without one: the reads may be a moment old, and the
 * write is ONE statement that reserves and inserts together (a data-modifying CTE), which
 * is atomic by itself. The reservation's condition still guards the credit; a lost race
 * (credit gone, or the key taken meanwhile) aborts that statement and is redone in a
 * transaction or answered from the first job.
 */
async function decideAndRecord(core: Core, tx: Queryable, autocommit: boolean, agent: AgentIdentity, input: AuthorizeInput, key: string, hash: string, p: Prepared): Promise<AuthorizeResult> {
  const { analysis, attrs, offline, userName } = p;
  let { printer, snap } = p;
  let settings = snap.settings;
  const job = input.job;
  {
    // No look-up of a stored answer first: the job insert below claims (agent, key) and a
    // retry loses that claim, rolls back and returns the first answer (see authorize).
    const now = core.clock();
    // The user and their default account in one round trip, or none with a remembered profile.
    const remembered = autocommit && p.memo ? rememberedUser(core, userName) : undefined;
    const found = remembered ?? await tx.get<Record<string, unknown>>(
      `SELECT ${USER_COLUMNS_U}, ${ACCOUNT_COLUMNS_A},
         (SELECT ${core.db.dialect.listAgg('m.group_id')} FROM group_members m WHERE m.user_id = u.id) AS group_ids,
         (SELECT c.version FROM cache_version c WHERE c.id = 1) AS cache_version
       FROM users u JOIN accounts a ON a.user_id = u.id AND a.kind = 'personal' AND a.is_default = 1
       WHERE u.name = ? AND u.deleted_at IS NULL`, [userName]);
    let user: UserRow | null = found ? userFromRow(found) : null;
    let defaultAccount: AccountRow | null = found ? accountFromRow({ ...found, id: found.account_id, name: found.account_name, restricted: found.account_restricted, created_at: found.account_created_at, disabled: found.account_disabled }) : null;
    if (autocommit && !found) throw new NeedsTransaction();
    if (autocommit && found && !remembered && core.db.dialect.engine === 'postgres') rememberUser(core, userName, found);
    // Without a transaction, settings, printers and groups cached by this process may be up
    // to a second older than a change another process made: the look-up reads their version
    // too (no extra round trip), and an older snapshot is reloaded before deciding (the
    // remembered profile's statement checks the version itself). Not inside a transaction:
    // SQLite's reload would queue behind it.
    if (autocommit && found && !remembered && Number(found.cache_version) > snap.version) {
      snap = p.snap = await core.caches.atLeast(Number(found.cache_version));
      printer = p.printer = snap.printers.get(printer.id) ?? printer;
      settings = snap.settings;
    }
    if (!user && settings.onDemandCreation) user = await insertUser(tx, now, settings, { name: userName }, 'on-demand');

    let outcome: DecisionOutcome;
    let account: AccountRow | null = null;
    let billingLimited = false;
    if (!user) {
      outcome = { decision: offline ? 'ALLOW' : 'DENY', reasonCode: 'UNKNOWN_USER', message: `The user "${userName}" is not known to the print server.`, forceGrayscale: false, forceDuplex: false, costMinor: 0, listCostMinor: 0, units: null, holdKind: null };
    } else {
      const groups = found
        ? String(found.group_ids ?? '').split(',').filter((x) => x !== '').map((x) => snap.groups.get(Number(x))).filter((g): g is GroupRow => g !== undefined)
        : await userGroups(tx, snap, user.id);
      const mode = effectiveBillingMode(user.billingMode, groups.map((g) => g.billingMode));
      const restrictions = combineRestrictions(printer.restrictions, groups.map((g) => g.restrictions));
      let accountDenial: { deny: DenyReason; message: string } | null = null;
      if (input.account) {
        const r = await requestedAccount(tx, user, clip(input.account, 200));
        if ('deny' in r) accountDenial = r;
        else account = r;
      }
      account ??= defaultAccount ?? await personalAccount(tx, user.id);
      const chooseAccount = !offline && !input.account && settings.accountSelection === 'choose' && (await tx.get(
        `SELECT 1 AS ok FROM account_access x JOIN accounts a ON a.id = x.account_id AND a.deleted_at IS NULL AND a.disabled = 0
         WHERE x.user_id = ? OR x.group_id IN (SELECT group_id FROM group_members WHERE user_id = ?) LIMIT 1`, [user.id, user.id])) !== undefined;
      const isDuplicate = !offline && restrictions.duplicateWindowSeconds > 0 && (await tx.get(
        `SELECT 1 AS ok FROM jobs WHERE user_id = ? AND created_at >= ? AND printer_id = ? AND title = ? AND COALESCE(pages, -1) = ?
         AND media = ? AND status IN ('held', 'authorized', 'printed') LIMIT 1`,
        [user.id, now - restrictions.duplicateWindowSeconds * 1000, printer.id, clip(job.title, 1024), analysis.pages ?? -1, mediaOf(analysis.media[0]?.name, attrs.media)])) !== undefined;
      billingLimited = mode === 'prepaid' && account.restricted;
      outcome = decide({
        offlineReplay: offline,
        user: { disabled: user.disabled, billingMode: mode, groups: groups.map((g) => g.name) },
        printer, restrictions, unknownPagesDefault: settings.unknownPages, analysis, attrs, title: clip(job.title, 1024),
        // A remembered balance is stale: the statement's reservation checks the credit.
        account: { restricted: account.restricted, availableMinor: remembered ? Number.MAX_SAFE_INTEGER : available(account) },
        chooseAccount, isDuplicate, formatMoney: (m) => `${formatMoney(m, settings.exponent)} ${settings.currency}`,
      });
      if (accountDenial && outcome.decision !== 'DENY' && !offline) {
        outcome = { ...outcome, decision: 'DENY', reasonCode: accountDenial.deny, message: accountDenial.message, holdKind: null };
      }
    }

    // The reservation, atomic against concurrent jobs on the same account.
    let after = account ? { balance: account.balance, reserved: account.reserved, overdraft: account.overdraft } : null;
    const reserving = outcome.decision === 'ALLOW' && !offline && account !== null && outcome.costMinor > 0;
    // Only a reservation re-checks the profile; any other outcome is decided on a fresh read.
    if (remembered && !reserving) throw new NeedsRead();
    if (reserving && !autocommit) {
      const r = await reserve(tx, account!.id, outcome.costMinor, billingLimited);
      if (r) after = r;
      else outcome = { ...outcome, decision: 'DENY', reasonCode: 'INSUFFICIENT_CREDIT', message: 'Not enough credit for this job.' };
    }
    const status = transition('new', outcome.decision === 'DENY' ? 'deny' : outcome.decision === 'HOLD' ? 'hold' : offline ? 'replay' : 'allow')!;
    const holdExpires = outcome.decision === 'HOLD' ? now + settings.holdTimeoutMinutes * 60_000 : null;
    const units = outcome.units;
    const createdAt = offline && input.offlineAtMs ? input.offlineAtMs : now;
    const values = [user?.id ?? null, userName, account?.id ?? null, printer.id, agent.id, clip(job.host, 255), clip(job.title, 1024),
      clip(job.spoolerJobId, 100), analysis.pages, analysis.colorPages, units?.copies ?? Math.max(1, attrs.copies),
      flag(units?.duplex ?? false), flag(units?.grayscale ?? false), mediaOf(units?.bySize[0]?.media ?? analysis.media[0]?.name, attrs.media),
      units?.impressions ?? 0, units?.colorImpressions ?? 0, units?.sheets ?? 0,
      outcome.decision === 'DENY' ? 0 : outcome.costMinor, status === 'authorized' ? outcome.costMinor : 0,
      outcome.decision, outcome.reasonCode, outcome.message, outcome.holdKind, holdExpires, flag(outcome.forceGrayscale),
      flag(outcome.forceDuplex), status, analysis.method, flag(offline), createdAt, status === 'printed' ? now : null,
      key, hash, outcome.decision === 'DENY' ? 0 : outcome.costMinor];
    let row: { id: number } | undefined;
    if (reserving && autocommit) {
      // One statement: reserve, then insert with the balance after it. No reservation (credit
      // gone): balance_after is NULL and the NOT NULL constraint aborts the statement.
      // Key already used: the insert does nothing and the guard's division by zero aborts
      // the statement, undoing the reservation.
      // With a remembered profile the same statement also re-checks it (authorize-pg.ts);
      // a profile that no longer holds fails like missing credit, and is read afresh.
      try {
        const r = remembered
          ? await tx.get<{ id: number; balance: number; reserved: number; overdraft: number }>(CHECKED_RESERVE_AND_INSERT,
            [outcome.costMinor, account!.id, flag(billingLimited), outcome.costMinor, user!.id, userName, flag(user!.disabled), user!.billingMode,
              account!.name, flag(account!.restricted), sortedGroupIds(remembered), snap.version, ...values])
          : await tx.get<{ id: number; balance: number; reserved: number; overdraft: number }>(
            `WITH r AS (UPDATE accounts SET reserved = reserved + ? WHERE id = ? AND (? = 0 OR balance - reserved + overdraft >= ?)
                        RETURNING balance, reserved, overdraft),
                  j AS (INSERT INTO jobs (${JOB_INSERT_COLUMNS}) VALUES (${JOB_INSERT_VALUES}, (SELECT balance - reserved + overdraft FROM r))
                        ON CONFLICT (agent_id, idem_key) DO NOTHING RETURNING id)
             SELECT j.id, r.balance, r.reserved, r.overdraft, 1 / (SELECT COUNT(*) FROM j) AS guard FROM r LEFT JOIN j ON true`,
            [outcome.costMinor, account!.id, flag(billingLimited), outcome.costMinor, ...values]);
        row = r;
        after = { balance: Number(r!.balance), reserved: Number(r!.reserved), overdraft: Number(r!.overdraft) };
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code === '22012') throw new KeyTaken();
        if (code === '23502' && remembered) {
          forgetUser(core, userName);
          throw new NeedsRead();
        }
        if (code === '23502') throw new NeedsTransaction();
        throw e;
      }
    } else {
      row = await tx.get<{ id: number }>(
        `INSERT INTO jobs (${JOB_INSERT_COLUMNS}) VALUES (${JOB_INSERT_VALUES}, ?) ON CONFLICT (agent_id, idem_key) DO NOTHING RETURNING id`,
        [...values, after ? available(after) : 0]);
    }
    if (!row) throw new KeyTaken();
    const jobId = Number(row.id);

    // An offline replay already printed: charge it now (never denied; may go below zero).
    if (status === 'printed' && account && outcome.costMinor !== 0) {
      const p = await post(tx, now, { accountId: account.id, amount: -outcome.costMinor, kind: 'settle', comment: `job ${jobId} (offline)`, actor: `agent:${agent.name}`, jobId }, core.db.dialect.engine);
      after = { ...after!, balance: p.balanceAfter };
      await tx.run('UPDATE jobs SET balance_after = ? WHERE id = ?', [available(after), jobId]);
    }
    const balanceAfter = after ? available(after) : 0;
    return answer(core, snap, {
      jobId, decision: outcome.decision, reasonCode: outcome.reasonCode, message: outcome.message, forceGrayscale: outcome.forceGrayscale,
      forceDuplex: outcome.forceDuplex, quotedCost: outcome.decision === 'DENY' ? 0 : outcome.costMinor, account: account?.name ?? '',
      holdKind: outcome.holdKind, holdExpiresAt: holdExpires, printer, userName, host: clip(job.host, 255), createdAt, balanceAfter,
    });
  }
}


function mediaOf(analysed: string | undefined, requested: string): string {
  return (analysed && analysed !== 'unknown' ? analysed : requested).slice(0, 100);
}

const OUTCOME_EVENT = { PRINTED: 'printed', CANCELLED: 'cancel', FAILED: 'fail' } as const;

export async function complete(core: Core, auth: AgentAuth, agent: AgentIdentity, input: CompleteInput): Promise<CompleteResult> {
  if (typeof input !== 'object' || input === null) throw new PrintgateError('INVALID_ARGUMENT', 'request is missing');
  const id = jobIdNumber(input.jobId);
  if (id === null) throw new PrintgateError('UNKNOWN_JOB', `unknown job "${String(input.jobId)}"`);
  const event = OUTCOME_EVENT[input.outcome as keyof typeof OUTCOME_EVENT];
  if (!event) throw new PrintgateError('INVALID_ARGUMENT', 'outcome must be PRINTED, CANCELLED or FAILED');
  const printed = checkCount(input.impressionsPrinted, 'impressionsPrinted', MAX_COPIES * 1_000_000);
  await auth.touch(agent.id);

  const key = checkKey(input.idempotencyKey);
  const hash = requestHash(input);
  if (core.db.dialect.engine === 'postgres') {
    const fast = await completeInOneStatement(core, agent, id, input.outcome, printed, key, hash);
    if (fast) return fast;
  }

  return core.db.transaction(async (tx) => {
    const now = core.clock();
    const job = await tx.get<Record<string, unknown>>(
      `SELECT id, agent_id, account_id, status, cost, reserved, impressions, complete_key, complete_hash FROM jobs WHERE id = ?${core.db.dialect.forUpdate}`, [id]);
    if (!job || Number(job.agent_id) !== agent.id) throw new PrintgateError('UNKNOWN_JOB', `unknown job "${input.jobId}"`);
    const accountId = job.account_id === null ? null : Number(job.account_id);
    const from = job.status as Parameters<typeof transition>[0];
    const next = job.complete_key === key ? null : transition(from, event);
    let cost = 0;
    if (job.complete_key === key && job.complete_hash !== hash) {
      throw new PrintgateError('IDEMPOTENCY_MISMATCH', `the idempotency key "${key}" was used for a different request`);
    }
    if (next === null) {
      if (from === 'held') throw new PrintgateError('JOB_NOT_HELD', 'the job is held and was not released; it cannot have printed');
      if (from === 'authorized') throw new PrintgateError('CONFLICT', `cannot ${event} an authorized job`);
      // A retry, or the job is already final: report it as it stands, charge nothing more.
      cost = from === 'printed' ? Number(job.cost) : 0;
    } else if (next === 'printed') {
      cost = settleCost(Number(job.cost), Number(job.impressions), printed);
      const g = await tx.run("UPDATE jobs SET status = 'printed', cost = ?, completed_at = ?, complete_key = ?, complete_hash = ? WHERE id = ? AND status = 'authorized'", [cost, now, key, hash, id]);
      if (g.changes !== 1) throw new PrintgateError('CONFLICT', 'the job changed concurrently; retry');
      if (accountId !== null) {
        // Release the reservation and charge in one statement; the ledger row with it
        // (PostgreSQL: the same round trip, as a data-modifying CTE).
        const posting = { accountId, amount: -cost, kind: 'settle' as const, comment: `job ${id}`, actor: `agent:${agent.name}`, jobId: id };
        if (core.db.dialect.engine === 'postgres') {
          const acc = await tx.get<Record<string, unknown>>(
            `WITH a AS (UPDATE accounts SET reserved = reserved - ?, balance = balance - ? WHERE id = ? RETURNING id, name, balance, reserved, overdraft),
             t AS (INSERT INTO transactions (account_id, amount, balance_after, kind, comment, actor, job_id, created_at)
                   SELECT a.id, ?, a.balance, 'settle', ?, ?, ?, ? FROM a WHERE ? <> 0 RETURNING id)
             SELECT name, balance, reserved, overdraft FROM a`,
            [Number(job.reserved), cost, accountId, -cost, posting.comment, posting.actor, id, now, cost]);
          return completeAnswer(id, cost, acc);
        }
        const acc = await tx.get<Record<string, unknown>>('UPDATE accounts SET reserved = reserved - ?, balance = balance - ? WHERE id = ? RETURNING name, balance, reserved, overdraft', [Number(job.reserved), cost, accountId]);
        if (cost !== 0) await appendLedgerRow(tx, now, posting, Number(acc!.balance));
        return completeAnswer(id, cost, acc);
      }
    } else {
      const g = await tx.run('UPDATE jobs SET status = ?, cost = 0, completed_at = ?, complete_key = ?, complete_hash = ? WHERE id = ? AND status = ?', [next, now, key, hash, id, from]);
      if (g.changes !== 1) throw new PrintgateError('CONFLICT', 'the job changed concurrently; retry');
      if (accountId !== null && Number(job.reserved) !== 0) await tx.run('UPDATE accounts SET reserved = reserved - ? WHERE id = ?', [Number(job.reserved), accountId]);
    }
    const acc = accountId === null ? undefined : await tx.get<Record<string, unknown>>('SELECT name, balance, reserved, overdraft FROM accounts WHERE id = ?', [accountId]);
    return completeAnswer(id, cost, acc);
  });
}

/**
 * PostgreSQL: the common case of complete (an authorized job, first attempt) as ONE
 * statement: the job's state change, the reservation's release, the charge and its ledger
 * row, atomically (data-modifying CTEs). The settlement is pricing.ts's settleCost in SQL
 * (the same suite checks both engines). Anything else (a retry, a held or unknown job)
 * returns null and takes the transaction path.
 */
async function completeInOneStatement(core: Core, agent: AgentIdentity, id: number, outcome: string, printed: number, key: string, hash: string): Promise<CompleteResult | null> {
  const status = outcome === 'PRINTED' ? 'printed' : outcome === 'CANCELLED' ? 'cancelled' : 'failed';
  const now = core.clock();
  const r = await core.db.get<Record<string, unknown>>(
    `WITH j AS (
       UPDATE jobs SET status = ?, completed_at = ?, complete_key = ?, complete_hash = ?,
         cost = CASE WHEN ? <> 'printed' THEN 0
                     WHEN ? > 0 AND impressions > 0 AND ? < impressions
                       THEN CAST(FLOOR((CAST(cost AS NUMERIC) * ? * 2 + impressions) / (2 * impressions)) AS BIGINT)
                     ELSE cost END
       WHERE id = ? AND agent_id = ? AND status = 'authorized'
       RETURNING id, account_id, reserved, cost),
     a AS (
       UPDATE accounts SET reserved = accounts.reserved - j.reserved, balance = accounts.balance - j.cost
       FROM j WHERE accounts.id = j.account_id
       RETURNING accounts.id, accounts.name, accounts.balance, accounts.reserved, accounts.overdraft),
     t AS (
       INSERT INTO transactions (account_id, amount, balance_after, kind, comment, actor, job_id, created_at)
       SELECT a.id, -j.cost, a.balance, 'settle', 'job ' || j.id, ?, j.id, ? FROM a, j WHERE j.cost <> 0
       RETURNING id)
     SELECT j.cost, a.name, a.balance, a.reserved, a.overdraft FROM j LEFT JOIN a ON true`,
    [status, now, key, hash, status, printed, printed, printed, id, agent.id, `agent:${agent.name}`, now]);
  if (!r) return null;
  return completeAnswer(id, Number(r.cost), r.name === null ? undefined : r);
}

function completeAnswer(id: number, cost: Minor, acc: Record<string, unknown> | undefined): CompleteResult {
  return {
    jobId: String(id), costMinor: cost,
    balanceAfterMinor: acc ? available({ balance: Number(acc.balance), reserved: Number(acc.reserved), overdraft: Number(acc.overdraft) }) : 0,
    account: acc ? String(acc.name) : '',
  };
}

function checkKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > 200) {
    throw new PrintgateError('INVALID_ARGUMENT', 'idempotencyKey must be 1 to 200 characters');
  }
  return key;
}

interface AnswerParts {
  jobId: number;
  decision: AuthorizeResult['decision'];
  reasonCode: string;
  message: string;
  forceGrayscale: boolean;
  forceDuplex: boolean;
  quotedCost: Minor;
  account: string;
  holdKind: AuthorizeResult['holdKind'] | null;
  holdExpiresAt: number | null;
  printer: PrinterRow | undefined;
  userName: string;
  host: string;
  createdAt: number;
  balanceAfter: Minor;
}

function answer(_core: Core, snap: Snapshot, a: AnswerParts): AuthorizeResult {
  const p = a.printer;
  const mark = p?.watermark === true && a.decision !== 'DENY';
  return {
    decision: a.decision, jobId: String(a.jobId), reasonCode: a.reasonCode, message: a.message,
    forceGrayscale: a.forceGrayscale, forceDuplex: a.forceDuplex, costMinor: a.quotedCost, account: a.account,
    currency: snap.settings.currency, holdKind: a.holdKind ?? 'HOLD_KIND_UNSPECIFIED', holdExpiresAtMs: a.holdExpiresAt ?? 0,
    watermark: mark,
    watermarkText: mark ? watermarkText(p!.watermarkTemplate, { user: a.userName, printer: `${p!.agentName}/${p!.queue}`, job: String(a.jobId), date: new Date(a.createdAt).toISOString().slice(0, 10), host: a.host }) : '',
    balanceAfterMinor: a.balanceAfter,
  };
}

/** The answer already given for (agent, key), rebuilt from its job row; IDEMPOTENCY_MISMATCH for another request. */
async function storedAuthorize(core: Core, snap: Snapshot, q: Queryable, agent: AgentIdentity, key: string, hash: string): Promise<AuthorizeResult | undefined> {
  const r = await q.get<Record<string, unknown>>(
    `SELECT j.id, j.request_hash, j.decision, j.reason_code, j.reason, j.force_grayscale, j.force_duplex, j.quoted_cost, j.hold_kind,
       j.hold_expires_at, j.printer_id, j.user_name, j.host, j.created_at, j.balance_after, acc.name AS account_name
     FROM jobs j LEFT JOIN accounts acc ON acc.id = j.account_id WHERE j.agent_id = ? AND j.idem_key = ?`, [agent.id, key]);
  if (!r) return undefined;
  if (r.request_hash !== hash) throw new PrintgateError('IDEMPOTENCY_MISMATCH', `the idempotency key "${key}" was used for a different request`);
  // `snap` comes from the caller: reading the cache here could need a second connection
  // (PostgreSQL pool) or queue behind our own transaction (SQLite).
  return answer(core, snap, {
    jobId: Number(r.id), decision: r.decision as AuthorizeResult['decision'], reasonCode: String(r.reason_code), message: String(r.reason),
    forceGrayscale: Number(r.force_grayscale) === 1, forceDuplex: Number(r.force_duplex) === 1, quotedCost: Number(r.quoted_cost),
    account: (r.account_name as string | null) ?? '', holdKind: (r.hold_kind as AuthorizeResult['holdKind'] | null) ?? null,
    holdExpiresAt: r.hold_expires_at === null ? null : Number(r.hold_expires_at), printer: snap.printers.get(Number(r.printer_id)),
    userName: String(r.user_name), host: String(r.host), createdAt: Number(r.created_at), balanceAfter: Number(r.balance_after),
  });
}
