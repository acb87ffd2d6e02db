// End to end, part 2: the real `printgate server` with `printgate replay` acting as the
// print provider for a PDF fixture and `printgate cmd` setting the scene: printers appear
// after a replay, a price change affects the next job, credit decides ALLOW (charged
// exactly) or DENY (with the reason), and the job log and refunds follow.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatMoney } from '../../shared/money.ts';
import { ROOT, printgate, startServer, cmdRunner, type RunningServer } from './server-process.ts';

const PDF = join(ROOT, 'fixtures', 'pdf', 'colour-page-among-gray.pdf');
const TRUTH = JSON.parse(readFileSync(PDF.replace(/\.pdf$/, '.truth.json'), 'utf8')) as { pages: number; colorPages: number };

t.test('printgate replay against a running server', { timeout: 120_000 }, async (t) => {
  const server: RunningServer = await startServer(t);
  const { cmd, ok } = cmdRunner(t, server);
  let agentToken = '';
  const tokenFile = join(server.dataDir, 'agent.token');
  const replay = (user: string, ...args: string[]) =>
    printgate(['replay', '--server', server.url, '--agent-token-file', tokenFile, '--user', user, '--printer', 'office', '--json', ...args]);

  await t.test('set-up: an agent and a user', async (t) => {
    const out = await ok('add-agent', 'print1');
    agentToken = out.trim().split('\n').at(-1)!;
    t.ok(agentToken.length >= 16, 'a token on the last line');
    writeFileSync(tokenFile, `${agentToken}\n`, { mode: 0o600 });
    await ok('add-new-user', 'alice');
  });

  let chargedJob = '';
  await t.test('replay: the printer appears; the price and the credit decide', async (t) => {
    t.notMatch(await ok('list-printers'), /office/, 'no printer before the agent reports it');
    // Free at first sight of the printer? Whatever the default price, set one and replay again.
    const first = await replay('alice', PDF);
    t.equal(first.code, 0, first.stderr);
    t.match(await ok('list-printers'), /^print1\/office\tenabled\t/m, 'the printer appeared as <agent>/<queue>');
    t.notMatch(await ok('list-agents'), /^print1\tnever\t/m, 'the agent has made contact');

    await ok('set-user-account-balance', 'alice', '4.70');
    await ok('set-printer-cost-simple', 'print1/office', '0.10');
    t.match(await ok('list-printers'), /^print1\/office\tenabled\t0\.10\/page\t/m);
    const paid = await replay('alice', PDF);
    t.equal(paid.code, 0, paid.stderr);
    const r = JSON.parse(paid.stdout) as Record<string, unknown>;
    t.equal(r.decision, 'ALLOW');
    t.equal(r.pages, TRUTH.pages, 'the real analysis engine counted the pages');
    t.equal(r.colorPages, TRUTH.colorPages);
    // In minor units: 4.70 is 470, 0.10 a page is 10.
    const expectedMinor = TRUTH.pages * 10;
    t.equal(r.cost, formatMoney(expectedMinor), 'charged exactly pages x price');
    t.equal(await ok('get-user-account-balance', 'alice'), `${formatMoney(470 - expectedMinor)}\n`);
    chargedJob = String(r.jobId);

    // The bare queue name works when it is unique; a price change affects the next job.
    await ok('set-printer-cost-simple', 'office', '2.00');
    const denied = await replay('alice', PDF);
    t.equal(denied.code, 0, 'a DENY is a decision: exit 0');
    const d = JSON.parse(denied.stdout) as Record<string, unknown>;
    t.equal(d.decision, 'DENY');
    t.equal(d.reasonCode, 'INSUFFICIENT_CREDIT');
    t.ok(String(d.reason).length > 0, 'with a reason for the user');
    t.equal(d.cost, '0.00');
    t.equal(await ok('get-user-account-balance', 'alice'), `${formatMoney(470 - expectedMinor)}\n`, 'nothing charged');

    // The text output: file, decision, cost, reason.
    const text = await printgate(['replay', '--server', server.url, '--user', 'alice', '--printer', 'office', PDF], { PRINTGATE_AGENT_TOKEN: agentToken });
    t.equal(text.code, 0);
    t.match(text.stdout, new RegExp(`^${PDF.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\tDENY\\t0\\.00\\t.*\\[INSUFFICIENT_CREDIT\\]\\n$`));

    await ok('disable-printer', 'office');
    const off = JSON.parse((await replay('alice', PDF)).stdout) as Record<string, unknown>;
    t.equal(off.decision, 'DENY', 'a disabled printer denies');
    await ok('enable-printer', 'office');

    const nobody = JSON.parse((await replay('nobody', PDF)).stdout) as Record<string, unknown>;
    t.equal(nobody.decision, 'DENY', 'an unknown user is denied');
    t.ok(String(nobody.reason).length > 0);

    // Secure release: the job is held; replay reports it, and with --wait it long-polls the
    // events channel for the job's fate (nobody releases it here) before reporting it held.
    await ok('set-printer-cost-simple', 'office', '0.10');
    await ok('set-printer-release-required', 'office', 'true');
    const held = JSON.parse((await replay('alice', PDF)).stdout) as Record<string, unknown>;
    t.equal(held.decision, 'HOLD');
    const started = Date.now();
    const waited = await replay('alice', '--wait', '1', PDF);
    t.equal(waited.code, 0, waited.stderr);
    const w = JSON.parse(waited.stdout) as Record<string, unknown>;
    t.equal(w.decision, 'HOLD');
    t.match(String(w.reason), /still held after 1 s/);
    t.ok(Date.now() - started >= 1000, 'it waited on the events channel');
    await ok('set-printer-release-required', 'office', 'false');
    t.match(await ok('list-jobs', '--user', 'alice', '--limit', '1'), /\tHOLD\theld\t/);
  });

  await t.test('the job log and refunds', async (t) => {
    const jobs = await ok('list-jobs', '--user', 'alice');
    t.match(jobs, new RegExp(`^${chargedJob}\\t`, 'm'), 'the charged job is in the log');
    t.match(await ok('list-jobs', '--decision', 'DENY', '--limit', '1'), /\tDENY\t/);
    const refund = await cmd('refund-job', chargedJob);
    t.equal(refund.code, 0, refund.stderr);
    t.equal(await ok('get-user-account-balance', 'alice'), '4.70\n', 'refunded in full');
  });

});
