// The one spooler interface: what the agent's pipeline needs from a print spooler (CUPS,
// Windows, a hot folder), whatever the platform. An adapter stops every job at its gate,
// reports it as a JobArrived, and then lets it print (release), cancels it, or keeps it
// waiting, as the agent decides. Adapter details (IPP, queue names, policies) never leak
// through this file.
//
// Contract:
// - Expected outcomes of actions and jobStatus (the job is gone, the spooler refused, it
//   is unreachable) come back as values, never as exceptions. listHeld() and queues(),
//   which have nothing to return without the spooler, throw PrintgateError
//   SPOOLER_UNAVAILABLE when it cannot be reached; any other exception means a bug or a
//   broken installation. start() succeeds even while the spooler is down (a 'warning'
//   is emitted): jobs are noticed once it is back.
// - 'job' is emitted once per job and adapter lifetime, as soon as the job is complete
//   at the gate (its document fully spooled). After an agent restart, listHeld() returns
//   the jobs still waiting; the agent de-duplicates by (queue, spoolerJobId), because a
//   job may also be emitted by the watcher while listHeld() runs.
// - 'jobState' is emitted when a job the adapter has seen leaves the spooler for good
//   (completed, aborted, cancelled), with the impressions printed when the spooler knows.
// - Every method may be called concurrently for different jobs. close() is idempotent.

import type { EventEmitter } from 'node:events';

/** Identifies a job in one spooler: the queue the user printed to and the spooler's id. */
export interface JobRef {
  readonly queue: string;
  readonly spoolerJobId: string;
}

export type Sides = 'one-sided' | 'two-sided-long-edge' | 'two-sided-short-edge' | '';
export type ColorMode = 'color' | 'monochrome' | 'auto' | '';

/** A job waiting at the gate. Field names map 1:1 onto shared/protocol JobAttributes. */
export interface JobArrived extends JobRef {
  /** The user the spooler reports (CUPS: job-originating-user-name). */
  readonly user: string;
  /** Where the job came from (CUPS: job-originating-host-name); '' when unknown. */
  readonly host: string;
  /** Document name / job title; '' when none. */
  readonly title: string;
  /** MIME type the client declared, e.g. application/pdf; '' when unknown. */
  readonly documentFormat: string;
  /** Requested copies, at least 1. */
  readonly copies: number;
  /** Requested pages per sheet, at least 1. */
  readonly numberUp: number;
  /** Requested page ranges as IPP writes them, "1-3,7"; '' means all pages. */
  readonly pageRanges: string;
  /** Requested sides; '' when the user did not say (the queue default applies). */
  readonly sides: Sides;
  /** Requested colour mode; '' when the user did not say. */
  readonly colorMode: ColorMode;
  /** Requested media as the spooler names it, e.g. iso_a4_210x297mm; '' when not said. */
  readonly media: string;
  /** Absolute path of the (first) spooled document, readable by the agent. */
  readonly documentPath: string;
  /** All documents of the job, in order (most jobs have one: documentPaths[0] = documentPath). */
  readonly documentPaths: readonly string[];
  /** Total size of the spooled documents in bytes. */
  readonly sizeBytes: number;
  /** When the spooler received the job, in ms since the epoch. */
  readonly submittedAt: number;
}

/** Changes applied to a job before it is let through (forced duplex, forced grayscale). */
export interface ReleaseChanges {
  readonly sides?: Exclude<Sides, '' | 'one-sided'> | 'one-sided';
  readonly colorMode?: 'monochrome' | 'color';
}

/** Why an operation did not happen. */
export type SpoolerFailure =
  /** The job no longer exists at the spooler (purged, cancelled by an administrator). */
  | 'gone'
  /** The job exists but is no longer waiting at the gate (already released or finished). */
  | 'not-held'
  /** The spooler answered and refused (permissions, bad attribute value, queue missing). */
  | 'refused'
  /** The spooler could not be reached or did not answer in time: try again later. */
  | 'unavailable';

export type SpoolerOutcome =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: SpoolerFailure; readonly message: string };

/** The end of a job, as the spooler reports it. */
export type FinalState = 'completed' | 'aborted' | 'cancelled';

export interface JobFinished extends JobRef {
  readonly state: FinalState;
  /** Impressions (page sides) printed, all copies, when the spooler knows; else undefined. */
  readonly impressions: number | undefined;
  /** The spooler's last message about the job ('' when none). */
  readonly message: string;
  /** When the spooler says the job ended, in ms since the epoch. */
  readonly at: number;
}

/** Where a job stands, for reconciliation after a restart. */
export type JobStatus =
  | { readonly ok: true; readonly stage: 'held' | 'released'; readonly message: string }
  | { readonly ok: true; readonly stage: 'finished'; readonly finished: JobFinished }
  | { readonly ok: false; readonly reason: SpoolerFailure; readonly message: string };

/** A queue the adapter sees; managed = under printgate's gate. */
export interface QueueInfo {
  readonly name: string;
  readonly managed: boolean;
  readonly description: string;
  readonly location: string;
  readonly makeAndModel: string;
  /** Whether the printer can print colour / two-sided, as the spooler describes it. */
  readonly colorSupported: boolean;
  readonly duplexSupported: boolean;
  /** Whether the printer that really prints is ready (not stopped, accepting). */
  readonly ready: boolean;
}

/** Events of a spooler, for a typed EventEmitter. */
export interface SpoolerEvents {
  job: [job: JobArrived];
  jobState: [finished: JobFinished];
  /** A non-fatal problem the adapter recovered from (logged by the agent). */
  warning: [error: Error];
}

export interface Spooler extends Pick<EventEmitter<SpoolerEvents>, 'on' | 'off' | 'once'> {
  /** Short name of the platform, e.g. 'cups'. */
  readonly kind: string;
  /** Start watching: resolves once new jobs will be noticed. */
  start(): Promise<void>;
  /** Stop watching and release everything; idempotent. */
  close(): Promise<void>;
  /** Jobs waiting at the gate right now (for pick-up after an agent restart). */
  listHeld(): Promise<JobArrived[]>;
  /** Where a job stands now (held at the gate, released, or finished). */
  jobStatus(job: JobRef): Promise<JobStatus>;
  /** Let the job print, after applying the changes. */
  release(job: JobRef, changes?: ReleaseChanges): Promise<SpoolerOutcome>;
  /** Cancel the job, telling the user why wherever the spooler allows. */
  cancel(job: JobRef, reason: string): Promise<SpoolerOutcome>;
  /** Keep the job waiting at the gate, with an optional message for the user. */
  keepHeld(job: JobRef, message?: string): Promise<SpoolerOutcome>;
  /**
   * Replace the job's (first) document before release (e.g. with a watermarked copy),
   * keeping the spool file's owner and mode. `source` is the new content or a file path.
   */
  replaceDocument(job: JobRef, source: Uint8Array | string): Promise<SpoolerOutcome>;
  /** The queues this spooler has, managed or not. */
  queues(): Promise<QueueInfo[]>;
}

export const OK: SpoolerOutcome = Object.freeze({ ok: true });

/** A failed outcome. */
export function failed(reason: SpoolerFailure, message: string): SpoolerOutcome {
  return { ok: false, reason, message };
}
