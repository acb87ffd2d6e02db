// The agent's server client against the real `printgate server`: register, an idempotent
// authorize (a retry with the same key gets the same job and one reservation), complete,
// an empty long-poll, and a wrong token refused with the server's code.
import t from 'tap';
import { pb } from '../../../shared/protocol/index.ts';
import { PrintgateError } from '../../../shared/errors.ts';
import { createServerClient, jobIdempotencyKey, stepIdempotencyKey } from '../../../agent/client/index.ts';
import { printgate, startServer } from '../../cli/server-process.ts';

t.test('client against the real server', { timeout: 90_000 }, async (t) => {
  const server = await startServer(t);
  const cmd = async (...args: string[]) => {
    const r = await printgate(['cmd', ...args], server.env);
    t.equal(r.code, 0, `cmd ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const token = (await cmd('add-agent', 'agent1')).trim().split('\n').at(-1)!;
  await cmd('add-new-user', 'dora', '--balance', '1.00');

  const client = createServerClient({ server: server.url, token, retry: { retries: 1, baseDelayMs: 10, maxDelayMs: 20 } });
  t.teardown(() => client.close());

  const reg = await client.register({ hostname: 'host1', version: 'test', platform: 'folder', printers: [{ queue: 'lab' }] });
  t.equal(reg.agent, 'agent1');
  t.ok(reg.printers.some((p) => p.printer === 'agent1/lab'), 'the printer is known as <agent>/<queue>');
  await cmd('set-printer-cost-simple', 'agent1/lab', '0.25');
  const hb = await client.heartbeat({ jobsWaiting: 0 });
  t.ok(hb.serverTimeMs > 0);

  const key = jobIdempotencyKey({ agent: reg.agent, queue: 'lab', spoolerJobId: '7', submittedAtMs: Date.now() });
  const request = {
    idempotencyKey: key,
    job: { queue: 'lab', spoolerJobId: '7', user: 'dora', host: 'pc', title: 'notes', copies: 1 },
    analysis: { format: 'pdf', pagesKnown: true, pages: 2, colorKnown: true, colorPages: 0, method: 'test' },
  };
  const first = await client.authorize(request);
  t.equal(first.decision, pb.Decision.ALLOW);
  t.equal(first.cost, 50);
  const retry = await client.authorize(request);
  t.equal(retry.jobId, first.jobId, 'the same key answers the same job');
  t.equal(retry.cost, 50);

  const done = await client.complete({ idempotencyKey: stepIdempotencyKey(key, 'complete'), jobId: first.jobId, outcome: pb.Outcome.PRINTED });
  t.equal(done.cost, 50);
  t.equal(done.balanceAfter, 50, 'charged once: 1.00 - 0.50');
  const again = await client.complete({ idempotencyKey: stepIdempotencyKey(key, 'complete'), jobId: first.jobId, outcome: pb.Outcome.PRINTED });
  t.equal(again.balanceAfter, 50, 'a repeated complete does not charge twice');
  t.equal(await cmd('get-user-account-balance', 'dora'), '0.50\n');

  const started = Date.now();
  const events = await client.events(0, 300);
  t.equal(events.events.length, 0);
  t.ok(Date.now() - started >= 250, 'the long-poll waited');

  const stranger = createServerClient({ server: server.url, token: 'not-a-real-agent-token', retry: { retries: 0 } });
  t.teardown(() => stranger.close());
  const err = await stranger.heartbeat({}).catch((e: unknown) => e);
  t.ok(err instanceof PrintgateError);
  t.match((err as PrintgateError).code, /^(INVALID_TOKEN|UNAUTHENTICATED)$/);
});
