// `printgate replay` against an in-test agent API: the per-file steps (authorize, complete,
// the wait for a held job's fate on the events channel) and the command end to end with the
// real analysis engine on a committed fixture. The real server is exercised in test/cli/.
import t, { type Test } from 'tap';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { pb, CONTENT_TYPE_PROTOBUF } from '../../shared/protocol/index.ts';
import type { AnalysisResult } from '../../shared/analysis.ts';
import { createServerClient } from '../../agent/client/index.ts';
import { currencyExponent, replayFile, type EventCursor } from '../../agent/replay-job.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const NODE = process.execPath;

interface Fake {
  url: string;
  authorized: Array<InstanceType<typeof pb.AuthorizeRequest>>;
  completed: Array<InstanceType<typeof pb.CompleteRequest>>;
  /** Queue an event for the agent's long-poll. */
  push(event: Record<string, unknown>): void;
}

/** A fake agent API: user "rich" is allowed (0.10 a page), "poor" denied, "held" held. */
async function fakeServer(t: Test): Promise<Fake> {
  const events: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  let seq = 0;
  const fake: Fake = {
    url: '', authorized: [], completed: [],
    push(event) {
      events.push({ ...event, seq: ++seq });
      waiters.splice(0).forEach((w) => w());
    },
  };
  const send = (res: http.ServerResponse, bytes: Uint8Array) => {
    res.writeHead(200, { 'Content-Type': CONTENT_TYPE_PROTOBUF });
    res.end(bytes);
  };
  const costs = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const method = req.url!.split('/').pop();
      if (req.headers.authorization !== 'Bearer tok') {
        res.writeHead(401, { 'Content-Type': CONTENT_TYPE_PROTOBUF });
        res.end(pb.ErrorBody.encode({ code: 'INVALID_TOKEN', message: 'The token is not valid', status: 401 }).finish());
        return;
      }
      if (method === 'register') return send(res, pb.RegisterResponse.encode({ agent: 'fake-agent' }).finish());
      if (method === 'authorize') {
        const a = pb.AuthorizeRequest.decode(body);
        fake.authorized.push(a);
        const jobId = `job-${fake.authorized.length}`;
        const cost = (a.analysis?.pages ?? 0) * 10 * Math.max(1, a.job?.copies ?? 1);
        costs.set(jobId, cost);
        const user = a.job?.user;
        const decision = user === 'rich' ? pb.Decision.ALLOW : user === 'held' ? pb.Decision.HOLD : pb.Decision.DENY;
        return send(res, pb.AuthorizeResponse.encode({
          decision, jobId, cost, currency: 'USD', account: 'print',
          reasonCode: decision === pb.Decision.DENY ? 'INSUFFICIENT_CREDIT' : '',
          message: decision === pb.Decision.DENY ? 'Not enough credit: the job costs 0.30, you have 0.00' : '',
        }).finish());
      }
      if (method === 'complete') {
        const c = pb.CompleteRequest.decode(body);
        fake.completed.push(c);
        return send(res, pb.CompleteResponse.encode({ jobId: c.jobId, cost: costs.get(c.jobId) ?? 0, balanceAfter: 470, account: 'print' }).finish());
      }
      if (method === 'events') {
        const e = pb.EventsRequest.decode(body);
        const answer = () => {
          const fresh = events.filter((x) => (x.seq as number) > e.afterSeq);
          send(res, pb.EventsResponse.encode({ events: fresh, lastSeq: seq }).finish());
        };
        if (events.some((x) => (x.seq as number) > e.afterSeq)) return answer();
        const timer = setTimeout(answer, e.waitMs);
        waiters.push(() => { clearTimeout(timer); answer(); });
        return;
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t.teardown(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  return fake;
}

const threePages: AnalysisResult = {
  format: 'pdf', pages: 3, colorPages: 1, colorPageNumbers: [2], copies: 1, duplex: false,
  media: [{ name: 'A4', pages: 3, colorPages: 1 }], method: 'pdf-content', warnings: [], recovered: false,
};

function setup(t: Test, fake: Fake) {
  const dir = mkdtempSync(join(tmpdir(), 'pg-replay-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'doc.pdf');
  writeFileSync(file, '%PDF-1.4 stand-in: the analysis is injected here\n');
  const client = createServerClient({ server: fake.url, token: 'tok', retry: { retries: 0 } });
  t.teardown(() => client.close());
  const cursor: EventCursor = { lastSeq: 0, pending: [] };
  const settings = { agent: 'fake-agent', queue: 'office', user: 'rich', host: 'pc1', waitMs: 0 };
  return { file, client, cursor, settings, analyze: async () => threePages };
}

t.test('ALLOW: authorize with the analysis and job attributes, then complete PRINTED', async (t) => {
  const fake = await fakeServer(t);
  const { file, client, cursor, settings, analyze } = setup(t, fake);
  const r = await replayFile(client, analyze, file, { ...settings, copies: 2, sides: 'two-sided-long-edge' }, cursor);
  t.equal(r.decision, 'ALLOW');
  t.equal(r.cost, '0.60');
  t.equal(r.balanceAfter, '4.70');
  const a = fake.authorized[0]!;
  t.equal(a.job?.queue, 'office');
  t.equal(a.job?.user, 'rich');
  t.equal(a.job?.host, 'pc1');
  t.equal(a.job?.title, 'doc.pdf');
  t.equal(a.job?.copies, 2);
  t.equal(a.job?.sides, 'two-sided-long-edge');
  t.equal(a.job?.documentFormat, 'application/pdf');
  t.equal(a.analysis?.pagesKnown, true);
  t.equal(a.analysis?.pages, 3);
  t.same(a.analysis?.colorPageNumbers, [2]);
  t.same(a.analysis?.mediaPages?.map((m) => [m.media, m.pages, m.colorPages]), [['A4', 3, 1]]);
  t.match(a.idempotencyKey, /^pgj1-/);
  const c = fake.completed[0]!;
  t.equal(c.jobId, 'job-1');
  t.equal(c.outcome, pb.Outcome.PRINTED);
  t.equal(c.idempotencyKey, `${a.idempotencyKey}/complete`);
});

t.test('DENY: nothing completed, the reason reported', async (t) => {
  const fake = await fakeServer(t);
  const { file, client, cursor, settings, analyze } = setup(t, fake);
  const r = await replayFile(client, analyze, file, { ...settings, user: 'poor' }, cursor);
  t.equal(r.decision, 'DENY');
  t.equal(r.cost, '0.00');
  t.equal(r.estimate, '0.30');
  t.equal(r.reasonCode, 'INSUFFICIENT_CREDIT');
  t.match(r.reason, /Not enough credit/);
  t.equal(fake.completed.length, 0);
});

t.test('an analysis failure is authorized with pages unknown', async (t) => {
  const fake = await fakeServer(t);
  const { file, client, cursor, settings } = setup(t, fake);
  const failing = async () => { throw Object.assign(new Error('broken xref (at byte 9)'), { code: 'ANALYSIS_MALFORMED' }); };
  const r = await replayFile(client, failing, file, { ...settings, user: 'poor' }, cursor);
  t.equal(r.decision, 'DENY');
  const a = fake.authorized[0]!;
  t.equal(a.analysis?.pagesKnown, false);
  t.match(a.analysis?.warnings?.[0], /ANALYSIS_MALFORMED: broken xref/);
  t.equal(r.pages, null);
});

t.test('HOLD: waits on the events channel and completes once released', async (t) => {
  const fake = await fakeServer(t);
  const { file, client, cursor, settings, analyze } = setup(t, fake);
  // An unrelated event first: it must be kept, not taken for ours.
  fake.push({ jobId: 'someone-else', kind: pb.JobEventKind.CANCELLED });
  setTimeout(() => fake.push({ jobId: 'job-1', kind: pb.JobEventKind.RELEASED, account: 'print' }), 200);
  const r = await replayFile(client, analyze, file, { ...settings, user: 'held', waitMs: 5000 }, cursor);
  t.equal(r.decision, 'RELEASED');
  t.equal(r.cost, '0.30');
  t.equal(fake.completed.length, 1);
  t.equal(cursor.lastSeq, 2);
  t.same(cursor.pending.map((e) => e.jobId), ['someone-else']);
});

t.test('HOLD: a cancellation is reported; no event within --wait leaves it held', async (t) => {
  const fake = await fakeServer(t);
  const { file, client, cursor, settings, analyze } = setup(t, fake);
  setTimeout(() => fake.push({ jobId: 'job-1', kind: pb.JobEventKind.TIMED_OUT, message: 'nobody released it' }), 100);
  const r1 = await replayFile(client, analyze, file, { ...settings, user: 'held', waitMs: 5000 }, cursor);
  t.equal(r1.decision, 'TIMED_OUT');
  t.equal(r1.reason, 'nobody released it');
  const started = Date.now();
  const r2 = await replayFile(client, analyze, file, { ...settings, user: 'held', waitMs: 300 }, cursor);
  t.equal(r2.decision, 'HOLD');
  t.match(r2.reason, /still held after 0.3 s/);
  t.ok(Date.now() - started >= 290);
  t.equal(fake.completed.length, 0);
});

t.test('currency exponents come from the ISO code', async (t) => {
  t.equal(currencyExponent('USD'), 2);
  t.equal(currencyExponent('JPY'), 0);
  t.equal(currencyExponent(''), 2);
});

function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [join(ROOT, 'bin', 'printgate.js'), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

t.test('the command, with the real analysis engine on a fixture', async (t) => {
  const fake = await fakeServer(t);
  const dir = mkdtempSync(join(tmpdir(), 'pg-replay-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // A fixture with independent ground truth beside it; the fake charges 0.10 a page.
  const file = join(ROOT, 'fixtures', 'text', 'exactly-60-lines.txt');
  const truth = JSON.parse(readFileSync(file.replace(/\.txt$/, '.truth.json'), 'utf8')) as { pages: number };
  const cost = (truth.pages * 10 / 100).toFixed(2);
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, 'tok\n');

  const ok = await runCli(['replay', '--server', fake.url, '--agent-token-file', tokenFile, '--user', 'rich', '--printer', 'office', file]);
  t.equal(ok.code, 0, ok.stderr);
  t.equal(ok.stdout, `${file}\tALLOW\t${cost}\t\n`);
  t.equal(fake.authorized[0]?.analysis?.pages, truth.pages, 'the engine counted the pages');
  t.equal(fake.authorized[0]?.analysis?.format, 'text');
  t.equal(fake.authorized[0]?.analysis?.colorPages, 0);

  const denied = await runCli(['replay', '--server', fake.url, '--user', 'poor', '--printer', 'office', '--json', file], { PRINTGATE_AGENT_TOKEN: 'tok' });
  t.equal(denied.code, 0, 'a DENY is a decision, not an error');
  const line = JSON.parse(denied.stdout) as Record<string, unknown>;
  t.equal(line.decision, 'DENY');
  t.equal(line.reasonCode, 'INSUFFICIENT_CREDIT');
  t.equal(line.pages, truth.pages);

  const missing = await runCli(['replay', '--server', fake.url, '--agent-token', 'tok', '--user', 'rich', '--printer', 'office', join(dir, 'nope.pdf'), file]);
  t.equal(missing.code, 1);
  t.match(missing.stdout, /nope\.pdf\tERROR\t/);
  t.match(missing.stdout, `exactly-60-lines.txt\tALLOW\t${cost}`, 'the other files are still replayed');
  t.match(missing.stderr, /printgate replay: .*nope\.pdf: .*\[ENOENT\]/);

  const badToken = await runCli(['replay', '--server', fake.url, '--agent-token', 'wrong', '--user', 'rich', '--printer', 'office', file]);
  t.equal(badToken.code, 1);
  t.match(badToken.stderr, /^printgate replay: The token is not valid \[INVALID_TOKEN\]\n$/);

  const usage = await runCli(['replay', '--server', fake.url, '--agent-token', 'tok', '--printer', 'office', file]);
  t.equal(usage.code, 2);
  t.match(usage.stderr, /--user is required/);
});
