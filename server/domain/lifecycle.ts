// The server-side job lifecycle, one transition table. A job is created by authorize in
// one of three states, then moves only along the table:
//
//   (new) --allow--> authorized --printed--> printed
//   (new) --deny---> denied                 authorized --cancelled--> cancelled
//   (new) --hold---> held                   authorized --failed-----> failed
//   (new) --replay-> printed (offline replay: it already printed)
//   held --release--> authorized   (release, claim, confirm or account chosen)
//   held --cancel---> cancelled    (by the user, an admin, or the agent's spooler)
//   held --timeout--> timed-out    (hold.timeout-minutes passed; never charged)
//   held --failed---> failed       (the spooler lost it)
//
// printed, cancelled, failed, denied and timed-out are final. The service calls
// `transition` for every change, so an impossible change (completing a denied job,
// releasing a printed one) is refused in one place.

import type { JobStatus } from './types.ts';

export type JobEventName = 'allow' | 'deny' | 'hold' | 'replay' | 'release' | 'printed' | 'cancel' | 'fail' | 'timeout';

const TABLE: Readonly<Record<JobStatus | 'new', Partial<Record<JobEventName, JobStatus>>>> = {
  new: { allow: 'authorized', deny: 'denied', hold: 'held', replay: 'printed' },
  held: { release: 'authorized', cancel: 'cancelled', timeout: 'timed-out', fail: 'failed' },
  authorized: { printed: 'printed', cancel: 'cancelled', fail: 'failed' },
  printed: {},
  cancelled: {},
  failed: {},
  denied: {},
  'timed-out': {},
};

/** The next state, or null when the event is not allowed in this state. */
export function transition(from: JobStatus | 'new', event: JobEventName): JobStatus | null {
  return TABLE[from][event] ?? null;
}

export function isFinal(status: JobStatus): boolean {
  return Object.keys(TABLE[status]).length === 0;
}

export const LIFECYCLE_STATES = Object.keys(TABLE) as Array<JobStatus | 'new'>;
