// A user's answers to held jobs, shared by the pages, the live client and the terminal
// client: release (or confirm, claim, choose an account) and cancel. The server decides:
// the job must be the caller's own and still held, a shared account must be one the user
// may charge, and its PIN (when it has one) must match. Guessing PINs is rate-limited
// like log-ins. Another user's job answers UNKNOWN_JOB, the same as a job that does not
// exist, so ids of other people's jobs reveal nothing. A claim (popup authentication)
// made through the user client carries the client's address and must come from the job's
// host (claim-host.ts); a claim at the web page, after a password log-in, carries none.

import { PrintgateError } from '../../shared/errors.ts';
import type { Storage } from '../storage/port.ts';
import { verifyPin } from '../service/shared-accounts.ts';
import type { HoldKind, Job, PrintService } from '../service/types.ts';
import { ClaimHostRule } from './claim-host.ts';
import { RateLimiter } from './rate-limit.ts';

export interface AccountChoice {
  name: string;
  shared: boolean;
  hasPin: boolean;
  availableMinor: number;
}

export class Answers {
  readonly #service: PrintService;
  readonly #db: Storage;
  readonly #pinLimiter = new RateLimiter({ limit: 5, windowMs: 15 * 60_000 });
  readonly #hosts: ClaimHostRule;

  constructor(service: PrintService, db: Storage, hosts: ClaimHostRule = new ClaimHostRule()) {
    this.#service = service;
    this.#db = db;
    this.#hosts = hosts;
  }

  /** The user's own job; UNKNOWN_JOB for anyone else's. */
  async ownJob(user: string, jobId: string): Promise<Job> {
    if (!/^\d{1,18}$/.test(jobId)) throw new PrintgateError('UNKNOWN_JOB');
    const job = await this.#service.getJob(jobId).catch((err: unknown) => {
      if (err instanceof PrintgateError && err.code === 'UNKNOWN_JOB') return null;
      throw err;
    });
    if (!job || job.user !== user) throw new PrintgateError('UNKNOWN_JOB', `unknown job "${jobId}"`);
    return job;
  }

  /** When each of the user's held jobs times out (epoch ms), by job id. */
  async holdExpiries(user: string): Promise<Map<string, number>> {
    const rows = await this.#db.all("SELECT id, hold_expires_at FROM jobs WHERE status = 'held' AND user_name = ? LIMIT 1000", [user]);
    return new Map(rows.filter((r) => r.hold_expires_at !== null).map((r) => [String(r.id), Number(r.hold_expires_at)]));
  }

  /** Accounts the user may pick for a job: personal ones first, then shared ones. */
  async choices(user: string): Promise<AccountChoice[]> {
    const [u, balances] = await Promise.all([this.#service.getUser(user), this.#service.listBalances(user)]);
    const personal = new Set(u.accounts.map((a) => a.name));
    const sharedNames = balances.filter((b) => !personal.has(b.account)).map((b) => b.account);
    const pins = new Set<string>();
    for (const name of sharedNames) {
      const r = await this.#db.get("SELECT pin_hash FROM accounts WHERE kind = 'shared' AND name = ? AND deleted_at IS NULL", [name]);
      if (r && r.pin_hash !== null) pins.add(name);
    }
    return balances.map((b) => ({ name: b.account, shared: !personal.has(b.account), hasPin: pins.has(b.account), availableMinor: b.availableMinor }));
  }

  /**
   * Release (confirm, claim, choose the account). `from` is the client's address when the
   * answer comes through the user client: a claim must then come from the job's host.
   */
  async release(user: string, jobId: string, choice: { account?: string; pin?: string } = {}, from?: string): Promise<Job> {
    const job = await this.ownJob(user, jobId);
    if (job.status !== 'held') throw new PrintgateError('JOB_NOT_HELD');
    if (job.holdKind === 'CLAIM' && from !== undefined && !(await this.#hosts.allows(from, job.host))) {
      throw new PrintgateError('CLAIM_WRONG_HOST', `Job ${job.id} came from ${job.host || 'an unknown host'}: claim it from there, or at the web page`);
    }
    const account = choice.account?.trim() || undefined;
    if (account !== undefined) {
      const r = await this.#db.get<{ pin_hash: string | null }>("SELECT pin_hash FROM accounts WHERE kind = 'shared' AND name = ? AND deleted_at IS NULL", [account]);
      if (r && r.pin_hash !== null) {
        const key = `${user}:${account}`;
        if (this.#pinLimiter.retryAfter(key) > 0) throw new PrintgateError('RATE_LIMITED', 'Too many wrong PINs; try again later');
        if (!choice.pin || !verifyPin(choice.pin, String(r.pin_hash))) {
          this.#pinLimiter.hit(key);
          throw new PrintgateError('ACCOUNT_ACCESS_DENIED', 'The PIN of the account is wrong');
        }
        this.#pinLimiter.reset(key);
      }
    }
    return this.#service.releaseJob(jobId, user, { user, ...(account !== undefined ? { account } : {}) });
  }

  async cancel(user: string, jobId: string): Promise<Job> {
    const job = await this.ownJob(user, jobId);
    if (job.status !== 'held') throw new PrintgateError('JOB_NOT_HELD');
    return this.#service.cancelHeldJob(jobId, user, `cancelled by ${user}`);
  }
}

/** The question a held job asks its owner, in words. */
export function question(kind: HoldKind | null, cost: string, currency: string): string {
  switch (kind) {
    case 'CONFIRM': return `This job costs ${cost} ${currency} — print?`;
    case 'CHOOSE_ACCOUNT': return `Which account pays for this job (${cost} ${currency})?`;
    case 'CLAIM': return `Is this your job? Claim it to print (${cost} ${currency}).`;
    default: return `Waiting for release (${cost} ${currency}).`;
  }
}
