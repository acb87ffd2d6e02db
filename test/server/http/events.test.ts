// The server-to-agent channel over a real socket: a long poll returns as soon as a held
// job's fate is decided, ends early when the agent hangs up, and does not hold up close().

import t from 'tap';
import http from 'node:http';
import { harness, job, type Harness } from './harness.ts';
import { CONTENT_TYPE_PROTOBUF, pb } from '../../../shared/protocol/index.ts';

interface Poll {
  readonly req: http.ClientRequest;
  readonly done: Promise<{ status: number; body: Buffer }>;
}

function poll(port: number, token: string, afterSeq: number, waitMs: number): Poll {
  const body = Buffer.from(pb.EventsRequest.encode({ afterSeq, waitMs }).finish());
  let req!: http.ClientRequest;
  const done = new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
    req = http.request({
      host: '127.0.0.1', port, method: 'POST', path: '/api/agent/v1/events', agent: false,
      headers: { authorization: `Bearer ${token}`, 'content-type': CONTENT_TYPE_PROTOBUF, 'content-length': body.length },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
  return { req, done };
}

async function heldJob(h: Harness): Promise<string> {
  await h.agent('register', { hostname: 'ps1', printers: [{ queue: 'q' }] }, pb.RegisterResponse);
  const patch = await h.admin('PATCH', `/printers/${encodeURIComponent('agent1/q')}`, { releaseRequired: true });
  if (patch.statusCode !== 200) throw new Error(patch.body);
  await h.admin('POST', '/users', { name: 'alice', balance: '5.00' });
  const a = await h.agent('authorize', job('alice', 'held-1'), pb.AuthorizeResponse);
  if (a.body?.decision !== pb.Decision.HOLD) throw new Error(`expected HOLD: ${JSON.stringify(a)}`);
  return a.body.jobId ?? '';
}

async function listen(h: Harness): Promise<number> {
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  return (h.app.server.address() as { port: number }).port;
}

/** Record when pollEvents settles and whether its signal was aborted. */
function spyOnPoll(h: Harness): { settled: Promise<{ at: number; aborted: boolean }> } {
  const service = h.service as unknown as Record<string, unknown>;
  const original = h.service.pollEvents.bind(h.service);
  let report!: (v: { at: number; aborted: boolean }) => void;
  const settled = new Promise<{ at: number; aborted: boolean }>((r) => { report = r; });
  service.pollEvents = async (...args: Parameters<typeof original>) => {
    try {
      return await original(...args);
    } finally {
      report({ at: Date.now(), aborted: args[3]?.aborted ?? false });
    }
  };
  return { settled };
}

t.test('a long poll returns as soon as a held job is released', async (t) => {
  const h = await harness(t);
  const jobId = await heldJob(h);
  const port = await listen(h);
  const started = Date.now();
  const p = poll(port, h.agentToken, 0, 20_000);
  setTimeout(() => void h.service.releaseJob(jobId, 'admin'), 200);
  const res = await p.done;
  const took = Date.now() - started;
  t.equal(res.status, 200);
  const events = pb.EventsResponse.decode(res.body);
  t.equal(events.events.length, 1);
  t.equal(events.events[0]!.jobId, jobId);
  t.equal(events.events[0]!.kind, pb.JobEventKind.RELEASED);
  t.ok(took < 5_000, `woken by the release, not the time-out (${took} ms)`);
  const after = await poll(port, h.agentToken, Number(events.lastSeq), 0).done;
  t.equal(pb.EventsResponse.decode(after.body).events.length, 0, 'events after last_seq only');
});

t.test('the admin API releases and cancels held jobs; the agent hears of both', async (t) => {
  const h = await harness(t);
  const jobId = await heldJob(h);
  const port = await listen(h);
  const released = await h.admin('POST', `/jobs/${jobId}/release`, {});
  t.equal(released.statusCode, 200);
  t.match(released.json(), { id: jobId, status: 'authorized' });
  const again = await h.admin('POST', `/jobs/${jobId}/release`, {});
  t.equal(again.statusCode, 409);
  t.equal(again.json().code, 'JOB_NOT_HELD');
  const second = await h.agent('authorize', job('alice', 'held-2'), pb.AuthorizeResponse);
  const cancelled = await h.admin('POST', `/jobs/${second.body!.jobId}/cancel`, { message: 'not today' });
  t.equal(cancelled.statusCode, 200);
  t.equal(cancelled.json().status, 'cancelled');
  const res = pb.EventsResponse.decode((await poll(port, h.agentToken, 0, 0).done).body);
  t.same(res.events.map((e) => [e.jobId, e.kind]), [[jobId, pb.JobEventKind.RELEASED], [second.body!.jobId, pb.JobEventKind.CANCELLED]]);
  t.equal((await h.admin('POST', '/jobs/nope/cancel', {})).json().code, 'UNKNOWN_JOB');
});

t.test('without events the poll answers empty after wait_ms', async (t) => {
  const h = await harness(t);
  const port = await listen(h);
  const started = Date.now();
  const res = await poll(port, h.agentToken, 0, 300).done;
  const took = Date.now() - started;
  t.equal(res.status, 200);
  t.equal(pb.EventsResponse.decode(res.body).events.length, 0);
  t.ok(took >= 250 && took < 5_000, `waited about wait_ms (${took} ms)`);
});

t.test('the wait ends early when the agent hangs up', async (t) => {
  const h = await harness(t);
  const port = await listen(h);
  const spy = spyOnPoll(h);
  const p = poll(port, h.agentToken, 0, 30_000);
  p.done.catch(() => {});
  await new Promise((r) => setTimeout(r, 300));
  const hungUpAt = Date.now();
  p.req.destroy();
  const { at, aborted } = await spy.settled;
  t.ok(aborted, 'the service saw the abort signal');
  t.ok(at - hungUpAt < 2_000, `the wait ended ${at - hungUpAt} ms after the hang-up`);
});

t.test('close() does not wait for long polls', async (t) => {
  const h = await harness(t);
  const port = await listen(h);
  const p = poll(port, h.agentToken, 0, 30_000);
  p.done.catch(() => {});
  await new Promise((r) => setTimeout(r, 300));
  const started = Date.now();
  await h.app.close();
  t.ok(Date.now() - started < 3_000, `closed in ${Date.now() - started} ms`);
});
