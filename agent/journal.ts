// The agent's durable local journal: what it must not forget about a job if it, the
// machine or the server goes down. One append-only file; one line per record:
//
//   <crc32 of the JSON, 8 hex digits> <JSON>\n
//
// Records are merged by job key into one entry per job:
//   {t:'auth', key, queue, spoolerJobId, request}    the authorize request as first sent
//                                                    (so a retry after a restart is the
//                                                    same request under the same key)
//   {t:'release', key, mode, jobId?, at}             the job is about to be let through:
//                                                    online (server job id known) or
//                                                    offline (to replay). fsync'd BEFORE
//                                                    the release.
//   {t:'end', key, jobId?, end:{outcome, impressions, at, note}}  how it ended; fsync'd
//   {t:'ack', key}                                   the server acknowledged: entry gone
//   {t:'entry', ...}                                 a whole entry, written by compaction
//
// Crash rules: a final line without its newline (a torn write) or with a bad checksum is
// ignored; the file is cut back to the last good newline before anything is appended, so a
// new record is never glued to a torn one. A bad line in the middle is skipped and counted.
// Replaying is idempotent because every server call made from an entry carries the job's
// idempotency key: an entry whose ack was lost is simply sent again.
// Compaction (at open, and when the file grows past a limit) rewrites only the live entries into a
// temporary file, fsyncs it, renames it over the journal and fsyncs the directory.

import { open, rename, mkdir, type FileHandle } from 'node:fs/promises';
import { openSync, closeSync, fsyncSync } from 'node:fs';
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';

export type Outcome = 'PRINTED' | 'FAILED' | 'CANCELLED';

export interface JobEnd {
  outcome: Outcome;
  /** Impressions printed (all copies), 0 when unknown. */
  impressions: number;
  at: number;
  note: string;
}

/** Everything the journal remembers about one job. */
export interface JournalEntry {
  key: string;
  queue: string;
  spoolerJobId: string;
  /** The authorize request as first sent (plain protobuf-JSON-able object). */
  request?: Record<string, unknown>;
  /** online: released on the server's ALLOW; offline: released by ALLOW_AND_LOG_LATER. */
  mode?: 'online' | 'offline';
  jobId?: string;
  releasedAt?: number;
  end?: JobEnd;
}

export type JournalRecord =
  | { t: 'auth'; key: string; queue: string; spoolerJobId: string; request: Record<string, unknown> }
  | { t: 'release'; key: string; queue: string; spoolerJobId: string; mode: 'online' | 'offline'; jobId?: string; at: number }
  | { t: 'end'; key: string; end: JobEnd; jobId?: string }
  | { t: 'ack'; key: string }
  | ({ t: 'entry' } & JournalEntry);

export interface JournalOptions {
  /** Flush a file handle to disk (tests count calls); default fdatasync. */
  sync?: (handle: FileHandle) => Promise<void>;
  /** Told about skipped damaged lines. */
  warn?: (message: string) => void;
  /** Compact the file once it grows past this many bytes (default 1 MiB). */
  compactAt?: number;
}

export interface LoadReport {
  records: number;
  /** A torn (unterminated or damaged) final line was ignored and cut off. */
  tornTail: boolean;
  /** Damaged lines in the middle that were skipped. */
  corrupt: number;
}

function encodeLine(record: JournalRecord): string {
  const json = JSON.stringify(record);
  return `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
}

function decodeLine(line: string): JournalRecord | undefined {
  if (line.length < 10 || line[8] !== ' ') return undefined;
  const json = line.slice(9);
  if (crc32(json).toString(16).padStart(8, '0') !== line.slice(0, 8)) return undefined;
  try {
    const r = JSON.parse(json) as JournalRecord;
    return typeof r === 'object' && r !== null && typeof r.key === 'string' && typeof r.t === 'string' ? r : undefined;
  } catch {
    return undefined;
  }
}

/** Fold one record into the entry map. */
function apply(entries: Map<string, JournalEntry>, r: JournalRecord): void {
  if (r.t === 'ack') { entries.delete(r.key); return; }
  const e = entries.get(r.key) ?? { key: r.key, queue: '', spoolerJobId: '' };
  switch (r.t) {
    case 'auth': e.queue = r.queue; e.spoolerJobId = r.spoolerJobId; e.request = r.request; break;
    case 'release':
      e.queue = r.queue; e.spoolerJobId = r.spoolerJobId; e.mode = r.mode; e.releasedAt = r.at;
      if (r.jobId !== undefined) e.jobId = r.jobId;
      break;
    case 'end': e.end = r.end; if (r.jobId !== undefined) e.jobId = r.jobId; break;
    case 'entry': { const { t: _t, ...rest } = r; Object.assign(e, rest); break; }
    default: return; // an unknown record kind from a newer version: ignore it
  }
  entries.set(r.key, e);
}

/** Parse journal text into live entries; pure, for tests and for open(). */
export function parseJournal(text: string): { entries: Map<string, JournalEntry>; report: LoadReport } {
  const entries = new Map<string, JournalEntry>();
  const report: LoadReport = { records: 0, tornTail: false, corrupt: 0 };
  let pos = 0;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    if (nl < 0) { report.tornTail = true; break; } // unterminated: the write was cut short
    const line = text.slice(pos, nl);
    const record = decodeLine(line);
    const last = nl + 1 >= text.length;
    if (record) { apply(entries, record); report.records++; }
    else if (line.length > 0) { if (last) report.tornTail = true; else report.corrupt++; }
    pos = nl + 1;
  }
  return { entries, report };
}

export class Journal {
  readonly path: string;
  readonly loadReport: LoadReport;
  private readonly entriesByKey: Map<string, JournalEntry>;
  private handle: FileHandle | undefined;
  private readonly sync: (handle: FileHandle) => Promise<void>;
  private chain: Promise<void> = Promise.resolve();
  private bytes = 0;
  private readonly compactAt: number;

  private constructor(path: string, entries: Map<string, JournalEntry>, report: LoadReport, handle: FileHandle, options: JournalOptions) {
    this.path = path;
    this.entriesByKey = entries;
    this.loadReport = report;
    this.handle = handle;
    this.sync = options.sync ?? ((h) => h.datasync());
    this.compactAt = options.compactAt ?? 1024 * 1024;
  }

  /** Open (creating) the journal, load its live entries and compact it. */
  static async open(path: string, options: JournalOptions = {}): Promise<Journal> {
    await mkdir(dirname(path), { recursive: true, mode: 0o750 });
    let text = '';
    try {
      const h = await open(path, 'r');
      try { text = await h.readFile('utf8'); } finally { await h.close(); }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const { entries, report } = parseJournal(text);
    if (report.corrupt > 0) options.warn?.(`journal ${path}: skipped ${report.corrupt} damaged line(s)`);
    if (report.tornTail) options.warn?.(`journal ${path}: ignored a torn final record`);
    // Compaction also cuts off a torn tail, so appends always start on a fresh line.
    await Journal.rewrite(path, entries, options);
    const handle = await open(path, 'a', 0o600);
    const journal = new Journal(path, entries, report, handle, options);
    journal.bytes = (await handle.stat()).size;
    return journal;
  }

  private static async rewrite(path: string, entries: Map<string, JournalEntry>, options: JournalOptions): Promise<void> {
    const tmp = `${path}.tmp`;
    const h = await open(tmp, 'w', 0o600);
    try {
      let text = '';
      for (const e of entries.values()) text += encodeLine({ t: 'entry', ...e });
      await h.writeFile(text);
      await (options.sync ?? ((x: FileHandle) => x.datasync()))(h);
    } finally {
      await h.close();
    }
    await rename(tmp, path);
    // The rename itself must reach the disk: fsync the directory.
    const dfd = openSync(dirname(path), 'r');
    try { fsyncSync(dfd); } finally { closeSync(dfd); }
  }

  /** Live entries (not acknowledged), in first-seen order. */
  entries(): JournalEntry[] {
    return [...this.entriesByKey.values()].map((e) => ({ ...e }));
  }

  get(key: string): JournalEntry | undefined {
    const e = this.entriesByKey.get(key);
    return e ? { ...e } : undefined;
  }

  get size(): number {
    return this.entriesByKey.size;
  }

  /** Offline records not yet replayed (for the heartbeat's journal_backlog). */
  backlog(): number {
    let n = 0;
    for (const e of this.entriesByKey.values()) if (e.mode === 'offline') n++;
    return n;
  }

  /**
   * Append one record. With durable=true it is on disk when the promise resolves.
   * Appends are serialised: the file's order is the call order.
   */
  append(record: JournalRecord, durable: boolean): Promise<void> {
    const run = async () => {
      const h = this.handle;
      if (!h) throw new Error('journal is closed');
      const line = encodeLine(record);
      await h.write(line);
      this.bytes += Buffer.byteLength(line);
      if (durable) await this.sync(h);
      apply(this.entriesByKey, record);
      // Keep the file small on a server that is never idle: nothing left to remember →
      // start afresh; grown past the limit → rewrite only the live entries.
      if (this.entriesByKey.size === 0 && this.bytes > 256 * 1024) {
        await h.truncate(0);
        this.bytes = 0;
      } else if (this.bytes > this.compactAt) {
        await h.close();
        this.handle = undefined;
        try {
          await Journal.rewrite(this.path, this.entriesByKey, { sync: this.sync });
        } finally {
          // A failed rewrite leaves the old file in place: keep appending to it.
          this.handle = await open(this.path, 'a', 0o600);
          this.bytes = (await this.handle.stat()).size;
        }
      }
    };
    const p = this.chain.then(run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** Close the file; idempotent. */
  async close(): Promise<void> {
    await this.chain;
    const h = this.handle;
    this.handle = undefined;
    if (h) await h.close();
  }
}
