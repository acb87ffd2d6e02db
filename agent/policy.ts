// Per-printer policy as the server last gave it (RegisterResponse / HeartbeatResponse):
// failure mode and watermark settings, keyed by queue. Cached on disk so that an agent
// started while the server is down still knows each printer's failure mode. The cache file
// is replaced atomically (write, fsync, rename), so a crash leaves the old or the new copy.

import { readFileSync } from 'node:fs';
import { mkdir, open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pb } from '../shared/protocol/index.ts';

export type FailureMode = 'ALLOW_AND_LOG_NOTHING' | 'ALLOW_AND_LOG_LATER' | 'HOLD_UNTIL_RECONNECTED';

export interface QueuePolicy {
  queue: string;
  failureMode: FailureMode;
  watermark: boolean;
  watermarkTemplate: string;
  watermarkRequired: boolean;
}

/** What a queue the server has not told us about gets (the protocol's UNSPECIFIED). */
export const DEFAULT_FAILURE_MODE: FailureMode = 'ALLOW_AND_LOG_LATER';

/** The PrinterPolicy fields we read, as the client decodes them (enum as number or name). */
export interface PrinterPolicyLike {
  queue?: string | null;
  failureMode?: number | string | null;
  watermark?: boolean | null;
  watermarkTemplate?: string | null;
  watermarkRequired?: boolean | null;
}

export function failureModeOf(value: number | string | null | undefined): FailureMode {
  const name = typeof value === 'number' ? pb.FailureMode[value] : value;
  return name === 'ALLOW_AND_LOG_NOTHING' || name === 'HOLD_UNTIL_RECONNECTED' || name === 'ALLOW_AND_LOG_LATER' ? name : DEFAULT_FAILURE_MODE;
}

export function toQueuePolicy(p: PrinterPolicyLike): QueuePolicy {
  return {
    queue: p.queue ?? '',
    failureMode: failureModeOf(p.failureMode),
    watermark: p.watermark === true,
    watermarkTemplate: p.watermarkTemplate ?? '',
    watermarkRequired: p.watermarkRequired === true,
  };
}

interface CacheFile {
  agent: string;
  savedAt: number;
  printers: QueuePolicy[];
}

export class PolicyStore {
  private readonly path: string | undefined;
  private byQueue = new Map<string, QueuePolicy>();
  private saved = '';
  /** The agent's name on the server, as last registered ('' before the first registration). */
  agent = '';

  /** path undefined: memory only (tests). */
  constructor(path?: string) {
    this.path = path;
  }

  /** Load the cache; a missing or unreadable file leaves the store empty. */
  load(): this {
    if (!this.path) return this;
    try {
      const data = JSON.parse(readFileSync(this.path, 'utf8')) as CacheFile;
      this.agent = typeof data.agent === 'string' ? data.agent : '';
      this.byQueue = new Map((data.printers ?? []).map((p) => [p.queue, toQueuePolicy(p)]));
      this.saved = this.serialise();
    } catch {
      // no cache yet (first start) or a damaged one: the defaults apply until the server answers
    }
    return this;
  }

  get(queue: string): QueuePolicy {
    return this.byQueue.get(queue) ?? { queue, failureMode: DEFAULT_FAILURE_MODE, watermark: false, watermarkTemplate: '', watermarkRequired: false };
  }

  all(): QueuePolicy[] {
    return [...this.byQueue.values()];
  }

  /** Take the server's list (it is complete: queues it omits keep their last policy). */
  async update(printers: readonly PrinterPolicyLike[], agent?: string): Promise<void> {
    for (const p of printers) {
      const q = toQueuePolicy(p);
      if (q.queue !== '') this.byQueue.set(q.queue, q);
    }
    if (agent) this.agent = agent;
    await this.persist();
  }

  private serialise(): string {
    const printers = [...this.byQueue.values()].sort((a, b) => (a.queue < b.queue ? -1 : a.queue > b.queue ? 1 : 0)); // not localeCompare: ICU costs RSS
    return JSON.stringify({ agent: this.agent, printers });
  }

  private async persist(): Promise<void> {
    const text = this.serialise();
    if (!this.path || text === this.saved) return;
    const file: CacheFile = { ...(JSON.parse(text) as Omit<CacheFile, 'savedAt'>), savedAt: Date.now() };
    await mkdir(dirname(this.path), { recursive: true, mode: 0o750 });
    const tmp = `${this.path}.tmp`;
    const h = await open(tmp, 'w', 0o600);
    try {
      await h.writeFile(JSON.stringify(file, null, 1) + '\n');
      await h.datasync();
    } finally {
      await h.close();
    }
    await rename(tmp, this.path);
    this.saved = text;
  }
}
