// Idempotency keys for agent calls. A key must be the same every time the same job is
// reported, including after the agent restarts, so it is derived from what identifies the
// job on its spooler (agent, queue, spooler job id, submission time) rather than drawn at
// random. The submission time tells apart two jobs that reuse a spooler id (CUPS restarts
// its numbering when its job cache is cleared).

import { createHash } from 'node:crypto';

export interface JobIdentity {
  /** The agent's name (or host name before registration; keep it stable). */
  agent: string;
  queue: string;
  spoolerJobId: string;
  /** When the spooler received the job, in milliseconds since the epoch. */
  submittedAtMs: number;
}

/** Prefix that marks keys derived by this scheme (versioned should it ever change). */
const PREFIX = 'pgj1-';

/** The stable key for a job's authorize call: "pgj1-" + 43 base64url characters. */
export function jobIdempotencyKey(job: JobIdentity): string {
  if (!Number.isSafeInteger(job.submittedAtMs)) throw new RangeError('submittedAtMs must be an integer');
  // JSON of an array keeps the parts apart unambiguously ("a/b" + "c" vs "a" + "b/c").
  const canonical = JSON.stringify([job.agent, job.queue, job.spoolerJobId, job.submittedAtMs]);
  return PREFIX + createHash('sha256').update(canonical).digest('base64url');
}

/**
 * The key for a later step of the same job ("complete", or "complete-2" should a job be
 * completed again after a re-release), derived from the job's key so it is stable too.
 */
export function stepIdempotencyKey(jobKey: string, step: string): string {
  if (jobKey === '' || step === '' || step.includes('/')) throw new RangeError('bad idempotency key or step');
  return `${jobKey}/${step}`;
}
