// The CUPS adapter behind the Spooler interface. The gate (see docs/cups.md and
// attach.ts): a managed queue Q is stopped but accepting, so every job sent to it stays
// pending whatever the user asks; the agent lets a job go with CUPS-Move-Job to the hidden
// release queue Q.printgate, which prints. Only @SYSTEM may move, release, hold or change
// jobs there (the `printgate` op policy), and this adapter authenticates as @SYSTEM.
//
// Detection: chokidar sees dNNNNN-001 appear in the spool directory (inotify), then one
// Get-Job-Attributes says which queue and what the job asks for. A slow sweep (default
// every 45 s) reconciles: jobs missed by the watcher, held jobs cancelled behind our back.
// While released jobs print, they are polled (Get-Job-Attributes, every pollMs) until they
// end; with nothing in flight no timer runs, so an idle agent costs no CPU.

import { EventEmitter } from 'node:events';
import { chown, open, rename, stat, unlink, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PrintgateError } from '../../shared/errors.ts';
import type { JobArrived, JobFinished, JobRef, JobStatus, QueueInfo, ReleaseChanges, Spooler, SpoolerEvents, SpoolerOutcome } from '../spooler.ts';
import { OK, failed } from '../spooler.ts';
import { CupsClient, IppStatusError, type CupsClientOptions } from './client.ts';
import { a, bool, num, str, strs, type IppAttribute } from './ipp-message.ts';
import { JobState, PrinterState, Status } from './ipp-tags.ts';
import { JOB_ATTRS, finalState, impressions, isIncoming, isWaiting, jobQueue, toJobArrived } from './job-attrs.ts';
import * as ops from './ops.ts';
import { GATE_POLICY } from './policy.ts';
import { GATE_MESSAGE, RELEASE_SUFFIX, releaseQueueName } from './attach.ts';
import { SpoolWatcher, spoolDocumentPath, type SpoolEvent } from './watcher.ts';

export interface CupsSpoolerOptions {
  /** CUPS_SERVER-style address; default $CUPS_SERVER or the local socket. */
  readonly server?: string;
  /** CUPS_STATEDIR (local certificate); default $CUPS_STATEDIR or /run/cups. */
  readonly cupsStateDir?: string;
  /** cupsd's RequestRoot; default /var/spool/cups. */
  readonly spoolDir?: string;
  readonly sweepMs?: number;
  readonly pollMs?: number;
  readonly timeoutMs?: number;
  /** Injected clock (ms since the epoch). */
  readonly now?: () => number;
  /** A client to use instead of one built from server/cupsStateDir (tests). */
  readonly client?: CupsClient;
}

/** The few attributes an action needs to know whether the job still waits at its gate. */
const STATE_ATTRS = ['job-id', 'job-state', 'job-state-reasons', 'job-printer-uri'];

const DONE_LIMIT = 20_000;

/** How long a job may stay 'job-incoming' (Create-Job, documents still coming) before we stop looking. */
const INCOMING_RECHECK_MS = 100;
const INCOMING_GIVE_UP_MS = 15 * 60_000;

export class CupsSpooler extends EventEmitter<SpoolerEvents> implements Spooler {
  readonly kind = 'cups';
  readonly client: CupsClient;
  readonly spoolDir: string;
  private readonly sweepMs: number;
  private readonly pollMs: number;
  private readonly now: () => number;
  private readonly watcher: SpoolWatcher;
  /** Jobs emitted as 'job' (or returned by listHeld) and still waiting at the gate. */
  private readonly held = new Map<number, JobRef>();
  /** Jobs released and not yet finished. */
  private readonly inFlight = new Map<number, JobRef>();
  /** Jobs looked at and found not ours, or already reported; never looked at again. */
  private readonly done = new Set<number>();
  private readonly incoming = new Map<number, number>();
  private managed = new Set<string>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private started = false;
  private closed = false;
  private sweeping = false;

  constructor(options: CupsSpoolerOptions = {}) {
    super();
    const clientOptions: CupsClientOptions = { auth: 'system', user: 'root', ...(options.server ? { server: options.server } : {}), ...(options.cupsStateDir ? { stateDir: options.cupsStateDir } : {}), ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) };
    this.client = options.client ?? new CupsClient(clientOptions);
    this.spoolDir = (options.spoolDir ?? '/var/spool/cups').replace(/\/+$/, '');
    this.sweepMs = options.sweepMs ?? 45_000;
    this.pollMs = options.pollMs ?? 500;
    this.now = options.now ?? Date.now;
    this.watcher = new SpoolWatcher(this.spoolDir, (e) => this.onSpoolEvent(e), (e) => this.emit('warning', e));
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    // cupsd may start after the agent (boot order): watch anyway, learn the queues later.
    await this.refreshManaged().catch((err: unknown) => {
      if (err instanceof PrintgateError && err.code === 'SPOOLER_UNAVAILABLE') this.emit('warning', err);
      else throw err;
    });
    await this.watcher.start();
    this.sweepTimer = setInterval(() => void this.sweep(), this.sweepMs);
    this.sweepTimer.unref();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweepTimer);
    clearTimeout(this.pollTimer);
    await this.watcher.close();
    this.client.close();
  }

  /**
   * Remember a job we are finished with. The set is bounded (an agent runs for months):
   * the oldest half is forgotten past DONE_LIMIT; a forgotten job is at worst looked at
   * once more with one Get-Job-Attributes, which finds it ended or not ours.
   */
  private markDone(jobId: number): void {
    this.done.add(jobId);
    if (this.done.size <= DONE_LIMIT) return;
    let drop = this.done.size / 2;
    for (const id of this.done) {
      if (drop-- <= 0) break;
      this.done.delete(id);
    }
  }

  /** What the adapter is tracking right now (for status output and tests). */
  activity(): { held: number; inFlight: number; polling: boolean } {
    return { held: this.held.size, inFlight: this.inFlight.size, polling: this.pollTimer !== undefined };
  }

  // ------------------------------------------------------------------ detection

  private onSpoolEvent(e: SpoolEvent): void {
    if (this.closed) return;
    if (e.kind === 'add' && e.document === 1 && !this.done.has(e.jobId) && !this.held.has(e.jobId)) void this.inspect(e.jobId);
    // A document gone: the job may have ended (cancelled while held, or printed).
    if (e.kind === 'unlink' && (this.held.has(e.jobId) || this.inFlight.has(e.jobId))) void this.checkEnded(e.jobId);
  }

  /** Look at a new job: ours and complete → 'job'; still receiving documents → look again soon. */
  private async inspect(jobId: number): Promise<void> {
    try {
      const attrs = await ops.getJob(this.client, jobId, JOB_ATTRS);
      const queue = jobQueue(attrs);
      if (!this.managed.has(queue)) await this.refreshManaged();
      if (!this.managed.has(queue)) {
        this.markDone(jobId);
        return;
      }
      if (isIncoming(attrs)) {
        const since = this.incoming.get(jobId) ?? this.now();
        this.incoming.set(jobId, since);
        if (this.now() - since < INCOMING_GIVE_UP_MS && !this.closed) setTimeout(() => void this.inspect(jobId), INCOMING_RECHECK_MS).unref();
        return;
      }
      this.incoming.delete(jobId);
      if (!isWaiting(attrs) || this.held.has(jobId)) return;
      const job = await this.arrived(attrs);
      this.held.set(jobId, { queue: job.queue, spoolerJobId: job.spoolerJobId });
      this.emit('job', job);
    } catch (err) {
      if (isNotFound(err)) return;
      this.emit('warning', asError(err));
    }
  }

  private async arrived(attrs: IppAttribute[]): Promise<JobArrived> {
    const jobId = num(attrs, 'job-id', 0)!;
    const count = Math.max(1, num(attrs, 'number-of-documents', 1)!);
    const documents: { path: string; size: number }[] = [];
    for (let d = 1; d <= count; d++) {
      const path = spoolDocumentPath(this.spoolDir, jobId, d);
      const st = await stat(path).catch(() => undefined);
      if (st) documents.push({ path, size: st.size });
    }
    if (documents.length === 0) {
      this.emit('warning', new PrintgateError('SPOOLER_ERROR', `job ${jobId} has no document in ${this.spoolDir} (is this cupsd's RequestRoot? see --cups-spool-dir)`, { jobId, spoolDir: this.spoolDir }));
    }
    return toJobArrived(attrs, documents);
  }

  /**
   * Managed queues: those whose op policy is printgate's gate policy. A managed queue
   * that someone started by hand (cupsenable) would print unchecked: stop it again.
   */
  private async refreshManaged(): Promise<void> {
    const printers = await ops.getPrinters(this.client, ['printer-name', 'printer-op-policy', 'printer-state']);
    const managed = printers.filter((p) => str(p, 'printer-op-policy') === GATE_POLICY);
    this.managed = new Set(managed.map((p) => str(p, 'printer-name')));
    for (const p of managed) {
      if (num(p, 'printer-state') === PrinterState.stopped) continue;
      const name = str(p, 'printer-name');
      await ops.disablePrinter(this.client, name, GATE_MESSAGE);
      this.emit('warning', new PrintgateError('SPOOLER_ERROR', `the gate queue ${name} was started by hand; stopped it again (use printgate cups detach to take a queue out of printgate)`, { queue: name }));
    }
  }

  /** Reconcile: jobs the watcher missed, and held or released jobs that ended. */
  private async sweep(): Promise<void> {
    if (this.sweeping || this.closed) return; // a slow cupsd must not pile sweeps up
    this.sweeping = true;
    try {
      const known = new Set(this.held.keys());
      for (const job of await this.listHeld()) if (!known.has(Number(job.spoolerJobId))) this.emit('job', job);
      for (const id of [...this.held.keys(), ...this.inFlight.keys()]) await this.checkEnded(id);
    } catch (err) {
      this.emit('warning', asError(err));
    } finally {
      this.sweeping = false;
    }
  }

  /** If the job has ended (or vanished), report it once. */
  private async checkEnded(jobId: number): Promise<boolean> {
    const ref = this.held.get(jobId) ?? this.inFlight.get(jobId);
    if (!ref) return true;
    let attrs: IppAttribute[] | undefined;
    try {
      attrs = await ops.getJob(this.client, jobId, JOB_ATTRS);
    } catch (err) {
      if (!isNotFound(err)) {
        this.emit('warning', asError(err));
        return false;
      }
    }
    const state = attrs ? finalState(attrs) : 'cancelled';
    if (!state) return false;
    // Another check (poll, unlink, sweep) may have reported it while we waited for CUPS.
    if (!this.held.has(jobId) && !this.inFlight.has(jobId)) return true;
    this.held.delete(jobId);
    this.inFlight.delete(jobId);
    this.markDone(jobId);
    this.emit('jobState', attrs ? this.finished(ref, attrs) : { ...ref, state: 'cancelled', impressions: undefined, message: 'The job no longer exists', at: this.now() });
    return true;
  }

  private finished(ref: JobRef, attrs: IppAttribute[]): JobFinished {
    const t = num(attrs, 'time-at-completed');
    return { ...ref, state: finalState(attrs)!, impressions: impressions(attrs), message: str(attrs, 'job-state-message'), at: t ? t * 1000 : this.now() };
  }

  /** Poll released jobs until they end; the timer only runs while some are in flight. */
  private schedulePoll(): void {
    if (this.pollTimer || this.closed || this.inFlight.size === 0) return;
    this.pollTimer = setTimeout(async () => {
      this.pollTimer = undefined;
      for (const id of [...this.inFlight.keys()]) await this.checkEnded(id);
      this.schedulePoll();
    }, this.pollMs);
    this.pollTimer.unref();
  }

  // ------------------------------------------------------------------ queries

  async listHeld(): Promise<JobArrived[]> {
    await this.refreshManaged();
    const jobs: JobArrived[] = [];
    for (const queue of this.managed) {
      for (const attrs of await ops.getJobs(this.client, queue, 'not-completed', JOB_ATTRS)) {
        if (!isWaiting(attrs)) continue;
        const job = await this.arrived(attrs);
        this.held.set(Number(job.spoolerJobId), { queue: job.queue, spoolerJobId: job.spoolerJobId });
        jobs.push(job);
      }
    }
    return jobs.sort((x, y) => Number(x.spoolerJobId) - Number(y.spoolerJobId));
  }

  async jobStatus(job: JobRef): Promise<JobStatus> {
    const id = Number(job.spoolerJobId);
    try {
      const attrs = await ops.getJob(this.client, id, JOB_ATTRS);
      const state = finalState(attrs);
      if (state) return { ok: true, stage: 'finished', finished: this.finished(job, attrs) };
      const queue = jobQueue(attrs);
      if (queue === job.queue && isWaiting(attrs)) return { ok: true, stage: 'held', message: str(attrs, 'job-state-message') };
      if (queue === releaseQueueName(job.queue)) {
        this.track(id, job);
        return { ok: true, stage: 'released', message: str(attrs, 'job-state-message') };
      }
      return failed('not-held', `job ${id} is on ${queue}, in state ${num(attrs, 'job-state')}`) as JobStatus;
    } catch (err) {
      return outcomeOf(err, id) as JobStatus;
    }
  }

  async queues(): Promise<QueueInfo[]> {
    const printers = await ops.getPrinters(this.client, ['printer-name', 'printer-op-policy', 'printer-info', 'printer-location', 'printer-make-and-model', 'color-supported', 'sides-supported', 'printer-state', 'printer-is-accepting-jobs']);
    const byName = new Map(printers.map((p) => [str(p, 'printer-name'), p]));
    const ready = (p: IppAttribute[] | undefined) => !!p && num(p, 'printer-state') !== PrinterState.stopped && bool(p, 'printer-is-accepting-jobs') !== false;
    return printers
      .filter((p) => !str(p, 'printer-name').endsWith(RELEASE_SUFFIX))
      .map((p) => {
        const name = str(p, 'printer-name');
        const managed = str(p, 'printer-op-policy') === GATE_POLICY;
        return {
          name,
          managed,
          description: str(p, 'printer-info'),
          location: str(p, 'printer-location'),
          makeAndModel: str(p, 'printer-make-and-model'),
          colorSupported: bool(p, 'color-supported') ?? false,
          duplexSupported: strs(p, 'sides-supported').some((s) => s.startsWith('two-sided')),
          ready: managed ? ready(byName.get(releaseQueueName(name))) : ready(p),
        };
      });
  }

  // ------------------------------------------------------------------ actions

  /** The job's attributes if it still waits at its gate, else the outcome to return. */
  private async waiting(job: JobRef): Promise<IppAttribute[] | SpoolerOutcome> {
    const id = Number(job.spoolerJobId);
    if (!Number.isInteger(id) || id <= 0) return failed('gone', `not a CUPS job id: ${job.spoolerJobId}`);
    try {
      const attrs = await ops.getJob(this.client, id, STATE_ATTRS);
      if (finalState(attrs)) return failed('gone', `job ${id} has already ended`);
      if (jobQueue(attrs) !== job.queue || !isWaiting(attrs)) return failed('not-held', `job ${id} no longer waits at the gate of ${job.queue}`);
      return attrs;
    } catch (err) {
      return outcomeOf(err, id);
    }
  }

  async release(job: JobRef, changes: ReleaseChanges = {}): Promise<SpoolerOutcome> {
    const attrs = await this.waiting(job);
    if (!Array.isArray(attrs)) return attrs;
    const id = Number(job.spoolerJobId);
    const set: IppAttribute[] = [];
    if (changes.sides) set.push(a.keyword('sides', changes.sides));
    if (changes.colorMode) set.push(a.keyword('print-color-mode', changes.colorMode));
    // A job that was also held (job-hold-until) would stay held on the release queue.
    if (num(attrs, 'job-state') === JobState.pendingHeld) set.push(a.keyword('job-hold-until', 'no-hold'));
    try {
      if (set.length > 0) await ops.setJobAttributes(this.client, id, set);
    } catch (err) {
      return outcomeOf(err, id);
    }
    try {
      await ops.moveJob(this.client, id, releaseQueueName(job.queue));
    } catch (err) {
      // The job existed a moment ago: "not found" now means the release queue is missing.
      if (isNotFound(err)) return failed('refused', `the release queue ${releaseQueueName(job.queue)} is missing: run printgate cups attach ${job.queue}`);
      return outcomeOf(err, id);
    }
    this.held.delete(id);
    this.track(id, job);
    return OK;
  }

  private track(id: number, job: JobRef): void {
    this.held.delete(id);
    this.inFlight.set(id, { queue: job.queue, spoolerJobId: job.spoolerJobId });
    this.schedulePoll();
  }

  /**
   * Cancel, and say why where CUPS lets us. job-state-message is read-only, but
   * job-printer-state-message is settable and is what `lpstat -l` prints as "Status:"; the
   * reason also goes in job-message-from-operator (IPP's own field for it) and in front
   * of the job name (what desktop print queues and the web interface list).
   */
  async cancel(job: JobRef, reason: string): Promise<SpoolerOutcome> {
    const id = Number(job.spoolerJobId);
    let attrs: IppAttribute[];
    try {
      attrs = await ops.getJob(this.client, id, JOB_ATTRS);
    } catch (err) {
      return outcomeOf(err, id);
    }
    if (finalState(attrs)) return failed('gone', `job ${id} has already ended`);
    const text = clip(reason, 1023);
    try {
      await ops.setJobAttributes(this.client, id, [...messageAttrs(text), a.name('job-name', clip(`[printgate: ${reason}] ${str(attrs, 'job-name')}`, 255))]);
    } catch (err) {
      this.emit('warning', asError(err)); // the cancel matters more than the message
    }
    try {
      await ops.cancelJob(this.client, id);
    } catch (err) {
      return outcomeOf(err, id);
    }
    await this.checkEnded(id);
    return OK;
  }

  async keepHeld(job: JobRef, message?: string): Promise<SpoolerOutcome> {
    const attrs = await this.waiting(job);
    if (!Array.isArray(attrs)) return attrs;
    const id = Number(job.spoolerJobId);
    this.held.set(id, { queue: job.queue, spoolerJobId: job.spoolerJobId });
    if (message === undefined) return OK;
    try {
      await ops.setJobAttributes(this.client, id, messageAttrs(clip(message, 1023)));
      return OK;
    } catch (err) {
      return outcomeOf(err, id);
    }
  }

  /** Write the new document beside the old one with the same owner and mode, then rename over it. */
  async replaceDocument(job: JobRef, source: Uint8Array | string): Promise<SpoolerOutcome> {
    const attrs = await this.waiting(job);
    if (!Array.isArray(attrs)) return attrs;
    const id = Number(job.spoolerJobId);
    const target = spoolDocumentPath(this.spoolDir, id, 1);
    const tmp = join(dirname(target), `.printgate-${id}-${process.pid}`);
    try {
      const old = await stat(target);
      const bytes = typeof source === 'string' ? await readFile(source) : source;
      const fh = await open(tmp, 'w', old.mode & 0o777);
      try {
        await fh.writeFile(bytes);
        await fh.chmod(old.mode & 0o777);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await chown(tmp, old.uid, old.gid);
      await rename(tmp, target);
      return OK;
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ENOENT') return failed('gone', `the spool file of job ${id} is gone`);
      if (e.code === 'EACCES' || e.code === 'EPERM') return failed('refused', `cannot replace ${target}: ${e.message}`);
      throw err;
    }
  }
}

/** A message for the user: `lpstat -l` shows job-printer-state-message as "Status:". */
function messageAttrs(text: string): IppAttribute[] {
  return [a.text('job-printer-state-message', text), a.text('job-message-from-operator', text)];
}

function clip(s: string, max: number): string {
  const b = Buffer.from(s, 'utf8');
  if (b.length <= max) return s;
  return `${b.subarray(0, max - 3).toString('utf8').replace(/\uFFFD$/, '')}...`;
}

function isNotFound(err: unknown): boolean {
  return err instanceof IppStatusError && (err.ippStatus === Status.clientErrorNotFound || err.ippStatus === Status.clientErrorGone);
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** Map an operation's failure onto an expected outcome; anything else is a bug: rethrow. */
function outcomeOf(err: unknown, id: number): SpoolerOutcome {
  if (isNotFound(err)) return failed('gone', `job ${id} does not exist`);
  if (err instanceof IppStatusError) {
    if (err.ippStatus === Status.clientErrorNotPossible) return failed('not-held', err.message);
    return failed('refused', err.message);
  }
  if (err instanceof PrintgateError) {
    if (err.code === 'SPOOLER_UNAVAILABLE') return failed('unavailable', err.message);
    if (err.code === 'SPOOLER_UNAUTHORIZED' || err.code === 'IPP_ERROR') return failed('refused', err.message);
    if (err.code === 'IPP_MALFORMED') return failed('unavailable', err.message);
  }
  throw err;
}
