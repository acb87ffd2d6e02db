// `printgate cups attach|detach QUEUE` and `status`: the administrator's command to put a
// CUPS queue behind printgate's gate, give it back, and see which queues are gated. Like
// lpadmin it talks to CUPS_SERVER (or the local socket) and authenticates with the local
// certificate in CUPS_STATEDIR (or PeerCred on the socket), so it runs as root on the print
// server. attach/detach print one line per change; "nothing to change" when run again.

import { EXIT_OK, parseCommandArgs, runCommand, UsageError } from '../../cli/usage.ts';
import { CupsClient } from './client.ts';
import { attach, defaultStateDir, detach, releaseQueueName, RELEASE_SUFFIX } from './attach.ts';
import { str } from './ipp-message.ts';
import { PrinterState } from './ipp-tags.ts';
import * as ops from './ops.ts';
import { GATE_POLICY } from './policy.ts';

/** One line per queue: name, under printgate or not, jobs waiting, state of what prints. */
async function status(client: CupsClient): Promise<string> {
  const printers = await ops.getPrinters(client, ['printer-name', 'printer-op-policy', 'printer-state', 'printer-is-accepting-jobs']);
  const byName = new Map(printers.map((p) => [str(p, 'printer-name'), p]));
  const lines: string[] = [];
  for (const p of printers) {
    const name = str(p, 'printer-name');
    if (name.endsWith(RELEASE_SUFFIX)) continue;
    if (str(p, 'printer-op-policy') !== GATE_POLICY) {
      lines.push(`${name}: not under printgate`);
      continue;
    }
    const waiting = (await ops.getJobs(client, name, 'not-completed', ['job-id'])).length;
    const rq = byName.get(releaseQueueName(name));
    const gate = p.find((x) => x.name === 'printer-state')?.values[0]?.value === PrinterState.stopped ? 'gate closed' : 'GATE OPEN (run printgate cups attach again)';
    const printing = !rq ? 'release queue missing' : rq.find((x) => x.name === 'printer-state')?.values[0]?.value === PrinterState.stopped ? `${releaseQueueName(name)} stopped` : `${releaseQueueName(name)} ready`;
    lines.push(`${name}: under printgate, ${gate}, ${waiting} job(s) waiting, ${printing}`);
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : 'no queues\n';
}

const USAGE = `usage: printgate cups attach QUEUE
       printgate cups detach QUEUE [--force]
       printgate cups status

  attach   put an existing CUPS queue under printgate's control: jobs sent to it wait
           until the printgate agent lets them print (safe to run twice)
  detach   restore the queue exactly as it was before attach; refuses while jobs wait
           at the gate unless --force (they would then print unchecked)
  status   list the queues: which are under printgate, and how many jobs wait

environment: CUPS_SERVER, CUPS_STATEDIR (as for lpadmin), PRINTGATE_STATE_DIR
(where the original settings are kept; default /var/lib/printgate)
`;

export async function run(argv: string[]): Promise<number> {
  return runCommand('cups', USAGE, async () => {
    const { values, positionals } = parseCommandArgs(argv, { force: { type: 'boolean' } });
    if (values.help) {
      process.stdout.write(USAGE);
      return EXIT_OK;
    }
    const [action, queue, ...extra] = positionals;
    if (action === 'status') {
      if (queue !== undefined) throw new UsageError(`unexpected argument "${queue}"`);
      const client = new CupsClient({ auth: 'system', user: 'root' });
      try {
        process.stdout.write(await status(client));
        return EXIT_OK;
      } finally {
        client.close();
      }
    }
    if (action !== 'attach' && action !== 'detach') throw new UsageError(action ? `unknown action "${action}"` : 'missing action');
    if (!queue) throw new UsageError('missing QUEUE');
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
    if (values.force && action !== 'detach') throw new UsageError('--force is for detach');
    const client = new CupsClient({ auth: 'system', user: 'root' });
    try {
      const ctx = { client, stateDir: defaultStateDir() };
      const result = action === 'attach' ? await attach(ctx, queue) : await detach(ctx, queue, { force: values.force ?? false });
      if (result.changes.length === 0) {
        process.stdout.write(action === 'attach' ? `${queue} is already attached to printgate; nothing to change\n` : `${queue} is not attached to printgate; nothing to change\n`);
      } else {
        for (const line of result.changes) process.stdout.write(`${line}\n`);
      }
      return EXIT_OK;
    } finally {
      client.close();
    }
  });
}
