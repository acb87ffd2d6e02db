// openService(): the application server's core behind the PrintService contract
// (types.ts). Opens the storage engine the `db` option names (SQLite file by default,
// PostgreSQL for a postgres:// URL), runs migrations, and wires the operation modules;
// with `background` (the default) it also runs the hold-timeout sweep, the quota
// scheduler and housekeeping on timers. close() stops everything and is idempotent.

import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openStorage } from '../storage/open.ts';
import type { Storage } from '../storage/port.ts';
import { AgentAuth, createAgent, deleteAgent, heartbeat, listAgents, registerAgent } from './agents.ts';
import { authorize, complete } from './authorize.ts';
import { Caches } from './cache.ts';
import { getConfigValue, listConfig, setConfigValue } from './config.ts';
import type { Core } from './core.ts';
import * as groups from './groups.ts';
import { cancelHeldJob, listHeldJobs, pollEvents, releaseJob, sweepHeldJobs } from './holds.ts';
import { housekeeping } from './housekeeping.ts';
import { adminIdempotent } from './idempotency.ts';
import { getJob, listJobs } from './jobs.ts';
import { checkLedger, listTransactions, refundJob } from './ledger.ts';
import { getPrinter, listPrinters, updatePrinter } from './printers.ts';
import * as shared from './shared-accounts.ts';
import * as users from './users.ts';
import type { PrintService, ServiceOptions } from './types.ts';

export type { PrintService, ServiceOptions } from './types.ts';

const SWEEP_MS = 15_000;
const QUOTA_MS = 60_000;

export async function openService(options: ServiceOptions): Promise<PrintService & { readonly storage: Storage }> {
  mkdirSync(options.dataDir, { recursive: true });
  const db = await openStorage(options.db ?? join(options.dataDir, 'printgate.db'));
  const notifier = new EventEmitter();
  notifier.setMaxListeners(0);
  const closing = new AbortController();
  const core: Core = {
    db, clock: options.clock ?? Date.now, caches: new Caches(db), notifier,
    eventRecheckMs: options.eventRecheckMs ?? 1000, closing: closing.signal,
  };
  const auth = new AgentAuth(core);
  await core.caches.get();

  // Background work; each run is idempotent and safe to overlap with other processes.
  const timers: NodeJS.Timeout[] = [];
  const log = options.log ?? ((message: string, error?: unknown) => process.emitWarning(`${message}: ${(error as Error)?.message ?? error}`));
  let running = 0;
  const background = (what: string, fn: () => Promise<unknown>) => async () => {
    if (closing.signal.aborted) return;
    running++;
    try {
      await fn();
    } catch (e) {
      if (!closing.signal.aborted) log(`printgate ${what} failed`, e);
    } finally {
      running--;
    }
  };
  if (options.background !== false) {
    const sweep = background('hold sweep', () => sweepHeldJobs(core));
    const quotas = background('quota run', async () => { await groups.runDueQuotas(core); await housekeeping(core); });
    timers.push(setInterval(sweep, SWEEP_MS), setInterval(quotas, QUOTA_MS));
    setImmediate(quotas);
    for (const t of timers) t.unref();
  }

  let closed: Promise<void> | null = null;
  const service: PrintService & { readonly storage: Storage } = {
    storage: db,
    ...operations(core, auth),

    // The operations again, on a Core bound to the request's transaction (within.ts).
    idempotent: (scope, key, request, fn) => adminIdempotent(core, scope, key, request, (bound) => fn(operations(bound, new AgentAuth(bound)))),

    close: () => {
      closed ??= (async () => {
        closing.abort();
        for (const t of timers) clearInterval(t);
        while (running > 0) await new Promise((r) => setTimeout(r, 10));
        await db.close();
      })();
      return closed;
    },
  };
  return service;
}

/** The service's operations on a Core: the process's, or one bound to a transaction. */
function operations(core: Core, auth: AgentAuth): Omit<PrintService, 'idempotent' | 'close'> {
  return {
    authenticateAgent: (token) => auth.authenticate(token),
    registerAgent: (agent, input) => registerAgent(core, auth, agent, input),
    heartbeat: (agent, input) => heartbeat(core, auth, agent, input),
    authorize: (agent, input) => authorize(core, auth, agent, input),
    complete: (agent, input) => complete(core, auth, agent, input),
    pollEvents: (agent, afterSeq, waitMs, signal) => pollEvents(core, agent, afterSeq, waitMs, signal),

    releaseJob: (jobId, actor, opts) => releaseJob(core, jobId, actor, opts),
    cancelHeldJob: (jobId, actor, message) => cancelHeldJob(core, jobId, actor, message),
    sweepHeldJobs: (nowMs) => sweepHeldJobs(core, nowMs),
    listHeldJobs: (user) => listHeldJobs(core, user),

    listUsers: (page) => users.listUsers(core, page),
    createUser: (input, actor) => users.createUser(core, input, actor),
    getUser: (name) => users.getUser(core, name),
    findUser: (name) => users.findUser(core, name),
    updateUser: (name, patch) => users.updateUser(core, name, patch),
    deleteUser: (name) => users.deleteUser(core, name),
    addUserAccount: (user, account, opts) => users.addUserAccount(core, user, account, opts),
    getBalance: (user, account) => users.getBalance(core, user, account),
    listBalances: (user) => users.listBalances(core, user),
    adjustUserBalance: (user, input, actor) => users.adjustUserBalance(core, user, input, actor),
    setUserBalance: (user, input, actor) => users.setUserBalance(core, user, input, actor),

    listGroups: (page) => groups.listGroups(core, page),
    createGroup: (input) => groups.createGroup(core, input),
    getGroup: (name) => groups.getGroup(core, name),
    updateGroup: (name, patch) => groups.updateGroup(core, name, patch),
    deleteGroup: (name) => groups.deleteGroup(core, name),
    listGroupMembers: (name) => groups.listGroupMembers(core, name),
    addGroupMember: (group, user) => groups.addGroupMember(core, group, user),
    removeGroupMember: (group, user) => groups.removeGroupMember(core, group, user),
    setGroupQuota: (group, quota) => groups.setGroupQuota(core, group, quota),
    clearGroupQuota: (group) => groups.clearGroupQuota(core, group),
    runDueQuotas: (nowMs) => groups.runDueQuotas(core, nowMs),

    listSharedAccounts: (page) => shared.listSharedAccounts(core, page),
    createSharedAccount: (input, actor) => shared.createSharedAccount(core, input, actor),
    getSharedAccount: (name) => shared.getSharedAccount(core, name),
    adjustSharedAccount: (name, input, actor) => shared.adjustSharedAccount(core, name, input, actor),
    grantSharedAccess: (name, access) => shared.grantSharedAccess(core, name, access),
    revokeSharedAccess: (name, access) => shared.revokeSharedAccess(core, name, access),
    verifySharedAccountPin: (name, pin) => shared.verifySharedAccountPin(core, name, pin),

    listTransactions: (filter) => listTransactions(core, filter),
    refundJob: (jobId, input, actor) => refundJob(core, jobId, input, actor),
    checkLedger: () => checkLedger(core),

    listPrinters: () => listPrinters(core),
    getPrinter: (ref) => getPrinter(core, ref),
    updatePrinter: (ref, patch) => updatePrinter(core, ref, patch),

    listAgents: () => listAgents(core),
    createAgent: (name) => createAgent(core, name),
    deleteAgent: (name) => deleteAgent(core, auth, name),

    listConfig: () => listConfig(core),
    getConfigValue: (key) => getConfigValue(core, key),
    setConfigValue: (key, value) => setConfigValue(core, key, value),
    moneyFormat: async () => {
      const { settings } = await core.caches.get();
      return { currency: settings.currency, exponent: settings.exponent };
    },

    listJobs: (filter) => listJobs(core, filter),
    getJob: (id) => getJob(core, id),
  };
}
