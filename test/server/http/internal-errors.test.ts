// A 5xx reaches the operator: the real error behind an "Internal error" answer is written
// to stderr with its stack and causes, even with the logger silent (request logging off),
// while the caller still sees only the catalogue answer.
import t from 'tap';
import { harness, job } from './harness.ts';
import { pb } from '../../../shared/protocol/index.ts';
import { describeError } from '../../../server/http/errors.ts';

/** Collect what is written to stderr while `fn` runs. */
async function stderrOf(fn: () => Promise<unknown>): Promise<string> {
  const write = process.stderr.write;
  let out = '';
  process.stderr.write = ((chunk: string | Uint8Array) => { out += chunk.toString(); return true; }) as typeof process.stderr.write;
  try {
    await fn();
  } finally {
    process.stderr.write = write;
  }
  return out;
}

t.test('an internal error in the agent API is on stderr with its stack, the caller sees INTERNAL', async (t) => {
  const h = await harness(t, { logLevel: 'silent' });
  const service = h.service as { authorize: unknown };
  service.authorize = async function explodeInAuthorize() {
    throw new Error('outer failure', { cause: Object.assign(new Error('disk I/O error'), { code: 'ERR_SQLITE_ERROR', errcode: 10 }) });
  };
  let res: Awaited<ReturnType<typeof h.agent>> | undefined;
  const err = await stderrOf(async () => { res = await h.agent('authorize', job('ann', 'k1'), pb.AuthorizeResponse); });
  t.equal(res!.status, 500);
  t.equal(res!.error!.code, 'INTERNAL');
  t.notMatch(res!.error!.message, /outer failure|disk/, 'no details to the caller');
  t.match(err, /agent request failed: POST \/api\/agent\/v1\/authorize/);
  t.match(err, /outer failure/);
  t.match(err, /explodeInAuthorize/, 'with the stack');
  t.match(err, /caused by: Error: disk I\/O error[\s\S]*\[ERR_SQLITE_ERROR 10\]/, 'and the cause with its SQLite code');
});

t.test('an internal error in the admin API is on stderr too; a 4xx is not', async (t) => {
  const h = await harness(t, { logLevel: 'silent' });
  const service = h.service as { listUsers: unknown };
  service.listUsers = async () => { throw new TypeError('x is undefined'); };
  let status = 0;
  const err = await stderrOf(async () => { status = (await h.admin('GET', '/users')).statusCode; });
  t.equal(status, 500);
  t.match(err, /request failed: GET \/api\/admin\/v1\/users[\s\S]*TypeError: x is undefined/);
  const quiet = await stderrOf(async () => { status = (await h.admin('GET', '/users/nobody')).statusCode; });
  t.equal(status, 404);
  t.equal(quiet, '', 'client errors are not logged as internal');
});

t.test('describeError: bounded cause chain, non-errors', async (t) => {
  let e: Error = new Error('e0');
  for (let i = 1; i < 10; i++) e = new Error(`e${i}`, { cause: e });
  const text = describeError(e);
  t.match(text, /e9/);
  t.equal(text.split('caused by:').length, 5, 'at most 5 errors of the chain');
  t.equal(describeError('a string'), 'a string');
});
