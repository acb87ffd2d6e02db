// Admin operations on users and their personal accounts: create (with the configured
// defaults), read with groups and balances (batched, no query per user), update, delete
// (soft: history stays, the name can be reused), extra named accounts, balances, and
// balance adjustments that write ledger rows with the acting administrator.

import { PrintgateError } from '../../shared/errors.ts';
import { BILLING_MODES, type BillingMode } from '../domain/types.ts';
import { effectiveBillingMode } from '../domain/decide.ts';
import type { Queryable } from '../storage/port.ts';
import {
  ACCOUNT_COLUMNS, accessibleSharedAccounts, accountFromRow, available, insertUser, personalAccount,
  requireUser, USER_COLUMNS, userFromRow, type AccountRow, type UserRow,
} from './accounts.ts';
import type { Core } from './core.ts';
import { post } from './ledger.ts';
import type {
  AdjustInput, BalanceChange, BalanceInfo, CreateUserInput, Page, PageRequest, SetBalanceInput, UpdateUserInput, User,
} from './types.ts';
import { checkAmount, checkBool, checkName, checkText, decodeCursor, encodeCursor, flag, inList, iso, pageLimit } from './util.ts';

function checkMode(v: unknown): BillingMode | null {
  if (v === null) return null;
  if (!BILLING_MODES.includes(v as BillingMode)) throw new PrintgateError('INVALID_ARGUMENT', 'billingMode must be prepaid, postpaid or free');
  return v as BillingMode;
}

/** Full User objects for user rows: two batched queries for accounts and groups. */
export async function toUsers(core: Core, q: Queryable, rows: UserRow[]): Promise<User[]> {
  if (rows.length === 0) return [];
  const snap = await core.caches.get();
  const ids = inList(rows.map((r) => r.id));
  const accounts = await q.all(`SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE kind = 'personal' AND user_id IN ${ids.sql} ORDER BY id`, ids.params);
  const members = await q.all<{ user_id: number; group_id: number }>(`SELECT user_id, group_id FROM group_members WHERE user_id IN ${ids.sql}`, ids.params);
  return rows.map((u) => {
    const own = accounts.map(accountFromRow).filter((a) => a.userId === u.id);
    const groups = members.filter((m) => Number(m.user_id) === u.id).map((m) => snap.groups.get(Number(m.group_id))).filter((g) => g !== undefined);
    const def = own.find((a) => a.isDefault);
    return {
      name: u.name, fullName: u.fullName, email: u.email, restricted: u.restricted,
      billingMode: effectiveBillingMode(u.billingMode, groups.map((g) => g.billingMode)),
      ownBillingMode: u.billingMode,
      overdraftMinor: def?.overdraft ?? 0,
      disabled: u.disabled,
      groups: groups.map((g) => g.name).sort(),
      accounts: own.map((a) => ({ name: a.name, balanceMinor: a.balance, isDefault: a.isDefault })),
      createdAt: iso(u.createdAt)!,
    };
  });
}

export async function getUser(core: Core, name: string): Promise<User> {
  return (await toUsers(core, core.db, [await requireUser(core.db, name)]))[0]!;
}

export async function findUser(core: Core, name: string): Promise<User | null> {
  const r = await core.db.get(`SELECT ${USER_COLUMNS} FROM users WHERE name = ? AND deleted_at IS NULL`, [name]);
  return r ? (await toUsers(core, core.db, [userFromRow(r)]))[0]! : null;
}

export async function listUsers(core: Core, page: PageRequest = {}): Promise<Page<User>> {
  const limit = pageLimit(page.limit);
  const after = decodeCursor<string>(page.cursor, 'string');
  const rows = (await core.db.all(
    `SELECT ${USER_COLUMNS} FROM users WHERE deleted_at IS NULL AND name > ? ORDER BY name LIMIT ?`, [after ?? '', limit + 1])).map(userFromRow);
  const items = await toUsers(core, core.db, rows.slice(0, limit));
  return { items, nextCursor: rows.length > limit ? encodeCursor(items.at(-1)!.name) : null };
}

export async function createUser(core: Core, input: CreateUserInput, actor: string): Promise<User> {
  const name = checkName(input?.name, 'name');
  const restricted = input.restricted === undefined ? undefined : checkBool(input.restricted, 'restricted');
  const billingMode = input.billingMode === undefined ? undefined : checkMode(input.billingMode);
  const balance = input.balanceMinor === undefined ? undefined : checkAmount(input.balanceMinor, 'balance');
  const { settings } = await core.caches.get();
  await core.db.transaction((tx) => insertUser(tx, core.clock(), settings, {
    name, fullName: checkText(input.fullName, 'fullName', 200), email: checkText(input.email, 'email', 200),
    ...(restricted === undefined ? {} : { restricted }), ...(billingMode === undefined ? {} : { billingMode }),
    ...(balance === undefined ? {} : { balanceMinor: balance }),
  }, actor));
  return getUser(core, name);
}

export async function updateUser(core: Core, name: string, patch: UpdateUserInput): Promise<User> {
  const sets: string[] = [];
  const params: Array<string | number | null> = [];
  if (patch.fullName !== undefined) { sets.push('full_name = ?'); params.push(checkText(patch.fullName, 'fullName', 200)); }
  if (patch.email !== undefined) { sets.push('email = ?'); params.push(checkText(patch.email, 'email', 200)); }
  if (patch.restricted !== undefined) { sets.push('restricted = ?'); params.push(flag(checkBool(patch.restricted, 'restricted'))); }
  if (patch.billingMode !== undefined) { sets.push('billing_mode = ?'); params.push(checkMode(patch.billingMode)); }
  if (patch.disabled !== undefined) { sets.push('disabled = ?'); params.push(flag(checkBool(patch.disabled, 'disabled'))); }
  const overdraft = patch.overdraftMinor === undefined ? undefined : checkAmount(patch.overdraftMinor, 'overdraft', { nonNegative: true });
  await core.db.transaction(async (tx) => {
    const user = await requireUser(tx, name);
    if (sets.length) await tx.run(`UPDATE users SET ${sets.join(', ')} WHERE id = ?`, [...params, user.id]);
    // Restriction and overdraft live on the personal accounts too (the reservation guard reads them there).
    if (patch.restricted !== undefined) await tx.run("UPDATE accounts SET restricted = ? WHERE user_id = ? AND kind = 'personal'", [flag(patch.restricted), user.id]);
    if (overdraft !== undefined) await tx.run("UPDATE accounts SET overdraft = ? WHERE user_id = ? AND kind = 'personal'", [overdraft, user.id]);
  });
  return getUser(core, name);
}

export async function deleteUser(core: Core, name: string): Promise<void> {
  await core.db.transaction(async (tx) => {
    const user = await requireUser(tx, name);
    await tx.run('UPDATE users SET deleted_at = ? WHERE id = ?', [core.clock(), user.id]);
    await tx.run('DELETE FROM group_members WHERE user_id = ?', [user.id]);
    await tx.run('DELETE FROM account_access WHERE user_id = ?', [user.id]);
  });
}

export async function addUserAccount(core: Core, userName: string, account: string, options: { isDefault?: boolean } = {}): Promise<User> {
  const name = checkName(account, 'account', { noSlash: true });
  await core.db.transaction(async (tx) => {
    const user = await requireUser(tx, userName);
    const def = await personalAccount(tx, user.id);
    const exists = await tx.get("SELECT id FROM accounts WHERE user_id = ? AND kind = 'personal' AND name = ?", [user.id, name]);
    if (exists) throw new PrintgateError('ALREADY_EXISTS', `account "${name}" already exists`);
    if (options.isDefault) await tx.run("UPDATE accounts SET is_default = 0 WHERE user_id = ? AND kind = 'personal'", [user.id]);
    await tx.run(
      "INSERT INTO accounts (kind, user_id, name, overdraft, restricted, is_default, created_at) VALUES ('personal', ?, ?, ?, ?, ?, ?)",
      [user.id, name, def.overdraft, flag(user.restricted), flag(options.isDefault === true), core.clock()]);
  });
  return getUser(core, userName);
}

function balanceInfo(user: string, a: AccountRow): BalanceInfo {
  return { user, account: a.name, balanceMinor: a.balance, reservedMinor: a.reserved, availableMinor: available(a) };
}

export async function getBalance(core: Core, userName: string, account?: string): Promise<BalanceInfo> {
  const user = await requireUser(core.db, userName);
  return balanceInfo(user.name, await personalAccount(core.db, user.id, account));
}

export async function listBalances(core: Core, userName: string): Promise<BalanceInfo[]> {
  const user = await requireUser(core.db, userName);
  const own = (await core.db.all(`SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE user_id = ? AND kind = 'personal' ORDER BY is_default DESC, name`, [user.id])).map(accountFromRow);
  const shared = await accessibleSharedAccounts(core.db, user.id);
  return [...own, ...shared].map((a) => balanceInfo(user.name, a));
}

export async function adjustUserBalance(core: Core, userName: string, input: AdjustInput, actor: string): Promise<BalanceChange> {
  const amount = checkAmount(input?.amountMinor, 'amount', { nonZero: true });
  const comment = checkText(input.comment, 'comment');
  return core.db.transaction(async (tx) => {
    const user = await requireUser(tx, userName);
    const acc = await personalAccount(tx, user.id, input.account);
    const r = await post(tx, core.clock(), { accountId: acc.id, amount, kind: 'adjust', comment, actor }, core.db.dialect.engine);
    return { balanceMinor: r.balanceAfter, transactionId: String(r.id) };
  });
}

export async function setUserBalance(core: Core, userName: string, input: SetBalanceInput, actor: string): Promise<BalanceChange> {
  const target = checkAmount(input?.balanceMinor, 'balance');
  const comment = checkText(input.comment, 'comment');
  return core.db.transaction(async (tx) => {
    const user = await requireUser(tx, userName);
    const acc = await personalAccount(tx, user.id, input.account);
    const cur = await tx.get<{ balance: number }>(`SELECT balance FROM accounts WHERE id = ?${core.db.dialect.forUpdate}`, [acc.id]);
    const r = await post(tx, core.clock(), { accountId: acc.id, amount: target - Number(cur!.balance), kind: 'set', comment, actor });
    return { balanceMinor: r.balanceAfter, transactionId: String(r.id) };
  });
}
