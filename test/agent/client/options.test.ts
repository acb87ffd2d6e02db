// The pure parts of the server client: stable idempotency keys, token resolution from
// flag / file / environment, the --timeout parser, and the jittered backoff bounds.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectionFromValues, jobIdempotencyKey, parseTimeoutSeconds, resolveAgentToken, stepIdempotencyKey } from '../../../agent/client/index.ts';
import { backoffDelay, isRetryableStatus, resolveRetryPolicy } from '../../../agent/client/retry.ts';

t.test('job keys are stable, distinct per job, and unambiguous', async (t) => {
  const job = { agent: 'print1', queue: 'office', spoolerJobId: '42', submittedAtMs: 1_700_000_000_000 };
  const key = jobIdempotencyKey(job);
  t.match(key, /^pgj1-[A-Za-z0-9_-]{43}$/);
  t.equal(jobIdempotencyKey({ ...job }), key, 'same job, same key (a restarted agent reuses it)');
  t.not(jobIdempotencyKey({ ...job, spoolerJobId: '43' }), key);
  t.not(jobIdempotencyKey({ ...job, submittedAtMs: job.submittedAtMs + 1 }), key, 'a reused spooler id is another job');
  t.not(jobIdempotencyKey({ ...job, agent: 'print1/office', queue: '' }), jobIdempotencyKey({ ...job, agent: 'print1', queue: 'office/' }));
  t.equal(stepIdempotencyKey(key, 'complete'), `${key}/complete`);
  t.throws(() => stepIdempotencyKey(key, ''));
  t.throws(() => jobIdempotencyKey({ ...job, submittedAtMs: 1.5 }));
});

t.test('the agent token comes from the flag, a file or the environment', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pg-token-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'token');
  writeFileSync(file, 'from-file\n', { mode: 0o600 });
  const env = { PRINTGATE_AGENT_TOKEN: 'from-env' };
  t.equal(resolveAgentToken({ 'agent-token': 'from-flag' }, env), 'from-flag');
  t.equal(resolveAgentToken({ 'agent-token-file': file }, env), 'from-file', 'trailing newline trimmed');
  t.equal(resolveAgentToken({}, env), 'from-env');
  t.throws(() => resolveAgentToken({}, {}), { code: 'INVALID_ARGUMENT' });
  t.throws(() => resolveAgentToken({ 'agent-token': 'a', 'agent-token-file': file }, env), { code: 'INVALID_ARGUMENT' });
  t.throws(() => resolveAgentToken({ 'agent-token-file': join(dir, 'missing') }, env), { code: 'INVALID_ARGUMENT' });
  const opts = connectionFromValues({ server: 'https://s:8631', ca: '/ca.pem', timeout: '2.5' }, env);
  t.same(opts, { server: 'https://s:8631', token: 'from-env', ca: '/ca.pem', timeoutMs: 2500 });
  t.throws(() => connectionFromValues({}, env), { code: 'INVALID_ARGUMENT' });
});

t.test('--timeout accepts decimal seconds within bounds', async (t) => {
  t.equal(parseTimeoutSeconds('10'), 10_000);
  t.equal(parseTimeoutSeconds('0.25'), 250);
  for (const bad of ['', '-1', 'abc', '0', '601', '1e3']) t.throws(() => parseTimeoutSeconds(bad), { code: 'INVALID_ARGUMENT' }, bad);
});

t.test('backoff is jittered under an exponential cap', async (t) => {
  const policy = resolveRetryPolicy({ retries: 5, baseDelayMs: 100, maxDelayMs: 1000 });
  t.equal(backoffDelay(policy, 1, () => 0.999), 99);
  t.equal(backoffDelay(policy, 2, () => 0.999), 199);
  t.equal(backoffDelay(policy, 4, () => 0.999), 799);
  t.equal(backoffDelay(policy, 10, () => 0.999), 999, 'capped at maxDelayMs');
  t.equal(backoffDelay(policy, 3, () => 0), 0);
  t.ok([429, 500, 502, 503, 504].every(isRetryableStatus));
  t.notOk([400, 401, 403, 404, 409, 413, 501].some(isRetryableStatus));
  t.throws(() => resolveRetryPolicy({ baseDelayMs: 10, maxDelayMs: 5 }), RangeError);
});
