// `printgate cups attach|detach` on a real cupsd, through the real command line: attach
// says what it changed and changes nothing the second time; detach refuses while jobs
// wait at the gate, then restores the queue and cupsd.conf exactly; wrong queues are
// refused with exit code 1 and a reason. Plus the pure cupsd.conf edits.
import t from 'tap';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { needs, hasCommand } from '../../helpers/system.ts';
import { startCupsRig } from '../../helpers/cups-rig.ts';
import { CupsClient } from '../../../platform/cups/client.ts';
import * as ops from '../../../platform/cups/ops.ts';
import { GATE_POLICY, POLICY_BLOCK, RELEASE_POLICY, hasPolicy, withPolicies, withoutPolicies } from '../../../platform/cups/policy.ts';
import type { IppAttribute } from '../../../platform/cups/ipp-message.ts';

const skip = needs('cups', hasCommand('cupsd') && hasCommand('ippeveprinter') && hasCommand('ipptool'));
const run = promisify(execFile);
const BIN = new URL('../../../bin/printgate.js', import.meta.url).pathname;

t.test('cupsd.conf edits add and remove exactly the marked block', async (t) => {
  const conf = 'Listen 631\n<Policy default>\n</Policy>\n';
  const added = withPolicies(conf);
  t.ok(added.changed);
  t.ok(hasPolicy(added.conf, GATE_POLICY) && hasPolicy(added.conf, RELEASE_POLICY));
  t.same(withPolicies(added.conf), { conf: added.conf, changed: false }, 'adding twice changes nothing');
  t.same(withoutPolicies(added.conf), { conf, changed: true }, 'removal restores the bytes');
  t.same(withoutPolicies(conf), { conf, changed: false });
  t.throws(() => withPolicies(`${conf}<Policy printgate>\n</Policy>\n`), /only one of the policies/);
  t.throws(() => withoutPolicies(`${conf}${POLICY_BLOCK.split('\n')[0]}\n`), /end marker/);
  t.notOk(hasPolicy('<Policy printgate-release>', GATE_POLICY), 'names are matched whole');
});

const SNAPSHOT = ['printer-op-policy', 'printer-state', 'printer-state-reasons', 'job-sheets-default', 'printer-error-policy', 'requesting-user-name-allowed', 'requesting-user-name-denied', 'printer-uri-supported', 'printer-state-message', 'printer-is-accepting-jobs', 'printer-is-shared', 'device-uri', 'printer-info', 'printer-location', 'printer-make-and-model'];
const view = (attrs: IppAttribute[]) => Object.fromEntries(attrs.filter((x) => SNAPSHOT.includes(x.name)).map((x) => [x.name, x.values.map((v) => v.value)]));

t.test('attach and detach through the CLI', { skip }, async (t) => {
  const rig = await startCupsRig({ queues: ['lab'] });
  t.teardown(() => rig.stop());
  const admin = new CupsClient({ server: rig.env.CUPS_SERVER, stateDir: rig.env.CUPS_STATEDIR, user: 'root' });
  t.teardown(() => admin.close());
  const stateDir = join(rig.base, 'pgstate');
  const env = { ...process.env, ...rig.env, PRINTGATE_STATE_DIR: stateDir };
  const cli = (...args: string[]) => run(process.execPath, [BIN, 'cups', ...args], { env }).then(
    (r) => ({ code: 0, out: r.stdout, err: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout, err: e.stderr }),
  );
  const confPath = join(rig.serverRoot, 'cupsd.conf');
  const confBefore = await readFile(confPath, 'utf8');
  const before = view(await ops.getPrinter(admin, 'lab', SNAPSHOT));

  const first = await cli('attach', 'lab');
  t.equal(first.code, 0, first.err);
  t.match(first.out, /saved the original settings of lab/);
  t.match(first.out, /cupsd\.conf: added the policies printgate and printgate-release/);
  t.match(first.out, /created the release queue lab\.printgate/);
  t.match(first.out, /lab: op policy default -> printgate/);
  t.match(first.out, /lab: stopped/);
  t.ok(hasPolicy(await readFile(confPath, 'utf8'), GATE_POLICY), 'the policy is in cupsd.conf');
  const attached = view(await ops.getPrinter(admin, 'lab', SNAPSHOT));
  t.same(attached['printer-op-policy'], [GATE_POLICY]);
  t.same(attached['printer-state'], [5], 'stopped');
  t.same(attached['printer-is-accepting-jobs'], [true], 'still accepting');
  const rq = view(await ops.getPrinter(admin, 'lab.printgate', SNAPSHOT));
  t.same(rq['device-uri'], [rig.printerUri]);
  t.same(rq['printer-op-policy'], [RELEASE_POLICY]);
  t.same(rq['printer-is-shared'], [false]);
  t.same(rq['printer-make-and-model'], before['printer-make-and-model'], 'same PPD');

  const st = await cli('status');
  t.equal(st.out, 'lab: under printgate, gate closed, 0 job(s) waiting, lab.printgate ready\n', 'status');

  const second = await cli('attach', 'lab');
  t.equal(second.code, 0);
  t.equal(second.out, 'lab is already attached to printgate; nothing to change\n', 'idempotent');
  t.same(view(await ops.getPrinter(admin, 'lab', SNAPSHOT)), attached);

  // The administrator changes the queue's driver options: attach again carries them over.
  await rig.exec('lpadmin', ['-p', 'lab', '-o', 'ColorModel=Gray']);
  const follow = await cli('attach', 'lab');
  t.match(follow.out, /lab\.printgate: PPD updated from lab/, 'the release queue follows the PPD');
  const ppdOf = async (q: string) => (await readFile(join(rig.serverRoot, 'ppd', `${q}.ppd`), 'utf8')).match(/^\*DefaultColorModel: .*$/m)?.[0];
  t.equal(await ppdOf('lab'), '*DefaultColorModel: Gray', 'the option is in the PPD');
  t.equal(await ppdOf('lab.printgate'), '*DefaultColorModel: Gray', 'and in the release queue\'s');
  t.equal((await cli('attach', 'lab')).out, 'lab is already attached to printgate; nothing to change\n', 'and then nothing more');

  // Someone started the gate by hand: attach puts it back.
  await ops.enablePrinter(admin, 'lab');
  const repair = await cli('attach', 'lab');
  t.match(repair.out, /lab: stopped/);
  t.notMatch(repair.out, /saved the original/, 'the saved originals are not overwritten');

  const file = join(rig.base, 'a.txt');
  await writeFile(file, 'hello\n');
  const { jobId } = await rig.lp(['-d', 'lab', file], 'alice');
  const refused = await cli('detach', 'lab');
  t.equal(refused.code, 1);
  t.match(refused.err, /1 job\(s\) wait at the gate of lab/);
  await ops.cancelJob(admin, jobId);

  const detached = await cli('detach', 'lab');
  t.equal(detached.code, 0, detached.err);
  t.match(detached.out, /lab: op policy printgate -> default/);
  t.match(detached.out, /deleted the release queue lab\.printgate/);
  t.match(detached.out, /cupsd\.conf: removed the policies/);
  t.same(view(await ops.getPrinter(admin, 'lab', SNAPSHOT)), before, 'the queue is exactly as before');
  t.equal(await readFile(confPath, 'utf8'), confBefore, 'cupsd.conf is byte for byte as before');
  t.equal(await ops.findPrinter(admin, 'lab.printgate', ['printer-name']), undefined, 'no release queue left');

  t.equal((await cli('status')).out, 'lab: not under printgate\n', 'status after detach');
  const again = await cli('detach', 'lab');
  t.equal(again.code, 0);
  t.equal(again.out, 'lab is not attached to printgate; nothing to change\n');

  const unknown = await cli('attach', 'nope');
  t.equal(unknown.code, 1);
  t.match(unknown.err, /CUPS has no queue named "nope" \[UNKNOWN_PRINTER\]/);
  const releaseQ = await cli('attach', 'lab.printgate');
  t.equal(releaseQ.code, 1);
  const usage = await cli('frobnicate', 'lab');
  t.equal(usage.code, 2);

  // An administrator whose queue was stopped on purpose gets it back stopped, message and all.
  await ops.disablePrinter(admin, 'lab', 'toner empty');
  const stoppedBefore = view(await ops.getPrinter(admin, 'lab', SNAPSHOT));
  t.equal((await cli('attach', 'lab')).code, 0);
  t.equal((await cli('detach', 'lab')).code, 0);
  t.same(view(await ops.getPrinter(admin, 'lab', SNAPSHOT)), stoppedBefore, 'stopped with its message, as before');

  // A queue without a PPD (raw, deprecated but still found) gets a release queue without one.
  // Done over the local socket, as on a print server by default (PeerCred as root).
  await rig.exec('lpadmin', ['-p', 'raw', '-E', '-v', rig.printerUri]);
  const overSocket = (...args: string[]) => run(process.execPath, [BIN, 'cups', ...args], { env: { ...env, CUPS_SERVER: rig.socketPath, CUPS_STATEDIR: join(rig.base, 'nowhere') } }).then(
    (r) => ({ code: 0, out: r.stdout, err: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout, err: e.stderr }),
  );
  const raw = await overSocket('attach', 'raw');
  t.equal(raw.code, 0, `raw queue attached over the socket ${raw.err}`);
  t.match(raw.out, /cupsd\.conf: added the policies/, 'cupsd.conf edited over the socket');
  t.match(raw.out, /created the release queue raw\.printgate \(device [^,]+, no PPD/, 'a raw queue gets a raw release queue');
  t.equal((await overSocket('detach', 'raw')).code, 0, 'and is detached');

  // The administrator deleted an attached queue: detach still cleans up after us.
  await rig.exec('lpadmin', ['-p', 'gone', '-E', '-v', rig.printerUri]);
  t.equal((await cli('attach', 'gone')).code, 0);
  await rig.exec('lpadmin', ['-x', 'gone']);
  const cleanup = await cli('detach', 'gone');
  t.equal(cleanup.code, 0, cleanup.err);
  t.match(cleanup.out, /gone no longer exists in CUPS/);
  t.match(cleanup.out, /deleted the release queue gone\.printgate/);
  t.equal(await ops.findPrinter(admin, 'gone.printgate', ['printer-name']), undefined);
  t.equal(await readFile(confPath, 'utf8'), confBefore, 'cupsd.conf is as before');

  // Without the local certificate (a plain user), CUPS refuses and we say so.
  const plain = await run(process.execPath, [BIN, 'cups', 'attach', 'lab'], { env: { ...env, ...rig.userEnv } }).then(() => ({ code: 0, err: '' }), (e: { code: number; stderr: string }) => ({ code: e.code, err: e.stderr }));
  t.equal(plain.code, 1);
  t.match(plain.err, /SPOOLER_UNAUTHORIZED/);
  await t.rejects(readFile(join(stateDir, 'cups', 'lab.json')), { code: 'ENOENT' }, 'nothing saved by a refused attach');
});
