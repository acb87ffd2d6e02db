// Group commit keeps the durability promise: a child process runs 32 agents' authorize
// and complete calls concurrently, so SQLite commits many of them in one batch (the child
// reports the largest), prints every acknowledged complete at once, and is SIGKILLed in
// the middle of the stream. Reopened, the database holds every acknowledged charge with its
// ledger row, and every balance equals its transactions. (SQLite only: PostgreSQL has no
// group commit of its own here; durability.test.ts covers both engines for one job.)
import t from 'tap';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { scratchDir } from '../../helpers/engines.ts';
import { openService } from '../../../server/service/index.ts';

t.test('every charge acknowledged from a group-committed batch survives kill -9', async (t) => {
  const dataDir = scratchDir(t);
  const db = join(dataDir, 'printgate.db');
  const setup = await openService({ db, dataDir, background: false });
  const { token } = await setup.createAgent('ps1');
  for (let u = 0; u < 4; u++) await setup.createUser({ name: `u${u}`, balanceMinor: 100_000_000 }, 'admin');
  await setup.close();

  const child = spawn(process.execPath, [join(import.meta.dirname, 'durability-batch-child.ts'), db, dataDir, token], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  const acked = new Map<string, number>();
  let largest = 0;
  await new Promise<void>((resolve, reject) => {
    let pending = '';
    child.stdout.on('data', (d: Buffer) => {
      pending += d.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const a = /^ack (\d+) (\d+)$/.exec(line);
        if (a) acked.set(a[1]!, Number(a[2]));
        const l = /^largest (\d+)$/.exec(line);
        if (l) largest = Number(l[1]);
      }
      if (acked.size >= 600 && largest > 1 && child.exitCode === null && !child.killed) {
        child.kill('SIGKILL');
        resolve();
      }
    });
    child.once('exit', () => reject(new Error('child exited before it was killed')));
  });
  t.equal(await exited, 'SIGKILL');
  t.ok(largest > 1, `batches held several transactions (largest ${largest})`);

  const s = await openService({ db, dataDir, background: false });
  t.teardown(() => s.close());
  let missing = 0;
  for (const [jobId, cost] of acked) {
    const job = await s.getJob(jobId);
    const tx = await s.listTransactions({ jobId });
    if (job.status !== 'printed' || job.costMinor !== cost || tx.items.length !== 1 || tx.items[0]!.amountMinor !== -cost) missing++;
  }
  t.equal(missing, 0, `all ${acked.size} acknowledged charges are there, each with its ledger row`);
  t.ok((await s.checkLedger()).ok, 'every balance equals its transactions after the crash');
});
