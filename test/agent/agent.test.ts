// The running agent against in-memory neighbours: registration caches printer policies,
// an agent started while the server is down uses the cached ones, reconnection re-asks
// held jobs, held jobs follow the events channel, and close() is clean and idempotent.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pb } from '../../shared/protocol/index.ts';
import { Agent } from '../../agent/agent.ts';
import { SILENT } from '../../agent/log.ts';
import type { ServerClient } from '../../agent/client/index.ts';
import { FakeClient, FakeServer, FakeSpooler } from './fakes.ts';

const analyze = async () => ({ format: 'pdf' as const, pages: 1, colorPages: 0, colorPageNumbers: [], copies: 1, duplex: false, media: [], method: 't', warnings: [], recovered: false });

function agentFor(dir: string, spooler: FakeSpooler, client: FakeClient) {
  return new Agent({
    spooler, client: client as unknown as ServerClient, analyze, log: SILENT, stateDir: join(dir, 'state'), name: 'host1',
    reconnectMinMs: 10, reconnectMaxMs: 20, eventsWaitMs: 50, sweepIntervalMs: 60_000,
  });
}

async function until(what: string, cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

t.test('registers, caches policies, and follows the events channel for held jobs', async (t) => {
  const dir = t.testdir();
  const spooler = new FakeSpooler(dir);
  const server = new FakeServer();
  server.rule = () => ({ decision: 'HOLD' });
  const client = new FakeClient(server);
  const agent = agentFor(dir, spooler, client);
  t.teardown(() => agent.close());
  await agent.start();
  t.equal(client.registers, 1);
  t.equal(agent.isOnline, true);
  const cache = JSON.parse(readFileSync(join(dir, 'state', 'policy.json'), 'utf8'));
  t.equal(cache.agent, 'agent1');
  t.equal(cache.printers[0].failureMode, 'HOLD_UNTIL_RECONNECTED');
  const job = spooler.arrive();
  await until('held', () => agent.pipeline.job(job)?.state === 'held');
  client.pending.push(pb.JobEvent.fromObject({ seq: 1, jobId: agent.pipeline.job(job)!.decision!.jobId, queue: 'lab', spoolerJobId: job.spoolerJobId, kind: pb.JobEventKind.RELEASED }));
  await until('released by the event', () => agent.pipeline.job(job)?.state === 'printing');
  await agent.close();
  await agent.close();
  t.equal(client.closed, true);
});

t.test('started while the server is down: cached policy applies, reconnection re-asks', async (t) => {
  const dir = t.testdir();
  const spooler = new FakeSpooler(dir);
  const server = new FakeServer();
  const client = new FakeClient(server);
  // A first run caches the policy (HOLD_UNTIL_RECONNECTED for "lab").
  const first = agentFor(dir, spooler, client);
  t.teardown(() => first.close());
  await first.start();
  await first.close();
  spooler.removeAllListeners();

  server.down = true;
  const agent = agentFor(dir, spooler, client);
  t.teardown(() => agent.close());
  await agent.start();
  t.equal(agent.isOnline, false);
  t.equal(agent.policies.get('lab').failureMode, 'HOLD_UNTIL_RECONNECTED', 'from the cache');
  const job = spooler.arrive();
  await until('offline-held', () => agent.pipeline.job(job)?.state === 'offline-held');
  t.match(spooler.calls.join('\n'), /keep-held 1 Waiting for the print server/);
  server.down = false;
  await until('printed after reconnection', () => agent.pipeline.job(job)?.state === 'printing');
  t.equal(agent.isOnline, true);
  await agent.close();
  t.ok(existsSync(join(dir, 'state', 'journal.log')));
});

t.test('a server that goes away mid-run is detected by the heartbeat and reconnected', async (t) => {
  const dir = t.testdir();
  const spooler = new FakeSpooler(dir);
  const server = new FakeServer();
  const client = new FakeClient(server);
  const agent = agentFor(dir, spooler, client);
  t.teardown(() => agent.close());
  await agent.start();
  server.down = true;
  await until('offline', () => !agent.isOnline, 4000);
  const registers = client.registers;
  server.down = false;
  await until('online again', () => agent.isOnline, 4000);
  t.ok(client.registers > registers, 're-registered');
  await agent.close();
});
