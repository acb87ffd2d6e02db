// The worker side of isolated.ts: analyse each file it is sent with the engine and post the
// result or the typed error back. Anything else (a missing file) is posted as its own code.

import { parentPort, workerData } from 'node:worker_threads';
import type { DetectionEntry } from './detect.ts';
import { analyzeFile } from './engine.ts';
import { AnalysisError } from './errors.ts';
import type { WorkerJob, WorkerReply } from './isolated.ts';

const data = workerData as { tableModule?: string };
const table = data.tableModule ? ((await import(data.tableModule)) as { TABLE: DetectionEntry[] }).TABLE : undefined;

parentPort!.on('message', async (job: WorkerJob) => {
  let reply: WorkerReply;
  try {
    const result = await analyzeFile(job.path, { limits: job.limits, allowGhostscript: job.allowGhostscript, ...(table ? { table } : {}) });
    reply = { id: job.id, ok: true, result };
  } catch (err) {
    if (err instanceof AnalysisError) reply = { id: job.id, ok: false, code: err.code, message: err.message, offset: err.offset };
    else {
      const e = err as NodeJS.ErrnoException;
      reply = { id: job.id, ok: false, code: e?.code === 'ENOENT' ? 'NOT_FOUND' : 'ANALYSIS_FAILED', message: e?.message ?? String(err), offset: 0 };
    }
  }
  parentPort!.postMessage(reply);
});
