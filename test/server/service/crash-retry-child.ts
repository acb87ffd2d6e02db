// Child process of crash-retry.test.ts: authorizes (and completes every ALLOWed one of)
// jobs crash-<i> with several calls in flight at once, printing "sent <i>" before each
// authorize, until it is killed.
import { openService } from '../../../server/service/index.ts';
import { crashJob } from './crash-retry-jobs.ts';

const [db, dataDir, token] = process.argv.slice(2) as [string, string, string];
const s = await openService({ db, dataDir, background: false });
const agent = await s.authenticateAgent(token);
let next = 0;
await Promise.all(Array.from({ length: 8 }, async () => {
  for (;;) {
    const i = next++;
    process.stdout.write(`sent ${i}\n`);
    const r = await s.authorize(agent, crashJob(i));
    if (r.decision === 'ALLOW') await s.complete(agent, { idempotencyKey: `crash-${i}-done`, jobId: r.jobId, outcome: 'PRINTED', impressionsPrinted: 2 });
  }
}));
