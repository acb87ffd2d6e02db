// The IPP client against a real cupsd: CUPS-Get-Printers, Get-Job-Attributes, a 401 that
// is read to the end (no hang) and answered with the local certificate, a fresh
// certificate after cupsd restarts, PeerCred over the domain socket, subscriptions and
// notifications (the group the `ipp` package drops), and typed errors for a server that
// is down or silent.
import t from 'tap';
import { createServer } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { needs, hasCommand } from '../../helpers/system.ts';
import { startCupsRig, freePort } from '../../helpers/cups-rig.ts';
import { CupsClient, IppStatusError, resolveServer } from '../../../platform/cups/client.ts';
import { a, groupsOf, num, str, strs } from '../../../platform/cups/ipp-message.ts';
import { GroupTag, Operation, Status } from '../../../platform/cups/ipp-tags.ts';
import { PrintgateError } from '../../../shared/errors.ts';
import * as ops from '../../../platform/cups/ops.ts';
import { CupsSpooler } from '../../../platform/cups/spooler.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';

const skip = needs('cups', hasCommand('cupsd') && hasCommand('ippeveprinter') && hasCommand('ipptool'));

t.test('resolveServer reads CUPS_SERVER like the CUPS library', async (t) => {
  t.same(resolveServer('/run/cups/cups.sock'), { socketPath: '/run/cups/cups.sock', hostHeader: 'localhost' });
  t.same(resolveServer('127.0.0.1:8631'), { host: '127.0.0.1', port: 8631, hostHeader: '127.0.0.1:8631' });
  t.same(resolveServer('printhost'), { host: 'printhost', port: 631, hostHeader: 'printhost:631' });
  t.same(resolveServer('[::1]:631'), { host: '::1', port: 631, hostHeader: '[::1]:631' });
  t.same(resolveServer(''), { socketPath: '/run/cups/cups.sock', hostHeader: 'localhost' });
});

t.test('a server that is down or silent gives SPOOLER_UNAVAILABLE', async (t) => {
  const port = await freePort();
  const down = new CupsClient({ server: `127.0.0.1:${port}`, timeoutMs: 2000 });
  await t.rejects(down.ipp(Operation.CupsGetPrinters, []), { code: 'SPOOLER_UNAVAILABLE' });
  down.close();
  const silent = createServer(() => undefined); // accepts, never answers
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  const c = new CupsClient({ server: `127.0.0.1:${(silent.address() as { port: number }).port}`, timeoutMs: 200 });
  const t0 = Date.now();
  await t.rejects(c.ipp(Operation.CupsGetPrinters, []), { code: 'SPOOLER_UNAVAILABLE', message: /no answer within 200 ms/ });
  t.ok(Date.now() - t0 < 2000, 'bounded by the timeout');
  c.close();
  silent.close();
});

t.test('the spooler starts while cupsd is still down (boot order), with a warning', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'printgate-spool-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const sp = new CupsSpooler({ server: `127.0.0.1:${await freePort()}`, spoolDir: dir, timeoutMs: 1000 });
  const warnings: Error[] = [];
  sp.on('warning', (w) => warnings.push(w));
  await sp.start();
  t.match(warnings, [{ code: 'SPOOLER_UNAVAILABLE' }]);
  t.same(await sp.release({ queue: 'lab', spoolerJobId: '1' }), { ok: false, reason: 'unavailable', message: (await sp.release({ queue: 'lab', spoolerJobId: '1' }) as { message: string }).message });
  await t.rejects(sp.listHeld(), { code: 'SPOOLER_UNAVAILABLE' }, 'queries throw: there is no answer to give');
  await sp.close();
});

t.test('against a real cupsd', { skip }, async (t) => {
  const rig = await startCupsRig({ queues: ['lab', 'annex'] });
  t.teardown(() => rig.stop());
  const admin = new CupsClient({ server: rig.env.CUPS_SERVER, stateDir: rig.env.CUPS_STATEDIR, user: 'root' });
  t.teardown(() => admin.close());
  const user = new CupsClient({ server: rig.env.CUPS_SERVER, stateDir: rig.userEnv.CUPS_STATEDIR, auth: 'none', user: 'alice' });
  t.teardown(() => user.close());

  t.test('CUPS-Get-Printers lists every queue', async (t) => {
    const printers = await ops.getPrinters(user, ['printer-name', 'device-uri', 'printer-state', 'color-supported']);
    t.same(printers.map((p) => str(p, 'printer-name')).sort(), ['annex', 'lab']);
    t.equal(str(printers[0]!, 'device-uri'), rig.printerUri);
  });

  t.test('Get-Job-Attributes of a job sent with lp', async (t) => {
    const file = join(rig.base, 'x.txt');
    await writeFile(file, 'hello\n');
    const { jobId } = await rig.lp(['-d', 'lab', '-t', 'greeting', '-n', '3', '-o', 'job-hold-until=indefinite', '-o', 'page-ranges=1-2', file], 'alice');
    const attrs = await ops.getJob(admin, jobId, ['job-id', 'job-name', 'copies', 'job-originating-user-name', 'job-state', 'page-ranges']);
    t.equal(num(attrs, 'job-id'), jobId);
    t.equal(str(attrs, 'job-name'), 'greeting');
    t.equal(num(attrs, 'copies'), 3);
    t.equal(str(attrs, 'job-originating-user-name'), 'alice');
    t.equal(num(attrs, 'job-state'), 4, 'pending-held');
    t.same(attrs.find((x) => x.name === 'page-ranges')?.values[0]?.value, { lower: 1, upper: 2 });
    const missing = await ops.getJob(admin, 99999, ['job-id']).then(() => undefined, (e: unknown) => e);
    t.ok(missing instanceof IppStatusError, 'IppStatusError for an unknown job');
    t.equal((missing as IppStatusError).ippStatus, Status.clientErrorNotFound);
    await ops.cancelJob(admin, jobId);
  });

  t.test('a 401 is read to the end: a plain user gets a typed error, and the connection still works', async (t) => {
    const t0 = Date.now();
    await t.rejects(ops.disablePrinter(user, 'annex', 'x'), { code: 'SPOOLER_UNAUTHORIZED' });
    t.ok(Date.now() - t0 < 2000, 'no hang');
    t.equal((await ops.getPrinters(user, ['printer-name'])).length, 2, 'the same client goes on working');
  });

  t.test('the administrator authenticates with the local certificate, re-read after cupsd restarts', async (t) => {
    await ops.disablePrinter(admin, 'annex', 'paused by test');
    t.equal(str(await ops.getPrinter(admin, 'annex', ['printer-state-message']), 'printer-state-message'), 'paused by test');
    await rig.restartCupsd();
    await ops.enablePrinter(admin, 'annex');
    t.equal(num(await ops.getPrinter(admin, 'annex', ['printer-state']), 'printer-state'), 3, 'enabled with the new certificate');
  });

  t.test('PeerCred over the domain socket', async (t) => {
    const sock = new CupsClient({ server: rig.socketPath, stateDir: '/nonexistent', user: 'root' });
    await ops.disablePrinter(sock, 'annex', 'via socket');
    await ops.enablePrinter(sock, 'annex');
    t.pass('administrative operations over the socket');
    sock.close();
  });

  t.test('subscriptions and notifications keep their groups', async (t) => {
    const res = await user.ipp(Operation.CreatePrinterSubscriptions, [a.uri('printer-uri', user.printerUri('lab'))], {
      groups: [{ tag: GroupTag.subscription, attributes: [a.keyword('notify-events', 'job-created', 'job-completed'), a.keyword('notify-pull-method', 'ippget'), a.integer('notify-lease-duration', 60)] }],
    });
    const sub = groupsOf(res, GroupTag.subscription)[0]!.attributes;
    const id = num(sub, 'notify-subscription-id')!;
    t.ok(id > 0, 'subscription id from the subscription-attributes group');
    const file = join(rig.base, 'y.txt');
    await writeFile(file, 'hello\n');
    const { jobId } = await rig.lp(['-d', 'lab', '-o', 'job-hold-until=indefinite', file], 'alice');
    const notes = await user.ipp(Operation.GetNotifications, [a.uri('printer-uri', user.printerUri('lab')), a.integer('notify-subscription-ids', id), a.integer('notify-sequence-numbers', 1)]);
    const events = groupsOf(notes, GroupTag.eventNotification).map((g) => g.attributes);
    t.ok(events.some((e) => strs(e, 'notify-subscribed-event').includes('job-created') && num(e, 'notify-job-id') === jobId), 'job-created for our job in an event-notification group');
    await ops.cancelJob(admin, jobId);
  });

  t.test('IPP errors carry the status', async (t) => {
    const err = await ops.getPrinter(user, 'nope', ['printer-name']).then(() => undefined, (e: unknown) => e);
    t.ok(err instanceof PrintgateError && err.code === 'IPP_ERROR');
    t.equal((err as IppStatusError).ippStatus, Status.clientErrorNotFound);
  });
});
