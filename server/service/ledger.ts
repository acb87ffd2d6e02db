// The ledger: every balance change is one transactions row written in the same database
// transaction as the account's balance update (`balance = balance + amount`, atomic), so
// the stored balance always equals the sum of the account's rows. Also: listing, refunds,
// and the invariant check.

import { PrintgateError } from '../../shared/errors.ts';
import type { Minor } from '../../shared/money.ts';
import type { Queryable } from '../storage/port.ts';
import type { TransactionKind } from '../domain/types.ts';
import type { Core } from './core.ts';
import type { LedgerCheck, Page, RefundInput, Transaction, TransactionFilter } from './types.ts';
import { checkAmount, checkText, decodeCursor, encodeCursor, iso, jobIdNumber, pageLimit } from './util.ts';
import { findUserRow, personalAccount, sharedAccountRow } from './accounts.ts';

export interface Posting {
  accountId: number;
  amount: Minor;
  kind: TransactionKind;
  comment?: string;
  actor?: string;
  jobId?: number | null;
  idempotencyKey?: string | null;
}

/** Append one ledger row and move the balance with it. Returns the row id and new balance. */
export async function post(tx: Queryable, now: number, p: Posting, engine: 'sqlite' | 'postgres' = 'sqlite'): Promise<{ id: number; balanceAfter: Minor }> {
  if (engine === 'postgres') {
    // One round trip: the balance update and its ledger row in one data-modifying CTE.
    const r = await tx.get<{ id: number; balance_after: number }>(
      `WITH a AS (UPDATE accounts SET balance = balance + ? WHERE id = ? RETURNING id, balance)
       INSERT INTO transactions (account_id, amount, balance_after, kind, comment, actor, job_id, idempotency_key, created_at)
       SELECT a.id, ?, a.balance, ?, ?, ?, ?, ?, ? FROM a RETURNING id, balance_after`,
      [p.amount, p.accountId, p.amount, p.kind, p.comment ?? '', p.actor ?? '', p.jobId ?? null, p.idempotencyKey ?? null, now]);
    if (!r) throw new PrintgateError('UNKNOWN_ACCOUNT');
    if (Math.abs(Number(r.balance_after)) > 10_000_000_000_000) throw new PrintgateError('INVALID_AMOUNT', 'the balance would leave the allowed range');
    return { id: Number(r.id), balanceAfter: Number(r.balance_after) };
  }
  const acc = await tx.get<{ balance: number }>('UPDATE accounts SET balance = balance + ? WHERE id = ? RETURNING balance', [p.amount, p.accountId]);
  if (!acc) throw new PrintgateError('UNKNOWN_ACCOUNT');
  return { id: await appendLedgerRow(tx, now, p, Number(acc.balance)), balanceAfter: Number(acc.balance) };
}

/** The ledger row of a balance change the caller already applied (same transaction). */
export async function appendLedgerRow(tx: Queryable, now: number, p: Posting, balanceAfter: Minor): Promise<number> {
  if (Math.abs(balanceAfter) > 10_000_000_000_000) throw new PrintgateError('INVALID_AMOUNT', 'the balance would leave the allowed range');
  const row = await tx.get<{ id: number }>(
    `INSERT INTO transactions (account_id, amount, balance_after, kind, comment, actor, job_id, idempotency_key, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    [p.accountId, p.amount, balanceAfter, p.kind, p.comment ?? '', p.actor ?? '', p.jobId ?? null, p.idempotencyKey ?? null, now]);
  return Number(row!.id);
}

const TX_COLUMNS = `t.id, t.amount, t.balance_after, t.kind, t.comment, t.actor, t.job_id, t.created_at,
  a.name AS account_name, a.kind AS account_kind, u.name AS user_name`;
const TX_FROM = 'transactions t JOIN accounts a ON a.id = t.account_id LEFT JOIN users u ON u.id = a.user_id';

export function transactionFromRow(r: Record<string, unknown>): Transaction {
  return {
    id: String(r.id),
    account: String(r.account_name),
    accountType: r.account_kind === 'shared' ? 'shared' : 'personal',
    user: r.account_kind === 'shared' ? null : (r.user_name as string | null) ?? null,
    amountMinor: Number(r.amount),
    balanceAfterMinor: Number(r.balance_after),
    kind: r.kind as Transaction['kind'],
    comment: String(r.comment),
    actor: String(r.actor),
    jobId: r.job_id === null || r.job_id === undefined ? null : String(r.job_id),
    createdAt: iso(Number(r.created_at))!,
  };
}

export async function getTransaction(q: Queryable, id: number): Promise<Transaction> {
  const r = await q.get(`SELECT ${TX_COLUMNS} FROM ${TX_FROM} WHERE t.id = ?`, [id]);
  if (!r) throw new PrintgateError('NOT_FOUND', 'unknown transaction');
  return transactionFromRow(r);
}

export async function listTransactions(core: Core, filter: TransactionFilter = {}): Promise<Page<Transaction>> {
  const limit = pageLimit(filter.limit);
  const before = decodeCursor<number>(filter.cursor, 'number');
  const where: string[] = [];
  const params: Array<string | number | null> = [];
  if (filter.user !== undefined) {
    const user = await findUserRow(core.db, filter.user);
    if (!user) throw new PrintgateError('UNKNOWN_USER', `unknown user "${filter.user}"`);
    if (filter.account !== undefined) {
      where.push('t.account_id = ?');
      params.push((await personalAccount(core.db, user.id, filter.account)).id);
    } else {
      where.push("t.account_id IN (SELECT id FROM accounts WHERE user_id = ? AND kind = 'personal')");
      params.push(user.id);
    }
  } else if (filter.account !== undefined) {
    where.push('t.account_id = ?');
    params.push((await sharedAccountRow(core.db, filter.account)).id);
  }
  if (filter.jobId !== undefined) {
    where.push('t.job_id = ?');
    params.push(jobIdNumber(filter.jobId) ?? -1);
  }
  if (before !== null) {
    where.push('t.id < ?');
    params.push(before);
  }
  const rows = await core.db.all(
    `SELECT ${TX_COLUMNS} FROM ${TX_FROM} ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY t.id DESC LIMIT ?`,
    [...params, limit + 1]);
  const items = rows.slice(0, limit).map(transactionFromRow);
  return { items, nextCursor: rows.length > limit ? encodeCursor(Number(items.at(-1)!.id)) : null };
}

/** Refund a printed job, whole or in part, never more than was charged and not refunded. */
export async function refundJob(core: Core, jobId: string, input: RefundInput, actor: string): Promise<Transaction> {
  const id = jobIdNumber(jobId);
  if (id === null) throw new PrintgateError('UNKNOWN_JOB', `unknown job "${jobId}"`);
  const comment = checkText(input.comment, 'comment');
  if (input.amountMinor !== undefined) checkAmount(input.amountMinor, 'amount', { nonNegative: true, nonZero: true });
  const now = core.clock();
  const txId = await core.db.transaction(async (tx) => {
    const job = await tx.get<{ account_id: number | null; cost: number; refunded: number; status: string }>(
      `SELECT account_id, cost, refunded, status FROM jobs WHERE id = ?${core.db.dialect.forUpdate}`, [id]);
    if (!job) throw new PrintgateError('UNKNOWN_JOB', `unknown job "${jobId}"`);
    const left = Number(job.cost) - Number(job.refunded);
    if (job.status !== 'printed' || job.account_id === null || left <= 0) {
      throw new PrintgateError('CONFLICT', 'nothing left to refund on this job');
    }
    const amount = input.amountMinor ?? left;
    if (amount > left) throw new PrintgateError('INVALID_AMOUNT', `at most ${left} minor units can be refunded`);
    const guard = await tx.run('UPDATE jobs SET refunded = refunded + ? WHERE id = ? AND cost - refunded >= ?', [amount, id, amount]);
    if (guard.changes !== 1) throw new PrintgateError('CONFLICT', 'the job was refunded concurrently');
    return (await post(tx, now, { accountId: Number(job.account_id), amount, kind: 'refund', comment, actor, jobId: id }, core.db.dialect.engine)).id;
  });
  return getTransaction(core.db, txId);
}

/** Every balance equals the sum of its transactions; every reservation its jobs'. */
export async function checkLedger(core: Core): Promise<LedgerCheck> {
  const rows = await core.db.all<Record<string, number>>(
    `SELECT a.id, a.balance, a.reserved,
       COALESCE((SELECT SUM(t.amount) FROM transactions t WHERE t.account_id = a.id), 0) AS ledger,
       COALESCE((SELECT SUM(j.reserved) FROM jobs j WHERE j.account_id = a.id AND j.status = 'authorized'), 0) AS jobs_reserved
     FROM accounts a ORDER BY a.id`);
  const mismatches = rows
    .map((r) => ({ accountId: Number(r.id), balanceMinor: Number(r.balance), ledgerMinor: Number(r.ledger), reservedMinor: Number(r.reserved), jobsReservedMinor: Number(r.jobs_reserved) }))
    .filter((m) => m.balanceMinor !== m.ledgerMinor || m.reservedMinor !== m.jobsReservedMinor);
  return { ok: mismatches.length === 0, accounts: rows.length, mismatches };
}
