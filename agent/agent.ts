// The running print provider: wires a spooler, the server client, the journal, the policy
// cache and the pipeline together, and keeps the agent's side of the conversation with
// the server going: register at start (printers appear on first sight), heartbeat at the
// interval the server asks for, the events long-poll for held jobs, reconnection with
// backoff when the server goes away, and the slow reconcile sweep.
//
// Idle cost: nothing here polls faster than the heartbeat/sweep (tens of seconds); the
// events channel is a long-poll that the server holds open; new jobs come from the
// spooler's own watcher (inotify), not from polling.

import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Spooler } from '../platform/spooler.ts';
import { isServerUnavailable, type ServerClient } from './client/index.ts';
import { Journal } from './journal.ts';
import type { Logger } from './log.ts';
import { Pipeline, type AnalyzeFn } from './pipeline.ts';
import { PolicyStore } from './policy.ts';
import { QuietCollector } from './quiet-gc.ts';

export interface AgentOptions {
  spooler: Spooler;
  client: ServerClient;
  analyze: AnalyzeFn;
  log: Logger;
  /** Journal and policy cache live here. */
  stateDir: string;
  /** Name this agent reports and derives idempotency keys from (default: host name). */
  name?: string;
  version?: string;
  watermarkKey?: Uint8Array;
  concurrency?: number;
  /** Reconcile sweep period (default 60 s). */
  sweepIntervalMs?: number;
  /** Used until the server says otherwise (default 30 s). */
  heartbeatIntervalMs?: number;
  /** Long-poll wait of the events channel (default 25 s). */
  eventsWaitMs?: number;
  /** Reconnection backoff bounds (default 1 s .. 30 s). */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** A full-GC function: run once the agent goes quiet after jobs (quiet-gc.ts). */
  gc?: () => void;
}

export class Agent {
  private readonly o: AgentOptions;
  readonly name: string;
  readonly policies: PolicyStore;
  private journal: Journal | undefined;
  private pipelineRef: Pipeline | undefined;
  private readonly stop = new AbortController();
  private online = false;
  private heartbeatMs: number;
  private wakeOnline: (() => void) | undefined;
  private reconnecting = false;
  private afterSeq = 0;
  private loops: Promise<void>[] = [];
  private closed: Promise<void> | undefined;
  private readonly quiet: QuietCollector;

  constructor(options: AgentOptions) {
    this.o = options;
    this.name = options.name ?? hostname();
    this.policies = new PolicyStore(join(options.stateDir, 'policy.json')).load();
    this.heartbeatMs = options.heartbeatIntervalMs ?? 30_000;
    this.quiet = new QuietCollector({ gc: options.gc });
  }

  get pipeline(): Pipeline {
    if (!this.pipelineRef) throw new Error('agent not started');
    return this.pipelineRef;
  }

  get isOnline(): boolean { return this.online; }

  /** Start: resolves once jobs are being watched and the server was tried once. */
  async start(): Promise<void> {
    const { log, spooler } = this.o;
    this.journal = await Journal.open(join(this.o.stateDir, 'journal.log'), { warn: (m) => log.warn(m) });
    if (this.journal.size) log.info('journal has entries to finish', { entries: this.journal.size, offline: this.journal.backlog() });
    const pipeline = new Pipeline({
      spooler, server: this.o.client, analyze: this.o.analyze, journal: this.journal, policies: this.policies, log,
      agentName: () => this.name, onServerUnreachable: () => this.wentOffline(),
      ...(this.o.watermarkKey ? { watermarkKey: this.o.watermarkKey } : {}),
      ...(this.o.concurrency ? { concurrency: this.o.concurrency } : {}),
    });
    this.pipelineRef = pipeline;
    spooler.on('job', (job) => { pipeline.submit(job); this.quiet.touch(); });
    spooler.on('jobState', (f) => { pipeline.finished(f); this.quiet.touch(); });
    spooler.on('warning', (err) => log.warn('spooler warning', { error: err.message }));

    // Register first, so that policies are fresh before the first job is decided.
    await this.register();
    if (!this.online) {
      pipeline.setOnline(false);
      log.warn('server unreachable at start: cached printer policies apply', { printers: this.policies.all().length });
    }
    await spooler.start();
    await pipeline.recover();
    if (this.online) void pipeline.replay();
    this.loops = [this.heartbeatLoop(), this.eventsLoop(), this.sweepLoop()];
    if (!this.online) this.wentOffline();
    log.info('agent started', { name: this.name, server: this.o.client.server.origin, spooler: spooler.kind, online: this.online });
  }

  /** Clean shutdown: stop loops, stop watching, let in-flight steps finish, close files. Idempotent. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.stop.abort();
      this.quiet.close();
      this.wakeOnline?.();
      if (this.pipelineRef) {
        // No new jobs; give the steps in flight a moment (they may still need the spooler).
        // What does not finish is picked up again at the next start.
        await this.pipelineRef.close();
        await Promise.race([this.pipelineRef.idle(), sleep(5000, undefined, { ref: false })]);
      }
      await this.o.spooler.close();
      await Promise.allSettled(this.loops);
      await this.journal?.close();
      this.o.client.close();
      this.o.log.info('agent stopped');
    })();
    return this.closed;
  }

  // ---- server conversation -----------------------------------------------------------

  private async register(): Promise<boolean> {
    const { client, spooler, log } = this.o;
    try {
      const queues = (await spooler.queues()).filter((q) => q.managed);
      const answer = await client.register({
        hostname: this.name,
        version: this.o.version ?? '',
        platform: spooler.kind,
        printers: queues.map((q) => ({ queue: q.name, description: q.description, deviceUri: '' })),
      }, { signal: this.stop.signal, retry: { retries: 1 } });
      await this.policies.update(answer.printers ?? [], answer.agent);
      if (answer.heartbeatIntervalMs > 0) this.heartbeatMs = Math.max(1000, answer.heartbeatIntervalMs);
      log.info('registered', { agent: answer.agent, printers: (answer.printers ?? []).length, heartbeatMs: this.heartbeatMs });
      this.cameOnline();
      return true;
    } catch (err) {
      if (this.stop.signal.aborted) return false;
      log.warn('registration failed', { error: (err as Error).message, code: (err as { code?: string }).code });
      return false;
    }
  }

  private cameOnline(): void {
    if (this.online) return;
    this.online = true;
    this.pipelineRef?.setOnline(true);
    this.wakeOnline?.();
  }

  /** The server stopped answering: reconnect in the background with backoff. */
  private wentOffline(): void {
    if (this.stop.signal.aborted) return;
    this.online = false;
    this.pipelineRef?.setOnline(false);
    if (this.reconnecting) return;
    this.reconnecting = true;
    void (async () => {
      let delay = this.o.reconnectMinMs ?? 1000;
      const max = this.o.reconnectMaxMs ?? 30_000;
      while (!this.stop.signal.aborted && !this.online) {
        try { await sleep(delay, undefined, { signal: this.stop.signal }); } catch { break; }
        if (await this.register()) break;
        delay = Math.min(max, delay * 2);
      }
      this.reconnecting = false;
    })();
  }

  private async waitOnline(): Promise<void> {
    while (!this.online && !this.stop.signal.aborted) {
      await new Promise<void>((resolve) => { this.wakeOnline = resolve; });
    }
  }

  private async heartbeatLoop(): Promise<void> {
    const { client, log } = this.o;
    while (!this.stop.signal.aborted) {
      try { await sleep(this.heartbeatMs, undefined, { signal: this.stop.signal }); } catch { return; }
      if (!this.online) continue; // the reconnect loop is knocking
      try {
        const answer = await client.heartbeat({
          jobsWaiting: this.pipelineRef?.waiting() ?? 0,
          journalBacklog: this.journal?.backlog() ?? 0,
        }, { signal: this.stop.signal, retry: { retries: 1 } });
        await this.policies.update(answer.printers ?? []);
      } catch (err) {
        if (this.stop.signal.aborted) return;
        log.warn('heartbeat failed', { error: (err as Error).message });
        if (isServerUnavailable(err)) this.wentOffline();
      }
    }
  }

  private async eventsLoop(): Promise<void> {
    const { client, log } = this.o;
    const wait = this.o.eventsWaitMs ?? 25_000;
    while (!this.stop.signal.aborted) {
      await this.waitOnline();
      if (this.stop.signal.aborted) return;
      try {
        const answer = await client.events(this.afterSeq, wait, this.stop.signal);
        for (const ev of answer.events ?? []) this.pipelineRef?.serverEvent(ev);
        this.afterSeq = Math.max(this.afterSeq, Number(answer.lastSeq ?? 0));
      } catch (err) {
        if (this.stop.signal.aborted) return;
        log.warn('events channel failed', { error: (err as Error).message });
        if (isServerUnavailable(err)) this.wentOffline();
        else { try { await sleep(5000, undefined, { signal: this.stop.signal }); } catch { return; } }
      }
    }
  }

  private async sweepLoop(): Promise<void> {
    const every = this.o.sweepIntervalMs ?? 60_000;
    while (!this.stop.signal.aborted) {
      try { await sleep(every, undefined, { signal: this.stop.signal }); } catch { return; }
      try { await this.pipelineRef?.sweep(); } catch (err) { this.o.log.warn('sweep failed', { error: (err as Error).message }); }
    }
  }
}
