// The agent API over HTTP: protobuf and JSON, idempotent retries, and bad input answered
// with the right code and status without writing anything.

import t from 'tap';
import { harness, job, type Harness } from './harness.ts';
import { CONTENT_TYPE_PROTOBUF, pb } from '../../../shared/protocol/index.ts';
import { forEachEngine } from '../../helpers/engines.ts';

async function setUp(h: Harness): Promise<void> {
  const reg = await h.agent('register', { hostname: 'ps1', version: '1', platform: 'folder', printers: [{ queue: 'q' }] }, pb.RegisterResponse);
  if (reg.status !== 200) throw new Error(`register ${JSON.stringify(reg.error)}`);
  t.equal((await h.admin('PUT', `/printers/${encodeURIComponent('agent1/q')}/cost`, { simple: '0.10' })).statusCode, 200);
  t.equal((await h.admin('POST', '/users', { name: 'alice', balance: '5.00' })).statusCode, 201);
}

async function balance(h: Harness, user: string): Promise<{ balanceMinor: number; availableMinor: number }> {
  return (await h.admin('GET', `/users/${user}/balance`)).json();
}

async function jobCount(h: Harness): Promise<number> {
  return (await h.admin('GET', '/jobs?limit=1000')).json().items.length;
}

t.test('register, heartbeat, authorize and complete over protobuf', async (t) => {
  const h = await harness(t);
  const reg = await h.agent('register', { hostname: 'ps1', version: '1', platform: 'folder', printers: [{ queue: 'q' }] }, pb.RegisterResponse);
  t.equal(reg.status, 200);
  t.equal(reg.body!.agent, 'agent1', 'the agent is the token\'s, not the body\'s');
  t.same(reg.body!.printers!.map((p) => p.printer), ['agent1/q']);
  const hb = await h.agent('heartbeat', { jobsWaiting: 1 }, pb.HeartbeatResponse);
  t.equal(hb.status, 200);
  t.ok(Number(hb.body!.serverTimeMs) > 0);

  await h.admin('PUT', `/printers/${encodeURIComponent('agent1/q')}/cost`, { simple: '0.10' });
  await h.admin('POST', '/users', { name: 'alice', balance: '5.00' });
  const a = await h.agent('authorize', job('alice', 'k1'), pb.AuthorizeResponse);
  t.equal(a.status, 200);
  t.equal(a.body!.decision, pb.Decision.ALLOW);
  t.equal(Number(a.body!.cost), 30, '3 pages at 0.10');
  const c = await h.agent('complete', { idempotencyKey: 'k1-c', jobId: a.body!.jobId, outcome: pb.Outcome.PRINTED }, pb.CompleteResponse);
  t.equal(c.status, 200);
  t.equal(Number(c.body!.cost), 30);
  t.equal((await balance(h, 'alice')).balanceMinor, 470);
});

t.test('retried authorize and complete never charge twice', async (t) => {
  const h = await harness(t);
  await setUp(h);
  const first = await h.agent('authorize', job('alice', 'same'), pb.AuthorizeResponse);
  const again = await h.agent('authorize', job('alice', 'same'), pb.AuthorizeResponse);
  t.equal(again.body!.jobId, first.body!.jobId, 'the retry gets the first answer');
  const done = { idempotencyKey: 'same-c', jobId: first.body!.jobId, outcome: pb.Outcome.PRINTED };
  const c1 = await h.agent('complete', done, pb.CompleteResponse);
  const c2 = await h.agent('complete', done, pb.CompleteResponse);
  t.same(c2.body, c1.body);
  t.equal((await balance(h, 'alice')).balanceMinor, 470, 'charged once');
  t.equal(await jobCount(h), 1);
  const mismatch = await h.agent('authorize', job('alice', 'same', { pages: 9 }), pb.AuthorizeResponse);
  t.equal(mismatch.status, 409);
  t.equal(mismatch.error!.code, 'IDEMPOTENCY_MISMATCH');
});

t.test('JSON for debugging: proto3 JSON names in, JSON out, errors as JSON', async (t) => {
  const h = await harness(t);
  await setUp(h);
  const res = await h.app.inject({
    method: 'POST', url: '/api/agent/v1/authorize',
    headers: { authorization: `Bearer ${h.agentToken}`, 'content-type': 'application/json' },
    payload: JSON.stringify(job('alice', 'j1')),
  });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^application\/json/);
  const body = res.json();
  t.equal(body.decision, 'ALLOW');
  t.equal(body.cost, 30);
  const complete = await h.app.inject({
    method: 'POST', url: '/api/agent/v1/complete',
    headers: { authorization: `Bearer ${h.agentToken}`, 'content-type': 'application/json' },
    payload: JSON.stringify({ idempotencyKey: 'j1-c', jobId: body.jobId, outcome: 'PRINTED' }),
  });
  t.equal(complete.statusCode, 200);
  t.equal(complete.json().cost, 30);
});

t.test('bad input: the right code and status, nothing written', async (t) => {
  const h = await harness(t);
  await setUp(h);
  const auth = { authorization: `Bearer ${h.agentToken}` };
  const post = (path: string, type: string, payload: Buffer | string) =>
    h.app.inject({ method: 'POST', url: `/api/agent/v1/${path}`, headers: { ...auth, 'content-type': type }, payload });

  const garbage = await post('authorize', CONTENT_TYPE_PROTOBUF, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff]));
  t.equal(garbage.statusCode, 400);
  t.equal(garbage.headers['content-type'], CONTENT_TYPE_PROTOBUF);
  t.equal(pb.ErrorBody.decode(garbage.rawPayload).code, 'INVALID_BODY');

  const wire = await post('authorize', CONTENT_TYPE_PROTOBUF, Buffer.from([0x0f, 0x01]));
  t.equal(pb.ErrorBody.decode(wire.rawPayload).code, 'INVALID_BODY', 'an invalid wire type');

  const badJson = await post('authorize', 'application/json', '{"idempotencyKey": ');
  t.equal(badJson.statusCode, 400);
  t.equal(badJson.json().code, 'INVALID_BODY');
  const notObject = await post('authorize', 'application/json', '[1,2]');
  t.equal(notObject.json().code, 'INVALID_BODY');
  const wrongType = await post('authorize', 'application/json', JSON.stringify({ job: 'not an object' }));
  t.equal(wrongType.json().code, 'INVALID_BODY');

  const huge = await post('authorize', CONTENT_TYPE_PROTOBUF, Buffer.alloc(1024 * 1024 + 1));
  t.equal(huge.statusCode, 413);
  t.equal(pb.ErrorBody.decode(huge.rawPayload).code, 'BODY_TOO_LARGE');

  const text = await post('authorize', 'text/plain', 'hello');
  t.equal(text.statusCode, 415);
  t.equal(pb.ErrorBody.decode(text.rawPayload).code, 'UNSUPPORTED_MEDIA_TYPE');

  const unknownMethod = await post('print-everything', CONTENT_TYPE_PROTOBUF, Buffer.alloc(0));
  t.equal(unknownMethod.statusCode, 404);
  t.equal(pb.ErrorBody.decode(unknownMethod.rawPayload).code, 'NOT_FOUND');

  const noOutcome = await h.agent('complete', { idempotencyKey: 'x', jobId: 'nope' }, pb.CompleteResponse);
  t.equal(noOutcome.status, 400);
  t.equal(noOutcome.error!.code, 'INVALID_ARGUMENT');
  const unknownJob = await h.agent('complete', { idempotencyKey: 'x', jobId: 'no-such-job', outcome: pb.Outcome.PRINTED }, pb.CompleteResponse);
  t.equal(unknownJob.status, 404);
  t.equal(unknownJob.error!.code, 'UNKNOWN_JOB');

  const flood = Buffer.alloc(1024 * 1024 - 16);
  for (let i = 0; i + 1 < flood.length; i += 2) { flood[i] = 0x22; flood[i + 1] = 0; }
  const tooMany = await post('register', CONTENT_TYPE_PROTOBUF, flood);
  t.equal(tooMany.statusCode, 400, 'half a million empty printers in one register');
  t.equal(pb.ErrorBody.decode(tooMany.rawPayload).code, 'INVALID_ARGUMENT');
  t.equal((await h.admin('GET', '/printers')).json().items.length, 1, 'no printer was added');

  const wrongToken = await h.agent('authorize', job('alice', 'k9'), pb.AuthorizeResponse, 'pgt_wrong');
  t.equal(wrongToken.status, 401);
  t.equal(wrongToken.error!.code, 'INVALID_TOKEN');

  t.equal(await jobCount(h), 0, 'no job was recorded by any of the refused calls');
  t.equal((await balance(h, 'alice')).balanceMinor, 500, 'the balance is untouched');
});

t.test('an unknown user is a DENY decision, recorded; an unknown printer too', async (t) => {
  const h = await harness(t);
  await setUp(h);
  const nobody = await h.agent('authorize', job('mallory', 'u1'), pb.AuthorizeResponse);
  t.equal(nobody.status, 200);
  t.equal(nobody.body!.decision, pb.Decision.DENY);
  t.equal(nobody.body!.reasonCode, 'UNKNOWN_USER');
  const noPrinter = await h.agent('authorize', job('alice', 'u2', { queue: 'never-registered' }), pb.AuthorizeResponse);
  t.equal(noPrinter.status, 200, 'a queue seen for the first time is created, as on register');
  t.not(noPrinter.body!.decision, pb.Decision.DECISION_UNSPECIFIED);
});

t.test('a deleted agent\'s token stops working', async (t) => {
  const h = await harness(t);
  t.equal((await h.agent('heartbeat', {}, pb.HeartbeatResponse)).status, 200);
  t.equal((await h.admin('DELETE', '/agents/agent1')).statusCode, 204);
  const after = await h.agent('heartbeat', {}, pb.HeartbeatResponse);
  t.equal(after.status, 401);
  t.equal(after.error!.code, 'INVALID_TOKEN');
});

forEachEngine(t, 'a job over HTTP on each engine: held money, settled once, retries answered alike', async (t, ctx) => {
  const h = await harness(t, { db: ctx.db });
  await setUp(h);
  const a = await h.agent('authorize', job('alice', 'e1', { pages: 10 }), pb.AuthorizeResponse);
  t.equal(a.body!.decision, pb.Decision.ALLOW);
  t.equal((await balance(h, 'alice')).availableMinor, 400, 'the cost is reserved at authorize');
  const retry = await h.agent('authorize', job('alice', 'e1', { pages: 10 }), pb.AuthorizeResponse);
  t.equal(retry.body!.jobId, a.body!.jobId);
  t.equal((await balance(h, 'alice')).availableMinor, 400, 'a retry reserves nothing more');
  const done = { idempotencyKey: 'e1-c', jobId: a.body!.jobId, outcome: pb.Outcome.PRINTED, impressionsPrinted: 4 };
  const c = await h.agent('complete', done, pb.CompleteResponse);
  t.equal(Number(c.body!.cost), 40, 'settled at the impressions printed');
  t.same((await h.agent('complete', done, pb.CompleteResponse)).body, c.body);
  t.match(await balance(h, 'alice'), { balanceMinor: 460, availableMinor: 460 });
  const denied = await h.agent('authorize', job('alice', 'e2', { pages: 100 }), pb.AuthorizeResponse);
  t.equal(denied.body!.decision, pb.Decision.DENY);
  t.equal(denied.body!.reasonCode, 'INSUFFICIENT_CREDIT');
  t.match(await balance(h, 'alice'), { balanceMinor: 460, availableMinor: 460 }, 'a denied job holds nothing');
});
