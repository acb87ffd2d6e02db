// What every service module shares: the storage, the injected clock, the caches, and the
// in-process notifier that wakes long-polling agents when an event for them is written.

import { EventEmitter } from 'node:events';
import type { Storage } from '../storage/port.ts';
import type { Caches } from './cache.ts';

export interface Core {
  readonly db: Storage;
  readonly clock: () => number;
  readonly caches: Caches;
  /** Emits `agent:<id>` after an event for that agent committed. */
  readonly notifier: EventEmitter;
  /** How often a waiting poll re-reads the database (events from other processes). */
  readonly eventRecheckMs: number;
  /** Aborted by close(). */
  readonly closing: AbortSignal;
}
