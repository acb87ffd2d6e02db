// The agent on a real CUPS (private cupsd + ippeveprinter) with the real adapter and the
// real analysis engine, but an in-memory server: what the printer receives is what the
// decision said. The same with a real server (charging, failure modes, kill -9) is in
// cups-e2e.test.ts.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pb } from '../../shared/protocol/index.ts';
import { pdf, skipWithoutCups, sleep, until } from './cups-test-kit.ts';
import { hasCommand } from '../helpers/system.ts';
import { startCupsRig } from '../helpers/cups-rig.ts';
import { CupsClient } from '../../platform/cups/client.ts';
import { CupsSpooler } from '../../platform/cups/spooler.ts';
import { attach } from '../../platform/cups/attach.ts';
import * as ops from '../../platform/cups/ops.ts';
import { str } from '../../platform/cups/ipp-message.ts';
import { analyzeFile } from '../../agent/analysis/engine.ts';
import { Agent } from '../../agent/agent.ts';
import { SILENT } from '../../agent/log.ts';
import type { ServerClient } from '../../agent/client/index.ts';
import { FakeClient, FakeServer } from './fakes.ts';

const skip = skipWithoutCups();

t.test('the agent on a real CUPS', { skip }, async (t) => {
  const rig = await startCupsRig({ queues: ['lab'] });
  t.teardown(() => rig.stop());
  const admin = new CupsClient({ server: rig.env.CUPS_SERVER, stateDir: rig.env.CUPS_STATEDIR, user: 'root' });
  t.teardown(() => admin.close());
  await attach({ client: admin, stateDir: join(rig.base, 'pgstate') }, 'lab');

  const server = new FakeServer();
  const client = new FakeClient(server);
  client.policies = [{ queue: 'lab', failureMode: pb.FailureMode.ALLOW_AND_LOG_LATER, watermark: false }];
  const spooler = new CupsSpooler({ server: rig.env.CUPS_SERVER, cupsStateDir: rig.env.CUPS_STATEDIR, spoolDir: rig.spoolDir, pollMs: 100 });
  const agent = new Agent({
    spooler, client: client as unknown as ServerClient, log: SILENT, stateDir: join(rig.base, 'agent-state'), name: 'rig-agent',
    analyze: (path, o) => analyzeFile(path, { signal: o.signal }), eventsWaitMs: 100,
  });
  await agent.start();
  t.teardown(() => agent.close());

  let received = 0;
  const nextReceived = async () => { const r = await rig.waitForReceived(received + 1, 20_000); received = r.length; return r.at(-1)!; };

  t.test('allowed: printed, analysed pages reported, settled once', async (t) => {
    const file = join(rig.base, 'three.pdf');
    await writeFile(file, await pdf(3, 'three'));
    server.rule = () => ({ decision: 'ALLOW', cost: 30 });
    const { jobId } = await rig.lp(['-d', 'lab', '-t', 'three pages', file], 'alice');
    const got = await nextReceived();
    t.equal(got.attrs.IPP_JOB_ORIGINATING_USER_NAME, 'alice');
    const req = server.authorizeCalls.at(-1)!;
    t.equal(req.job!.spoolerJobId, String(jobId));
    t.equal(req.job!.user, 'alice');
    t.equal(req.analysis!.pages, 3, 'the real engine counted the pages');
    await until('settled', () => server.completeCalls.length === 1 || undefined);
    t.equal(server.completeCalls[0]!.outcome, pb.Outcome.PRINTED);
    t.equal(server.balance, 970);
  });

  t.test('denied: never reaches the printer, and the job says why', async (t) => {
    const file = join(rig.base, 'deny.pdf');
    await writeFile(file, await pdf(1, 'deny'));
    server.rule = () => ({ decision: 'DENY', reasonCode: 'INSUFFICIENT_CREDIT', message: 'Not enough credit' });
    const { jobId } = await rig.lp(['-d', 'lab', '-t', 'deny me', file], 'bob');
    const rec = await until('denied', () => agent.pipeline.job({ queue: 'lab', spoolerJobId: String(jobId) })?.state === 'denied' || undefined);
    t.ok(rec);
    await sleep(500);
    t.equal((await rig.receivedJobs()).length, received, 'nothing more reached the printer');
    const attrs = await ops.getJob(admin, jobId, ['job-state', 'job-name', 'job-message-from-operator']);
    t.match(str(attrs, 'job-name'), /Not enough credit/);
  });

  t.test('forced grayscale reaches the printer as monochrome; the watermark is in what it received', async (t) => {
    const file = join(rig.base, 'colour.pdf');
    await writeFile(file, await pdf(2, 'colour', true));
    server.rule = () => ({ decision: 'ALLOW', forceGrayscale: true, watermark: true });
    await rig.lp(['-d', 'lab', '-o', 'print-color-mode=color', file], 'carol');
    const got = await nextReceived();
    t.equal(got.attrs.IPP_PRINT_COLOR_MODE, 'monochrome');
    if (hasCommand('pdftotext')) {
      const text = spawnSync('pdftotext', [got.file, '-'], { encoding: 'utf8' }).stdout;
      t.match(text, /Printed by carol on .* - job J\d+/);
    } else {
      t.ok((await readFile(got.file)).length > 0);
    }
  });
});
