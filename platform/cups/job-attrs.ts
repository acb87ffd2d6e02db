// Pure mapping from CUPS job attributes (Get-Job-Attributes / Get-Jobs) to the spooler
// interface's shapes: which queue a job is on, whether it waits at the gate, the
// JobArrived fields, and the final state. No I/O.

import type { ColorMode, FinalState, JobArrived, Sides } from '../spooler.ts';
import { find, num, str, toDate, type IppAttribute, type IppDateTime, type IppRange } from './ipp-message.ts';
import { JobState } from './ipp-tags.ts';

/** What we ask CUPS for about a job. */
export const JOB_ATTRS = [
  'job-id',
  'job-printer-uri',
  'job-state',
  'job-state-reasons',
  'job-state-message',
  'job-originating-user-name',
  'job-originating-host-name',
  'job-name',
  'document-format',
  'document-format-supplied',
  'document-format-detected',
  'number-of-documents',
  'copies',
  'sides',
  'print-color-mode',
  'media',
  'media-col',
  'number-up',
  'page-ranges',
  'time-at-creation',
  'date-time-at-creation',
  'time-at-completed',
  'job-impressions-completed',
  'job-k-octets',
] as const;

/** The queue name in a printer URI (…/printers/NAME or …/classes/NAME). */
export function queueFromUri(uri: string): string {
  const m = /\/(?:printers|classes)\/([^/?#]+)/.exec(uri);
  return m ? decodeURIComponent(m[1]!) : '';
}

export function jobQueue(attrs: readonly IppAttribute[]): string {
  return queueFromUri(str(attrs, 'job-printer-uri'));
}

export function jobState(attrs: readonly IppAttribute[]): number {
  return num(attrs, 'job-state', 0)!;
}

export function stateReasons(attrs: readonly IppAttribute[]): string[] {
  return (find(attrs, 'job-state-reasons')?.values ?? []).map((v) => v.value).filter((v): v is string => typeof v === 'string');
}

/** Pending or held, and not still receiving documents (Create-Job before the last Send-Document). */
export function isWaiting(attrs: readonly IppAttribute[]): boolean {
  const s = jobState(attrs);
  return (s === JobState.pending || s === JobState.pendingHeld) && !isIncoming(attrs);
}

export function isIncoming(attrs: readonly IppAttribute[]): boolean {
  return stateReasons(attrs).includes('job-incoming');
}

export function finalState(attrs: readonly IppAttribute[]): FinalState | undefined {
  switch (jobState(attrs)) {
    case JobState.completed:
      return 'completed';
    case JobState.aborted:
      return 'aborted';
    case JobState.canceled:
      return 'cancelled';
    default:
      return undefined;
  }
}

/** Impressions printed: known for cancelled/aborted jobs, and for completed ones when CUPS counted any. */
export function impressions(attrs: readonly IppAttribute[]): number | undefined {
  const n = num(attrs, 'job-impressions-completed');
  if (n === undefined) return undefined;
  return finalState(attrs) === 'completed' && n === 0 ? undefined : n;
}

function pageRanges(attrs: readonly IppAttribute[]): string {
  const ranges = (find(attrs, 'page-ranges')?.values ?? []).map((v) => v.value as IppRange).filter((r) => r && typeof r === 'object' && 'lower' in r);
  return ranges.map((r) => (r.lower === r.upper ? `${r.lower}` : `${r.lower}-${r.upper}`)).join(',');
}

function media(attrs: readonly IppAttribute[]): string {
  const m = str(attrs, 'media');
  if (m) return m;
  // media-col { media-size-name } when the client sent a collection instead.
  const col = find(attrs, 'media-col')?.values[0]?.value;
  return Array.isArray(col) ? str(col, 'media-size-name') || str(col, 'media-key') : '';
}

const SIDES = new Set<string>(['one-sided', 'two-sided-long-edge', 'two-sided-short-edge']);
const COLOR = new Set<string>(['color', 'monochrome', 'auto']);

function submittedAt(attrs: readonly IppAttribute[]): number {
  const dt = find(attrs, 'date-time-at-creation')?.values[0]?.value;
  if (dt && typeof dt === 'object' && 'year' in dt) return toDate(dt as IppDateTime).getTime();
  const t = num(attrs, 'time-at-creation');
  return t !== undefined ? t * 1000 : 0;
}

/** JobArrived from a job's attributes and its spooled documents. */
export function toJobArrived(attrs: readonly IppAttribute[], documents: readonly { path: string; size: number }[]): JobArrived {
  const sides = str(attrs, 'sides');
  const color = str(attrs, 'print-color-mode');
  const format = str(attrs, 'document-format-detected') || str(attrs, 'document-format') || str(attrs, 'document-format-supplied');
  return {
    queue: jobQueue(attrs),
    spoolerJobId: String(num(attrs, 'job-id', 0)),
    user: str(attrs, 'job-originating-user-name'),
    host: str(attrs, 'job-originating-host-name'),
    title: str(attrs, 'job-name'),
    documentFormat: format,
    copies: Math.max(1, num(attrs, 'copies', 1)!),
    numberUp: Math.max(1, num(attrs, 'number-up', 1)!),
    pageRanges: pageRanges(attrs),
    sides: (SIDES.has(sides) ? sides : '') as Sides,
    colorMode: (COLOR.has(color) ? color : '') as ColorMode,
    media: media(attrs),
    documentPath: documents[0]?.path ?? '',
    documentPaths: documents.map((d) => d.path),
    sizeBytes: documents.reduce((sum, d) => sum + d.size, 0),
    submittedAt: submittedAt(attrs),
  };
}
