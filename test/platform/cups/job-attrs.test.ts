// Pure mapping of CUPS job attributes to JobArrived / final states, and spool file names.
import t from 'tap';
import { a, attr, type IppAttribute } from '../../../platform/cups/ipp-message.ts';
import { ValueTag } from '../../../platform/cups/ipp-tags.ts';
import { finalState, impressions, isWaiting, queueFromUri, toJobArrived } from '../../../platform/cups/job-attrs.ts';
import { parseSpoolName, spoolDocumentPath } from '../../../platform/cups/watcher.ts';

const base = (...more: IppAttribute[]): IppAttribute[] => [
  a.integer('job-id', 42),
  a.uri('job-printer-uri', 'ipp://localhost:631/printers/Lab%20A'),
  a.enumeration('job-state', 3),
  a.keyword('job-state-reasons', 'printer-stopped'),
  a.name('job-originating-user-name', 'alice'),
  a.name('job-originating-host-name', '10.0.0.7'),
  a.name('job-name', 'report'),
  a.mime('document-format', 'application/pdf'),
  a.integer('time-at-creation', 1_790_000_000),
  ...more,
];

t.test('JobArrived from job attributes', async (t) => {
  const job = toJobArrived(base(
    a.integer('copies', 2),
    a.integer('number-up', 4),
    a.range('page-ranges', { lower: 1, upper: 3 }, { lower: 7, upper: 7 }),
    a.keyword('sides', 'two-sided-short-edge'),
    a.keyword('print-color-mode', 'monochrome'),
    a.keyword('media', 'iso_a4_210x297mm'),
  ), [{ path: '/s/d00042-001', size: 100 }, { path: '/s/d00042-002', size: 23 }]);
  t.same(job, {
    queue: 'Lab A',
    spoolerJobId: '42',
    user: 'alice',
    host: '10.0.0.7',
    title: 'report',
    documentFormat: 'application/pdf',
    copies: 2,
    numberUp: 4,
    pageRanges: '1-3,7',
    sides: 'two-sided-short-edge',
    colorMode: 'monochrome',
    media: 'iso_a4_210x297mm',
    documentPath: '/s/d00042-001',
    documentPaths: ['/s/d00042-001', '/s/d00042-002'],
    sizeBytes: 123,
    submittedAt: 1_790_000_000_000,
  });
});

t.test('defaults when the user said nothing; media from media-col; unknown values dropped', async (t) => {
  const job = toJobArrived(base(
    attr('media-col', ValueTag.begCollection, [a.keyword('media-size-name', 'na_letter_8.5x11in')]),
    a.keyword('sides', 'three-sided'),
    a.integer('copies', 0),
  ), []);
  t.equal(job.copies, 1);
  t.equal(job.numberUp, 1);
  t.equal(job.pageRanges, '');
  t.equal(job.sides, '');
  t.equal(job.colorMode, '');
  t.equal(job.media, 'na_letter_8.5x11in');
  t.equal(job.documentPath, '');
  t.equal(job.sizeBytes, 0);
});

t.test('waiting, incoming and final states', async (t) => {
  t.ok(isWaiting(base()));
  const incoming = base().map((x) => (x.name === 'job-state-reasons' ? a.keyword('job-state-reasons', 'job-incoming') : x));
  t.notOk(isWaiting(incoming), 'a job still receiving documents is not reported yet');
  const state = (n: number, imp?: number) => base().map((x) => (x.name === 'job-state' ? a.enumeration('job-state', n) : x)).concat(imp === undefined ? [] : [a.integer('job-impressions-completed', imp)]);
  t.ok(isWaiting(state(4)), 'pending-held waits too');
  t.equal(finalState(state(9)), 'completed');
  t.equal(finalState(state(8)), 'aborted');
  t.equal(finalState(state(7)), 'cancelled');
  t.equal(finalState(state(5)), undefined);
  t.notOk(isWaiting(state(5)));
  t.equal(impressions(state(9, 6)), 6);
  t.equal(impressions(state(9, 0)), undefined, 'a completed job with no count is unknown, not zero');
  t.equal(impressions(state(7, 0)), 0, 'cancelled before printing: zero');
  t.equal(impressions(state(9)), undefined);
});

t.test('queue names from URIs and spool names', async (t) => {
  t.equal(queueFromUri('ipp://h/printers/lab'), 'lab');
  t.equal(queueFromUri('ipp://h:631/classes/all?x'), 'all');
  t.equal(queueFromUri('ipp://h/jobs/3'), '');
  t.same(parseSpoolName('d00012-001'), { jobId: 12, document: 1 });
  t.same(parseSpoolName('d123456-002'), { jobId: 123456, document: 2 });
  t.equal(parseSpoolName('c00012'), undefined);
  t.equal(parseSpoolName('d0001-001'), undefined);
  t.equal(parseSpoolName('.printgate-12-99'), undefined);
  t.equal(spoolDocumentPath('/var/spool/cups/', 12), '/var/spool/cups/d00012-001');
  t.equal(spoolDocumentPath('/s', 123456, 3), '/s/d123456-003');
});
