// The admin Idempotency-Key survives kill -9, on both engines, with the real
// `printgate server` process: started with PRINTGATE_FAULT=after-admin-commit it kills
// itself (SIGKILL) right after an idempotent request's transaction committed and before
// replying; a restarted server given the same request and key answers with the stored
// first answer, and the balance moved once, with one ledger row. With
// PRINTGATE_FAULT=before-admin-commit it dies with the effects and the answer written but
// not committed: nothing is left, and the retry applies the request once.

import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { forEachEngine, type EngineContext } from '../../helpers/engines.ts';
import { openService } from '../../../server/service/index.ts';

const BIN = join(import.meta.dirname, '..', '..', '..', 'bin', 'printgate.js');
const TOKEN = 'crash-admin-token-0123456789abcdef';

interface Server {
  url: string;
  child: ChildProcess;
  /** The signal that ended it (null when it exited by itself). */
  exited: Promise<NodeJS.Signals | null>;
}

async function start(t: { teardown(fn: () => unknown): void }, ctx: EngineContext, fault: string): Promise<Server> {
  const child = spawn(process.execPath, [BIN, 'server', '--data', ctx.dataDir, '--db', ctx.db, '--host', '127.0.0.1', '--port', '0'], {
    env: { ...process.env, PRINTGATE_ADMIN_TOKEN: TOKEN, PRINTGATE_FAULT: fault, PRINTGATE_DB: undefined, PRINTGATE_PORT: undefined, PRINTGATE_HOST: undefined, PRINTGATE_DATA: undefined } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_code, signal) => r(signal)));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const m = /listening on (http:\/\/\S+)/.exec(output);
    if (m) return { url: m[1]!, child, exited };
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`printgate server did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stop(server: Server): Promise<void> {
  server.child.kill('SIGTERM');
  await server.exited;
}

function call(server: Server, method: string, path: string, body?: unknown, key?: string): Promise<Response> {
  return fetch(`${server.url}/api/admin/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(key === undefined ? {} : { 'idempotency-key': key }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(20_000),
  });
}

const ADJUST = { amount: '2.50', comment: 'top-up' };

/** Send the request to a server that dies on it: no answer, killed by its own SIGKILL. */
async function crashOn(t: Test, server: Server, key: string): Promise<void> {
  await t.rejects(call(server, 'POST', '/users/ann/adjust', ADJUST, key), 'no reply: the process died first');
  const alive = new Promise<string>((r) => setTimeout(() => r('still running'), 10_000).unref());
  t.equal(await Promise.race([server.exited, alive]), 'SIGKILL');
}

forEachEngine(t, 'killed right after the commit: the retry gets the first answer, applied once', async (t, ctx) => {
  const first = await start(t, ctx, 'after-admin-commit');
  // Without a key the fault point is never reached.
  t.equal((await call(first, 'POST', '/users', { name: 'ann', balance: '1.00' })).status, 201);
  await crashOn(t, first, 'crash-key-1');

  const second = await start(t, ctx, '');
  const retry = await call(second, 'POST', '/users/ann/adjust', ADJUST, 'crash-key-1');
  t.equal(retry.status, 200);
  const answer = await retry.json() as { balanceMinor: number; transactionId: string };
  t.equal(answer.balanceMinor, 350, 'the balance after the one adjustment');
  const rows = (await (await call(second, 'GET', '/users/ann/transactions')).json() as { items: Array<{ id: string; kind: string; amountMinor: number }> }).items;
  t.same(rows.map((r) => [r.kind, r.amountMinor]), [['adjust', 250], ['initial', 100]], 'exactly one adjustment row');
  t.equal(answer.transactionId, rows[0]!.id, 'the answer is the first attempt\'s: its ledger row');
  t.same(await (await call(second, 'POST', '/users/ann/adjust', ADJUST, 'crash-key-1')).json(), answer, 'and again');
  const other = await call(second, 'POST', '/users/ann/adjust', { amount: '9.00' }, 'crash-key-1');
  t.equal(other.status, 409);
  t.match(await other.json(), { code: 'IDEMPOTENCY_MISMATCH', status: 409 });
  t.equal(((await (await call(second, 'GET', '/users/ann/balance')).json()) as { balanceMinor: number }).balanceMinor, 350);
  await stop(second);

  const s = await openService({ db: ctx.db, dataDir: ctx.dataDir, background: false });
  t.teardown(() => s.close());
  t.ok((await s.checkLedger()).ok, 'every balance equals its ledger');
});

forEachEngine(t, 'killed before the commit: nothing was applied, the retry applies once', async (t, ctx) => {
  const first = await start(t, ctx, 'before-admin-commit');
  t.equal((await call(first, 'POST', '/users', { name: 'ann', balance: '1.00' })).status, 201);
  await crashOn(t, first, 'crash-key-2');

  const second = await start(t, ctx, '');
  t.equal(((await (await call(second, 'GET', '/users/ann/balance')).json()) as { balanceMinor: number }).balanceMinor, 100, 'nothing of the killed transaction');
  const retry = await call(second, 'POST', '/users/ann/adjust', ADJUST, 'crash-key-2');
  t.equal(retry.status, 200);
  t.equal((await retry.json() as { balanceMinor: number }).balanceMinor, 350);
  const rows = (await (await call(second, 'GET', '/users/ann/transactions')).json() as { items: Array<{ kind: string }> }).items;
  t.same(rows.map((r) => r.kind), ['adjust', 'initial']);
  await stop(second);
});
