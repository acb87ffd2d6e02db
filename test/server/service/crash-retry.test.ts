// Retries after a crash: a child process runs authorize/complete with several calls in
// flight and is kill -9ed mid-flight; a new process then retries every key it had sent
// (the same authorize, a complete, an offline replay under the same key, as agents do
// after a restart). Every answer must be a decision or a catalogue refusal (never a bare
// error, which HTTP would turn into a 500), each key must have one job, and every balance
// must equal its ledger. On both engines.
import t from 'tap';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { forEachEngine } from '../../helpers/engines.ts';
import { openService } from '../../../server/service/index.ts';
import { PrintgateError } from '../../../shared/errors.ts';
import { crashJob } from './crash-retry-jobs.ts';

forEachEngine(t, 'retries after kill -9 mid-flight', async (t, ctx) => {
  const setup = await openService({ db: ctx.db, dataDir: ctx.dataDir, background: false });
  const { token } = await setup.createAgent('ps1');
  for (let u = 0; u < 3; u++) await setup.createUser({ name: `u${u}`, balanceMinor: 100_000 }, 'admin');
  await setup.close();

  const child = spawn(process.execPath, [join(import.meta.dirname, 'crash-retry-child.ts'), ctx.db, ctx.dataDir, token], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  let sent = 0;
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      for (const m of d.toString().matchAll(/sent (\d+)\n/g)) sent = Math.max(sent, Number(m[1]) + 1);
      // Mid-flight: well past start-up, with calls in every stage.
      if (sent >= 120) { child.kill('SIGKILL'); resolve(); }
    });
    child.once('exit', () => reject(new Error('child exited before it was killed')));
  });
  t.equal(await exited, 'SIGKILL');

  const s = await openService({ db: ctx.db, dataDir: ctx.dataDir, background: false });
  t.teardown(() => s.close());
  const agent = await s.authenticateAgent(token);
  const bare: string[] = [];
  const attempt = async <T>(what: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof PrintgateError) || e.status >= 500) bare.push(`${what}: ${(e as Error).stack ?? String(e)}`);
      return undefined;
    }
  };
  const jobIds = new Map<number, string>();
  await Promise.all(Array.from({ length: sent }, async (_, i) => {
    // The offline replay first (the agent printed while the server was away), then the
    // original retried: a refusal (IDEMPOTENCY_MISMATCH) is an answer, a bare error is not.
    // A key the crash lost is recorded by the replay; one that committed is refused to it.
    const replayed = await attempt(`replay ${i}`, () => s.authorize(agent, crashJob(i, true)));
    if (replayed) jobIds.set(i, replayed.jobId);
    const r = await attempt(`authorize ${i}`, () => s.authorize(agent, crashJob(i)));
    if (!r) return;
    if (replayed) bare.push(`key ${i}: both the replay and the original were accepted`);
    jobIds.set(i, r.jobId);
    if (r.decision === 'ALLOW') await attempt(`complete ${i}`, () => s.complete(agent, { idempotencyKey: `crash-${i}-done`, jobId: r.jobId, outcome: 'PRINTED', impressionsPrinted: 2 }));
    const again = await attempt(`authorize ${i} again`, () => s.authorize(agent, crashJob(i)));
    if (again && again.jobId !== r.jobId) bare.push(`key ${i}: a second job ${again.jobId} after ${r.jobId}`);
  }));
  t.same(bare, [], 'every call after the crash answered with a decision or a catalogue code');
  t.equal(jobIds.size, sent, 'every key sent before the crash has exactly one job (from before the crash, or its replay)');
  const ledger = await s.checkLedger();
  t.ok(ledger.ok, `balances equal their ledgers: ${JSON.stringify(ledger.mismatches).slice(0, 300)}`);
});
