// The agent's server client against a tiny in-test HTTP(S) server: protobuf bodies and
// headers, error mapping, retries with backoff, timeouts, aborts, keep-alive and TLS.
import { selfSignedCert } from '../../helpers/tls.ts';
import t, { type Test } from 'tap';
import http from 'node:http';
import https from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { pb, CONTENT_TYPE_PROTOBUF } from '../../../shared/protocol/index.ts';
import { PrintgateError } from '../../../shared/errors.ts';
import { createServerClient, isServerUnavailable, type ServerClientOptions } from '../../../agent/client/index.ts';
import { hasCommand, needs } from '../../helpers/system.ts';

type Handler = (req: http.IncomingMessage, body: Buffer, res: http.ServerResponse) => void;

interface TestServer {
  url: string;
  hits: Array<{ path: string; headers: http.IncomingHttpHeaders; body: Buffer }>;
  connections: number;
  close(): Promise<void>;
}

async function listen(server: http.Server | https.Server, handler: Handler, scheme: 'http' | 'https'): Promise<TestServer> {
  const state: TestServer = { url: '', hits: [], connections: 0, close: async () => {} };
  server.on('connection', () => state.connections++);
  server.on(scheme === 'https' ? 'secureConnection' : 'listening', () => {});
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      state.hits.push({ path: req.url ?? '', headers: req.headers, body });
      handler(req, body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  state.url = `${scheme}://127.0.0.1:${port}`;
  state.close = () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
  return state;
}

function startServer(t: Test, handler: Handler): Promise<TestServer> {
  return listen(http.createServer(), handler, 'http').then((s) => { t.teardown(s.close); return s; });
}

function sendProto(res: http.ServerResponse, status: number, bytes: Uint8Array): void {
  res.writeHead(status, { 'Content-Type': CONTENT_TYPE_PROTOBUF, 'Content-Length': bytes.byteLength });
  res.end(bytes);
}

function sendError(res: http.ServerResponse, status: number, code: string, message: string): void {
  sendProto(res, status, pb.ErrorBody.encode({ code, message, status }).finish());
}

const allow = (jobId = 'job-1') =>
  pb.AuthorizeResponse.encode({ decision: pb.Decision.ALLOW, jobId, cost: 470, account: 'print', currency: 'USD', balanceAfter: 30 }).finish();

function client(t: Test, url: string, extra: Partial<ServerClientOptions> = {}) {
  const c = createServerClient({ server: url, token: 'agent-secret', retry: { retries: 3, baseDelayMs: 1, maxDelayMs: 5 }, timeoutMs: 2000, ...extra });
  t.teardown(() => c.close());
  return c;
}

const request = { idempotencyKey: 'k1', job: { queue: 'office', spoolerJobId: '12', user: 'alice' }, analysis: { format: 'pdf', pagesKnown: true, pages: 3 } };



t.test('authorize sends protobuf with the bearer token and decodes the answer', async (t) => {
  const s = await startServer(t, (_req, _body, res) => sendProto(res, 200, allow()));
  const c = client(t, s.url);
  const answer = await c.authorize(request);
  t.equal(answer.decision, pb.Decision.ALLOW);
  t.equal(answer.cost, 470);
  t.equal(answer.jobId, 'job-1');
  const hit = s.hits[0]!;
  t.equal(hit.path, '/api/agent/v1/authorize');
  t.equal(hit.headers['content-type'], CONTENT_TYPE_PROTOBUF);
  t.equal(hit.headers.authorization, 'Bearer agent-secret');
  const sent = pb.AuthorizeRequest.decode(hit.body);
  t.equal(sent.idempotencyKey, 'k1');
  t.equal(sent.job?.user, 'alice');
  t.equal(sent.analysis?.pages, 3);
});

t.test('calls reuse one kept-alive connection and keep a server path prefix', async (t) => {
  const s = await startServer(t, (req, _body, res) => {
    if (req.url?.endsWith('/heartbeat')) sendProto(res, 200, pb.HeartbeatResponse.encode({ serverTimeMs: 5 }).finish());
    else sendProto(res, 200, pb.RegisterResponse.encode({ agent: 'print1', heartbeatIntervalMs: 30000 }).finish());
  });
  const c = client(t, `${s.url}/pg`);
  const reg = await c.register({ hostname: 'print1', platform: 'folder', printers: [{ queue: 'office' }] });
  t.equal(reg.agent, 'print1');
  const hb = await c.heartbeat({ jobsWaiting: 2 });
  t.equal(hb.serverTimeMs, 5);
  t.same(s.hits.map((h) => h.path), ['/pg/api/agent/v1/register', '/pg/api/agent/v1/heartbeat']);
  t.equal(s.connections, 1, 'one TCP connection for both calls');
});

t.test('a refused call is not retried and carries the server code and message', async (t) => {
  const s = await startServer(t, (_req, _body, res) => sendError(res, 404, 'UNKNOWN_USER', 'Unknown user "bob"'));
  const c = client(t, s.url);
  const err = await c.authorize(request).catch((e: unknown) => e);
  t.ok(err instanceof PrintgateError);
  t.equal((err as PrintgateError).code, 'UNKNOWN_USER');
  t.equal((err as PrintgateError).message, 'Unknown user "bob"');
  t.equal(s.hits.length, 1, 'no retry of a 4xx');
  t.notOk(isServerUnavailable(err));
});

t.test('JSON error bodies and unknown codes map by status', async (t) => {
  let n = 0;
  const s = await startServer(t, (_req, _body, res) => {
    n++;
    res.writeHead(n === 1 ? 401 : 403, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(n === 1 ? { code: 'INVALID_TOKEN', message: 'The token is not valid' } : { code: 'FST_SOMETHING', message: 'nope' }));
  });
  const c = client(t, s.url);
  const e1 = (await c.heartbeat({}).catch((e: unknown) => e)) as PrintgateError;
  t.equal(e1.code, 'INVALID_TOKEN');
  const e2 = (await c.heartbeat({}).catch((e: unknown) => e)) as PrintgateError;
  t.equal(e2.code, 'FORBIDDEN');
  t.equal(e2.detail?.serverCode, 'FST_SOMETHING');
  t.equal(e2.detail?.httpStatus, 403);
});

t.test('5xx answers are retried with the same idempotency key, then succeed', async (t) => {
  const s = await startServer(t, (_req, _body, res) => {
    if (s.hits.length <= 2) sendError(res, 503, 'STORAGE_UNAVAILABLE', 'db down');
    else sendProto(res, 200, allow());
  });
  const retries: number[] = [];
  const c = client(t, s.url, { onRetry: (i) => retries.push(i.retry) });
  const answer = await c.authorize(request);
  t.equal(answer.decision, pb.Decision.ALLOW);
  t.equal(s.hits.length, 3);
  t.same(new Set(s.hits.map((h) => pb.AuthorizeRequest.decode(h.body).idempotencyKey)), new Set(['k1']));
  t.same(retries, [1, 2]);
});

t.test('5xx that persists gives the server error after the retry budget', async (t) => {
  const s = await startServer(t, (_req, _body, res) => sendError(res, 503, 'STORAGE_UNAVAILABLE', 'db down'));
  const c = client(t, s.url, { retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 2 } });
  const err = (await c.complete({ idempotencyKey: 'c1', jobId: 'j', outcome: pb.Outcome.PRINTED }).catch((e: unknown) => e)) as PrintgateError;
  t.equal(err.code, 'STORAGE_UNAVAILABLE');
  t.equal(s.hits.length, 3);
  t.ok(isServerUnavailable(err));
});

t.test('a server that is not there is SERVER_UNREACHABLE after the retries', async (t) => {
  const s = await startServer(t, () => {});
  const url = s.url;
  await s.close();
  const retries: string[] = [];
  const c = client(t, url, { onRetry: (i) => retries.push((i.error as NodeJS.ErrnoException).code ?? '') });
  const err = (await c.heartbeat({}).catch((e: unknown) => e)) as PrintgateError;
  t.equal(err.code, 'SERVER_UNREACHABLE');
  t.equal(err.detail?.attempts, 4);
  t.same(retries, ['ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED']);
  t.ok(isServerUnavailable(err));
});

t.test('a call that gets no answer times out, and the retry can succeed', async (t) => {
  const s = await startServer(t, (_req, _body, res) => {
    if (s.hits.length === 1) return; // never answer the first attempt
    sendProto(res, 200, allow('job-2'));
  });
  const c = client(t, s.url, { timeoutMs: 150 });
  const started = Date.now();
  const answer = await c.authorize(request);
  t.equal(answer.jobId, 'job-2');
  t.ok(Date.now() - started >= 140, 'waited for the first attempt to time out');
  t.equal(s.hits.length, 2);
});

t.test('timeouts on every attempt end in SERVER_UNREACHABLE', async (t) => {
  const s = await startServer(t, () => {});
  const c = client(t, s.url, { timeoutMs: 100, retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 1 } });
  const err = (await c.heartbeat({}).catch((e: unknown) => e)) as PrintgateError;
  t.equal(err.code, 'SERVER_UNREACHABLE');
  t.match(err.message, /no answer within 100 ms/);
  t.equal(s.hits.length, 2);
});

t.test('events long-polls with its wait, and an abort ends it at once', async (t) => {
  const s = await startServer(t, (_req, body, res) => {
    const req = pb.EventsRequest.decode(body);
    if (req.afterSeq === 7) {
      sendProto(res, 200, pb.EventsResponse.encode({ events: [{ seq: 8, jobId: 'j9', kind: pb.JobEventKind.RELEASED }], lastSeq: 8 }).finish());
    }
    // afterSeq 8: hang, like a long-poll with nothing to say
  });
  const c = client(t, s.url, { timeoutMs: 100 });
  const got = await c.events(7, 60_000, undefined);
  t.equal(got.lastSeq, 8);
  t.equal(got.events[0]?.kind, pb.JobEventKind.RELEASED);
  t.equal(pb.EventsRequest.decode(s.hits[0]!.body).waitMs, 30_000, 'wait clamped to the server maximum');

  const controller = new AbortController();
  const started = Date.now();
  setTimeout(() => controller.abort(), 200);
  const err = await c.events(8, 1000, controller.signal).catch((e: unknown) => e);
  t.equal((err as Error).name, 'AbortError');
  t.ok(Date.now() - started < 1000, 'did not wait for the long-poll timeout');
  t.equal(s.hits.length, 2, 'an aborted call is not retried');
});

t.test('authorize and complete refuse to go without an idempotency key', async (t) => {
  const s = await startServer(t, (_req, _body, res) => sendProto(res, 200, allow()));
  const c = client(t, s.url);
  await t.rejects(c.authorize({ ...request, idempotencyKey: '' }), { code: 'INVALID_ARGUMENT' });
  await t.rejects(c.complete({ jobId: 'j1' }), { code: 'INVALID_ARGUMENT' });
  t.equal(s.hits.length, 0);
});

t.test('an undecodable answer is INVALID_BODY, not a crash', async (t) => {
  const s = await startServer(t, (_req, _body, res) => sendProto(res, 200, new Uint8Array([0x0a, 0xff, 0xff, 0xff])));
  const c = client(t, s.url);
  await t.rejects(c.authorize(request), { code: 'INVALID_BODY' });
});

t.test('bad options are refused before any call', async (t) => {
  t.throws(() => createServerClient({ server: 'ftp://x', token: 't' }), { code: 'INVALID_ARGUMENT' });
  t.throws(() => createServerClient({ server: 'not a url', token: 't' }), { code: 'INVALID_ARGUMENT' });
  t.throws(() => createServerClient({ server: 'http://x', token: ' ' }), { code: 'INVALID_ARGUMENT' });
  t.throws(() => createServerClient({ server: 'http://x', token: 't', ca: '/nonexistent/ca.pem' }), { code: 'INVALID_ARGUMENT' });
  t.throws(() => createServerClient({ server: 'http://x', token: 't', retry: { retries: -1 } }), RangeError);
});

t.test('TLS: an untrusted certificate fails at once; --ca makes it work', { skip: needs('openssl', hasCommand('openssl')) }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pg-tls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const made = selfSignedCert(dir);
  if (made.status !== 0) throw new Error(`openssl failed: ${made.stderr}`);
  const { cert, key } = made;
  const server = https.createServer({ key: readFileSync(key), cert: readFileSync(cert) });
  const s = await listen(server, (_req, _body, res) => sendProto(res, 200, allow('tls-job')), 'https');
  t.teardown(s.close);

  const untrusted = client(t, s.url);
  const err = (await untrusted.authorize(request).catch((e: unknown) => e)) as PrintgateError;
  t.equal(err.code, 'SERVER_UNREACHABLE');
  t.match(err.message, /--ca/);
  t.equal(s.hits.length, 0, 'no request went through');

  const trusted = client(t, s.url, { ca: cert });
  const answer = await trusted.authorize(request);
  t.equal(answer.jobId, 'tls-job');
});
