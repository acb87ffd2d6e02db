// The durable journal: records survive a reopen, a torn final line (a crash mid-write) is
// ignored and cut off before the next append, damaged middle lines are skipped, durable
// appends are flushed before they resolve, and acknowledged entries disappear.
import t from 'tap';
import { appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Journal, parseJournal, type JournalRecord } from '../../agent/journal.ts';

const auth = (key: string): JournalRecord => ({ t: 'auth', key, queue: 'q', spoolerJobId: key, request: { idempotencyKey: key } });
const release = (key: string, mode: 'online' | 'offline' = 'offline'): JournalRecord =>
  ({ t: 'release', key, queue: 'q', spoolerJobId: key, mode, jobId: mode === 'online' ? `J${key}` : undefined, at: 1000 } as JournalRecord);

t.test('records merge per job and survive a reopen', async (t) => {
  const dir = t.testdir();
  const path = join(dir, 'journal.log');
  const j = await Journal.open(path);
  await j.append(auth('a'), false);
  await j.append(release('a'), true);
  await j.append(auth('b'), false);
  await j.append(release('b', 'online'), true);
  await j.append({ t: 'end', key: 'a', end: { outcome: 'PRINTED', impressions: 3, at: 2000, note: '' } }, true);
  await j.append({ t: 'ack', key: 'b' }, false);
  t.equal(j.size, 1);
  t.equal(j.backlog(), 1);
  await j.close();
  await j.close(); // idempotent

  const again = await Journal.open(path);
  t.same(again.entries(), [{
    key: 'a', queue: 'q', spoolerJobId: 'a', request: { idempotencyKey: 'a' }, mode: 'offline', releasedAt: 1000,
    end: { outcome: 'PRINTED', impressions: 3, at: 2000, note: '' },
  }]);
  t.equal(again.loadReport.tornTail, false);
  // The reopen compacted the file: one whole-entry line for the one live job.
  const text = await readFile(path, 'utf8');
  t.equal(text.trim().split('\n').length, 1);
  t.match(text, /"t":"entry"/);
  await again.close();
});

t.test('a torn final line is ignored and cut off before the next append', async (t) => {
  const dir = t.testdir();
  const path = join(dir, 'journal.log');
  const j = await Journal.open(path);
  await j.append(auth('a'), true);
  await j.append(release('a'), true);
  await j.close();
  // A crash in the middle of writing the next record: half a line, no newline.
  const full = (await readFile(path, 'utf8'));
  const extra = `deadbeef {"t":"end","key":"a","end":{"outcome":"PRI`;
  await appendFile(path, extra);
  const warnings: string[] = [];
  const j2 = await Journal.open(path, { warn: (m) => warnings.push(m) });
  t.equal(j2.loadReport.tornTail, true);
  t.match(warnings.join('\n'), /torn/);
  t.equal(j2.get('a')?.end, undefined, 'the torn end record is not taken');
  t.equal(j2.get('a')?.mode, 'offline', 'the records before it are');
  await j2.append({ t: 'end', key: 'a', end: { outcome: 'FAILED', impressions: 0, at: 5, note: 'x' } }, true);
  await j2.close();
  t.notOk((await readFile(path, 'utf8')).includes('"outcome":"PRI"'), 'the fragment is gone');
  const j3 = await Journal.open(path);
  t.equal(j3.get('a')?.end?.outcome, 'FAILED', 'the record appended after the crash is read back whole');
  t.equal(j3.loadReport.tornTail, false);
  await j3.close();
  t.ok(full.length > 0);
});

t.test('a damaged line in the middle is skipped, the rest is kept', async (t) => {
  // Build text through a real journal to get valid lines, then damage one byte of line 2.
  const dir = t.testdir();
  const path = join(dir, 'j.log');
  await writeFile(path, '');
  const j = await Journal.open(path);
  await j.append(auth('a'), false);
  await j.append(auth('b'), false);
  await j.append(auth('c'), false);
  await j.close();
  const lines = (await readFile(path, 'utf8')).split('\n');
  lines[1] = lines[1]!.replace('"b"', '"B"');
  const parsed = parseJournal(lines.join('\n'));
  t.equal(parsed.report.corrupt, 1);
  t.same([...parsed.entries.keys()], ['a', 'c']);
  t.equal(parsed.report.tornTail, false);
  // Garbage that is not even a record.
  t.equal(parseJournal('hello\n').report.corrupt + (parseJournal('hello\n').report.tornTail ? 1 : 0), 1);
  t.equal(parseJournal('').entries.size, 0);
});

t.test('durable appends are flushed before they resolve; others are not', async (t) => {
  const dir = t.testdir();
  const order: string[] = [];
  const j = await Journal.open(join(dir, 'j.log'), {
    sync: async (h) => { order.push('sync'); await h.datasync(); },
  });
  order.length = 0; // the compaction at open syncs too
  await j.append(auth('a'), false);
  order.push('auth written');
  await j.append(release('a'), true);
  order.push('release resolved');
  t.same(order, ['auth written', 'sync', 'release resolved']);
  await j.close();
});

t.test('appends keep call order when not awaited one by one', async (t) => {
  const dir = t.testdir();
  const path = join(dir, 'j.log');
  const j = await Journal.open(path);
  await Promise.all([j.append(auth('a'), false), j.append(release('a'), true), j.append({ t: 'ack', key: 'a' }, false)]);
  t.equal(j.size, 0, 'auth, release, ack applied in order');
  await j.close();
  const j2 = await Journal.open(path);
  t.equal(j2.size, 0);
  await j2.close();
});

t.test('append after close fails loudly', async (t) => {
  const j = await Journal.open(join(t.testdir(), 'j.log'));
  await j.close();
  await t.rejects(j.append(auth('a'), false), /closed/);
});

t.test('a journal that is never empty is compacted once it grows past its limit', async (t) => {
  const dir = t.testdir();
  const path = join(dir, 'j.log');
  const j = await Journal.open(path, { compactAt: 4096 });
  await j.append(auth('keep'), true); // one job stays in flight the whole time
  for (let i = 0; i < 200; i++) {
    await j.append(auth(`k${i}`), false);
    await j.append(release(`k${i}`), true);
    await j.append({ t: 'ack', key: `k${i}` }, false);
  }
  t.equal(j.size, 1);
  const { size } = await stat(path);
  t.ok(size < 8192, `the file stayed small (${size} bytes)`);
  await j.append(release('keep'), true);
  await j.close();
  const again = await Journal.open(path);
  t.same(again.entries().map((e) => [e.key, e.mode]), [['keep', 'offline']], 'the live entry survived every compaction');
  await again.close();
});
