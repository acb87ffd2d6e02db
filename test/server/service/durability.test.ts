// An acknowledged charge survives kill -9: a child process authorizes and completes a
// job, says "ack", and is SIGKILLed at once while still writing; the database reopened
// holds the charge and a consistent ledger. On both engines.
import t from 'tap';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { forEachEngine } from '../../helpers/engines.ts';
import { openService } from '../../../server/service/index.ts';

forEachEngine(t, 'an acknowledged charge survives kill -9', async (t, ctx) => {
  const setup = await openService({ db: ctx.db, dataDir: ctx.dataDir, background: false });
  const { token } = await setup.createAgent('ps1');
  await setup.createUser({ name: 'ann', balanceMinor: 1_000_000 }, 'admin');
  await setup.close();

  const child = spawn(process.execPath, [join(import.meta.dirname, 'durability-child.ts'), ctx.db, ctx.dataDir, token], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  const ack = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ack (\d+) (\d+)\n/.exec(out);
      if (m) {
        child.kill('SIGKILL');
        resolve(`${m[1]} ${m[2]}`);
      }
    });
    child.once('exit', () => reject(new Error('child exited before ack')));
  });
  t.equal(await exited, 'SIGKILL');
  const [jobId, cost] = ack.split(' ');

  const s = await openService({ db: ctx.db, dataDir: ctx.dataDir, background: false });
  t.teardown(() => s.close());
  const job = await s.getJob(jobId!);
  t.same([job.status, job.costMinor], ['printed', Number(cost)]);
  t.equal(Number(cost), 70);
  const tx = await s.listTransactions({ jobId: jobId! });
  t.same(tx.items.map((x) => [x.kind, x.amountMinor]), [['settle', -70]], 'the ledger row is there');
  t.ok((await s.checkLedger()).ok, 'every balance equals its transactions after the crash');
  // The agent retrying its last call after the crash gets the stored answer, not a second charge.
  const agent = await s.authenticateAgent(token);
  const again = await s.complete(agent, { idempotencyKey: 'durable-1-done', jobId: jobId!, outcome: 'PRINTED' });
  t.equal(again.costMinor, 70);
  t.ok((await s.checkLedger()).ok);
});
