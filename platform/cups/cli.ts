// `printgate cups attach|detach QUEUE`: the administrator's command to put a CUPS queue
// behind printgate's gate and to give it back. Like lpadmin it talks to CUPS_SERVER (or
// the local socket) and authenticates with the local certificate in CUPS_STATEDIR, so it
// runs as root on the print server. Prints one line per change; "nothing to change" when
// run again.

import { EXIT_OK, parseCommandArgs, runCommand, UsageError } from '../../cli/usage.ts';
import { CupsClient } from './client.ts';
import { attach, defaultStateDir, detach } from './attach.ts';

const USAGE = `usage: printgate cups attach QUEUE
       printgate cups detach QUEUE [--force]

  attach   put an existing CUPS queue under printgate's control: jobs sent to it wait
           until the printgate agent lets them print (safe to run twice)
  detach   restore the queue exactly as it was before attach; refuses while jobs wait
           at the gate unless --force (they would then print unchecked)

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
