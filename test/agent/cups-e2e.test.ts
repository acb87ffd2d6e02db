// End to end on a real CUPS: a private cupsd + ippeveprinter, the queues attached to
// printgate, a real `printgate server` and a real `printgate agent` (child processes, so
// they can be stopped and kill -9ed), and the real analysis engine. Checks money through
// the admin API and what the virtual printer received through its hook.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pdf, skipWithoutCups, sleep, until } from './cups-test-kit.ts';
import { needs, hasCommand } from '../helpers/system.ts';
import { startCupsRig, type CupsRig } from '../helpers/cups-rig.ts';
import { startServer, startAgent, type ServerHandle, type Proc } from '../helpers/agent-stack.ts';
import { CupsClient } from '../../platform/cups/client.ts';
import { attach } from '../../platform/cups/attach.ts';
import * as ops from '../../platform/cups/ops.ts';
import { str } from '../../platform/cups/ipp-message.ts';

const skip = skipWithoutCups();

const QUEUES = ['lab', 'nolog', 'later', 'holdq'];

t.test('printgate end to end on a real CUPS', { skip }, async (t) => {
  const rig: CupsRig = await startCupsRig({ queues: QUEUES });
  t.teardown(() => rig.stop());
  const cups = new CupsClient({ server: rig.env.CUPS_SERVER, stateDir: rig.env.CUPS_STATEDIR, user: 'root' });
  t.teardown(() => cups.close());
  for (const q of QUEUES) await attach({ client: cups, stateDir: join(rig.base, 'pgstate') }, q);

  let server: ServerHandle = await startServer(join(rig.base, 'server-data'));
  t.teardown(() => server.stop());
  const { token } = await server.admin<{ token: string }>('POST', '/agents', { name: 'rig-agent' });
  await server.admin('POST', '/users', { name: 'alice', balance: '10.00' });
  await server.admin('POST', '/users', { name: 'bob', balance: '0.00' });

  const agentOptions = {
    token, stateDir: join(rig.base, 'agent-state'), spoolDir: rig.spoolDir, cupsEnv: rig.env, name: 'rig-agent',
    extra: ['--reconnect-max', '0.5', '--log-level', 'debug'],
  };
  let agent: Proc = await startAgent({ server: server.url, ...agentOptions });
  t.teardown(() => agent.stop());

  // Printers appear on first sight; price them and give each its failure mode, then
  // restart the agent so that it registers with the new policies.
  const printer = (q: string) => encodeURIComponent(`rig-agent/${q}`);
  await until('printers registered', async () => (await server.admin<{ items: unknown[] }>('GET', '/printers')).items.length === QUEUES.length);
  for (const q of QUEUES) await server.admin('PUT', `/printers/${printer(q)}/cost`, { simple: '0.10' });
  await server.admin('PATCH', `/printers/${printer('nolog')}`, { failureMode: 'ALLOW_AND_LOG_NOTHING' });
  await server.admin('PATCH', `/printers/${printer('later')}`, { failureMode: 'ALLOW_AND_LOG_LATER' });
  await server.admin('PATCH', `/printers/${printer('holdq')}`, { failureMode: 'HOLD_UNTIL_RECONNECTED' });
  t.equal(await agent.stop(), 0, 'the agent stops cleanly on SIGTERM');
  agent = await startAgent({ server: server.url, ...agentOptions });

  const balance = async (user = 'alice') => (await server.admin<{ balanceMinor: number }>('GET', `/users/${user}/balance`)).balanceMinor;
  /** Wait for the balance to reach `expected`, then make sure it stays there (no second charge). */
  const settlesAt = async (t: Test, expected: number, what: string) => {
    await until(`balance ${expected} (${what})`, async () => (await balance()) === expected, 30_000).catch(async (e) => {
      t.comment(`agent: ${agent.output().slice(-6000)}`);
      t.comment(`server: ${server.output().slice(-3000)}`);
      throw new Error(`${(e as Error).message}; balance is ${await balance()}`);
    });
    await sleep(1500);
    t.equal(await balance(), expected, `${what}: charged exactly once`);
  };
  let received = 0;
  const nextReceived = async () => { const r = await rig.waitForReceived(received + 1, 30_000); received = r.length; return r.at(-1)!; };
  const nothingMoreReceived = async (ms: number) => { await sleep(ms); return (await rig.receivedJobs()).length === received; };
  const file = async (name: string, pages: number, colour = false) => { const f = join(rig.base, name); await writeFile(f, await pdf(pages, name, colour)); return f; };
  let expected = 1000;

  t.test('a PDF from a user with credit reaches the printer and is charged exactly', async (t) => {
    const { jobId } = await rig.lp(['-d', 'lab', '-t', 'report', await file('three.pdf', 3)], 'alice');
    const got = await nextReceived();
    t.equal(got.attrs.IPP_JOB_ORIGINATING_USER_NAME, 'alice');
    expected -= 30;
    await settlesAt(t, expected, '3 pages at 0.10');
    const jobs = await server.admin<{ items: Array<{ spoolerJobId: string; pages: number; status: string }> }>('GET', '/jobs?user=alice');
    const job = jobs.items.find((j) => j.spoolerJobId === String(jobId));
    t.match(job, { pages: 3, status: 'printed' });
  });

  t.test('a user without credit never reaches the printer, and the job says why', async (t) => {
    const { jobId } = await rig.lp(['-d', 'lab', '-t', 'poor', await file('one.pdf', 1)], 'bob');
    await until('the job cancelled', async () => str(await ops.getJob(cups, jobId, ['job-state', 'job-name']), 'job-name').startsWith('[printgate'));
    t.ok(await nothingMoreReceived(800), 'nothing reached the printer');
    const jobs = await server.admin<{ items: Array<{ spoolerJobId: string; decision: string; reasonCode: string; reason: string }> }>('GET', '/jobs?user=bob');
    const logged = jobs.items.find((j) => j.spoolerJobId === String(jobId));
    t.match(logged, { decision: 'DENY', reasonCode: 'INSUFFICIENT_CREDIT' });
    const name = str(await ops.getJob(cups, jobId, ['job-name']), 'job-name');
    t.ok(logged!.reason.length > 0 && name.includes(logged!.reason), `the CUPS job carries the server's reason: ${name}`);
    t.equal(await balance('bob'), 0);
  });

  t.test('forced grayscale reaches the printer as print-color-mode=monochrome', async (t) => {
    await server.admin('PATCH', `/printers/${printer('lab')}`, { restrictions: { color: 'grayscale' } });
    t.teardown(() => server.admin('PATCH', `/printers/${printer('lab')}`, { restrictions: { color: 'allow' } }));
    await rig.lp(['-d', 'lab', '-o', 'print-color-mode=color', await file('colour.pdf', 1, true)], 'alice');
    const got = await nextReceived();
    t.equal(got.attrs.IPP_PRINT_COLOR_MODE, 'monochrome');
    expected -= 10;
    await settlesAt(t, expected, 'one grayscale page');
  });

  t.test('the watermark is in what the printer received', { skip: needs('pdftotext', hasCommand('pdftotext')) }, async (t) => {
    await server.admin('PATCH', `/printers/${printer('lab')}`, { watermark: true });
    t.teardown(() => server.admin('PATCH', `/printers/${printer('lab')}`, { watermark: false }));
    await rig.lp(['-d', 'lab', await file('stamp.pdf', 2)], 'alice');
    const got = await nextReceived();
    const text = spawnSync('pdftotext', [got.file, '-'], { encoding: 'utf8' }).stdout;
    t.match(text, /alice/, 'the user is stamped');
    t.match(text, /stamp.pdf page 1/, 'the document is still there');
    expected -= 20;
    await settlesAt(t, expected, 'two stamped pages');
  });

  t.test('a held job (secure release) prints when released and is cancelled uncharged when cancelled', async (t) => {
    await server.admin('PATCH', `/printers/${printer('lab')}`, { releaseRequired: true });
    t.teardown(() => server.admin('PATCH', `/printers/${printer('lab')}`, { releaseRequired: false }));
    type Job = { id: string; spoolerJobId: string; status: string };
    const serverJob = (spoolerJobId: number) => until(`server job for ${spoolerJobId}`, async () =>
      (await server.admin<{ items: Job[] }>('GET', '/jobs?user=alice')).items.find((j) => j.spoolerJobId === String(spoolerJobId) && j.status === 'held'));

    const { jobId: a } = await rig.lp(['-d', 'lab', await file('held-a.pdf', 1)], 'alice');
    const { jobId: b } = await rig.lp(['-d', 'lab', await file('held-b.pdf', 1)], 'alice');
    const ja = await serverJob(a);
    const jb = await serverJob(b);
    t.ok(await nothingMoreReceived(800), 'held jobs do not print');
    await server.admin('POST', `/jobs/${ja.id}/release`, {});
    await nextReceived();
    await server.admin('POST', `/jobs/${jb.id}/cancel`, { message: 'Not needed after all' });
    await until('the held job cancelled at CUPS', async () => str(await ops.getJob(cups, b, ['job-name']), 'job-name').includes('Not needed after all'));
    expected -= 10; // only the released one
    await settlesAt(t, expected, 'the released job');
    t.ok(await nothingMoreReceived(300), 'the cancelled job never printed');
  });

  t.test('the three failure modes with the server down', async (t) => {
    await server.stop();
    await rig.lp(['-d', 'nolog', await file('nolog.pdf', 1)], 'alice');
    await nextReceived();
    t.pass('ALLOW_AND_LOG_NOTHING: printed while the server is down');
    await rig.lp(['-d', 'later', await file('later.pdf', 1)], 'alice');
    await nextReceived();
    t.pass('ALLOW_AND_LOG_LATER: printed while the server is down');
    const { jobId: heldId } = await rig.lp(['-d', 'holdq', await file('holdq.pdf', 1)], 'alice');
    t.ok(await nothingMoreReceived(1500), 'HOLD_UNTIL_RECONNECTED: nothing printed while the server is down');
    server = await server.restart();
    await nextReceived();
    t.pass('HOLD_UNTIL_RECONNECTED: printed once the server is back');
    expected -= 20; // later (replayed offline) + holdq; nolog is never charged
    await settlesAt(t, expected, 'later and holdq charged, nolog not');
    const jobs = await server.admin<{ items: Array<{ spoolerJobId: string; printer: string; offline: boolean; status: string }> }>('GET', '/jobs?user=alice');
    t.ok(jobs.items.some((j) => j.printer === 'rig-agent/later' && j.offline && j.status === 'printed'), 'the offline job is in the log');
    t.notOk(jobs.items.some((j) => j.printer === 'rig-agent/nolog'), 'log nothing means nothing');
    t.ok(jobs.items.some((j) => j.spoolerJobId === String(heldId) && j.status === 'printed'));
  });

  t.test('kill -9 of the agent with a job waiting: printed once after restart, charged once', async (t) => {
    await agent.kill();
    await rig.lp(['-d', 'lab', await file('k1.pdf', 1)], 'alice');
    t.ok(await nothingMoreReceived(800), 'nothing prints without the agent');
    agent = await startAgent({ server: server.url, ...agentOptions });
    await nextReceived();
    expected -= 10;
    await settlesAt(t, expected, 'the job picked up after the restart');
  });

  t.test('kill -9 of the agent as the job prints: settled once after restart', async (t) => {
    await rig.lp(['-d', 'lab', await file('k2.pdf', 1)], 'alice');
    await nextReceived();
    await agent.kill();
    agent = await startAgent({ server: server.url, ...agentOptions });
    expected -= 10;
    await settlesAt(t, expected, 'the job released before the kill');
    t.ok(await nothingMoreReceived(300), 'not printed twice');
  });

  t.test('kill -9 of the server mid-job: printed once, charged once', async (t) => {
    const lp = rig.lp(['-d', 'lab', await file('s1.pdf', 1)], 'alice');
    await lp;
    await server.kill();
    await nextReceived(); // lab is ALLOW_AND_LOG_LATER by default, or it was authorized in time
    server = await server.restart();
    expected -= 10;
    await settlesAt(t, expected, 'the job around the server crash');
    t.ok(await nothingMoreReceived(300), 'not printed twice');
  });

  t.test('the agent stops cleanly', async (t) => {
    t.equal(await agent.stop(), 0);
  });
});
