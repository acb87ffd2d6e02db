// In-memory stand-ins for the pipeline's neighbours: a Spooler that keeps jobs in a map and
// records every call, and a server that decides by a rule, keeps its answers by idempotency
// key (refusing a different request under a used key, as the real one does), reserves and
// settles charges, and can be "down".
import { EventEmitter } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PrintgateError } from '../../shared/errors.ts';
import { pb } from '../../shared/protocol/index.ts';
import type { JobArrived, JobFinished, JobRef, JobStatus, ReleaseChanges, Spooler, SpoolerEvents, SpoolerOutcome, QueueInfo, FinalState } from '../../platform/spooler.ts';
import { OK, failed } from '../../platform/spooler.ts';
import type { AuthorizeRequest, AuthorizeResponse, CompleteRequest, CompleteResponse } from '../../agent/client/index.ts';

type Stage = 'held' | 'released' | 'finished';
interface FakeJob { job: JobArrived; stage: Stage; changes?: ReleaseChanges; finished?: JobFinished; message?: string }

export class FakeSpooler extends EventEmitter<SpoolerEvents> implements Spooler {
  readonly kind = 'fake';
  readonly jobs = new Map<string, FakeJob>();
  readonly calls: string[] = [];
  /** Make the next calls of a method fail with this reason. */
  failNext: Partial<Record<'release' | 'cancel' | 'keepHeld', SpoolerOutcome>> = {};
  private nextId = 1;
  private readonly dir: string;
  constructor(dir: string) { super(); this.dir = dir; }

  /** A job arrives at the gate: written to disk, emitted like the watcher would. */
  arrive(over: Partial<JobArrived> & { content?: Uint8Array | string } = {}, emit = true): JobArrived {
    const id = over.spoolerJobId ?? String(this.nextId++);
    const path = join(this.dir, `d${id.padStart(5, '0')}-001`);
    writeFileSync(path, over.content ?? '%PDF-1.4 fake');
    const { content: _c, ...rest } = over;
    const job: JobArrived = {
      queue: 'lab', spoolerJobId: id, user: 'alice', host: 'pc1', title: 'doc', documentFormat: 'application/pdf',
      copies: 1, numberUp: 1, pageRanges: '', sides: '', colorMode: '', media: '', documentPath: path, documentPaths: [path],
      sizeBytes: 13, submittedAt: 1_700_000_000_000 + Number(id) * 1000, ...rest,
    };
    this.jobs.set(`${job.queue}/${id}`, { job, stage: 'held' });
    if (emit) this.emit('job', job);
    return job;
  }
  get(ref: JobRef): FakeJob | undefined { return this.jobs.get(`${ref.queue}/${ref.spoolerJobId}`); }
  /** The printer finished a job: emits jobState. */
  finish(ref: JobRef, state: FinalState = 'completed', impressions?: number, emit = true): JobFinished {
    const j = this.get(ref)!;
    const f: JobFinished = { queue: ref.queue, spoolerJobId: ref.spoolerJobId, state, impressions, message: '', at: 1_800_000_000_000 };
    j.stage = 'finished';
    j.finished = f;
    if (emit) this.emit('jobState', f);
    return f;
  }
  async start() {}
  async close() {}
  async listHeld() { return [...this.jobs.values()].filter((j) => j.stage === 'held').map((j) => j.job); }
  async jobStatus(ref: JobRef): Promise<JobStatus> {
    const j = this.get(ref);
    if (!j) return { ok: false, reason: 'gone', message: 'no such job' };
    if (j.stage === 'finished') return { ok: true, stage: 'finished', finished: j.finished! };
    return { ok: true, stage: j.stage, message: '' };
  }
  private take(op: 'release' | 'cancel' | 'keepHeld'): SpoolerOutcome | undefined {
    const f = this.failNext[op];
    delete this.failNext[op];
    return f;
  }
  async release(ref: JobRef, changes?: ReleaseChanges) {
    this.calls.push(`release ${ref.spoolerJobId}${changes ? ' ' + JSON.stringify(changes) : ''}`);
    const f = this.take('release'); if (f) return f;
    const j = this.get(ref);
    if (!j) return failed('gone', 'no such job');
    if (j.stage !== 'held') return failed('not-held', 'not held');
    j.stage = 'released';
    if (changes) j.changes = changes;
    return OK;
  }
  async cancel(ref: JobRef, reason: string) {
    this.calls.push(`cancel ${ref.spoolerJobId} ${reason}`);
    const f = this.take('cancel'); if (f) return f;
    const j = this.get(ref);
    if (!j) return failed('gone', 'no such job');
    j.message = reason;
    this.finish(ref, 'cancelled', 0, true);
    return OK;
  }
  async keepHeld(ref: JobRef, message?: string) {
    this.calls.push(`keep-held ${ref.spoolerJobId} ${message ?? ''}`);
    const f = this.take('keepHeld'); if (f) return f;
    const j = this.get(ref);
    if (!j) return failed('gone', 'no such job');
    j.message = message;
    return OK;
  }
  async replaceDocument(ref: JobRef, source: Uint8Array | string) {
    this.calls.push(`replace ${ref.spoolerJobId}`);
    const j = this.get(ref);
    if (!j) return failed('gone', 'no such job');
    writeFileSync(j.job.documentPath, typeof source === 'string' ? source : source);
    return OK;
  }
  async queues(): Promise<QueueInfo[]> {
    return [{ name: 'lab', managed: true, description: '', location: '', makeAndModel: '', colorSupported: true, duplexSupported: true, ready: true }];
  }
}

export type Rule = (req: AuthorizeRequest) => Partial<{ decision: 'ALLOW' | 'DENY' | 'HOLD'; reasonCode: string; message: string; forceGrayscale: boolean; forceDuplex: boolean; cost: number; watermark: boolean }>;

/** A server with idempotent authorize/complete and an account balance. */
export class FakeServer {
  down = false;
  rule: Rule = () => ({ decision: 'ALLOW', cost: 10 });
  balance = 1000;
  readonly authorizeCalls: AuthorizeRequest[] = [];
  readonly completeCalls: CompleteRequest[] = [];
  readonly jobs = new Map<string, { request: AuthorizeRequest; cost: number; status: 'reserved' | 'held' | 'denied' | 'settled' | 'released' }>();
  private readonly answers = new Map<string, { fingerprint: string; answer: unknown }>();
  private seq = 0;

  private unreachable(): never {
    throw new PrintgateError('SERVER_UNREACHABLE', 'fake server is down');
  }
  private once<T>(key: string, request: unknown, fn: () => T): T {
    const fingerprint = JSON.stringify(request);
    const known = this.answers.get(key);
    if (known) {
      if (known.fingerprint !== fingerprint) throw new PrintgateError('IDEMPOTENCY_MISMATCH');
      return known.answer as T;
    }
    const answer = fn();
    this.answers.set(key, { fingerprint, answer });
    return answer;
  }
  async authorize(req: AuthorizeRequest): Promise<AuthorizeResponse> {
    if (this.down) this.unreachable();
    this.authorizeCalls.push(req);
    return this.once(req.idempotencyKey!, req, () => {
      const r = req.offlineReplay ? { decision: 'ALLOW' as const, cost: 10 } : this.rule(req);
      const jobId = `J${++this.seq}`;
      const decision = r.decision ?? 'ALLOW';
      const cost = r.cost ?? 10;
      this.jobs.set(jobId, { request: req, cost, status: decision === 'ALLOW' ? 'reserved' : decision === 'HOLD' ? 'held' : 'denied' });
      return pb.AuthorizeResponse.fromObject({ ...r, decision: pb.Decision[decision], jobId, cost });
    });
  }
  async complete(req: CompleteRequest): Promise<CompleteResponse> {
    if (this.down) this.unreachable();
    this.completeCalls.push(req);
    return this.once(req.idempotencyKey!, req, () => {
      const job = this.jobs.get(req.jobId!);
      if (!job) throw new PrintgateError('UNKNOWN_JOB');
      if (req.outcome === pb.Outcome.PRINTED) { job.status = 'settled'; this.balance -= job.cost; }
      else job.status = 'released';
      return pb.CompleteResponse.fromObject({ jobId: req.jobId, cost: req.outcome === pb.Outcome.PRINTED ? job.cost : 0, balanceAfter: this.balance });
    });
  }
  /** Release a held job, as the web page would (the pipeline gets the event). */
  settledCount(): number { return [...this.jobs.values()].filter((j) => j.status === 'settled').length; }
}

/** A ServerClient over a FakeServer: register/heartbeat/events too, all failing while down. */
export class FakeClient {
  readonly server = new URL('http://fake.invalid/');
  readonly fake: FakeServer;
  policies: Array<Record<string, unknown>> = [{ queue: 'lab', failureMode: pb.FailureMode.HOLD_UNTIL_RECONNECTED }];
  registers = 0;
  heartbeats = 0;
  pending: Array<InstanceType<typeof pb.JobEvent>> = [];
  closed = false;
  constructor(fake: FakeServer) { this.fake = fake; }
  private check(): void { if (this.fake.down) throw new PrintgateError('SERVER_UNREACHABLE', 'fake server is down'); }
  async register() {
    this.check();
    this.registers++;
    return pb.RegisterResponse.fromObject({ agent: 'agent1', printers: this.policies, heartbeatIntervalMs: 1000 });
  }
  async heartbeat() {
    this.check();
    this.heartbeats++;
    return pb.HeartbeatResponse.fromObject({ printers: this.policies });
  }
  authorize(req: AuthorizeRequest) { return this.fake.authorize(req); }
  complete(req: CompleteRequest) { return this.fake.complete(req); }
  async events(afterSeq: number, waitMs: number, signal?: AbortSignal) {
    this.check();
    const ready = this.pending.filter((e) => Number(e.seq) > afterSeq);
    if (ready.length === 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(waitMs, 50));
        signal?.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
      });
    }
    return { events: ready, lastSeq: ready.length ? Number(ready.at(-1)!.seq) : afterSeq } as never;
  }
  close() { this.closed = true; }
}
