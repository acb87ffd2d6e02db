// The gate on a real CUPS: after `attach`, no job reaches the virtual printer until the
// agent releases it, whatever the user tries (job-hold-until=no-hold, Create-Job +
// Send-Document, the owner releasing, holding, moving, changing or restarting the job,
// printing straight to the release queue, claiming to be root). Released jobs print with
// the forced changes; cancelled jobs say why; the watcher sees a job within ~100 ms.
import t from 'tap';
import { stat, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PDFDocument } from 'pdf-lib';
import { needs, hasCommand } from '../../helpers/system.ts';
import { startCupsRig, type CupsRig } from '../../helpers/cups-rig.ts';
import { CupsClient } from '../../../platform/cups/client.ts';
import { CupsSpooler } from '../../../platform/cups/spooler.ts';
import { attach } from '../../../platform/cups/attach.ts';
import { a, str, groupsOf } from '../../../platform/cups/ipp-message.ts';
import { GroupTag, JobState, Operation } from '../../../platform/cups/ipp-tags.ts';
import * as ops from '../../../platform/cups/ops.ts';
import type { JobArrived, JobFinished } from '../../../platform/spooler.ts';

const skip = needs('cups', hasCommand('cupsd') && hasCommand('ippeveprinter') && hasCommand('ipptool'));

async function pdf(pages: number, label: string): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.setTitle(label);
  for (let i = 0; i < pages; i++) doc.addPage([595, 842]).drawText(`${label} page ${i + 1}`, { x: 50, y: 800, size: 12 });
  return doc.save();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(get: () => T | undefined, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(5);
  }
}

/** An ipptool script: Create-Job asking for no-hold, then Send-Document, as $requser. */
const IPPTOOL_TWO_STEP = `{
  NAME "Create-Job"
  OPERATION Create-Job
  GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR language attributes-natural-language en
  ATTR uri printer-uri $uri
  ATTR name requesting-user-name $requser
  ATTR name job-name "ipptool-two-step"
  GROUP job-attributes-tag
  ATTR keyword job-hold-until no-hold
  STATUS successful-ok
  EXPECT job-id OF-TYPE integer
}
{
  NAME "Send-Document"
  OPERATION Send-Document
  GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR language attributes-natural-language en
  ATTR uri printer-uri $uri
  ATTR integer job-id $job-id
  ATTR name requesting-user-name $requser
  ATTR mimeMediaType document-format application/pdf
  ATTR boolean last-document true
  FILE $filename
  STATUS successful-ok
}
`;

/** Collects the spooler's events, and waits for a given one. */
function recorder(sp: CupsSpooler) {
  const jobs: { job: JobArrived; at: number }[] = [];
  const ends: JobFinished[] = [];
  sp.on('job', (job) => jobs.push({ job, at: performance.now() }));
  sp.on('jobState', (f) => ends.push(f));
  const until = async <T>(what: string, get: () => T | undefined, ms = 10_000): Promise<T> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = get();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(5);
    }
  };
  return {
    jobs,
    ends,
    job: (id: number) => until(`job ${id}`, () => jobs.find((j) => j.job.spoolerJobId === String(id))),
    end: (id: number) => until(`end of job ${id}`, () => ends.find((e) => e.spoolerJobId === String(id))),
  };
}

t.test('the gate on a real CUPS', { skip }, async (t) => {
  const rig: CupsRig = await startCupsRig({ queues: ['lab', 'open'] });
  t.teardown(() => rig.stop());
  const admin = new CupsClient({ server: rig.env.CUPS_SERVER, stateDir: rig.env.CUPS_STATEDIR, user: 'root' });
  t.teardown(() => admin.close());
  const { changes } = await attach({ client: admin, stateDir: join(rig.base, 'pgstate') }, 'lab');
  t.ok(changes.length > 0, 'attach changed the queue');

  const sp = new CupsSpooler({ server: rig.env.CUPS_SERVER, cupsStateDir: rig.env.CUPS_STATEDIR, spoolDir: rig.spoolDir, pollMs: 100 });
  const rec = recorder(sp);
  await sp.start();
  t.teardown(() => sp.close());

  const one = join(rig.base, 'one.pdf');
  await writeFile(one, await pdf(1, 'one'));
  const alice = new CupsClient({ server: rig.env.CUPS_SERVER, stateDir: rig.userEnv.CUPS_STATEDIR, auth: 'none', user: 'alice' });
  t.teardown(() => alice.close());

  let baseline = 0;
  const printed = async () => (await rig.receivedJobs()).length - baseline;
  const jobState = async (id: number) => {
    const attrs = await ops.getJob(admin, id, ['job-state', 'job-printer-uri']);
    return { state: attrs.find((x) => x.name === 'job-state')!.values[0]!.value as number, uri: str(attrs, 'job-printer-uri') };
  };

  t.test('a job sent with job-hold-until=no-hold waits, and the watcher sees it within ~100 ms', async (t) => {
    const before = performance.now();
    const { jobId } = await rig.lp(['-d', 'lab', '-o', 'job-hold-until=no-hold', '-t', 'Quarterly report', '-n', '2', '-o', 'sides=two-sided-long-edge', one], 'alice');
    const afterLp = performance.now();
    const seen = await rec.job(jobId);
    t.ok(seen.at - afterLp < 100, `seen ${(seen.at - afterLp).toFixed(1)} ms after lp returned (${(seen.at - before).toFixed(1)} ms after it started)`);
    const job = seen.job;
    t.match(job, { queue: 'lab', user: 'alice', title: 'Quarterly report', copies: 2, sides: 'two-sided-long-edge', documentFormat: 'application/pdf' });
    t.ok(job.host.length > 0, 'originating host');
    t.equal(job.documentPath, join(rig.spoolDir, `d${String(jobId).padStart(5, '0')}-001`));
    t.equal(job.sizeBytes, (await stat(job.documentPath)).size);
    t.ok(Math.abs(job.submittedAt - Date.now()) < 60_000, 'submittedAt is now');
    await sleep(1000);
    t.equal((await rig.receivedJobs()).length, 0, 'nothing reached the printer');
    t.equal((await jobState(jobId)).state, JobState.pending, 'still pending at the gate');
    t.same(await sp.jobStatus(job), { ok: true, stage: 'held', message: (await sp.jobStatus(job) as { message: string }).message });
  });

  t.test('Create-Job + Send-Document (as the user) is held too', async (t) => {
    const created = await alice.ipp(Operation.CreateJob, [a.uri('printer-uri', alice.printerUri('lab')), a.name('job-name', 'two-step')], {
      groups: [{ tag: GroupTag.job, attributes: [a.keyword('job-hold-until', 'no-hold')] }],
    });
    const jobId = groupsOf(created, GroupTag.job)[0]!.attributes.find((x) => x.name === 'job-id')!.values[0]!.value as number;
    await sleep(300);
    t.notOk(rec.jobs.some((j) => j.job.spoolerJobId === String(jobId)), 'not reported before its document arrived');
    await alice.ipp(Operation.SendDocument, [a.uri('printer-uri', alice.printerUri('lab')), a.integer('job-id', jobId), a.boolean('last-document', true), a.mime('document-format', 'application/pdf')], { data: await readFile(one) });
    const seen = await rec.job(jobId);
    t.equal(seen.job.title, 'two-step');
    await sleep(800);
    t.equal((await rig.receivedJobs()).length, 0, 'nothing reached the printer');
    t.equal((await jobState(jobId)).state, JobState.pending);
  });

  t.test('Create-Job + Send-Document with no-hold from ipptool (not our IPP code) is held too', async (t) => {
    const test = join(rig.base, 'two-step.test');
    await writeFile(test, IPPTOOL_TWO_STEP);
    const r = await rig.execAsUser('ipptool', ['-t', '-d', 'requser=mallory', '-f', one, `ipp://${rig.env.CUPS_SERVER}/printers/lab`, test]);
    t.match(r.stdout, /Send-Document.*\[PASS\]/s, 'ipptool created the job and sent its document');
    const seen = await until(() => rec.jobs.find((j) => j.job.title === 'ipptool-two-step'));
    t.equal(seen.job.user, 'mallory');
    await sleep(800);
    t.equal((await rig.receivedJobs()).length, 0, 'nothing reached the printer');
  });

  t.test('control: on a queue that is not attached, the owner can release a held job (what the gate prevents)', async (t) => {
    const { jobId } = await rig.lp(['-d', 'open', '-o', 'job-hold-until=indefinite', one], 'alice');
    await alice.ipp(Operation.ReleaseJob, [a.uri('printer-uri', alice.printerUri('open')), a.integer('job-id', jobId)]);
    const got = await rig.waitForReceived(1);
    t.equal(got.length, 1, 'the owner released it and it printed');
    t.notOk(rec.jobs.some((j) => j.job.spoolerJobId === String(jobId)), 'the agent is not told about jobs of unmanaged queues');
    baseline = got.length; // the tests below count received jobs from here on
  });

  t.test("the job's owner (or someone claiming to be root) cannot release, hold, move or change it", async (t) => {
    const { jobId } = await rig.lp(['-d', 'lab', '-o', 'job-hold-until=indefinite', one], 'alice');
    await rec.job(jobId);
    const target = [a.uri('printer-uri', alice.printerUri('lab')), a.integer('job-id', jobId)];
    const attempts: [string, number, { groups?: { tag: number; attributes: ReturnType<typeof a.keyword>[] }[] }][] = [
      ['Release-Job', Operation.ReleaseJob, {}],
      ['Hold-Job', Operation.HoldJob, {}],
      ['CUPS-Move-Job', Operation.CupsMoveJob, { groups: [{ tag: GroupTag.job, attributes: [a.uri('job-printer-uri', alice.printerUri('lab.printgate'))] }] }],
      ['Set-Job-Attributes job-hold-until=no-hold', Operation.SetJobAttributes, { groups: [{ tag: GroupTag.job, attributes: [a.keyword('job-hold-until', 'no-hold')] }] }],
    ];
    for (const user of ['alice', 'root']) {
      const c = new CupsClient({ server: rig.env.CUPS_SERVER, stateDir: rig.userEnv.CUPS_STATEDIR, auth: 'none', user });
      for (const [name, op, options] of attempts) {
        const who = user === 'root' ? 'someone claiming to be root' : 'the owner';
        const err = await c.ipp(op, target, options).then(() => undefined, (e: unknown) => e);
        // Refused for want of @SYSTEM credentials, not for some other reason.
        t.match(err, { code: 'SPOOLER_UNAUTHORIZED' }, `${name} as ${who} is refused: ${(err as Error | undefined)?.message}`);
      }
      c.close();
    }
    const direct = await rig.execAsUser('lp', ['-U', 'alice', '-d', 'lab.printgate', one]).then(() => '', (e: { stderr: string }) => e.stderr);
    t.match(direct, /Unauthorized|Forbidden/, 'printing straight to the release queue is refused');
    await sleep(500);
    t.equal(await printed(), 0, 'nothing reached the printer');
    const s = await jobState(jobId);
    t.equal(s.state, JobState.pendingHeld, 'still held');
    t.match(s.uri, /\/printers\/lab$/, 'still on the gate queue');
  });

  t.test('release with forced grayscale and duplex reaches the printer; completion is reported', async (t) => {
    const { jobId } = await rig.lp(['-d', 'lab', '-o', 'print-color-mode=color', one], 'bob');
    const { job } = await rec.job(jobId);
    const out = await sp.release(job, { colorMode: 'monochrome', sides: 'two-sided-long-edge' });
    t.same(out, { ok: true });
    const got = (await rig.waitForReceived(baseline + 1)).find((r) => r.attrs.IPP_JOB_ORIGINATING_USER_NAME === 'bob');
    t.ok(got, 'bob\'s job reached the printer');
    t.equal(got?.attrs.IPP_PRINT_COLOR_MODE, 'monochrome');
    t.equal(got?.attrs.IPP_SIDES, 'two-sided-long-edge');
    const end = await rec.end(jobId);
    t.equal(end.state, 'completed');
    t.same(await sp.release(job), { ok: false, reason: 'gone', message: `job ${jobId} has already ended` }, 'a second release says gone');
  });

  t.test('a held job released by the agent prints (the hold is lifted too)', async (t) => {
    const held = rec.jobs.find((j) => j.job.title === 'one.pdf' && j.job.user === 'alice');
    t.ok(held, 'the held job from the owner test');
    const before = (await rig.receivedJobs()).length;
    t.same(await sp.release(held!.job), { ok: true });
    await rig.waitForReceived(before + 1);
    t.pass('printed');
  });

  t.test('cancel says why; nothing prints', async (t) => {
    const { jobId } = await rig.lp(['-d', 'lab', '-t', 'thesis', one], 'carol');
    const { job } = await rec.job(jobId);
    const before = (await rig.receivedJobs()).length;
    t.same(await sp.cancel(job, 'Not enough credit: 0.40 EUR needed, 0.10 EUR left'), { ok: true });
    const end = await rec.end(jobId);
    t.equal(end.state, 'cancelled');
    const attrs = await ops.getJob(admin, jobId, ['job-message-from-operator', 'job-name', 'job-state']);
    t.equal(str(attrs, 'job-message-from-operator'), 'Not enough credit: 0.40 EUR needed, 0.10 EUR left');
    t.equal(str(attrs, 'job-name'), '[printgate: Not enough credit: 0.40 EUR needed, 0.10 EUR left] thesis');
    const lpstat = (await rig.execAsUser('lpstat', ['-l', '-W', 'completed', '-o', 'lab'])).stdout;
    t.match(lpstat, new RegExp(`lab-${jobId} [^\\n]*\\n\\tStatus: Not enough credit: 0\\.40 EUR needed, 0\\.10 EUR left\\n`), 'the user sees the reason in lpstat -l');
    await sleep(300);
    t.equal((await rig.receivedJobs()).length, before, 'nothing printed');
    t.same(await sp.cancel(job, 'again'), { ok: false, reason: 'gone', message: `job ${jobId} has already ended` });
  });

  t.test('keepHeld keeps the job waiting with a message; replaceDocument prints the new document', async (t) => {
    const { jobId } = await rig.lp(['-d', 'lab', one], 'dave');
    const { job } = await rec.job(jobId);
    t.same(await sp.keepHeld(job, 'Waiting for release at the web page'), { ok: true });
    t.equal(str(await ops.getJob(admin, jobId, ['job-message-from-operator']), 'job-message-from-operator'), 'Waiting for release at the web page');
    t.match((await rig.execAsUser('lpstat', ['-l', '-o', 'lab'])).stdout, /\tStatus: Waiting for release at the web page\n/, 'lpstat -l shows it');
    const before = await stat(job.documentPath);
    const three = await pdf(3, 'replaced');
    t.same(await sp.replaceDocument(job, three), { ok: true });
    const after = await stat(job.documentPath);
    t.equal(after.mode & 0o777, before.mode & 0o777, 'mode kept');
    t.equal(after.uid, before.uid, 'owner kept');
    t.equal(after.gid, before.gid, 'group kept');
    t.same(new Uint8Array(await readFile(job.documentPath)), three);
    const n = (await rig.receivedJobs()).length;
    t.same(await sp.release(job), { ok: true });
    const got = (await rig.waitForReceived(n + 1)).find((r) => r.attrs.IPP_JOB_ORIGINATING_USER_NAME === 'dave')!;
    const received = await PDFDocument.load(await readFile(got.file));
    t.equal(received.getPageCount(), 3, 'the printer got the 3-page replacement, not the 1-page original');
  });

  t.test('after a restart, listHeld returns the jobs still waiting; queues() shows the gate', async (t) => {
    const again = new CupsSpooler({ server: rig.env.CUPS_SERVER, cupsStateDir: rig.env.CUPS_STATEDIR, spoolDir: rig.spoolDir });
    await again.start();
    const held = await again.listHeld();
    const waiting = (await ops.getJobs(admin, 'lab', 'not-completed', ['job-id'])).map((x) => String(x.find((y) => y.name === 'job-id')!.values[0]!.value));
    t.same(held.map((j) => j.spoolerJobId).sort(), waiting.sort(), 'every waiting job');
    t.ok(held.length >= 2, 'the no-hold job and the Create-Job job still wait');
    const queues = await again.queues();
    t.match(queues.find((q) => q.name === 'lab'), { name: 'lab', managed: true, ready: true, colorSupported: true, duplexSupported: true });
    t.match(queues.find((q) => q.name === 'open'), { name: 'open', managed: false });
    t.same(queues.map((q) => q.name).sort(), ['lab', 'open'], 'the release queue is not listed');
    await again.close();
    await again.close();
  });

  t.test('an idle spooler costs no CPU (no polling while nothing prints)', async (t) => {
    // Released jobs are polled until they end; then nothing runs.
    await until(() => (sp.activity().inFlight === 0 ? true : undefined), 15_000);
    await sleep(200);
    t.equal(sp.activity().polling, false, 'no poll timer once nothing prints');
    const before = process.cpuUsage();
    await sleep(1000);
    const used = process.cpuUsage(before);
    const ms = (used.user + used.system) / 1000;
    t.ok(ms < 30, `${ms.toFixed(1)} ms of CPU in 1 s idle`);
  });

  t.test('a job the user cancels while held is reported as cancelled', async (t) => {
    const { jobId } = await rig.lp(['-d', 'lab', one], 'erin');
    await rec.job(jobId);
    await rig.execAsUser('cancel', ['-U', 'erin', `lab-${jobId}`]);
    const end = await rec.end(jobId);
    t.equal(end.state, 'cancelled');
  });
});

// Stock CUPS keeps documents of finished jobs for a day (PreserveJobFiles 86400), so an
// owner could Restart-Job a printed job for a free reprint: the release queue's policy
// refuses it. With kept files, a held job cancelled by its owner leaves no unlink event:
// the slow sweep reports it.
t.test('kept job files: no free reprint by Restart-Job; the sweep notices cancelled jobs', { skip }, async (t) => {
  const rig = await startCupsRig({ queues: ['lab', 'open'], preserveJobFiles: true });
  t.teardown(() => rig.stop());
  const admin = new CupsClient({ server: rig.env.CUPS_SERVER, stateDir: rig.env.CUPS_STATEDIR, user: 'root' });
  t.teardown(() => admin.close());
  await attach({ client: admin, stateDir: join(rig.base, 'pgstate') }, 'lab');
  const sp = new CupsSpooler({ server: rig.env.CUPS_SERVER, cupsStateDir: rig.env.CUPS_STATEDIR, spoolDir: rig.spoolDir, pollMs: 100, sweepMs: 300 });
  const rec = recorder(sp);
  await sp.start();
  t.teardown(() => sp.close());
  const one = join(rig.base, 'one.pdf');
  await writeFile(one, await pdf(1, 'one'));
  const alice = new CupsClient({ server: rig.env.CUPS_SERVER, stateDir: rig.userEnv.CUPS_STATEDIR, auth: 'none', user: 'alice' });
  t.teardown(() => alice.close());

  // Control: on an unattached queue the owner reprints a finished job.
  const open = await rig.lp(['-d', 'open', one], 'alice');
  await rig.waitForReceived(1);
  await waitState(admin, open.jobId, JobState.completed);
  await alice.ipp(Operation.RestartJob, [a.uri('job-uri', alice.jobUri(open.jobId))]);
  t.equal((await rig.waitForReceived(2)).length, 2, 'control: the owner reprinted on the unattached queue');

  const { jobId } = await rig.lp(['-d', 'lab', one], 'alice');
  const { job } = await rec.job(jobId);
  t.same(await sp.release(job), { ok: true });
  await rig.waitForReceived(3);
  t.equal((await rec.end(jobId)).state, 'completed');
  const err = await alice.ipp(Operation.RestartJob, [a.uri('job-uri', alice.jobUri(jobId))]).then(() => undefined, (e: unknown) => e);
  t.match(err, { code: 'SPOOLER_UNAUTHORIZED' }, 'the owner cannot restart (reprint) a job printed through the gate');
  await sleep(500);
  t.equal((await rig.receivedJobs()).length, 3, 'no reprint');

  const second = await rig.lp(['-d', 'lab', one], 'alice');
  await rec.job(second.jobId);
  await rig.execAsUser('cancel', ['-U', 'alice', `lab-${second.jobId}`]);
  t.equal((await rec.end(second.jobId)).state, 'cancelled', 'the sweep reported the cancelled job');

  // A job the watcher missed (here: it watches the wrong directory) comes from the sweep.
  const blind = new CupsSpooler({ server: rig.env.CUPS_SERVER, cupsStateDir: rig.env.CUPS_STATEDIR, spoolDir: join(rig.base, 'ipp'), sweepMs: 200 });
  const blindRec = recorder(blind);
  await blind.start();
  const missed = await rig.lp(['-d', 'lab', one], 'alice');
  const blindWarnings: Error[] = [];
  blind.on('warning', (w) => blindWarnings.push(w));
  const swept = await blindRec.job(missed.jobId);
  t.equal(swept.job.user, 'alice', 'the sweep reported the job the watcher missed');
  t.match(blindWarnings.map((w) => w.message), [/has no document in .*--cups-spool-dir/], 'and warned that the spool directory looks wrong');
  await sleep(500);
  t.equal(blindRec.jobs.filter((j) => j.job.spoolerJobId === String(missed.jobId)).length, 1, 'once');
  await blind.close();
  await ops.cancelJob(admin, missed.jobId);
  await rec.end(missed.jobId);

  // An administrator starts the gate queue by hand: the next sweep stops it again.
  const warnings: Error[] = [];
  sp.on('warning', (w) => warnings.push(w));
  await ops.enablePrinter(admin, 'lab');
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && (await ops.getPrinter(admin, 'lab', ['printer-state']))[0]?.values[0]?.value !== 5) await sleep(50);
  t.equal((await ops.getPrinter(admin, 'lab', ['printer-state']))[0]?.values[0]?.value, 5, 'the gate is stopped again');
  t.match(warnings.map((w) => w.message), [/gate queue lab was started by hand/]);

  // The gate survives a cupsd restart (Hold-New-Jobs would not), and so does the spooler.
  await rig.restartCupsd();
  const afterRestart = await rig.lp(['-d', 'lab', '-o', 'job-hold-until=no-hold', one], 'alice');
  const { job: restarted } = await rec.job(afterRestart.jobId);
  await sleep(800);
  t.equal((await rig.receivedJobs()).length, 3, 'nothing printed after the restart either');
  t.same(await sp.release(restarted), { ok: true }, 'release works with the new certificate');
  await rig.waitForReceived(4);

  // Someone deleted the release queue: release says so, and the job stays at the gate.
  await waitState(admin, Number(restarted.spoolerJobId), JobState.completed);
  await rig.exec('lpadmin', ['-x', 'lab.printgate']);
  const orphan = await rig.lp(['-d', 'lab', one], 'alice');
  const { job: orphanJob } = await rec.job(orphan.jobId);
  t.same(await sp.release(orphanJob), { ok: false, reason: 'refused', message: 'the release queue lab.printgate is missing: run printgate cups attach lab' });
  t.match(await sp.jobStatus(orphanJob), { ok: true, stage: 'held' }, 'still waiting at the gate');
});

async function waitState(c: CupsClient, jobId: number, state: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const attrs = await ops.getJob(c, jobId, ['job-state']);
    if (attrs[0]?.values[0]?.value === state) return;
    await sleep(20);
  }
  throw new Error(`job ${jobId} did not reach state ${state}`);
}
