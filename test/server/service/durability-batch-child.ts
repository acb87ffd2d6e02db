// Child process of durability-batch.test.ts: 32 simulated agents authorize and complete
// jobs concurrently, so SQLite group-commits many of them per batch; each complete that
// returns is printed as "ack <jobId> <cost>" at once. It runs until it is killed.
import { openService } from '../../../server/service/index.ts';
import type { SqliteStorage } from '../../../server/storage/sqlite.ts';

const [db, dataDir, token] = process.argv.slice(2) as [string, string, string];
const s = await openService({ db, dataDir, background: false });
const agent = await s.authenticateAgent(token);
const stats = (s.storage as SqliteStorage).batchStats;
let reported = 0;
await Promise.all(Array.from({ length: 32 }, async (_, w) => {
  for (let i = 0; ; i++) {
    const key = `w${w}-${i}`;
    const r = await s.authorize(agent, {
      idempotencyKey: key,
      job: { queue: 'office', user: `u${w % 4}`, title: 'ack me' },
      analysis: { pagesKnown: true, pages: 3, colorKnown: true, colorPageNumbers: [] },
    });
    if (r.decision !== 'ALLOW') throw new Error(`${key}: ${r.reasonCode}`);
    const c = await s.complete(agent, { idempotencyKey: `${key}-done`, jobId: r.jobId, outcome: 'PRINTED' });
    if (stats.largest > reported) {
      reported = stats.largest;
      process.stdout.write(`largest ${reported}\n`);
    }
    process.stdout.write(`ack ${c.jobId} ${c.costMinor}\n`);
  }
}));
