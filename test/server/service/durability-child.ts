// Child process of durability.test.ts: authorizes and completes one job, prints
// "ack <jobId> <cost>" once both calls returned, then keeps writing until it is killed.
import { openService } from '../../../server/service/index.ts';

const [db, dataDir, token] = process.argv.slice(2) as [string, string, string];
const s = await openService({ db, dataDir, background: false });
const agent = await s.authenticateAgent(token);
const job = (key: string) => ({
  idempotencyKey: key,
  job: { queue: 'office', user: 'ann', title: 'ack me' },
  analysis: { pagesKnown: true, pages: 7, colorKnown: true, colorPageNumbers: [] },
});
const r = await s.authorize(agent, job('durable-1'));
const c = await s.complete(agent, { idempotencyKey: 'durable-1-done', jobId: r.jobId, outcome: 'PRINTED' });
process.stdout.write(`ack ${r.jobId} ${c.costMinor}\n`);
// Keep the database busy so the kill lands mid-write.
for (let i = 0; ; i++) {
  const more = await s.authorize(agent, job(`more-${i}`));
  if (more.decision === 'ALLOW') await s.complete(agent, { idempotencyKey: `more-${i}-done`, jobId: more.jobId, outcome: 'PRINTED' });
}
