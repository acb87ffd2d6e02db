// The job lifecycle of the print provider: one transition function over one explicit table.
//
// Design notes (read these before changing the table)
// ---------------------------------------------------
// A job enters the agent in state `arrived` when the spooler reports it waiting at the gate
// (or when listHeld() finds it again after a restart). Every state change of every job goes
// through transition(): it looks the (state, event) pair up in TABLE, and either returns the
// next state plus the actions the pipeline must now perform, or rejects the pair. Nothing
// else assigns a job's state; the pipeline logs every accepted change and every rejection.
// This file is pure: no I/O, no clock. Actions are data that agent/pipeline.ts carries out,
// and the outcome of each action comes back as the next event.
//
//   arrived ──begin──► analysing ──analysed / analysis-failed──► authorizing
//
// A failed analysis still asks the server: it reports "pages unknown" and the server's
// `job.unknown-pages` setting decides. From authorizing the server's answer leads to:
//
//   decision-allow ► releasing   (stamp the watermark, apply forced grayscale/duplex,
//                                 record the job in the journal, then let it print)
//   decision-deny  ► denying     (cancel at the spooler with the server's reason)
//   decision-hold  ► held        (keep it waiting; the server's events channel later says
//                                 server-released → releasing, server-cancelled or
//                                 timed-out → cancelling)
//
// When the server cannot be reached the printer's failure mode picks one of three events:
//
//   unreachable-log-nothing ► releasing-unlogged ► forgotten   (print; nobody is charged)
//   unreachable-log-later   ► releasing-offline  ► printing-offline ► (journal the end;
//                             the journal is replayed as authorize(offline_replay) + complete
//                             once the server is back)
//   unreachable-hold        ► offline-held ──reconnected──► authorizing (asks again)
//
// After a release the job is `printing` until the spooler says how it ended: printed,
// aborted or cancelled at the printer; each leads to a terminal state with a `complete`
// action (PRINTED, FAILED, CANCELLED) so that the server settles the reservation or gives
// it back. `complete` is durable: it is written to the journal first and retried until the
// server acknowledges it. A job that vanished from the spooler (`gone`) while waiting is
// cancelled; one that vanished after release is taken as printed at the authorized figure.
//
// A document that must carry a watermark but cannot be stamped (watermark_required) gives
// `watermark-failed` in releasing: the job is cancelled and its reservation released; in
// the offline releasing states there is no reservation, so it is cancelled as a denial.
//
// Terminal states: completed, failed, cancelled, denied, forgotten. They accept no event:
// a late event for a finished job (say, the spooler's "cancelled" after our own cancel) is
// rejected and only logged. Per-job ordering is the pipeline's duty: it feeds one event at
// a time to a job, so an action's outcome always arrives in the state that asked for it.

export const STATES = [
  'arrived', 'analysing', 'authorizing', 'held', 'offline-held',
  'releasing', 'releasing-offline', 'releasing-unlogged', 'denying', 'cancelling',
  'printing', 'printing-offline',
  'completed', 'failed', 'cancelled', 'denied', 'forgotten',
] as const;
export type JobState = (typeof STATES)[number];

export const TERMINAL_STATES: ReadonlySet<JobState> = new Set(['completed', 'failed', 'cancelled', 'denied', 'forgotten']);

export const EVENTS = [
  /** The pipeline starts working on a job that arrived. */
  'begin',
  /** The analysis engine finished (or could not analyse the document). */
  'analysed', 'analysis-failed',
  /** The server's answer to authorize. */
  'decision-allow', 'decision-deny', 'decision-hold',
  /** authorize could not reach the server; the suffix is the printer's failure mode. */
  'unreachable-log-nothing', 'unreachable-log-later', 'unreachable-hold',
  /** The server is reachable again. */
  'reconnected',
  /** The server's events channel: RELEASED / ACCOUNT_CHOSEN, CANCELLED, TIMED_OUT. */
  'server-released', 'server-cancelled', 'timed-out',
  /** Outcomes of our own spooler actions. */
  'released', 'cancel-done', 'watermark-failed',
  /** The job no longer exists at the spooler. */
  'gone',
  /** How the job ended at the spooler/printer. */
  'printed', 'aborted', 'cancelled',
] as const;
export type JobEvent = (typeof EVENTS)[number];

export type Outcome = 'PRINTED' | 'FAILED' | 'CANCELLED';

/** What the pipeline must do after a transition, in order. */
export type Action =
  | { readonly type: 'analyse' }
  | { readonly type: 'authorize' }
  /** Stamp/apply forced changes, journal the job (online), release it. */
  | { readonly type: 'release' }
  /** Journal the job for replay (fsync), then release it without a server decision. */
  | { readonly type: 'release-offline' }
  /** Release without a server decision and without a journal record. */
  | { readonly type: 'release-unlogged' }
  | { readonly type: 'keep-held'; readonly why: 'server-hold' | 'server-unreachable' }
  | { readonly type: 'cancel'; readonly why: 'denied' | 'server-cancelled' | 'timed-out' | 'watermark' }
  /** Tell the server how the job ended (durable: journal first, retried until acknowledged). */
  | { readonly type: 'complete'; readonly outcome: Outcome }
  /** Record how an offline job ended, for the journal replay. */
  | { readonly type: 'journal-end'; readonly outcome: Outcome }
  /** Drop everything about the job. */
  | { readonly type: 'forget' };

export interface Transition {
  readonly next: JobState;
  readonly actions: readonly Action[];
}

export type TransitionResult =
  | ({ readonly ok: true } & Transition)
  | { readonly ok: false; readonly reason: string };

const A = {
  analyse: { type: 'analyse' },
  authorize: { type: 'authorize' },
  release: { type: 'release' },
  releaseOffline: { type: 'release-offline' },
  releaseUnlogged: { type: 'release-unlogged' },
  forget: { type: 'forget' },
} as const satisfies Record<string, Action>;

const complete = (outcome: Outcome): Action => ({ type: 'complete', outcome });
const journalEnd = (outcome: Outcome): Action => ({ type: 'journal-end', outcome });
const to = (next: JobState, ...actions: Action[]): Transition => ({ next, actions });

/** The whole lifecycle. A pair missing here is not allowed. */
export const TABLE: { readonly [S in JobState]: { readonly [E in JobEvent]?: Transition } } = {
  'arrived': {
    'begin': to('analysing', A.analyse),
    'cancelled': to('cancelled'),
    'gone': to('cancelled'),
  },
  'analysing': {
    'analysed': to('authorizing', A.authorize),
    'analysis-failed': to('authorizing', A.authorize),
  },
  'authorizing': {
    'decision-allow': to('releasing', A.release),
    'decision-deny': to('denying', { type: 'cancel', why: 'denied' }),
    'decision-hold': to('held', { type: 'keep-held', why: 'server-hold' }),
    'unreachable-log-nothing': to('releasing-unlogged', A.releaseUnlogged),
    'unreachable-log-later': to('releasing-offline', A.releaseOffline),
    'unreachable-hold': to('offline-held', { type: 'keep-held', why: 'server-unreachable' }),
  },
  'held': {
    'server-released': to('releasing', A.release),
    'server-cancelled': to('cancelling', { type: 'cancel', why: 'server-cancelled' }),
    'timed-out': to('cancelling', { type: 'cancel', why: 'timed-out' }),
    'cancelled': to('cancelled', complete('CANCELLED')),
    'gone': to('cancelled', complete('CANCELLED')),
  },
  'offline-held': {
    'reconnected': to('authorizing', A.authorize),
    'cancelled': to('cancelled'),
    'gone': to('cancelled'),
  },
  'releasing': {
    'released': to('printing'),
    'watermark-failed': to('cancelling', { type: 'cancel', why: 'watermark' }),
    'gone': to('cancelled', complete('CANCELLED')),
  },
  'releasing-offline': {
    'released': to('printing-offline'),
    'watermark-failed': to('denying', { type: 'cancel', why: 'watermark' }),
    'gone': to('cancelled', journalEnd('CANCELLED')),
  },
  'releasing-unlogged': {
    'released': to('forgotten', A.forget),
    'watermark-failed': to('denying', { type: 'cancel', why: 'watermark' }),
    'gone': to('forgotten', A.forget),
  },
  'denying': {
    'cancel-done': to('denied'),
    'gone': to('denied'),
  },
  'cancelling': {
    'cancel-done': to('cancelled', complete('CANCELLED')),
    'gone': to('cancelled', complete('CANCELLED')),
  },
  'printing': {
    'printed': to('completed', complete('PRINTED')),
    'aborted': to('failed', complete('FAILED')),
    'cancelled': to('cancelled', complete('CANCELLED')),
    'gone': to('completed', complete('PRINTED')),
  },
  'printing-offline': {
    'printed': to('completed', journalEnd('PRINTED')),
    'aborted': to('failed', journalEnd('FAILED')),
    'cancelled': to('cancelled', journalEnd('CANCELLED')),
    'gone': to('completed', journalEnd('PRINTED')),
  },
  'completed': {},
  'failed': {},
  'cancelled': {},
  'denied': {},
  'forgotten': {},
};

/** The one transition function: the next state and actions, or why the pair is refused. */
export function transition(state: JobState, event: JobEvent): TransitionResult {
  const row = TABLE[state];
  if (row === undefined) return { ok: false, reason: `unknown state "${state}"` };
  const entry = Object.hasOwn(row, event) ? row[event] : undefined;
  if (entry === undefined) {
    return {
      ok: false,
      reason: TERMINAL_STATES.has(state)
        ? `job already ${state}; event "${event}" ignored`
        : `event "${event}" is not allowed in state "${state}"`,
    };
  }
  return { ok: true, next: entry.next, actions: entry.actions };
}

export function isTerminal(state: JobState): boolean {
  return TERMINAL_STATES.has(state);
}
