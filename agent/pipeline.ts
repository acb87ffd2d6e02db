// The print provider's pipeline: for every job stopped at the spooler's gate, analyse the
// document, ask the server, and act (release with forced changes and a watermark, cancel,
// or keep held), then report how the job ended. Every state change goes through
// lifecycle.ts's transition(); this file only performs the actions the table asks for and
// feeds their outcomes back as events.
//
// Ordering and concurrency: each job has its own promise chain, so its events are handled
// one at a time in arrival order (an action's outcome always lands in the state that asked
// for it). New jobs are analysed and authorized in parallel up to `concurrency`.
//
// Durability (see journal.ts): the authorize request is journaled before it is sent (so a
// restarted agent repeats the very same request under the same idempotency key); a
// release record is fsync'd before a job is let through; how it ended is fsync'd before
// `complete` is sent and the entry is removed only when the server acknowledged it.
// Restart (recover()): jobs still waiting at the gate come back through listHeld(); jobs
// the journal says were released are looked up at the spooler and completed when done.

import { readFile, stat } from 'node:fs/promises';
import { PrintgateError } from '../shared/errors.ts';
import type { AnalysisResult } from '../shared/analysis.ts';
import type { JobArrived, JobFinished, JobRef, Spooler, SpoolerOutcome } from '../platform/spooler.ts';
import { isServerUnavailable, jobIdempotencyKey, type JobEvent as ServerJobEvent } from './client/index.ts';
import { transition, isTerminal, type Action, type JobEvent, type JobState, type Outcome } from './lifecycle.ts';
import type { JournalEntry } from './journal.ts';
import type { FailureMode } from './policy.ts';
import { buildAuthorizeRequest, mergeAnalyses, releaseChanges, toDecision, type AuthorizeRequestObject } from './request.ts';
import { stampPdf } from './watermark.ts';
import { settleEntry } from './settle.ts';
import { pb } from '../shared/protocol/index.ts';
import { Limiter, type JobRecord, type PipelineOptions } from './pipeline-types.ts';
export type { AnalyzeFn, JobRecord, PipelineOptions } from './pipeline-types.ts';

const refKey = (r: JobRef) => `${r.queue}\u0000${r.spoolerJobId}`;

export class Pipeline {
  private readonly o: Required<Omit<PipelineOptions, 'watermarkKey' | 'onServerUnreachable'>> & Pick<PipelineOptions, 'watermarkKey' | 'onServerUnreachable'>;
  private readonly records = new Map<string, JobRecord>();
  private readonly byJobId = new Map<string, JobRecord>();
  /** Server events for jobs not (yet) known here, by server job id. */
  private readonly earlyEvents = new Map<string, ServerJobEvent>();
  private readonly limiter: Limiter;
  private readonly abort = new AbortController();
  private onlineFlag = true;
  private replaying: Promise<void> | undefined;
  /** Listeners for state changes (tests and the agent's metrics). */
  onState: ((rec: JobRecord, from: JobState, event: JobEvent) => void) | undefined;

  constructor(options: PipelineOptions) {
    this.o = {
      concurrency: 4, analysisTimeoutMs: 30_000, watermarkMaxBytes: 64 * 1024 * 1024, clock: Date.now, retryDelayMs: 1000,
      ...options,
    };
    this.limiter = new Limiter(this.o.concurrency);
  }

  get online(): boolean { return this.onlineFlag; }

  /** Jobs not yet finished (for the heartbeat's jobs_waiting). */
  waiting(): number {
    let n = 0;
    for (const r of this.records.values()) if (!isTerminal(r.state)) n++;
    return n;
  }

  job(ref: JobRef): JobRecord | undefined {
    return this.records.get(refKey(ref));
  }

  jobs(): JobRecord[] {
    return [...this.records.values()];
  }

  /** Wait until every job's chain is idle (tests, shutdown). */
  async idle(): Promise<void> {
    for (;;) {
      const chains = [...this.records.values()].map((r) => r.chain);
      await Promise.all(chains);
      if ([...this.records.values()].every((r, i) => r.chain === chains[i])) return;
    }
  }

  // ---- inputs ----------------------------------------------------------------------------

  /** A job arrived at the gate (watcher or listHeld). Duplicates are ignored. */
  submit(job: JobArrived): JobRecord | undefined {
    // Stopping: leave new jobs waiting at the gate; the next start picks them up.
    if (this.abort.signal.aborted) return undefined;
    const k = refKey(job);
    const known = this.records.get(k);
    if (known && (known.job === undefined || known.job.submittedAt === job.submittedAt || !isTerminal(known.state))) {
      if (known.job === undefined) known.job = job;
      return known;
    }
    const key = jobIdempotencyKey({ agent: this.o.agentName(), queue: job.queue, spoolerJobId: job.spoolerJobId, submittedAtMs: Math.trunc(job.submittedAt) });
    const rec: JobRecord = { ref: { queue: job.queue, spoolerJobId: job.spoolerJobId }, key, state: 'arrived', job, chain: Promise.resolve() };
    this.records.set(k, rec);
    this.o.log.info('job arrived', { queue: job.queue, job: job.spoolerJobId, user: job.user, title: job.title, bytes: job.sizeBytes });
    this.enqueue(rec, () => this.limiter.run(() => this.fire(rec, 'begin')));
    return rec;
  }

  /** The spooler says a job ended. */
  finished(f: JobFinished): void {
    const rec = this.records.get(refKey(f));
    if (!rec) { this.o.log.debug('end of a job not handled here', { queue: f.queue, job: f.spoolerJobId, state: f.state }); return; }
    this.enqueue(rec, async () => {
      rec.finished = f;
      await this.fire(rec, f.state === 'completed' ? 'printed' : f.state);
    });
  }

  /** An event from the server's channel about a held job. */
  serverEvent(ev: ServerJobEvent): void {
    const rec = this.byJobId.get(ev.jobId) ?? this.records.get(refKey({ queue: ev.queue, spoolerJobId: ev.spoolerJobId }));
    const kind = typeof ev.kind === 'number' ? pb.JobEventKind[ev.kind] : String(ev.kind);
    if (!rec || rec.state !== 'held') {
      // It may arrive before the job is back in 'held' (restart): keep it for then.
      if (this.earlyEvents.size < 10_000) this.earlyEvents.set(ev.jobId, ev);
      this.o.log.debug('server event kept for later', { jobId: ev.jobId, kind });
      return;
    }
    this.earlyEvents.delete(ev.jobId);
    const event: JobEvent | undefined = kind === 'RELEASED' || kind === 'ACCOUNT_CHOSEN' ? 'server-released'
      : kind === 'CANCELLED' ? 'server-cancelled' : kind === 'TIMED_OUT' ? 'timed-out' : undefined;
    if (!event) return;
    this.enqueue(rec, async () => {
      if (event === 'server-released') rec.releaseEvent = ev;
      else rec.cancelMessage = ev.message;
      await this.fire(rec, event);
    });
  }

  /** The server is reachable (again): re-ask for jobs kept by HOLD_UNTIL_RECONNECTED, replay the journal. */
  setOnline(online: boolean): void {
    const was = this.onlineFlag;
    this.onlineFlag = online;
    if (!online || was) return;
    this.o.log.info('server reachable again');
    for (const rec of this.records.values()) {
      if (rec.state === 'offline-held') this.enqueue(rec, () => this.limiter.run(() => this.fire(rec, 'reconnected')));
    }
    void this.replay();
  }

  // ---- the one place states change ------------------------------------------------------

  private enqueue(rec: JobRecord, fn: () => Promise<void>): void {
    rec.chain = rec.chain.then(fn).catch((err: unknown) => {
      this.o.log.error('job handling failed', { queue: rec.ref.queue, job: rec.ref.spoolerJobId, state: rec.state, error: String((err as Error)?.stack ?? err) });
    });
  }

  private async fire(rec: JobRecord, event: JobEvent): Promise<void> {
    const from = rec.state;
    const r = transition(from, event);
    if (!r.ok) {
      this.o.log.warn('event ignored', { queue: rec.ref.queue, job: rec.ref.spoolerJobId, state: from, event, reason: r.reason });
      return;
    }
    rec.state = r.next;
    this.o.log.info('job state', { queue: rec.ref.queue, job: rec.ref.spoolerJobId, from, event, to: r.next, jobId: rec.decision?.jobId });
    this.onState?.(rec, from, event);
    let settled = false;
    for (const action of r.actions) {
      if (action.type === 'complete' || action.type === 'journal-end') settled = true;
      const next = await this.perform(rec, action);
      if (next) await this.fire(rec, next);
    }
    if (isTerminal(r.next) && rec.endedAt === undefined) {
      rec.endedAt = this.o.clock();
      // Nothing left to report to the server: the journal may forget the job.
      if (!settled && this.o.journal.get(rec.key)) await this.o.journal.append({ t: 'ack', key: rec.key }, false);
    }
  }

  private async perform(rec: JobRecord, action: Action): Promise<JobEvent | undefined> {
    switch (action.type) {
      case 'analyse': return this.analyse(rec);
      case 'authorize': return this.authorize(rec);
      case 'release': return this.release(rec, 'online');
      case 'release-offline': return this.release(rec, 'offline');
      case 'release-unlogged': return this.release(rec, 'unlogged');
      case 'keep-held': {
        const msg = action.why === 'server-hold'
          ? (rec.decision?.message || 'Waiting for release')
          : 'Waiting for the print server to be reachable';
        const out = await this.spoolerCall('keep-held', rec, () => this.o.spooler.keepHeld(rec.ref, msg));
        if (!out.ok && out.reason === 'gone') return 'gone';
        if (action.why === 'server-hold' && rec.decision) {
          const early = this.earlyEvents.get(rec.decision.jobId);
          if (early) queueMicrotask(() => this.serverEvent(early));
        }
        return undefined;
      }
      case 'cancel': {
        const reason = this.cancelReason(rec, action.why);
        const out = await this.spoolerCall('cancel', rec, () => this.o.spooler.cancel(rec.ref, reason));
        if (out.ok || out.reason === 'not-held') return 'cancel-done';
        return 'gone';
      }
      case 'complete': await this.complete(rec, action.outcome); return undefined;
      case 'journal-end': await this.journalEnd(rec, action.outcome); return undefined;
      case 'forget': this.o.log.info('released without the server (failure mode ALLOW_AND_LOG_NOTHING)', { queue: rec.ref.queue, job: rec.ref.spoolerJobId }); return undefined;
    }
  }

  // ---- actions ---------------------------------------------------------------------------

  private async analyse(rec: JobRecord): Promise<JobEvent> {
    const job = rec.job!;
    const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.o.analysisTimeoutMs)]);
    const started = this.o.clock();
    try {
      const paths = job.documentPaths.length ? job.documentPaths : [job.documentPath];
      const parts: AnalysisResult[] = [];
      for (const p of paths) parts.push(await this.o.analyze(p, { signal }));
      rec.analysis = mergeAnalyses(parts);
      this.o.log.info('analysed', { queue: job.queue, job: job.spoolerJobId, format: rec.analysis.format, pages: rec.analysis.pages, colorPages: rec.analysis.colorPages, ms: this.o.clock() - started });
      return 'analysed';
    } catch (err) {
      const e = err as PrintgateError;
      rec.analysisError = { code: e.code ?? 'ANALYSIS_FAILED', message: e.message };
      this.o.log.warn('analysis failed', { queue: job.queue, job: job.spoolerJobId, code: rec.analysisError.code, error: e.message });
      return 'analysis-failed';
    }
  }

  private async authorize(rec: JobRecord): Promise<JobEvent> {
    // The request is built once and journaled before it is sent, so that after a restart
    // the same key carries the very same request (the server refuses a different one).
    if (!rec.request) {
      const saved = this.o.journal.get(rec.key)?.request as AuthorizeRequestObject | undefined;
      rec.request = saved ?? buildAuthorizeRequest(rec.key, rec.job!, rec.analysis, rec.analysisError);
      if (!saved) await this.o.journal.append({ t: 'auth', key: rec.key, queue: rec.ref.queue, spoolerJobId: rec.ref.spoolerJobId, request: rec.request }, false);
    }
    try {
      const answer = await this.o.server.authorize(rec.request, this.onlineFlag ? {} : { retry: { retries: 0 } });
      this.markOnline();
      const d = toDecision(answer);
      rec.decision = d;
      if (d.jobId) this.byJobId.set(d.jobId, rec);
      this.o.log.info('decision', { queue: rec.ref.queue, job: rec.ref.spoolerJobId, jobId: d.jobId, decision: d.decision, reason: d.reasonCode, cost: d.cost, grayscale: d.forceGrayscale, duplex: d.forceDuplex });
      return d.decision === 'ALLOW' ? 'decision-allow' : d.decision === 'HOLD' ? 'decision-hold' : 'decision-deny';
    } catch (err) {
      if (this.unreachable(err)) {
        const mode: FailureMode = this.o.policies.get(rec.ref.queue).failureMode;
        this.o.log.warn('server unreachable: failure mode applies', { queue: rec.ref.queue, job: rec.ref.spoolerJobId, mode, error: (err as Error).message });
        return mode === 'ALLOW_AND_LOG_NOTHING' ? 'unreachable-log-nothing' : mode === 'HOLD_UNTIL_RECONNECTED' ? 'unreachable-hold' : 'unreachable-log-later';
      }
      // The server answered but refused the request itself: the job cannot be accounted for.
      const e = err as PrintgateError;
      rec.decision = toDecision({ decision: 'DENY', reasonCode: e.code ?? 'INTERNAL', message: `The print server refused the job: ${e.message}` });
      this.o.log.error('authorize refused', { queue: rec.ref.queue, job: rec.ref.spoolerJobId, code: e.code, error: e.message });
      return 'decision-deny';
    }
  }

  private unreachable(err: unknown): boolean {
    const code = (err as PrintgateError)?.code;
    const down = isServerUnavailable(err) || code === 'UNAUTHENTICATED' || code === 'INVALID_TOKEN' || code === 'RATE_LIMITED';
    if (down && this.onlineFlag) {
      this.onlineFlag = false;
      this.o.onServerUnreachable?.();
    }
    return down;
  }

  private markOnline(): void {
    if (!this.onlineFlag) this.setOnline(true);
  }

  private async release(rec: JobRecord, mode: 'online' | 'offline' | 'unlogged'): Promise<JobEvent> {
    const policy = this.o.policies.get(rec.ref.queue);
    const d = rec.decision;
    const ev = rec.releaseEvent;
    // Watermark: when the printer's policy or the server's answer asks for it.
    if (policy.watermark || d?.watermark) {
      const problem = await this.stamp(rec, d?.watermarkText || policy.watermarkTemplate);
      if (problem) {
        if (policy.watermarkRequired) {
          rec.cancelMessage = `The document cannot be watermarked (${problem}) and this printer requires it`;
          this.o.log.warn('watermark required but impossible: job cancelled', { queue: rec.ref.queue, job: rec.ref.spoolerJobId, problem });
          return 'watermark-failed';
        }
        this.o.log.warn('document printed without its watermark', { queue: rec.ref.queue, job: rec.ref.spoolerJobId, problem });
      }
    }
    const changes = mode === 'online'
      ? releaseChanges(rec.job, { grayscale: Boolean(d?.forceGrayscale || ev?.forceGrayscale), duplex: Boolean(d?.forceDuplex || ev?.forceDuplex) })
      : undefined;
    const t0 = performance.now();
    if (mode !== 'unlogged') {
      // Durable before the job is let through: a crash after this line never loses it.
      await this.o.journal.append({ t: 'release', key: rec.key, queue: rec.ref.queue, spoolerJobId: rec.ref.spoolerJobId, mode, ...(d?.jobId ? { jobId: d.jobId } : {}), at: this.o.clock() }, true);
    }
    const t1 = performance.now();
    const out = await this.spoolerCall('release', rec, () => this.o.spooler.release(rec.ref, changes));
    if (out.ok || out.reason === 'not-held') {
      this.o.log.info('released', { queue: rec.ref.queue, job: rec.ref.spoolerJobId, changes, journalMs: Math.round(t1 - t0), spoolerMs: Math.round(performance.now() - t1) });
      return 'released';
    }
    return 'gone';
  }

  /** Stamp the document; undefined when done, else why it could not be. */
  private async stamp(rec: JobRecord, text: string): Promise<string | undefined> {
    const job = rec.job;
    if (!job) return 'job details unknown';
    try {
      const size = (await stat(job.documentPath)).size;
      if (size > this.o.watermarkMaxBytes) return `over the ${this.o.watermarkMaxBytes}-byte limit`;
      const bytes = await readFile(job.documentPath);
      const r = await stampPdf(bytes, { user: job.user, jobId: rec.decision?.jobId || `${job.queue}-${job.spoolerJobId}`, time: this.o.clock(), printer: job.queue, host: job.host },
        { ...(text.includes('{') ? { template: text } : text ? { text } : {}), ...(this.o.watermarkKey ? { key: this.o.watermarkKey } : {}), maxBytes: this.o.watermarkMaxBytes });
      if (!r.ok) return r.reason === 'not-pdf' ? 'not a PDF' : r.message;
      const out = await this.o.spooler.replaceDocument(rec.ref, r.bytes);
      if (!out.ok) return `the spooler refused the stamped copy: ${out.message}`;
      this.o.log.info('watermarked', { queue: job.queue, job: job.spoolerJobId, pages: r.pages });
      return undefined;
    } catch (err) {
      return (err as Error).message;
    }
  }

  private cancelReason(rec: JobRecord, why: 'denied' | 'server-cancelled' | 'timed-out' | 'watermark'): string {
    const d = rec.decision;
    switch (why) {
      case 'denied': return d?.message || (d?.reasonCode ? `Refused: ${d.reasonCode}` : 'Refused by the print server');
      case 'server-cancelled': return rec.cancelMessage || 'Cancelled';
      case 'timed-out': return rec.cancelMessage || 'Not released in time';
      case 'watermark': return rec.cancelMessage || 'The document cannot be watermarked';
    }
  }

  /** A spooler call, retried while the spooler is unavailable (a CUPS restart). */
  private async spoolerCall(what: string, rec: JobRecord, call: () => Promise<SpoolerOutcome>): Promise<SpoolerOutcome> {
    let out: SpoolerOutcome = await call();
    for (let attempt = 1; !out.ok && (out.reason === 'unavailable' || out.reason === 'refused') && attempt <= 5 && !this.abort.signal.aborted; attempt++) {
      this.o.log.warn(`spooler ${what} failed; retrying`, { queue: rec.ref.queue, job: rec.ref.spoolerJobId, reason: out.reason, message: out.message, attempt });
      await new Promise((r) => setTimeout(r, this.o.retryDelayMs * attempt));
      out = await call();
    }
    if (!out.ok) this.o.log.warn(`spooler ${what} did not happen`, { queue: rec.ref.queue, job: rec.ref.spoolerJobId, reason: out.reason, message: out.message });
    return out;
  }

  private endOf(rec: JobRecord, outcome: Outcome): { outcome: Outcome; impressions: number; at: number; note: string } {
    const f = rec.finished;
    return { outcome, impressions: f?.impressions ?? 0, at: f?.at ?? this.o.clock(), note: f?.message ?? '' };
  }

  private async complete(rec: JobRecord, outcome: Outcome): Promise<void> {
    const jobId = rec.decision?.jobId ?? this.o.journal.get(rec.key)?.jobId;
    if (!jobId) {
      this.o.log.warn('no server job to complete', { queue: rec.ref.queue, job: rec.ref.spoolerJobId, outcome });
      if (this.o.journal.get(rec.key)) await this.o.journal.append({ t: 'ack', key: rec.key }, false);
      return;
    }
    await this.o.journal.append({ t: 'end', key: rec.key, jobId, end: this.endOf(rec, outcome) }, true);
    await this.settle(this.o.journal.get(rec.key)!);
  }

  private async journalEnd(rec: JobRecord, outcome: Outcome): Promise<void> {
    await this.o.journal.append({ t: 'end', key: rec.key, end: this.endOf(rec, outcome) }, true);
    if (this.onlineFlag) void this.replay();
  }

  // ---- replay: settle what the journal holds -------------------------------------------

  /** Send every ended journal entry to the server; one replay at a time. */
  replay(): Promise<void> {
    this.replaying ??= this.replayAll().finally(() => { this.replaying = undefined; });
    return this.replaying;
  }

  private async replayAll(): Promise<void> {
    for (const e of this.o.journal.entries()) {
      if (!e.end) continue;
      if (!(await this.settle(e))) return; // the server went away again
    }
  }

  /** Report one ended entry to the server (see settle.ts); false when it could not be reached. */
  settle(e: JournalEntry): Promise<boolean> {
    return settleEntry({
      server: this.o.server,
      journal: this.o.journal,
      log: this.o.log,
      online: () => this.onlineFlag,
      markOnline: () => this.markOnline(),
      unreachable: (err) => this.unreachable(err),
    }, e);
  }

  // ---- restart ---------------------------------------------------------------------------

  /**
   * After a (re)start: take the jobs waiting at the gate, and reconcile what the journal
   * says was released but not yet reported.
   */
  async recover(): Promise<void> {
    const held = await this.o.spooler.listHeld();
    const heldKeys = new Set(held.map(refKey));
    for (const e of this.o.journal.entries()) {
      if (e.end || heldKeys.has(refKey(e))) continue;
      const ref = { queue: e.queue, spoolerJobId: e.spoolerJobId };
      const status = await this.o.spooler.jobStatus(ref);
      if (!e.mode) {
        // Asked about but never let through, and no longer waiting: nothing printed.
        if (status.ok && status.stage === 'held') continue;
        await this.recoverUnreleased(e);
        continue;
      }
      const rec: JobRecord = { ref, key: e.key, state: e.mode === 'online' ? 'printing' : 'printing-offline', job: undefined, chain: Promise.resolve() };
      if (e.jobId) {
        rec.decision = toDecision({ decision: 'ALLOW', jobId: e.jobId });
        this.byJobId.set(e.jobId, rec);
      }
      this.records.set(refKey(ref), rec);
      this.o.log.info('resumed a released job from the journal', { queue: e.queue, job: e.spoolerJobId, mode: e.mode });
      this.reconcileStatus(rec, status);
    }
    for (const job of held) this.submit(job);
  }

  /** A job the server may have reserved for but that never printed: give the reservation back. */
  private async recoverUnreleased(e: JournalEntry): Promise<void> {
    if (!e.request) { await this.o.journal.append({ t: 'ack', key: e.key }, false); return; }
    try {
      const d = toDecision(await this.o.server.authorize(e.request as AuthorizeRequestObject));
      if (d.jobId && d.decision !== 'DENY') {
        await this.o.journal.append({ t: 'end', key: e.key, jobId: d.jobId, end: { outcome: 'CANCELLED', impressions: 0, at: this.o.clock(), note: 'job vanished before release' } }, true);
        await this.settle(this.o.journal.get(e.key)!);
      } else {
        await this.o.journal.append({ t: 'ack', key: e.key }, false);
      }
    } catch (err) {
      if (!this.unreachable(err)) await this.o.journal.append({ t: 'ack', key: e.key }, false);
    }
  }

  private reconcileStatus(rec: JobRecord, status: Awaited<ReturnType<Spooler['jobStatus']>>): void {
    if (status.ok && status.stage === 'finished') this.finished(status.finished);
    else if (!status.ok && status.reason === 'gone') this.enqueue(rec, () => this.fire(rec, 'gone'));
  }

  /**
   * The slow reconcile sweep: pick up held jobs the watcher missed, ask the spooler about
   * released jobs whose end was not reported, replay the journal, prune old records.
   */
  async sweep(): Promise<void> {
    const held = await this.o.spooler.listHeld();
    for (const job of held) if (!this.records.has(refKey(job))) this.submit(job);
    const now = this.o.clock();
    for (const [k, rec] of this.records) {
      if (rec.state === 'printing' || rec.state === 'printing-offline') {
        this.reconcileStatus(rec, await this.o.spooler.jobStatus(rec.ref));
      } else if (rec.endedAt !== undefined && now - rec.endedAt > 10 * 60_000) {
        this.records.delete(k);
        if (rec.decision?.jobId) this.byJobId.delete(rec.decision.jobId);
      }
    }
    if (this.onlineFlag) await this.replay();
  }

  /** Stop: no new work; in-flight chains finish their current step. */
  async close(): Promise<void> {
    this.abort.abort(new Error('agent stopping'));
    await this.replaying;
  }
}
