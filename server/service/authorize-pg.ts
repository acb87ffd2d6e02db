// PostgreSQL: authorize a known user's job in ONE round trip. Each process remembers, per
// user name, what authorize last read about the user (id, disabled, billing mode, groups,
// default account and whether it is restricted): the "profile". With a remembered
// profile, authorize decides at once and sends one statement that re-checks the profile
// against the rows as they are now, and only then reserves the cost and inserts the job
// (data-modifying CTEs: all or nothing). A profile that no longer holds, or credit that is
// gone, makes the statement change nothing; the caller forgets the profile and reads the
// user afresh (the two-round-trip path). So a stale memo costs a round trip, never a wrong
// decision: every input of the decision is re-checked in the same statement that writes:
// the user's rows directly, the cached settings, printers and groups through their
// version (cache_version, bumped by every change to them: a process that changed them
// elsewhere makes the statement write nothing, and the job is decided again on a fresh
// read, which reloads the caches when they are behind).
//
// What the check covers, and why it is enough: decide() reads from the user and account
// only user.disabled, the billing mode (the user's own and their groups'), the group list
// (restrictions, printer access) and account.restricted with the available credit; the
// credit is the reservation's own condition. The account's name goes into the answer.

import type { Core } from './core.ts';

/** The row authorize's user look-up returns (users joined with the default account). */
export type UserLookupRow = Record<string, unknown>;

const MAX_PROFILES = 20_000;

/** Remembered look-ups by user name, one map per service instance. */
const memos = new WeakMap<Core, Map<string, UserLookupRow>>();

function memoOf(core: Core): Map<string, UserLookupRow> {
  let m = memos.get(core);
  if (!m) {
    m = new Map();
    memos.set(core, m);
  }
  return m;
}

export function rememberedUser(core: Core, name: string): UserLookupRow | undefined {
  return memos.get(core)?.get(name);
}

export function rememberUser(core: Core, name: string, row: UserLookupRow): void {
  const m = memoOf(core);
  // A bound on memory: past it, start again (the next calls read their users once more).
  if (m.size >= MAX_PROFILES && !m.has(name)) m.clear();
  m.set(name, row);
}

export function forgetUser(core: Core, name: string): void {
  memos.get(core)?.delete(name);
}

/** The group ids of a look-up row in ascending order, as the check's SQL lists them. */
export function sortedGroupIds(row: UserLookupRow): string {
  return String(row.group_ids ?? '').split(',').filter((x) => x !== '').map(Number).sort((a, b) => a - b).join(',');
}

/**
 * The statement: check the profile, reserve, insert the job. Parameters: cost, account id,
 * credit-limited flag (0/1), cost, then the profile (user id, user name, disabled 0/1,
 * billing mode or NULL, account name, restricted 0/1, sorted group ids), the version of the
 * caches the decision used, then the job's `valueCount` values. Outcomes:
 * - one row (job id, balance, reserved, overdraft): done;
 * - a NOT NULL violation (23502) on balance_after: the profile no longer holds, the caches
 *   moved on, or the credit is short; nothing was written;
 * - a division by zero (22012): the (agent, key) was taken meanwhile; the statement is
 *   undone, reservation included.
 */
export function checkedReserveAndInsertSql(columns: string, valueCount: number): string {
  const values = Array<string>(valueCount).fill('?').join(', ');
  return `WITH r AS (
      UPDATE accounts a SET reserved = a.reserved + ?
      WHERE a.id = ? AND (? = 0 OR a.balance - a.reserved + a.overdraft >= ?)
        AND a.user_id = ? AND a.kind = 'personal' AND a.is_default = 1
        AND EXISTS (SELECT 1 FROM users u WHERE u.id = a.user_id AND u.name = ? AND u.deleted_at IS NULL AND u.disabled = ?
                      AND u.billing_mode IS NOT DISTINCT FROM CAST(? AS TEXT))
        AND a.name = ? AND a.restricted = ?
        AND COALESCE((SELECT string_agg(CAST(m.group_id AS TEXT), ',' ORDER BY m.group_id) FROM group_members m WHERE m.user_id = a.user_id), '') = ?
        AND (SELECT c.version FROM cache_version c WHERE c.id = 1) = ?
      RETURNING a.balance, a.reserved, a.overdraft),
    j AS (INSERT INTO jobs (${columns}) VALUES (${values}, (SELECT balance - reserved + overdraft FROM r))
          ON CONFLICT (agent_id, idem_key) DO NOTHING RETURNING id)
    SELECT j.id, r.balance, r.reserved, r.overdraft, 1 / (SELECT COUNT(*) FROM j) AS guard FROM r LEFT JOIN j ON true`;
}
