// Lookups and creation of users and their accounts, shared by the admin operations and by
// authorize (which may create a user on demand). A user always has at least one personal
// account, "print", the default; shared accounts are named globally and reachable by
// users granted access directly or through a group.

import { PrintgateError } from '../../shared/errors.ts';
import type { Minor } from '../../shared/money.ts';
import type { Queryable } from '../storage/port.ts';
import type { BillingMode } from '../domain/types.ts';
import { post } from './ledger.ts';
import type { Settings } from './settings.ts';
import { bool, flag } from './util.ts';

export const DEFAULT_ACCOUNT = 'print';

export interface UserRow {
  id: number;
  name: string;
  fullName: string;
  email: string;
  restricted: boolean;
  billingMode: BillingMode | null;
  disabled: boolean;
  createdAt: number;
}

export const USER_COLUMNS = 'id, name, full_name, email, restricted, billing_mode, disabled, created_at';

export function userFromRow(r: Record<string, unknown>): UserRow {
  return {
    id: Number(r.id), name: String(r.name), fullName: String(r.full_name), email: String(r.email),
    restricted: bool(r.restricted), billingMode: (r.billing_mode as BillingMode | null) ?? null,
    disabled: bool(r.disabled), createdAt: Number(r.created_at),
  };
}

export async function findUserRow(q: Queryable, name: string): Promise<UserRow | null> {
  const r = await q.get(`SELECT ${USER_COLUMNS} FROM users WHERE name = ? AND deleted_at IS NULL`, [name]);
  return r ? userFromRow(r) : null;
}

export async function requireUser(q: Queryable, name: string): Promise<UserRow> {
  const u = await findUserRow(q, name);
  if (!u) throw new PrintgateError('UNKNOWN_USER', `unknown user "${name}"`);
  return u;
}

export interface AccountRow {
  id: number;
  kind: 'personal' | 'shared';
  userId: number | null;
  name: string;
  balance: Minor;
  reserved: Minor;
  overdraft: Minor;
  restricted: boolean;
  isDefault: boolean;
  hasPin: boolean;
  disabled: boolean;
  createdAt: number;
}

export const ACCOUNT_COLUMNS = 'id, kind, user_id, name, balance, reserved, overdraft, restricted, is_default, pin_hash, disabled, created_at';

export function accountFromRow(r: Record<string, unknown>): AccountRow {
  return {
    id: Number(r.id), kind: r.kind === 'shared' ? 'shared' : 'personal', userId: r.user_id === null ? null : Number(r.user_id),
    name: String(r.name), balance: Number(r.balance), reserved: Number(r.reserved), overdraft: Number(r.overdraft),
    restricted: bool(r.restricted), isDefault: bool(r.is_default), hasPin: r.pin_hash !== null && r.pin_hash !== undefined,
    disabled: bool(r.disabled), createdAt: Number(r.created_at),
  };
}

export const available = (a: { balance: Minor; reserved: Minor; overdraft: Minor }): Minor => a.balance - a.reserved + a.overdraft;

/** A user's personal account by name, or the default one. */
export async function personalAccount(q: Queryable, userId: number, name?: string): Promise<AccountRow> {
  const r = name === undefined
    ? await q.get(`SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE user_id = ? AND kind = 'personal' AND is_default = 1`, [userId])
    : await q.get(`SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE user_id = ? AND kind = 'personal' AND name = ?`, [userId, name]);
  if (!r) throw new PrintgateError('UNKNOWN_ACCOUNT', name === undefined ? 'the user has no default account' : `unknown account "${name}"`);
  return accountFromRow(r);
}

export async function sharedAccountRow(q: Queryable, name: string): Promise<AccountRow> {
  const r = await q.get(`SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE kind = 'shared' AND name = ? AND deleted_at IS NULL`, [name]);
  if (!r) throw new PrintgateError('UNKNOWN_ACCOUNT', `unknown shared account "${name}"`);
  return accountFromRow(r);
}

/** Whether a user may charge a shared account (granted directly or through a group). */
export async function hasSharedAccess(q: Queryable, accountId: number, userId: number): Promise<boolean> {
  const r = await q.get(
    `SELECT 1 AS ok FROM account_access WHERE account_id = ? AND (user_id = ?
       OR group_id IN (SELECT group_id FROM group_members WHERE user_id = ?)) LIMIT 1`,
    [accountId, userId, userId]);
  return r !== undefined;
}

/** Shared accounts a user may charge. */
export async function accessibleSharedAccounts(q: Queryable, userId: number): Promise<AccountRow[]> {
  const rows = await q.all(
    `SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE kind = 'shared' AND deleted_at IS NULL AND disabled = 0 AND id IN (
       SELECT account_id FROM account_access WHERE user_id = ?
       UNION SELECT account_id FROM account_access WHERE group_id IN (SELECT group_id FROM group_members WHERE user_id = ?))
     ORDER BY name`, [userId, userId]);
  return rows.map(accountFromRow);
}

export interface NewUser {
  name: string;
  fullName?: string;
  email?: string;
  restricted?: boolean;
  billingMode?: BillingMode | null;
  balanceMinor?: Minor;
}

/** Insert a user with a default "print" account (inside the caller's transaction). */
export async function insertUser(tx: Queryable, now: number, settings: Settings, input: NewUser, actor: string): Promise<UserRow> {
  const restricted = input.restricted ?? settings.defaultRestricted;
  let row: Record<string, unknown> | undefined;
  try {
    row = await tx.get(
      `INSERT INTO users (name, full_name, email, restricted, billing_mode, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING ${USER_COLUMNS}`,
      [input.name, input.fullName ?? '', input.email ?? '', flag(restricted), input.billingMode ?? null, now]);
  } catch (e) {
    if ((e as { code?: string }).code === '23505' || (e as { errcode?: number }).errcode === 2067) {
      throw new PrintgateError('ALREADY_EXISTS', `user "${input.name}" already exists`);
    }
    throw e;
  }
  const user = userFromRow(row!);
  const acc = await tx.get<{ id: number }>(
    `INSERT INTO accounts (kind, user_id, name, restricted, is_default, created_at) VALUES ('personal', ?, ?, ?, 1, ?) RETURNING id`,
    [user.id, DEFAULT_ACCOUNT, flag(restricted), now]);
  const balance = input.balanceMinor ?? settings.defaultBalanceMinor;
  if (balance !== 0) await post(tx, now, { accountId: Number(acc!.id), amount: balance, kind: 'initial', comment: 'initial balance', actor });
  return user;
}
