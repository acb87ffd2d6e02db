// Agents (print providers): creation with a random token shown once (only its SHA-256 is
// stored), authentication in constant time with a short in-memory cache, registration
// and heartbeats (which record the agent's last contact and return printer policies).

import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { PrintgateError } from '../../shared/errors.ts';
import { Caches } from './cache.ts';
import type { Core } from './core.ts';
import { ensurePrinter, printerPolicies } from './printers.ts';
import type { AgentIdentity, AgentInfo, HeartbeatInput, HeartbeatResult, RegisterInput, RegisterResult } from './types.ts';
import { checkName, checkText, iso } from './util.ts';

export const HEARTBEAT_INTERVAL_MS = 30_000;
const AUTH_CACHE_MS = 1000;
const CONTACT_WRITE_MS = 10_000;

export function tokenHash(token: string): string {
  // One-shot digest (no Hash object per request); a string is hashed as UTF-8.
  return hash('sha256', token, 'hex');
}

export class AgentAuth {
  readonly #core: Core;
  readonly #cache = new Map<string, { agent: AgentIdentity; at: number }>();
  readonly #lastContactWrite = new Map<number, number>();

  constructor(core: Core) {
    this.#core = core;
  }

  async authenticate(token: string): Promise<AgentIdentity> {
    if (typeof token !== 'string' || token.length < 16 || token.length > 200) throw new PrintgateError('INVALID_TOKEN');
    const hash = tokenHash(token);
    const hit = this.#cache.get(hash);
    const now = performance.now();
    if (hit && now - hit.at < AUTH_CACHE_MS) return hit.agent;
    const row = await this.#core.db.get<{ id: number; name: string; token_hash: string }>(
      'SELECT id, name, token_hash FROM agents WHERE token_hash = ? AND deleted_at IS NULL', [hash]);
    // The lookup is by hash (an attacker learns nothing from timing about the token); the
    // final comparison is constant-time anyway.
    if (!row || !timingSafeEqual(Buffer.from(String(row.token_hash), 'hex'), Buffer.from(hash, 'hex'))) {
      this.#cache.delete(hash);
      throw new PrintgateError('INVALID_TOKEN');
    }
    const agent = { id: Number(row.id), name: String(row.name) };
    if (this.#cache.size > 10_000) this.#cache.clear();
    this.#cache.set(hash, { agent, at: now });
    return agent;
  }

  forget(): void {
    this.#cache.clear();
  }

  /** Record contact, at most every few seconds per agent (not a write per job). */
  async touch(agentId: number, force = false): Promise<void> {
    const now = this.#core.clock();
    const last = this.#lastContactWrite.get(agentId) ?? 0;
    if (!force && now - last < CONTACT_WRITE_MS) return;
    this.#lastContactWrite.set(agentId, now);
    await this.#core.db.run('UPDATE agents SET last_contact_at = ? WHERE id = ?', [now, agentId]);
  }
}

export async function createAgent(core: Core, name: string): Promise<{ name: string; token: string }> {
  const n = checkName(name, 'name', { noSlash: true });
  // A prefix says what the secret is (for secret scanners and people) and keeps the token
  // from starting with "-", which command-line parsers would take for an option.
  const token = `pga_${randomBytes(32).toString('base64url')}`;
  await core.db.transaction(async (tx) => {
    if (await tx.get('SELECT id FROM agents WHERE name = ? AND deleted_at IS NULL', [n])) throw new PrintgateError('ALREADY_EXISTS', `agent "${n}" already exists`);
    await tx.run('INSERT INTO agents (name, token_hash, created_at) VALUES (?, ?, ?)', [n, tokenHash(token), core.clock()]);
    await Caches.bump(tx);
  });
  core.caches.invalidate();
  return { name: n, token };
}

export async function deleteAgent(core: Core, auth: AgentAuth, name: string): Promise<void> {
  const r = await core.db.run('UPDATE agents SET deleted_at = ? WHERE name = ? AND deleted_at IS NULL', [core.clock(), name]);
  if (r.changes === 0) throw new PrintgateError('UNKNOWN_AGENT', `unknown agent "${name}"`);
  auth.forget();
}

export async function listAgents(core: Core): Promise<AgentInfo[]> {
  const rows = await core.db.all<Record<string, unknown>>(
    'SELECT name, hostname, version, platform, created_at, last_contact_at FROM agents WHERE deleted_at IS NULL ORDER BY name');
  return rows.map((r) => ({
    name: String(r.name), hostname: String(r.hostname), version: String(r.version), platform: String(r.platform),
    createdAt: iso(Number(r.created_at))!, lastContactAt: iso(r.last_contact_at as number | null),
  }));
}

export async function registerAgent(core: Core, auth: AgentAuth, agent: AgentIdentity, input: RegisterInput): Promise<RegisterResult> {
  const printers = input?.printers ?? [];
  if (!Array.isArray(printers) || printers.length > 1000) throw new PrintgateError('INVALID_ARGUMENT', 'at most 1000 printers');
  await core.db.run('UPDATE agents SET hostname = ?, version = ?, platform = ? WHERE id = ?', [
    checkText(input.hostname, 'hostname', 255), checkText(input.version, 'version', 64), checkText(input.platform, 'platform', 32), agent.id]);
  for (const p of printers) {
    await ensurePrinter(core, agent, checkName(p?.queue, 'queue', { noSlash: true }), checkText(p.description, 'description', 500));
  }
  await auth.touch(agent.id, true);
  return { agent: agent.name, serverTimeMs: core.clock(), printers: await printerPolicies(core, agent.id), heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS };
}

export async function heartbeat(core: Core, auth: AgentAuth, agent: AgentIdentity, _input: HeartbeatInput): Promise<HeartbeatResult> {
  await auth.touch(agent.id, true);
  return { serverTimeMs: core.clock(), printers: await printerPolicies(core, agent.id) };
}
