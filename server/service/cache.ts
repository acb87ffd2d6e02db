// In-memory caches of what authorize reads on every call but rarely changes: settings,
// printers, groups and agent names. Every change bumps `cache_version` in the same
// transaction; each process re-reads that one row at most once a second and reloads
// everything when it moved, so several server processes on one PostgreSQL (or one SQLite
// file) see a change within about a second, and the changing process at once.

import type { Queryable, Storage } from '../storage/port.ts';
import type { CostModel, FailureMode, Restrictions, BillingMode } from '../domain/types.ts';
import type { Printer } from './types.ts';
import { parseSettings, type Settings } from './settings.ts';
import { bool } from './util.ts';

/** A printer as the cache keeps it: the contract's Printer with database ids and times. */
export interface PrinterRow extends Omit<Printer, 'id' | 'agent' | 'firstSeenAt'> {
  id: number;
  agentId: number;
  agentName: string;
  firstSeenAt: number;
}

export interface GroupRow {
  id: number;
  name: string;
  billingMode: BillingMode | null;
  restrictions: Restrictions;
  createdAt: number;
}

export interface Snapshot {
  version: number;
  settings: Settings;
  configValues: Map<string, string>;
  printers: Map<number, PrinterRow>;
  printersByKey: Map<string, PrinterRow>;
  groups: Map<number, GroupRow>;
  agents: Map<number, string>;
}

export const PRINTER_COLUMNS = `p.id, p.agent_id, a.name AS agent_name, p.queue, p.description, p.enabled, p.cost_model,
  p.restrictions, p.failure_mode, p.release_required, p.confirm_required, p.claim_required, p.watermark,
  p.watermark_template, p.watermark_required, p.first_seen_at`;

export function printerFromRow(r: Record<string, unknown>): PrinterRow {
  return {
    id: Number(r.id), agentId: Number(r.agent_id), agentName: String(r.agent_name), queue: String(r.queue),
    description: String(r.description), enabled: bool(r.enabled), costModel: JSON.parse(String(r.cost_model)) as CostModel,
    restrictions: JSON.parse(String(r.restrictions)) as Restrictions, failureMode: r.failure_mode as FailureMode,
    releaseRequired: bool(r.release_required), confirmRequired: bool(r.confirm_required), claimRequired: bool(r.claim_required),
    watermark: bool(r.watermark), watermarkTemplate: String(r.watermark_template), watermarkRequired: bool(r.watermark_required),
    firstSeenAt: Number(r.first_seen_at),
  };
}

export const printerKey = (agentId: number, queue: string): string => `${agentId}/${queue}`;

const RECHECK_MS = 1000;

export class Caches {
  readonly #db: Storage;
  #snapshot: Snapshot | null = null;
  /** performance.now() of the last check; -Infinity forces the next get() to check (0 would
   *  not within the process's first second, as performance.now() counts from its start). */
  #checkedAt = -Infinity;
  #loading: Promise<Snapshot> | null = null;
  #loadingGeneration = 0;
  /** Counts local changes (invalidate()); a load started before one is not trusted after. */
  #generation = 0;

  constructor(db: Storage) {
    this.#db = db;
  }

  /** The current snapshot, re-validated against cache_version at most once a second. */
  async get(): Promise<Snapshot> {
    const now = performance.now();
    if (this.#snapshot && this.#snapshot.version >= 0 && now - this.#checkedAt < RECHECK_MS) return this.#snapshot;
    // Share a load in flight, unless a local change happened after it started: that load
    // may have read the state from before the change.
    if (this.#loading && this.#loadingGeneration === this.#generation) return this.#loading;
    const generation = this.#generation;
    let loading: Promise<Snapshot> | null = null;
    loading = (async () => {
      try {
        const row = await this.#db.get<{ version: number }>('SELECT version FROM cache_version WHERE id = 1');
        const version = Number(row?.version ?? 0);
        let snap = this.#snapshot;
        if (!snap || snap.version !== version) snap = await this.#load(version);
        if (generation === this.#generation) {
          this.#snapshot = snap;
          this.#checkedAt = performance.now();
        }
        return snap;
      } finally {
        if (this.#loading === loading) this.#loading = null;
      }
    })();
    this.#loading = loading;
    this.#loadingGeneration = generation;
    return loading;
  }

  /**
   * A snapshot at least as new as `version` (a cache_version read with other rows, e.g. a
   * user's): this one, or re-validated now when it is older. Concurrent callers share the
   * reload; a reload that started before the change was seen is followed by another.
   */
  async atLeast(version: number): Promise<Snapshot> {
    let snap = await this.get();
    for (let i = 0; i < 3 && snap.version < version; i++) {
      this.#checkedAt = -Infinity;
      snap = await this.get();
    }
    return snap;
  }

  /** Inside a changing transaction: make every process reload. */
  static async bump(tx: Queryable): Promise<void> {
    await tx.run('UPDATE cache_version SET version = version + 1 WHERE id = 1');
  }

  /** After a local change committed: reload on the next get(). */
  invalidate(): void {
    this.#generation++;
    this.#checkedAt = -Infinity;
    if (this.#snapshot) this.#snapshot.version = -1;
  }

  /** A printer created on first sight is added without a reload. */
  addPrinter(p: PrinterRow): void {
    if (!this.#snapshot) return;
    this.#snapshot.printers.set(p.id, p);
    this.#snapshot.printersByKey.set(printerKey(p.agentId, p.queue), p);
  }

  async #load(version: number): Promise<Snapshot> {
    const config = await this.#db.all<{ key: string; value: string }>('SELECT key, value FROM config');
    const configValues = new Map(config.map((c) => [c.key, c.value]));
    const printers = new Map<number, PrinterRow>();
    const printersByKey = new Map<string, PrinterRow>();
    for (const r of await this.#db.all(`SELECT ${PRINTER_COLUMNS} FROM printers p JOIN agents a ON a.id = p.agent_id`)) {
      const p = printerFromRow(r);
      printers.set(p.id, p);
      printersByKey.set(printerKey(p.agentId, p.queue), p);
    }
    const groups = new Map<number, GroupRow>();
    for (const r of await this.#db.all<Record<string, unknown>>('SELECT id, name, billing_mode, restrictions, created_at FROM user_groups')) {
      groups.set(Number(r.id), {
        id: Number(r.id), name: String(r.name), billingMode: (r.billing_mode as BillingMode | null) ?? null,
        restrictions: JSON.parse(String(r.restrictions)) as Restrictions, createdAt: Number(r.created_at),
      });
    }
    const agents = new Map<number, string>();
    for (const r of await this.#db.all<{ id: number; name: string }>('SELECT id, name FROM agents')) agents.set(Number(r.id), String(r.name));
    return { version, settings: parseSettings(configValues), configValues, printers, printersByKey, groups, agents };
  }
}
