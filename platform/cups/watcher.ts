// Notices CUPS spool documents as they appear and disappear: chokidar on the spool
// directory (inotify on Linux: no polling, so an idle agent costs no CPU). cupsd writes a
// job's document to its TempDir and renames it to dNNNNN-DDD, so the 'add' event comes
// with the whole file. Only document files are reported; control files (cNNNNN), the
// tmp/ directory and our own temporary files are ignored.

import { basename } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';

export interface SpoolEvent {
  readonly kind: 'add' | 'unlink';
  readonly jobId: number;
  /** 1-based document number within the job. */
  readonly document: number;
  readonly path: string;
}

const DOC = /^d(\d{5,})-(\d{3,})$/;

/** Parse a spool document's file name (d00012-001 → job 12, document 1). */
export function parseSpoolName(name: string): { jobId: number; document: number } | undefined {
  const m = DOC.exec(name);
  if (!m) return undefined;
  return { jobId: Number(m[1]), document: Number(m[2]) };
}

/** The spool path of a job's document, as cupsd names it. */
export function spoolDocumentPath(spoolDir: string, jobId: number, document = 1): string {
  return `${spoolDir.replace(/\/+$/, '')}/d${String(jobId).padStart(5, '0')}-${String(document).padStart(3, '0')}`;
}

export class SpoolWatcher {
  private watcher: FSWatcher | undefined;
  private readonly dir: string;
  private readonly onEvent: (e: SpoolEvent) => void;
  private readonly onError: (e: Error) => void;

  constructor(dir: string, onEvent: (e: SpoolEvent) => void, onError: (e: Error) => void) {
    this.dir = dir.replace(/\/+$/, '');
    this.onEvent = onEvent;
    this.onError = onError;
  }

  /** Resolves once the watch is in place (later documents will be noticed). */
  async start(): Promise<void> {
    if (this.watcher) return;
    const root = this.dir;
    const w = watch(root, {
      ignoreInitial: true,
      depth: 0,
      persistent: true,
      atomic: false, // no 100 ms delay on unlink: we want to know at once
      // Only the directory itself and document files; never the tmp/ subdirectory.
      ignored: (path: string) => path !== root && !DOC.test(basename(path)),
    });
    this.watcher = w;
    const emit = (kind: SpoolEvent['kind']) => (path: string) => {
      const parsed = parseSpoolName(basename(path));
      if (parsed) this.onEvent({ kind, path, ...parsed });
    };
    w.on('add', emit('add'));
    w.on('unlink', emit('unlink'));
    w.on('error', (err: unknown) => this.onError(err instanceof Error ? err : new Error(String(err))));
    await new Promise<void>((resolve) => w.once('ready', () => resolve()));
  }

  async close(): Promise<void> {
    const w = this.watcher;
    this.watcher = undefined;
    if (w) await w.close();
  }
}
