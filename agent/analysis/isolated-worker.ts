// The worker side of isolated.ts: analyse one file with the engine and post the result or
// the typed error back. Anything else (a missing file) is posted as its own error code.

import { parentPort, workerData } from 'node:worker_threads';
import type { DetectionEntry } from './detect.ts';
import { analyzeFile } from './engine.ts';
import { AnalysisError } from './errors.ts';
import type { WorkerReply } from './isolated.ts';

const data = workerData as { path: string; limits: object; allowGhostscript: boolean; tableModule?: string };
let reply: WorkerReply;
try {
  const table = data.tableModule ? ((await import(data.tableModule)) as { TABLE: DetectionEntry[] }).TABLE : undefined;
  const result = await analyzeFile(data.path, { limits: data.limits, allowGhostscript: data.allowGhostscript, ...(table ? { table } : {}) });
  reply = { ok: true, result };
} catch (err) {
  if (err instanceof AnalysisError) reply = { ok: false, code: err.code, message: err.message, offset: err.offset };
  else {
    const e = err as NodeJS.ErrnoException;
    reply = { ok: false, code: e?.code === 'ENOENT' ? 'NOT_FOUND' : 'ANALYSIS_FAILED', message: e?.message ?? String(err), offset: 0 };
  }
}
parentPort!.postMessage(reply);
