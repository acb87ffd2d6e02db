// Shared accounts (departments, projects, cost centres): created with an optional PIN
// (stored as a salted scrypt hash), charged by users granted access directly or through
// a group, adjusted by administrators through the ledger.

import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { PrintgateError } from '../../shared/errors.ts';
import { ACCOUNT_COLUMNS, accountFromRow, requireUser, sharedAccountRow, type AccountRow } from './accounts.ts';
import type { Core } from './core.ts';
import { post } from './ledger.ts';
import type { Queryable } from '../storage/port.ts';
import type { AccessInput, BalanceChange, CreateSharedAccountInput, Page, PageRequest, SharedAccount } from './types.ts';
import { checkAmount, checkBool, checkName, checkText, decodeCursor, encodeCursor, flag, iso, pageLimit } from './util.ts';

export function hashPin(pin: string): string {
  const salt = randomBytes(16);
  return `scrypt:${salt.toString('base64url')}:${scryptSync(pin, salt, 32).toString('base64url')}`;
}

export function verifyPin(pin: string, stored: string): boolean {
  const [scheme, salt, hash] = stored.split(':');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = scryptSync(pin, Buffer.from(salt, 'base64url'), expected.length);
  return timingSafeEqual(expected, actual);
}

async function toShared(q: Queryable, a: AccountRow): Promise<SharedAccount> {
  const access = await q.all<{ user_name: string | null; group_name: string | null }>(
    `SELECT u.name AS user_name, g.name AS group_name FROM account_access x
     LEFT JOIN users u ON u.id = x.user_id AND u.deleted_at IS NULL LEFT JOIN user_groups g ON g.id = x.group_id
     WHERE x.account_id = ?`, [a.id]);
  return {
    name: a.name, balanceMinor: a.balance, restricted: a.restricted, overdraftMinor: a.overdraft, hasPin: a.hasPin,
    disabled: a.disabled,
    access: {
      users: access.map((x) => x.user_name).filter((n): n is string => !!n).sort(),
      groups: access.map((x) => x.group_name).filter((n): n is string => !!n).sort(),
    },
    createdAt: iso(a.createdAt)!,
  };
}

export async function getSharedAccount(core: Core, name: string): Promise<SharedAccount> {
  return toShared(core.db, await sharedAccountRow(core.db, name));
}

export async function listSharedAccounts(core: Core, page: PageRequest = {}): Promise<Page<SharedAccount>> {
  const limit = pageLimit(page.limit);
  const after = decodeCursor<string>(page.cursor, 'string') ?? '';
  const rows = (await core.db.all(
    `SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE kind = 'shared' AND deleted_at IS NULL AND name > ? ORDER BY name LIMIT ?`,
    [after, limit + 1])).map(accountFromRow);
  const items: SharedAccount[] = [];
  for (const a of rows.slice(0, limit)) items.push(await toShared(core.db, a));
  return { items, nextCursor: rows.length > limit ? encodeCursor(items.at(-1)!.name) : null };
}

export async function createSharedAccount(core: Core, input: CreateSharedAccountInput, actor: string): Promise<SharedAccount> {
  const name = checkName(input?.name, 'name');
  const pin = input.pin === undefined || input.pin === '' ? null : checkText(input.pin, 'pin', 64);
  const balance = input.balanceMinor === undefined ? 0 : checkAmount(input.balanceMinor, 'balance');
  const restricted = input.restricted === undefined ? false : checkBool(input.restricted, 'restricted');
  const overdraft = input.overdraftMinor === undefined ? 0 : checkAmount(input.overdraftMinor, 'overdraft', { nonNegative: true });
  const now = core.clock();
  await core.db.transaction(async (tx) => {
    if (await tx.get("SELECT id FROM accounts WHERE kind = 'shared' AND name = ? AND deleted_at IS NULL", [name])) {
      throw new PrintgateError('ALREADY_EXISTS', `shared account "${name}" already exists`);
    }
    const row = await tx.get<{ id: number }>(
      "INSERT INTO accounts (kind, name, overdraft, restricted, pin_hash, created_at) VALUES ('shared', ?, ?, ?, ?, ?) RETURNING id",
      [name, overdraft, flag(restricted), pin === null ? null : hashPin(pin), now]);
    if (balance !== 0) await post(tx, now, { accountId: Number(row!.id), amount: balance, kind: 'initial', comment: 'initial balance', actor });
  });
  return getSharedAccount(core, name);
}

export async function adjustSharedAccount(core: Core, name: string, input: { amountMinor: number; comment?: string }, actor: string): Promise<BalanceChange> {
  const amount = checkAmount(input?.amountMinor, 'amount', { nonZero: true });
  const comment = checkText(input.comment, 'comment');
  return core.db.transaction(async (tx) => {
    const acc = await sharedAccountRow(tx, name);
    const r = await post(tx, core.clock(), { accountId: acc.id, amount, kind: 'adjust', comment, actor }, core.db.dialect.engine);
    return { balanceMinor: r.balanceAfter, transactionId: String(r.id) };
  });
}

async function principal(tx: Queryable, access: AccessInput): Promise<{ userId: number; groupId: number }> {
  if ((access?.user === undefined) === (access?.group === undefined)) {
    throw new PrintgateError('INVALID_ARGUMENT', 'give exactly one of user or group');
  }
  if (access.user !== undefined) return { userId: (await requireUser(tx, access.user)).id, groupId: 0 };
  const g = await tx.get<{ id: number }>('SELECT id FROM user_groups WHERE name = ?', [access.group!]);
  if (!g) throw new PrintgateError('UNKNOWN_GROUP', `unknown group "${access.group}"`);
  return { userId: 0, groupId: Number(g.id) };
}

export async function grantSharedAccess(core: Core, name: string, access: AccessInput): Promise<void> {
  await core.db.transaction(async (tx) => {
    const acc = await sharedAccountRow(tx, name);
    const p = await principal(tx, access);
    await tx.run('INSERT INTO account_access (account_id, user_id, group_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', [acc.id, p.userId, p.groupId]);
  });
}

export async function revokeSharedAccess(core: Core, name: string, access: AccessInput): Promise<void> {
  await core.db.transaction(async (tx) => {
    const acc = await sharedAccountRow(tx, name);
    const p = await principal(tx, access);
    await tx.run('DELETE FROM account_access WHERE account_id = ? AND user_id = ? AND group_id = ?', [acc.id, p.userId, p.groupId]);
  });
}

export async function verifySharedAccountPin(core: Core, name: string, pin: string): Promise<boolean> {
  const r = await core.db.get<{ pin_hash: string | null }>("SELECT pin_hash FROM accounts WHERE kind = 'shared' AND name = ? AND deleted_at IS NULL", [name]);
  if (!r) throw new PrintgateError('UNKNOWN_ACCOUNT', `unknown shared account "${name}"`);
  if (r.pin_hash === null || typeof pin !== 'string' || pin.length === 0 || pin.length > 64) return false;
  return verifyPin(pin, r.pin_hash);
}
