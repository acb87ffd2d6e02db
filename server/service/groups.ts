// Groups, membership and group quotas. The quota scheduler credits each member of each
// group with a quota once per period: the quota_runs row (UNIQUE group, user, period) and
// the ledger row are written in one transaction, so a period is credited exactly once even
// when several server processes or restarts run the scheduler for the same period.

import { PrintgateError } from '../../shared/errors.ts';
import { BILLING_MODES, QUOTA_PERIODS, type BillingMode, type QuotaPeriod } from '../domain/types.ts';
import { periodKey, quotaCredit } from '../domain/quota.ts';
import { validateRestrictions } from '../domain/restrictions.ts';
import { personalAccount, requireUser } from './accounts.ts';
import { Caches, type GroupRow } from './cache.ts';
import type { Core } from './core.ts';
import { post } from './ledger.ts';
import type { Queryable } from '../storage/port.ts';
import type { CreateGroupInput, Group, Page, PageRequest, Quota, QuotaInput, UpdateGroupInput } from './types.ts';
import { checkAmount, checkName, decodeCursor, encodeCursor, iso, pageLimit } from './util.ts';

function checkMode(v: unknown): BillingMode | null {
  if (v === null || v === undefined) return null;
  if (!BILLING_MODES.includes(v as BillingMode)) throw new PrintgateError('INVALID_ARGUMENT', 'billingMode must be prepaid, postpaid or free');
  return v as BillingMode;
}

async function requireGroup(q: Queryable, name: string): Promise<{ id: number }> {
  const g = await q.get<{ id: number }>('SELECT id FROM user_groups WHERE name = ?', [name]);
  if (!g) throw new PrintgateError('UNKNOWN_GROUP', `unknown group "${name}"`);
  return { id: Number(g.id) };
}

async function toGroup(core: Core, row: GroupRow | Record<string, unknown>): Promise<Group> {
  const r = row as Record<string, unknown>;
  const id = Number(r.id);
  const count = await core.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM group_members WHERE group_id = ?', [id]);
  const q = await core.db.get<Record<string, unknown>>('SELECT amount, period, max_accumulation FROM group_quotas WHERE group_id = ?', [id]);
  return {
    name: String(r.name),
    billingMode: ((r.billing_mode ?? r.billingMode) as BillingMode | null) ?? null,
    restrictions: typeof r.restrictions === 'string' ? JSON.parse(r.restrictions) : (r.restrictions as Group['restrictions']),
    members: Number(count?.n ?? 0),
    quota: q ? { group: String(r.name), amountMinor: Number(q.amount), period: q.period as QuotaPeriod, maxAccumulationMinor: Number(q.max_accumulation) } : null,
    createdAt: iso(Number(r.created_at ?? r.createdAt))!,
  };
}

export async function getGroup(core: Core, name: string): Promise<Group> {
  const r = await core.db.get('SELECT id, name, billing_mode, restrictions, created_at FROM user_groups WHERE name = ?', [name]);
  if (!r) throw new PrintgateError('UNKNOWN_GROUP', `unknown group "${name}"`);
  return toGroup(core, r);
}

export async function listGroups(core: Core, page: PageRequest = {}): Promise<Page<Group>> {
  const limit = pageLimit(page.limit);
  const after = decodeCursor<string>(page.cursor, 'string') ?? '';
  const rows = await core.db.all('SELECT id, name, billing_mode, restrictions, created_at FROM user_groups WHERE name > ? ORDER BY name LIMIT ?', [after, limit + 1]);
  const items: Group[] = [];
  for (const r of rows.slice(0, limit)) items.push(await toGroup(core, r));
  return { items, nextCursor: rows.length > limit ? encodeCursor(items.at(-1)!.name) : null };
}

/** Run a group change and make every process's cache reload. */
async function changing<T>(core: Core, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  const result = await core.db.transaction(async (tx) => {
    const r = await fn(tx);
    await Caches.bump(tx);
    return r;
  });
  core.caches.invalidate();
  return result;
}

export async function createGroup(core: Core, input: CreateGroupInput): Promise<Group> {
  const name = checkName(input?.name, 'name');
  const mode = checkMode(input.billingMode);
  const restrictions = validateRestrictions(input.restrictions ?? {}, 'group');
  await changing(core, async (tx) => {
    if (await tx.get('SELECT id FROM user_groups WHERE name = ?', [name])) throw new PrintgateError('ALREADY_EXISTS', `group "${name}" already exists`);
    await tx.run('INSERT INTO user_groups (name, billing_mode, restrictions, created_at) VALUES (?, ?, ?, ?)', [name, mode, JSON.stringify(restrictions), core.clock()]);
  });
  return getGroup(core, name);
}

export async function updateGroup(core: Core, name: string, patch: UpdateGroupInput): Promise<Group> {
  const mode = patch.billingMode === undefined ? undefined : checkMode(patch.billingMode);
  const restrictions = patch.restrictions === undefined ? undefined : validateRestrictions(patch.restrictions, 'group');
  await changing(core, async (tx) => {
    const g = await requireGroup(tx, name);
    if (mode !== undefined) await tx.run('UPDATE user_groups SET billing_mode = ? WHERE id = ?', [mode, g.id]);
    if (restrictions !== undefined) await tx.run('UPDATE user_groups SET restrictions = ? WHERE id = ?', [JSON.stringify(restrictions), g.id]);
  });
  return getGroup(core, name);
}

export async function deleteGroup(core: Core, name: string): Promise<void> {
  await changing(core, async (tx) => {
    const g = await requireGroup(tx, name);
    await tx.run('DELETE FROM group_members WHERE group_id = ?', [g.id]);
    await tx.run('DELETE FROM group_quotas WHERE group_id = ?', [g.id]);
    await tx.run('DELETE FROM account_access WHERE group_id = ?', [g.id]);
    await tx.run('DELETE FROM user_groups WHERE id = ?', [g.id]);
  });
}

export async function listGroupMembers(core: Core, name: string): Promise<string[]> {
  const g = await requireGroup(core.db, name);
  const rows = await core.db.all<{ name: string }>(
    'SELECT u.name FROM group_members m JOIN users u ON u.id = m.user_id WHERE m.group_id = ? ORDER BY u.name', [g.id]);
  return rows.map((r) => String(r.name));
}

export async function addGroupMember(core: Core, group: string, user: string): Promise<void> {
  await core.db.transaction(async (tx) => {
    const g = await requireGroup(tx, group);
    const u = await requireUser(tx, user);
    await tx.run('INSERT INTO group_members (group_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING', [g.id, u.id]);
  });
}

export async function removeGroupMember(core: Core, group: string, user: string): Promise<void> {
  await core.db.transaction(async (tx) => {
    const g = await requireGroup(tx, group);
    const u = await requireUser(tx, user);
    await tx.run('DELETE FROM group_members WHERE group_id = ? AND user_id = ?', [g.id, u.id]);
  });
}

export async function setGroupQuota(core: Core, group: string, input: QuotaInput): Promise<Quota> {
  const amount = checkAmount(input?.amountMinor, 'amount', { nonNegative: true });
  const max = checkAmount(input.maxAccumulationMinor, 'maxAccumulation', { nonNegative: true });
  if (!QUOTA_PERIODS.includes(input.period)) throw new PrintgateError('INVALID_ARGUMENT', 'period must be daily, weekly or monthly');
  await core.db.transaction(async (tx) => {
    const g = await requireGroup(tx, group);
    await tx.run(
      `INSERT INTO group_quotas (group_id, amount, period, max_accumulation) VALUES (?, ?, ?, ?)
       ON CONFLICT (group_id) DO UPDATE SET amount = excluded.amount, period = excluded.period, max_accumulation = excluded.max_accumulation`,
      [g.id, amount, input.period, max]);
  });
  return { group, amountMinor: amount, period: input.period, maxAccumulationMinor: max };
}

export async function clearGroupQuota(core: Core, group: string): Promise<void> {
  await core.db.transaction(async (tx) => {
    const g = await requireGroup(tx, group);
    await tx.run('DELETE FROM group_quotas WHERE group_id = ?', [g.id]);
  });
}

/**
 * Credit every due (group, member, period) once. Members are credited on their default
 * personal account; a member who joins mid-period gets that period's quota on the next run.
 */
export async function runDueQuotas(core: Core, nowMs?: number): Promise<{ applied: number }> {
  const now = nowMs ?? core.clock();
  const { settings } = await core.caches.get();
  const quotas = await core.db.all<Record<string, unknown>>(
    'SELECT q.group_id, q.amount, q.period, q.max_accumulation, g.name FROM group_quotas q JOIN user_groups g ON g.id = q.group_id');
  let applied = 0;
  for (const q of quotas) {
    const groupId = Number(q.group_id);
    const key = periodKey(q.period as QuotaPeriod, now, settings.timezone);
    // Only members without a run for this period; the unique key still decides races.
    const due = await core.db.all<{ user_id: number }>(
      `SELECT m.user_id FROM group_members m JOIN users u ON u.id = m.user_id AND u.deleted_at IS NULL
       WHERE m.group_id = ? AND NOT EXISTS (SELECT 1 FROM quota_runs r WHERE r.group_id = m.group_id AND r.user_id = m.user_id AND r.period_key = ?)`,
      [groupId, key]);
    for (const { user_id } of due) {
      const userId = Number(user_id);
      const done = await core.db.transaction(async (tx) => {
        const claimed = await tx.get('INSERT INTO quota_runs (group_id, user_id, period_key, amount, applied_at) VALUES (?, ?, ?, 0, ?) ON CONFLICT DO NOTHING RETURNING group_id', [groupId, userId, key, now]);
        if (!claimed) return false;
        const acc = await personalAccount(tx, userId);
        const cur = await tx.get<{ balance: number }>(`SELECT balance FROM accounts WHERE id = ?${core.db.dialect.forUpdate}`, [acc.id]);
        const credit = quotaCredit(Number(q.amount), Number(q.max_accumulation), Number(cur!.balance));
        if (credit > 0) {
          await post(tx, now, { accountId: acc.id, amount: credit, kind: 'quota', comment: `${q.name} ${q.period} quota ${key}`, actor: 'quota', idempotencyKey: `quota:${groupId}:${userId}:${key}` });
          await tx.run('UPDATE quota_runs SET amount = ? WHERE group_id = ? AND user_id = ? AND period_key = ?', [credit, groupId, userId, key]);
        }
        return true;
      });
      if (done) applied++;
    }
  }
  return { applied };
}
