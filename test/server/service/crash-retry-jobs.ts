// The job requests crash-retry.test.ts and its child process send (shared so that a retry
// after the crash is the very same request, as an agent's is).
import type { AuthorizeInput } from '../../../server/service/types.ts';

export function crashJob(i: number, offline = false): AuthorizeInput {
  return {
    idempotencyKey: `crash-${i}`,
    job: { queue: 'office', user: `u${i % 3}`, title: `job ${i}` },
    analysis: { pagesKnown: true, pages: 2, colorKnown: true, colorPageNumbers: [] },
    ...(offline ? { offlineReplay: true, offlineAtMs: 1_700_000_000_000 } : {}),
  };
}
