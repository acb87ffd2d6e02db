// A real, private CUPS for tests: its own cupsd (own directories and port under a temp
// dir, nothing shared with a system CUPS), a private D-Bus (ippeveprinter needs one), and
// an ippeveprinter virtual printer whose print command (-c HOOK) records every job it
// receives: the document and the job's IPP_* attributes. Everything listens on 127.0.0.1
// on free ports; every daemon runs in the foreground as our child and is stopped by PID.
//
//   const rig = await startCupsRig({ queues: ['lab'] });
//   const { jobId } = await rig.lp(['-d', 'lab', file], 'alice');
//   const [got] = await rig.waitForReceived(1);   // got.attrs.IPP_PRINT_COLOR_MODE ...
//   await rig.stop();
//
// Facts behind the settings are in /work/shared/cups-test-rig.md (DirtyCleanInterval 0 so
// control files are written at once, PreserveJobFiles No, the local certificate that admin
// commands need through CUPS_STATEDIR, ippeveprinter's D-Bus requirement).
// Timing: with DirtyCleanInterval 0 cupsd writes a job's control file synchronously on
// every change, so Set-Job-Attributes takes 2–25 ms here instead of ~0.5 ms with the
// stock value (measured). A benchmark should pass `cupsdConf: ['DirtyCleanInterval 30']`
// (a later directive wins) and wait for the queue to be idle between jobs: the IPP
// backend keeps a queue busy for about a second after the printer has the document.

import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, writeFile, readdir, readFile, rm, chmod, stat } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CupsRigOptions {
  /** Queues to create, each an IPP Everywhere queue on the virtual printer. */
  readonly queues?: readonly string[];
  /** Keep documents of finished jobs (stock CUPS keeps them a day); default false. */
  readonly preserveJobFiles?: boolean;
  /** Extra lines for cupsd.conf (before the policies). */
  readonly cupsdConf?: readonly string[];
}

export interface ReceivedJob {
  /** Directory the hook wrote: `document` and `attrs`. */
  readonly dir: string;
  readonly file: string;
  /** IPP_* variables ippeveprinter passed to the hook, e.g. IPP_PRINT_COLOR_MODE. */
  readonly attrs: Readonly<Record<string, string>>;
  /** When the hook ran, in ms since the epoch (from its own clock). */
  readonly at: number;
}

export interface CupsRig {
  /** Environment for admin commands and privileged clients (lpadmin, cupsdisable, the agent). */
  readonly env: { readonly CUPS_SERVER: string; readonly CUPS_STATEDIR: string };
  /**
   * Environment of a plain user: the same server, but no access to the local certificate
   * (tests run as root, and root's lp would otherwise authenticate as @SYSTEM).
   */
  readonly userEnv: { readonly CUPS_SERVER: string; readonly CUPS_STATEDIR: string };
  readonly base: string;
  readonly port: number;
  /** cupsd's RequestRoot: d000NN-001 documents and c000NN control files. */
  readonly spoolDir: string;
  /** cupsd's ServerRoot (cupsd.conf, ppd/, printers.conf). */
  readonly serverRoot: string;
  readonly socketPath: string;
  /** The virtual printer. */
  readonly printerUri: string;
  readonly printerPort: number;
  /** Where ippeveprinter keeps received files (-d). */
  readonly printerDir: string;
  readonly queues: readonly string[];
  /** Jobs the virtual printer has received so far, oldest first. */
  receivedJobs(): Promise<ReceivedJob[]>;
  /** Wait until at least `count` jobs were received (default timeout 10 s). */
  waitForReceived(count: number, timeoutMs?: number): Promise<ReceivedJob[]>;
  /** `lp ARGS` as the plain user `user` (lp -U, userEnv); resolves with the job id CUPS gave. */
  lp(args: readonly string[], user?: string): Promise<{ jobId: number; stdout: string }>;
  /** Run a CUPS command (lpadmin, lpstat, cupsdisable, ipptool...) with the admin environment. */
  exec(cmd: string, args: readonly string[]): Promise<{ stdout: string; stderr: string }>;
  /** Run a CUPS command as a plain user (userEnv). */
  execAsUser(cmd: string, args: readonly string[]): Promise<{ stdout: string; stderr: string }>;
  /** Restart cupsd (keeps its files; the local certificate changes). */
  restartCupsd(): Promise<void>;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (the tiny race with another process is acceptable in tests). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function waitFor(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`cups rig: ${what} not ready after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

/** Stop a child we started: SIGTERM, then SIGKILL after graceMs; resolves when it exited. */
async function stopChild(child: ChildProcess | undefined, graceMs = 4000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

function cupsFilesConf(b: string): string {
  return [
    `ServerRoot ${b}/etc`,
    `RequestRoot ${b}/spool`,
    `TempDir ${b}/spool/tmp`,
    `CacheDir ${b}/cache`,
    `StateDir ${b}/state`,
    `ErrorLog ${b}/log/error_log`,
    `AccessLog ${b}/log/access_log`,
    `PageLog ${b}/log/page_log`,
    'User lp',
    'Group lp',
    'SystemGroup root lpadmin',
    '',
  ].join('\n');
}

/** The default policy, as Debian ships it (owners may manage their own jobs). */
const DEFAULT_POLICY = `<Policy default>
  JobPrivateAccess default
  JobPrivateValues default
  SubscriptionPrivateAccess default
  SubscriptionPrivateValues default
  <Limit Create-Job Print-Job Print-URI Validate-Job>
    Order deny,allow
  </Limit>
  <Limit Send-Document Send-URI Hold-Job Release-Job Restart-Job Purge-Jobs Set-Job-Attributes Create-Job-Subscription Renew-Subscription Cancel-Subscription Get-Notifications Reprocess-Job Cancel-Current-Job Suspend-Current-Job Resume-Job Cancel-My-Jobs Close-Job CUPS-Move-Job>
    Require user @OWNER @SYSTEM
    Order deny,allow
  </Limit>
  <Limit CUPS-Get-Document>
    AuthType Default
    Require user @OWNER @SYSTEM
    Order deny,allow
  </Limit>
  <Limit CUPS-Add-Modify-Printer CUPS-Delete-Printer CUPS-Add-Modify-Class CUPS-Delete-Class CUPS-Set-Default CUPS-Get-Devices>
    AuthType Default
    Require user @SYSTEM
    Order deny,allow
  </Limit>
  <Limit Pause-Printer Resume-Printer Enable-Printer Disable-Printer Pause-Printer-After-Current-Job Hold-New-Jobs Release-Held-New-Jobs Deactivate-Printer Activate-Printer Restart-Printer Shutdown-Printer Startup-Printer Promote-Job Schedule-Job-After Cancel-Jobs CUPS-Accept-Jobs CUPS-Reject-Jobs>
    AuthType Default
    Require user @SYSTEM
    Order deny,allow
  </Limit>
  <Limit Cancel-Job CUPS-Authenticate-Job>
    Require user @OWNER @SYSTEM
    Order deny,allow
  </Limit>
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
`;

function cupsdConf(b: string, port: number, extra: readonly string[], preserveJobFiles: boolean): string {
  return [
    'LogLevel info',
    `Listen 127.0.0.1:${port}`,
    `Listen ${b}/state/cups.sock`,
    'Browsing No',
    'WebInterface No',
    'DirtyCleanInterval 0',
    'PreserveJobHistory Yes',
    `PreserveJobFiles ${preserveJobFiles ? 'Yes' : 'No'}`,
    'DefaultAuthType Basic',
    ...extra,
    '<Location />',
    '  Order allow,deny',
    '  Allow localhost',
    '  Allow 127.0.0.1',
    '</Location>',
    // As stock CUPS: the configuration files are for authenticated administrators only.
    '<Location /admin/conf>',
    '  AuthType Default',
    '  Require user @SYSTEM',
    '  Order allow,deny',
    '  Allow localhost',
    '  Allow 127.0.0.1',
    '</Location>',
    DEFAULT_POLICY,
  ].join('\n');
}

const HOOK = (out: string) => `#!/bin/sh
# ippeveprinter print command: keep the document and the job's IPP_* attributes.
d="${out}/$(date +%s%N)-$$"
mkdir -p "$d"
env | grep '^IPP_' > "$d/attrs" || true
cp "$1" "$d/document"
date +%s%3N > "$d/done.tmp"
mv "$d/done.tmp" "$d/done"
`;

export async function startCupsRig(options: CupsRigOptions = {}): Promise<CupsRig> {
  const b = await mkdtemp(join(tmpdir(), 'printgate-cups-'));
  await chmod(b, 0o755); // cupsd runs filters as lp: they must reach the spool
  for (const d of ['user-state', 'etc/ppd', 'spool/tmp', 'cache', 'state', 'log', 'dbus', 'ipp/spool', 'ipp/out']) await mkdir(join(b, d), { recursive: true });
  const port = await freePort();
  const printerPort = await freePort();
  const env = { CUPS_SERVER: `127.0.0.1:${port}`, CUPS_STATEDIR: `${b}/state` };
  const userEnv = { CUPS_SERVER: env.CUPS_SERVER, CUPS_STATEDIR: `${b}/user-state` };
  const childEnv = { ...process.env, ...env };
  await writeFile(join(b, 'etc/cups-files.conf'), cupsFilesConf(b));
  await writeFile(join(b, 'etc/cupsd.conf'), cupsdConf(b, port, options.cupsdConf ?? [], options.preserveJobFiles ?? false));
  const hook = join(b, 'ipp/hook.sh');
  await writeFile(hook, HOOK(join(b, 'ipp/out')), { mode: 0o755 });

  const children: ChildProcess[] = [];
  const logs: string[] = [];
  const startDaemon = (cmd: string, args: string[], extraEnv: Record<string, string> = {}): ChildProcess => {
    const child = spawn(cmd, args, { env: { ...childEnv, ...extraEnv }, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (d: Buffer) => { if (logs.length < 200) logs.push(`${cmd}: ${d.toString().trimEnd()}`); });
    child.on('error', (e) => logs.push(`${cmd}: ${e.message}`));
    children.push(child);
    return child;
  };
  let cupsd: ChildProcess | undefined;
  const startCupsd = async () => {
    cupsd = startDaemon('cupsd', ['-f', '-c', `${b}/etc/cupsd.conf`, '-s', `${b}/etc/cups-files.conf`]);
    await waitFor('cupsd', 5000, () => tcpOpen(port));
  };

  const exec = async (cmd: string, args: readonly string[], asUser = false) => {
    const r = await run(cmd, [...args], { env: asUser ? { ...process.env, ...userEnv } : childEnv, timeout: 20_000 });
    return { stdout: r.stdout, stderr: r.stderr };
  };

  const rig: CupsRig = {
    env,
    userEnv,
    base: b,
    port,
    spoolDir: join(b, 'spool'),
    serverRoot: join(b, 'etc'),
    socketPath: join(b, 'state/cups.sock'),
    printerUri: `ipp://127.0.0.1:${printerPort}/ipp/print`,
    printerPort,
    printerDir: join(b, 'ipp/spool'),
    queues: options.queues ?? [],
    async receivedJobs() {
      const out = join(b, 'ipp/out');
      const names = (await readdir(out)).sort();
      const jobs: ReceivedJob[] = [];
      for (const name of names) {
        const dir = join(out, name);
        const done = await readFile(join(dir, 'done'), 'utf8').catch(() => undefined);
        if (done === undefined) continue; // still being written
        const attrs: Record<string, string> = {};
        for (const line of (await readFile(join(dir, 'attrs'), 'utf8')).split('\n')) {
          const eq = line.indexOf('=');
          if (eq > 0) attrs[line.slice(0, eq)] = line.slice(eq + 1);
        }
        jobs.push({ dir, file: join(dir, 'document'), attrs, at: Number(done.trim()) });
      }
      return jobs;
    },
    async waitForReceived(count, timeoutMs = 10_000) {
      let jobs: ReceivedJob[] = [];
      await waitFor(`${count} received job(s)`, timeoutMs, async () => (jobs = await rig.receivedJobs()).length >= count);
      return jobs;
    },
    async lp(args, user) {
      const { stdout } = await exec('lp', [...(user ? ['-U', user] : []), ...args], true);
      const m = /request id is \S+-(\d+)/.exec(stdout);
      if (!m) throw new Error(`lp: no job id in ${JSON.stringify(stdout)}`);
      return { jobId: Number(m[1]), stdout };
    },
    exec: (cmd, args) => exec(cmd, args),
    execAsUser: (cmd, args) => exec(cmd, args, true),
    async restartCupsd() {
      await stopChild(cupsd);
      await startCupsd();
    },
    async stop() {
      for (const child of children.reverse()) await stopChild(child);
      await rm(b, { recursive: true, force: true });
    },
  };

  try {
    await startCupsd();
    startDaemon('dbus-daemon', ['--session', `--address=unix:path=${b}/dbus/bus`, '--nofork', '--nopidfile']);
    await waitFor('dbus-daemon', 5000, async () => (await stat(`${b}/dbus/bus`)).isSocket());
    const bus = `unix:path=${b}/dbus/bus`;
    startDaemon('ippeveprinter', ['-n', 'localhost', '-p', String(printerPort), '-d', rig.printerDir, '-k', '-f', 'application/pdf,image/pwg-raster,image/urf', '-2', '-s', '60,60', '-c', hook, '-r', 'off', 'Virtual'], { DBUS_SYSTEM_BUS_ADDRESS: bus, DBUS_SESSION_BUS_ADDRESS: bus });
    await waitFor('ippeveprinter', 10_000, async () => {
      await exec('ipptool', ['-q', rig.printerUri, 'get-printer-attributes.test']);
      return true;
    });
    for (const q of rig.queues) {
      await exec('lpadmin', ['-p', q, '-E', '-v', rig.printerUri, '-m', 'everywhere']);
      // cupsd loads the new PPD after lpadmin returns: until then the queue says
      // "Local Raw Printer". Wait, so that tests see the queue as it will stay.
      await waitFor(`queue ${q}`, 10_000, async () => {
        const { stdout } = await exec('ipptool', ['-tv', `ipp://${env.CUPS_SERVER}/printers/${q}`, 'get-printer-attributes.test']);
        return /printer-make-and-model \([^)]*\) = (?!Local Raw Printer)/.test(stdout);
      });
    }
  } catch (err) {
    const detail = logs.join('\n');
    await rig.stop().catch(() => undefined);
    throw new Error(`${(err as Error).message}\n${detail}`, { cause: err });
  }
  return rig;
}
