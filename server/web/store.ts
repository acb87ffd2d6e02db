// The web tools' own storage (migration 002_web.sql) over the storage port, the same SQL
// on SQLite and PostgreSQL: log-in passwords, sessions and top-up cards. Session ids and
// card codes are random (node:crypto) and only their SHA-256 is stored, so a copy of the
// database lets nobody log in or redeem a card. A card is redeemed by one conditional
// UPDATE in the same transaction as its ledger row (kind 'card'): it works exactly once.

import { createHash, randomBytes, randomInt } from 'node:crypto';
import { PrintgateError } from '../../shared/errors.ts';
import type { Minor } from '../../shared/money.ts';
import type { Storage } from '../storage/port.ts';
import { personalAccount, requireUser } from '../service/accounts.ts';
import { post } from '../service/ledger.ts';

export type SessionKind = 'user' | 'admin';

export interface Session {
  kind: SessionKind;
  name: string;
  csrf: string;
  expiresAt: number;
}

export interface CardBatch {
  id: number;
  name: string;
  amountMinor: Minor;
  count: number;
  redeemed: number;
  createdBy: string;
  createdAt: number;
}

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Card code alphabet: no 0/O, 1/I/L, so codes survive being read aloud or typed. */
const ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
const CODE_LENGTH = 16; // 31^16 ≈ 2^79

/** A card code as people type it: upper case, without spaces or dashes. */
export function normaliseCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]+/g, '').slice(0, 64);
}

function newCode(): string {
  let s = '';
  for (let i = 0; i < CODE_LENGTH; i++) s += ALPHABET[randomInt(ALPHABET.length)];
  return s.match(/.{4}/g)!.join('-');
}

export class WebStore {
  readonly db: Storage;
  readonly clock: () => number;

  constructor(db: Storage, clock: () => number = Date.now) {
    this.db = db;
    this.clock = clock;
  }

  // ---- passwords ------------------------------------------------------------------------

  async setPassword(kind: SessionKind, name: string, hash: string): Promise<void> {
    await this.db.run(
      `INSERT INTO web_passwords (kind, name, hash, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (kind, name) DO UPDATE SET hash = excluded.hash, updated_at = excluded.updated_at`,
      [kind, name, hash, this.clock()]);
  }

  async passwordHash(kind: SessionKind, name: string): Promise<string | null> {
    const r = await this.db.get<{ hash: string }>('SELECT hash FROM web_passwords WHERE kind = ? AND name = ?', [kind, name]);
    return r ? String(r.hash) : null;
  }

  async hasAnyAdminPassword(): Promise<boolean> {
    return (await this.db.get("SELECT 1 AS x FROM web_passwords WHERE kind = 'admin' LIMIT 1")) !== undefined;
  }

  // ---- sessions -------------------------------------------------------------------------

  /** A new session: the id (32 random bytes, base64url) goes into the cookie only. */
  async createSession(kind: SessionKind, name: string, ttlMs: number, address = ''): Promise<{ id: string; session: Session }> {
    const id = randomBytes(32).toString('base64url');
    const csrf = randomBytes(24).toString('base64url');
    const now = this.clock();
    const expiresAt = now + ttlMs;
    await this.db.run('INSERT INTO web_sessions (id_hash, kind, name, csrf, address, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [sha256(id), kind, name, csrf, address.slice(0, 100), now, expiresAt]);
    return { id, session: { kind, name, csrf, expiresAt } };
  }

  /** The live session of an id; null when unknown or expired. */
  async findSession(id: string): Promise<Session | null> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(id)) return null;
    const r = await this.db.get('SELECT kind, name, csrf, expires_at FROM web_sessions WHERE id_hash = ?', [sha256(id)]);
    if (!r || Number(r.expires_at) <= this.clock()) return null;
    return { kind: r.kind as SessionKind, name: String(r.name), csrf: String(r.csrf), expiresAt: Number(r.expires_at) };
  }

  async deleteSession(id: string): Promise<void> {
    await this.db.run('DELETE FROM web_sessions WHERE id_hash = ?', [sha256(id)]);
  }

  /** Log a person out everywhere (after a password change). */
  async deleteSessionsOf(kind: SessionKind, name: string): Promise<void> {
    await this.db.run('DELETE FROM web_sessions WHERE kind = ? AND name = ?', [kind, name]);
  }

  async deleteExpiredSessions(): Promise<number> {
    return (await this.db.run('DELETE FROM web_sessions WHERE expires_at <= ?', [this.clock()])).changes;
  }

  // ---- top-up cards ---------------------------------------------------------------------

  /** Make a batch of `count` cards worth `amountMinor` each; the codes are returned once. */
  async createCardBatch(name: string, count: number, amountMinor: Minor, actor: string): Promise<{ batch: CardBatch; codes: string[] }> {
    if (!Number.isInteger(count) || count < 1 || count > 10_000) throw new PrintgateError('INVALID_ARGUMENT', 'a batch has 1 to 10000 cards');
    if (!Number.isSafeInteger(amountMinor) || amountMinor <= 0) throw new PrintgateError('INVALID_AMOUNT', 'a card is worth more than zero');
    const codes = new Set<string>();
    while (codes.size < count) codes.add(newCode());
    const now = this.clock();
    const id = await this.db.transaction(async (tx) => {
      const row = await tx.get<{ id: number }>('INSERT INTO card_batches (name, amount, count, created_by, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id',
        [name.slice(0, 200), amountMinor, count, actor, now]);
      const batchId = Number(row!.id);
      for (const code of codes) await tx.run('INSERT INTO cards (code_hash, batch_id) VALUES (?, ?)', [sha256(normaliseCode(code)), batchId]);
      return batchId;
    });
    return {
      batch: { id, name, amountMinor, count, redeemed: 0, createdBy: actor, createdAt: now },
      codes: [...codes],
    };
  }

  async listCardBatches(): Promise<CardBatch[]> {
    const rows = await this.db.all(
      `SELECT b.id, b.name, b.amount, b.count, b.created_by, b.created_at,
              (SELECT COUNT(*) FROM cards c WHERE c.batch_id = b.id AND c.redeemed_by IS NOT NULL) AS redeemed
       FROM card_batches b ORDER BY b.id DESC LIMIT 500`);
    return rows.map((r) => ({
      id: Number(r.id), name: String(r.name), amountMinor: Number(r.amount), count: Number(r.count),
      redeemed: Number(r.redeemed), createdBy: String(r.created_by), createdAt: Number(r.created_at),
    }));
  }

  /** Redeem a code for a user's default personal account: CARD_INVALID when unknown or used. */
  async redeemCard(code: string, user: string): Promise<{ amountMinor: Minor; balanceAfterMinor: Minor; transactionId: string }> {
    const hash = sha256(normaliseCode(code));
    return this.db.transaction(async (tx) => {
      const now = this.clock();
      const u = await requireUser(tx, user);
      const card = await tx.get<{ batch_id: number }>(
        'UPDATE cards SET redeemed_by = ?, redeemed_at = ? WHERE code_hash = ? AND redeemed_by IS NULL RETURNING batch_id', [user, now, hash]);
      if (!card) throw new PrintgateError('CARD_INVALID');
      const batch = await tx.get<{ amount: number; name: string }>('SELECT amount, name FROM card_batches WHERE id = ?', [Number(card.batch_id)]);
      const account = await personalAccount(tx, u.id);
      const amount = Number(batch!.amount);
      const posted = await post(tx, now, { accountId: account.id, amount, kind: 'card', comment: `top-up card (${String(batch!.name)})`, actor: user });
      await tx.run('UPDATE cards SET transaction_id = ? WHERE code_hash = ?', [posted.id, hash]);
      return { amountMinor: amount, balanceAfterMinor: posted.balanceAfter, transactionId: String(posted.id) };
    });
  }
}
