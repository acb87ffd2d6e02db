// The pipeline against an in-memory spooler and server: every decision, forced changes,
// hold outcomes, the end of a job settling it, the three failure modes with the server
// down, journal replay, restart pick-up, the watermark policy and the concurrency bound.
import t, { type Test } from 'tap';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { PDFDocument } from 'pdf-lib';
import type { AnalysisResult } from '../../shared/analysis.ts';
import { PrintgateError } from '../../shared/errors.ts';
import { pb } from '../../shared/protocol/index.ts';
import { Journal } from '../../agent/journal.ts';
import { createLogger, type LogLine } from '../../agent/log.ts';
import { Pipeline, type AnalyzeFn } from '../../agent/pipeline.ts';
import { PolicyStore, type FailureMode } from '../../agent/policy.ts';
import { FakeServer, FakeSpooler } from './fakes.ts';

const A4 = (pages: number, color = 0): AnalysisResult => ({
  format: 'pdf', pages, colorPages: color, colorPageNumbers: Array.from({ length: color }, (_, i) => i + 1), copies: 1, duplex: false,
  media: [{ name: 'A4', pages, colorPages: color }], method: 'test', warnings: [], recovered: false,
});

interface Setup {
  spooler: FakeSpooler; server: FakeServer; journal: Journal; pipeline: Pipeline; policies: PolicyStore; lines: LogLine[]; dir: string; syncs: string[];
}

async function setup(t: Test, o: { mode?: FailureMode; analyze?: AnalyzeFn; concurrency?: number; watermark?: { required: boolean }; dir?: string; spooler?: FakeSpooler; server?: FakeServer } = {}): Promise<Setup> {
  const dir = o.dir ?? t.testdir();
  const spooler = o.spooler ?? new FakeSpooler(dir);
  const server = o.server ?? new FakeServer();
  const syncs: string[] = [];
  const journal = await Journal.open(join(dir, 'journal.log'), { sync: async (h) => { syncs.push(`sync after ${spooler.calls.length} spooler calls`); await h.datasync(); } });
  const policies = new PolicyStore();
  await policies.update([{ queue: 'lab', failureMode: o.mode ?? 'ALLOW_AND_LOG_LATER', watermark: Boolean(o.watermark), watermarkRequired: o.watermark?.required ?? false }]);
  const lines: LogLine[] = [];
  const pipeline = new Pipeline({
    spooler, server, journal, policies, log: createLogger((l) => lines.push(l), 'debug'),
    analyze: o.analyze ?? (async () => A4(3)), agentName: () => 'agent1', concurrency: o.concurrency ?? 4, retryDelayMs: 1,
  });
  spooler.on('job', (j) => pipeline.submit(j));
  spooler.on('jobState', (f) => pipeline.finished(f));
  t.teardown(async () => { await pipeline.close(); await journal.close(); });
  return { spooler, server, journal, pipeline, policies, lines, dir, syncs };
}


t.test('ALLOW: released, and the end settles the charge once', async (t) => {
  const s = await setup(t);
  const job = s.spooler.arrive();
  await s.pipeline.idle();
  t.same(s.spooler.calls, ['release 1']);
  const req = s.server.authorizeCalls[0]!;
  t.equal(req.job!.user, 'alice');
  t.equal(req.analysis!.pages, 3);
  t.equal(req.analysis!.pagesKnown, true);
  t.match(req.idempotencyKey, /^pgj1-/);
  t.equal(s.pipeline.job(job)!.state, 'printing');
  t.equal(s.journal.get(s.pipeline.job(job)!.key)?.mode, 'online', 'the release is journaled');
  s.spooler.finish(job, 'completed', 3);
  await s.pipeline.idle();
  t.equal(s.pipeline.job(job)!.state, 'completed');
  t.equal(s.server.completeCalls.length, 1);
  t.equal(s.server.completeCalls[0]!.outcome, pb.Outcome.PRINTED);
  t.equal(s.server.completeCalls[0]!.impressionsPrinted, 3);
  t.equal(s.server.balance, 990);
  t.equal(s.journal.size, 0, 'acknowledged entries leave the journal');
  // A duplicate end (a late jobState) is refused by the lifecycle, not charged again.
  s.spooler.finish(job, 'completed', 3);
  await s.pipeline.idle();
  t.equal(s.server.completeCalls.length, 1);
  t.ok(s.lines.some((l) => l.msg === 'event ignored'));
});

t.test('the same job emitted twice (watcher and listHeld) is handled once', async (t) => {
  const s = await setup(t);
  const job = s.spooler.arrive();
  s.pipeline.submit(job);
  await s.pipeline.idle();
  t.equal(s.server.authorizeCalls.length, 1);
  t.same(s.spooler.calls, ['release 1']);
});

t.test('ALLOW with forced grayscale and duplex applies them at release', async (t) => {
  const s = await setup(t);
  s.server.rule = () => ({ decision: 'ALLOW', forceGrayscale: true, forceDuplex: true });
  s.spooler.arrive({ colorMode: 'color' });
  s.spooler.arrive({ sides: 'two-sided-short-edge', colorMode: 'monochrome' });
  await s.pipeline.idle();
  t.same(s.spooler.calls.sort(), [
    'release 1 {"colorMode":"monochrome","sides":"two-sided-long-edge"}',
    'release 2',
  ], 'changes only where the job does not already ask for them');
});

t.test('DENY: cancelled with the reason, nothing to settle', async (t) => {
  const s = await setup(t);
  s.server.rule = () => ({ decision: 'DENY', reasonCode: 'INSUFFICIENT_CREDIT', message: 'Not enough credit: 0.30 needed, 0.00 available' });
  const job = s.spooler.arrive();
  await s.pipeline.idle();
  t.same(s.spooler.calls, ['cancel 1 Not enough credit: 0.30 needed, 0.00 available']);
  t.equal(s.pipeline.job(job)!.state, 'denied');
  t.equal(s.server.completeCalls.length, 0);
  t.equal(s.journal.size, 0);
});

t.test('HOLD: kept held until the server releases, cancels or times it out', async (t) => {
  const s = await setup(t);
  s.server.rule = () => ({ decision: 'HOLD', message: 'Release it at the web page' });
  const a = s.spooler.arrive();
  const b = s.spooler.arrive();
  const c = s.spooler.arrive();
  await s.pipeline.idle();
  t.same(s.spooler.calls.sort(), ['keep-held 1 Release it at the web page', 'keep-held 2 Release it at the web page', 'keep-held 3 Release it at the web page']);
  const id = (ref: typeof a) => s.pipeline.job(ref)!.decision!.jobId;
  const ev = (ref: typeof a, kind: number, extra: Record<string, unknown> = {}) =>
    s.pipeline.serverEvent(pb.JobEvent.fromObject({ seq: 1, jobId: id(ref), queue: ref.queue, spoolerJobId: ref.spoolerJobId, kind, ...extra }));
  ev(a, pb.JobEventKind.RELEASED, { forceGrayscale: true });
  ev(b, pb.JobEventKind.CANCELLED, { message: 'Cancelled by alice' });
  ev(c, pb.JobEventKind.TIMED_OUT);
  await s.pipeline.idle();
  t.equal(s.pipeline.job(a)!.state, 'printing');
  t.equal(s.spooler.get(a)!.changes?.colorMode, 'monochrome', 'the event\'s forced grayscale applies');
  t.equal(s.pipeline.job(b)!.state, 'cancelled');
  t.equal(s.spooler.get(b)!.message, 'Cancelled by alice');
  t.equal(s.pipeline.job(c)!.state, 'cancelled');
  t.equal(s.spooler.get(c)!.message, 'Not released in time');
  t.same(s.server.completeCalls.map((c) => c.outcome), [pb.Outcome.CANCELLED, pb.Outcome.CANCELLED], 'held reservations are given back');
});

t.test('HOLD: an event that arrives before the job is back in held is kept for it', async (t) => {
  const s = await setup(t);
  s.server.rule = () => ({ decision: 'HOLD' });
  s.pipeline.serverEvent(pb.JobEvent.fromObject({ seq: 1, jobId: 'J1', queue: 'lab', spoolerJobId: '1', kind: pb.JobEventKind.ACCOUNT_CHOSEN }));
  const a = s.spooler.arrive();
  await s.pipeline.idle();
  await new Promise((r) => setImmediate(r));
  await s.pipeline.idle();
  t.equal(s.pipeline.job(a)!.state, 'printing');
});

t.test('a failed analysis still asks the server, with pages unknown', async (t) => {
  const s = await setup(t, { analyze: async () => { throw new PrintgateError('ANALYSIS_MALFORMED', 'bad xref at 120'); } });
  s.spooler.arrive();
  await s.pipeline.idle();
  const a = s.server.authorizeCalls[0]!.analysis!;
  t.equal(a.pagesKnown, false);
  t.match(a.warnings!.join(), /ANALYSIS_MALFORMED: bad xref/);
});

t.test('the printer aborting or cancelling a job gives the reservation back', async (t) => {
  const s = await setup(t);
  const a = s.spooler.arrive();
  const b = s.spooler.arrive();
  await s.pipeline.idle();
  s.spooler.finish(a, 'aborted');
  s.spooler.finish(b, 'cancelled');
  await s.pipeline.idle();
  t.same(s.server.completeCalls.map((c) => [c.jobId, c.outcome]).sort(), [['J1', pb.Outcome.FAILED], ['J2', pb.Outcome.CANCELLED]]);
  t.equal(s.server.balance, 1000);
});

t.test('failure mode ALLOW_AND_LOG_NOTHING: released, nothing kept', async (t) => {
  const s = await setup(t, { mode: 'ALLOW_AND_LOG_NOTHING' });
  s.server.down = true;
  const job = s.spooler.arrive();
  await s.pipeline.idle();
  t.same(s.spooler.calls, ['release 1']);
  t.equal(s.pipeline.job(job)!.state, 'forgotten');
  t.equal(s.journal.size, 0);
  s.server.down = false;
  s.pipeline.setOnline(true);
  await s.pipeline.replay();
  t.equal(s.server.authorizeCalls.length, 0, 'never reported');
});

t.test('failure mode ALLOW_AND_LOG_LATER: journaled (fsync before release), replayed once the server is back', async (t) => {
  const s = await setup(t, { mode: 'ALLOW_AND_LOG_LATER' });
  s.server.down = true;
  const job = s.spooler.arrive();
  await s.pipeline.idle();
  t.same(s.spooler.calls, ['release 1']);
  t.ok(s.syncs.includes('sync after 0 spooler calls'), 'the journal record was flushed before the release call');
  t.equal(s.pipeline.job(job)!.state, 'printing-offline');
  s.spooler.finish(job, 'completed', 3);
  await s.pipeline.idle();
  t.equal(s.journal.backlog(), 1);
  t.equal(s.journal.entries()[0]!.end?.impressions, 3);
  // Replay while still down: kept.
  await s.pipeline.replay();
  t.equal(s.journal.size, 1);
  s.server.down = false;
  s.pipeline.setOnline(true);
  await s.pipeline.replay();
  t.equal(s.journal.size, 0);
  t.equal(s.server.authorizeCalls.length, 1);
  t.equal(s.server.authorizeCalls[0]!.offlineReplay, true);
  t.ok(Number(s.server.authorizeCalls[0]!.offlineAtMs) > 0);
  t.equal(s.server.completeCalls[0]!.outcome, pb.Outcome.PRINTED);
  t.equal(s.server.balance, 990);
});

t.test('replay is idempotent: an ack lost in a crash is sent again without a second charge', async (t) => {
  const dir = t.testdir();
  const s = await setup(t, { mode: 'ALLOW_AND_LOG_LATER', dir });
  s.server.down = true;
  const job = s.spooler.arrive();
  await s.pipeline.idle();
  s.spooler.finish(job, 'completed', 2);
  await s.pipeline.idle();
  const entry = s.journal.entries()[0]!;
  s.server.down = false;
  // Settle through a second pipeline on a copy of the journal entry, as if the first
  // agent had settled it and died before writing the ack.
  await s.pipeline.settle(entry);
  await s.pipeline.settle(entry);
  t.equal(s.server.balance, 990, 'charged once');
  t.equal(s.server.settledCount(), 1);
  t.equal(new Set(s.server.completeCalls.map((c) => c.idempotencyKey)).size, 1, 'the same key both times');
});

t.test('offline replay after an online attempt that did reach the server settles that reservation', async (t) => {
  const s = await setup(t, { mode: 'ALLOW_AND_LOG_LATER' });
  // The server handles authorize but the answer is lost: it has a reservation.
  const real = s.server.authorize.bind(s.server);
  let lose = true;
  s.server.authorize = async (req) => {
    const answer = await real(req);
    if (lose) { lose = false; throw new PrintgateError('SERVER_UNREACHABLE', 'reset'); }
    return answer;
  };
  const job = s.spooler.arrive();
  await s.pipeline.idle();
  t.equal(s.pipeline.job(job)!.state, 'printing-offline');
  s.spooler.finish(job, 'completed', 3);
  await s.pipeline.idle();
  s.pipeline.setOnline(true);
  await s.pipeline.replay();
  t.equal(s.server.balance, 990, 'charged exactly once');
  t.equal(s.server.jobs.size, 1, 'no second server job');
  t.equal(s.journal.size, 0);
});

t.test('failure mode HOLD_UNTIL_RECONNECTED: kept held, asked again when the server is back', async (t) => {
  const s = await setup(t, { mode: 'HOLD_UNTIL_RECONNECTED' });
  s.server.down = true;
  const job = s.spooler.arrive();
  await s.pipeline.idle();
  t.same(s.spooler.calls, ['keep-held 1 Waiting for the print server to be reachable']);
  t.equal(s.pipeline.job(job)!.state, 'offline-held');
  s.server.down = false;
  s.pipeline.setOnline(true);
  await s.pipeline.idle();
  t.equal(s.pipeline.job(job)!.state, 'printing');
  t.equal(s.spooler.calls.at(-1), 'release 1');
});

t.test('restart: a released job that ended while the agent was down is settled once', async (t) => {
  const dir = t.testdir();
  const spooler = new FakeSpooler(dir);
  const server = new FakeServer();
  const s1 = await setup(t, { dir, spooler, server });
  const job = spooler.arrive();
  await s1.pipeline.idle();
  await s1.journal.close(); // the agent dies (its memory is gone; the journal file stays)
  spooler.removeAllListeners();
  spooler.finish(job, 'completed', 3, false); // ...and the job prints meanwhile
  const s2 = await setup(t, { dir, spooler, server });
  await s2.pipeline.recover();
  await s2.pipeline.idle();
  t.equal(server.balance, 990);
  t.equal(server.completeCalls.length, 1);
  t.equal(s2.journal.size, 0);
});

t.test('restart: jobs still held are picked up again, authorized under the same key, charged once', async (t) => {
  const dir = t.testdir();
  const spooler = new FakeSpooler(dir);
  const server = new FakeServer();
  // First agent: authorized, then died before the release call.
  const s1 = await setup(t, { dir, spooler, server });
  const releaseFn = spooler.release.bind(spooler);
  spooler.release = () => new Promise(() => {}); // the agent dies during the release call
  const job = spooler.arrive();
  await new Promise((r) => setTimeout(r, 20));
  t.equal(server.authorizeCalls.length, 1);
  spooler.removeAllListeners();
  spooler.release = releaseFn;
  const s2 = await setup(t, { dir, spooler, server });
  await s2.pipeline.recover();
  await s2.pipeline.idle();
  t.equal(server.authorizeCalls.length, 2);
  t.equal(server.authorizeCalls[0]!.idempotencyKey, server.authorizeCalls[1]!.idempotencyKey, 'same key');
  t.equal(server.jobs.size, 1, 'one server job');
  t.equal(s2.pipeline.job(job)!.state, 'printing');
  spooler.finish(job, 'completed', 3);
  await s2.pipeline.idle();
  t.equal(server.balance, 990);
  t.ok(s1.syncs.length > 0);
});

t.test('restart: a job asked about but gone before release gives its reservation back', async (t) => {
  const dir = t.testdir();
  const spooler = new FakeSpooler(dir);
  const server = new FakeServer();
  await setup(t, { dir, spooler, server });
  // The server reserves, and the agent dies before it hears the answer.
  const realAuthorize = server.authorize.bind(server);
  server.authorize = async (req) => { await realAuthorize(req); return new Promise(() => {}); };
  const job = spooler.arrive();
  await new Promise((r) => setTimeout(r, 20));
  spooler.removeAllListeners();
  server.authorize = realAuthorize;
  spooler.jobs.delete(`${job.queue}/${job.spoolerJobId}`); // an administrator purged it meanwhile
  const s2 = await setup(t, { dir, spooler, server });
  await s2.pipeline.recover();
  await s2.pipeline.idle();
  t.equal(server.jobs.get('J1')!.status, 'released', 'reservation given back');
  t.equal(server.jobs.size, 1, 'the same server job (same key, same request)');
  t.equal(s2.journal.size, 0);
});

t.test('the end of a printed job is kept while the server is down and settled later', async (t) => {
  const s = await setup(t);
  const job = s.spooler.arrive();
  await s.pipeline.idle();
  s.server.down = true;
  s.spooler.finish(job, 'completed', 3);
  await s.pipeline.idle();
  t.equal(s.journal.size, 1);
  s.server.down = false;
  s.pipeline.setOnline(true);
  await s.pipeline.replay();
  t.equal(s.server.balance, 990);
  t.equal(s.journal.size, 0);
});

t.test('the sweep finds ends the events missed', async (t) => {
  const s = await setup(t);
  const job = s.spooler.arrive();
  await s.pipeline.idle();
  s.spooler.finish(job, 'completed', 3, false);
  await s.pipeline.sweep();
  await s.pipeline.idle();
  t.equal(s.pipeline.job(job)!.state, 'completed');
  t.equal(s.server.balance, 990);
});

async function pdf(pages: number): Promise<Uint8Array> {
  const d = await PDFDocument.create();
  for (let i = 0; i < pages; i++) d.addPage();
  return d.save();
}

t.test('watermark: a PDF is stamped through the spooler before release', async (t) => {
  const s = await setup(t, { watermark: { required: true } });
  const job = s.spooler.arrive({ content: await pdf(2) });
  await s.pipeline.idle();
  t.same(s.spooler.calls, ['replace 1', 'release 1']);
  const stamped = readFileSync(job.documentPath);
  t.equal((await PDFDocument.load(stamped)).getPageCount(), 2);
  t.ok(stamped.length > 500);
});

t.test('watermark required but impossible: cancelled and the reservation given back', async (t) => {
  const s = await setup(t, { watermark: { required: true } });
  const job = s.spooler.arrive({ content: '%!PS-Adobe-3.0\n' });
  await s.pipeline.idle();
  t.equal(s.pipeline.job(job)!.state, 'cancelled');
  t.match(s.spooler.calls[0], /^cancel 1 The document cannot be watermarked \(not a PDF\)/);
  t.equal(s.server.completeCalls[0]!.outcome, pb.Outcome.CANCELLED);
});

t.test('watermark optional and impossible: printed unstamped with a warning', async (t) => {
  const s = await setup(t, { watermark: { required: false } });
  s.spooler.arrive({ content: '%!PS-Adobe-3.0\n' });
  await s.pipeline.idle();
  t.same(s.spooler.calls, ['release 1']);
  t.ok(s.lines.some((l) => l.level === 'warn' && l.msg === 'document printed without its watermark'));
});

t.test('a job that vanishes before release is settled as cancelled', async (t) => {
  const s = await setup(t);
  s.spooler.failNext.release = { ok: false, reason: 'gone', message: 'purged' };
  const job = s.spooler.arrive();
  await s.pipeline.idle();
  t.equal(s.pipeline.job(job)!.state, 'cancelled');
  t.equal(s.server.completeCalls[0]!.outcome, pb.Outcome.CANCELLED);
});

t.test('a spooler that is briefly unavailable is retried', async (t) => {
  const s = await setup(t);
  s.spooler.failNext.release = { ok: false, reason: 'unavailable', message: 'cupsd restarting' };
  const job = s.spooler.arrive();
  await s.pipeline.idle();
  t.equal(s.pipeline.job(job)!.state, 'printing');
  t.same(s.spooler.calls, ['release 1', 'release 1']);
});

t.test('concurrency is bounded and each job keeps its order', async (t) => {
  let active = 0;
  let peak = 0;
  const s = await setup(t, {
    concurrency: 2,
    analyze: async () => { active++; peak = Math.max(peak, active); await new Promise((r) => setTimeout(r, 5)); active--; return A4(1); },
  });
  const jobs = Array.from({ length: 6 }, () => s.spooler.arrive());
  // Each job's end is reported while it is still being analysed: it must wait its turn.
  for (const j of jobs) s.spooler.finish(j, 'completed', 1, true);
  await s.pipeline.idle();
  t.equal(peak, 2, 'never more than two analyses at once');
  t.equal(s.server.authorizeCalls.length, 6);
  // finish() marked the fake job finished, so release says not-held → taken as released;
  // then the queued end arrives in 'printing' and settles.
  t.same(jobs.map((j) => s.pipeline.job(j)!.state), Array(6).fill('completed'));
  t.equal(s.server.balance, 1000 - 60);
});

t.test('an authorize refused for a bad request is a denial, not a hang', async (t) => {
  const s = await setup(t);
  s.server.authorize = async () => { throw new PrintgateError('VALIDATION_FAILED', 'job.user is empty'); };
  const job = s.spooler.arrive({ user: '' });
  await s.pipeline.idle();
  t.equal(s.pipeline.job(job)!.state, 'denied');
  t.match(s.spooler.calls[0], /refused the job: job.user is empty/);
});

t.test('watermark required and impossible while the server is down: cancelled, nothing journaled', async (t) => {
  const s = await setup(t, { mode: 'ALLOW_AND_LOG_LATER', watermark: { required: true } });
  s.server.down = true;
  const job = s.spooler.arrive({ content: '%!PS-Adobe-3.0\n' });
  await s.pipeline.idle();
  t.equal(s.pipeline.job(job)!.state, 'denied');
  t.match(s.spooler.calls, [/^cancel 1 The document cannot be watermarked/]);
  t.equal(s.journal.size, 0);
});

t.test('after close, new jobs are left waiting at the gate for the next start', async (t) => {
  const s = await setup(t);
  await s.pipeline.close();
  const job = s.spooler.arrive();
  await s.pipeline.idle();
  t.equal(s.pipeline.job(job), undefined);
  t.same(s.spooler.calls, []);
  t.equal(s.spooler.get(job)!.stage, 'held');
});
