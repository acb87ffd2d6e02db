// `printgate agent`: run the print provider on a CUPS print server until SIGTERM/SIGINT.
// CUPS is reached through CUPS_SERVER or the local socket; jobs are noticed in the spool
// directory; the journal and the printer-policy cache live in the state directory.

import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { AGENT_CONNECTION_OPTIONS, AGENT_CONNECTION_USAGE, connectionFromValues, createServerClient } from './client/index.ts';
import { parseCommandArgs, runCommand, UsageError, EXIT_OK } from '../cli/usage.ts';
import { PrintgateError } from '../shared/errors.ts';
import { VERSION } from '../cli/main.ts';
import { Agent } from './agent.ts';
import { streamLogger, type Level } from './log.ts';
import { relaunchForIdleMemory } from './launch.ts';
import { exposeGc } from './quiet-gc.ts';

const USAGE = `usage: printgate agent --server URL (--agent-token T | --agent-token-file F) [options]

Run the print provider: every job on a managed CUPS queue is analysed, authorized by the
server, and released, cancelled or kept held. Runs until SIGTERM or SIGINT.

options:
${AGENT_CONNECTION_USAGE}
  --cups-spool-dir DIR      cupsd's spool directory (default /var/spool/cups)
  --state-dir DIR           journal and policy cache (default /var/lib/printgate)
  --name NAME               this agent's name (default: the host name); keep it stable
  --watermark-key-file F    site key for the watermark's HMAC signature
  --concurrency N           jobs analysed at once (default 4)
  --reconnect-max SECONDS   longest wait between reconnection attempts (default 30)
  --log-level LEVEL         debug, info, warn or error (default info)

CUPS is reached through CUPS_SERVER (host:port or a socket path) or the local socket;
CUPS_STATEDIR locates its local certificate as for lpadmin.
`;

const OPTIONS = {
  ...AGENT_CONNECTION_OPTIONS,
  'cups-spool-dir': { type: 'string' },
  'state-dir': { type: 'string' },
  name: { type: 'string' },
  'watermark-key-file': { type: 'string' },
  concurrency: { type: 'string' },
  'log-level': { type: 'string' },
  'reconnect-max': { type: 'string' },
} as const;

export async function run(argv: string[]): Promise<number> {
  return runCommand('agent', USAGE, async () => {
    const { values, positionals } = parseCommandArgs(argv, OPTIONS, false);
    if (values.help) { process.stdout.write(USAGE); return EXIT_OK; }
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    let connection;
    try {
      connection = connectionFromValues(values);
    } catch (err) {
      if (err instanceof PrintgateError && err.code === 'INVALID_ARGUMENT') throw new UsageError(err.message);
      throw err;
    }
    const level = (values['log-level'] ?? 'info') as Level;
    if (!['debug', 'info', 'warn', 'error'].includes(level)) throw new UsageError(`--log-level must be debug, info, warn or error`);
    const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency);
    if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 64)) throw new UsageError('--concurrency must be an integer from 1 to 64');
    const reconnectMax = values['reconnect-max'] === undefined ? undefined : Number(values['reconnect-max']);
    if (reconnectMax !== undefined && !(reconnectMax >= 0.1 && reconnectMax <= 3600)) throw new UsageError('--reconnect-max must be between 0.1 and 3600 seconds');
    let watermarkKey: Uint8Array | undefined;
    if (values['watermark-key-file'] !== undefined) {
      watermarkKey = readFileSync(values['watermark-key-file']);
      if (watermarkKey.length < 16) throw new UsageError('the watermark key file must hold at least 16 bytes');
    }

    // Idle memory: heap and thread settings that only work from process start (launch.ts).
    // After the arguments are checked, so that usage errors answer at once.
    relaunchForIdleMemory();
    // Memory: each job's analysis is a burst of short-lived garbage, after which V8 keeps
    // its young generation grown (~10 MB of RSS held while idle). The agent is a daemon
    // that is idle most of the time: keep the young generation at its initial size. The
    // flag only changes how V8 sizes the heap; measured in bench/gate.ts (docs/agent.md).
    if (!process.execArgv.some((f) => f.includes('semi-space')) && !(process.env.NODE_OPTIONS ?? '').includes('semi-space')) {
      setFlagsFromString('--semi-space-growth-factor=1');
    }
    const log = streamLogger(level);
    const client = createServerClient({
      ...connection, userAgent: `printgate-agent/${VERSION}`,
      onRetry: (r) => log.debug('retrying a server call', { method: r.method, retry: r.retry, delayMs: r.delayMs, error: r.error.message }),
    });
    // Loaded here so that `printgate agent --help` needs neither CUPS code nor the engine.
    const { CupsSpooler } = await import('../platform/cups/spooler.ts');
    const { analyzeFile } = await import('./analysis/engine.ts');
    const spooler = new CupsSpooler({ spoolDir: values['cups-spool-dir'] ?? '/var/spool/cups' });
    const agent = new Agent({
      spooler, client, log, version: VERSION,
      stateDir: values['state-dir'] ?? '/var/lib/printgate',
      analyze: (path, o) => analyzeFile(path, { signal: o.signal }),
      gc: exposeGc(),
      ...(values.name ? { name: values.name } : {}),
      ...(watermarkKey ? { watermarkKey } : {}),
      ...(concurrency ? { concurrency } : {}),
      ...(reconnectMax ? { reconnectMaxMs: Math.round(reconnectMax * 1000), reconnectMinMs: Math.min(1000, Math.round(reconnectMax * 1000)) } : {}),
    });

    let stopping: Promise<void> | undefined;
    const stopped = new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        log.info('stopping', { signal });
        stopping ??= agent.close().then(resolve, resolve);
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
    await agent.start();
    await stopped;
    return EXIT_OK;
  });
}
