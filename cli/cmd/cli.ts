// `printgate cmd <sub-command>`: PaperCut's server-command for printgate, talking to the
// admin API of a running server. Global options may come before or after the sub-command.
// Exit codes: 0 done, 1 refused or failed (one line on stderr: `reason [CODE]`), 2 usage.

import { UsageError, runCommand, EXIT_USAGE } from '../usage.ts';
import { AdminClient, DEFAULT_SERVER, resolveAdminToken } from './admin-client.ts';
import { optionsHelp, parseCmdArgs, type OptionSpecs } from './args.ts';
import { GROUP_COMMANDS } from './groups.ts';
import { PRINTER_COMMANDS } from './printers.ts';
import { SYSTEM_COMMANDS } from './system.ts';
import { checkArgs, createOutput, str, type CmdDef } from './types.ts';
import { USER_COMMANDS } from './users.ts';
import { WEB_COMMANDS } from './web.ts';

const GLOBAL_OPTIONS: OptionSpecs = {
  server: { type: 'string', value: 'URL', help: `the server (PRINTGATE_SERVER, default ${DEFAULT_SERVER})` },
  data: { type: 'string', value: 'DIR', help: 'data directory holding admin.token when PRINTGATE_ADMIN_TOKEN is unset (PRINTGATE_DATA, default ./data)' },
  json: { type: 'boolean', help: 'print JSON: one object per line' },
  ca: { type: 'string', value: 'FILE', help: 'trust the PEM certificate(s) in FILE for an https server' },
  timeout: { type: 'string', value: 'SECONDS', help: 'give up on the server after this long (default 30)' },
};

const GROUPS: ReadonlyArray<readonly [string, readonly CmdDef[]]> = [
  ['users', USER_COMMANDS],
  ['groups and shared accounts', GROUP_COMMANDS],
  ['printers', PRINTER_COMMANDS],
  ['server', SYSTEM_COMMANDS],
  ['web log-ins', WEB_COMMANDS],
];

export const SUB_COMMANDS: readonly CmdDef[] = GROUPS.flatMap(([, defs]) => defs);

function mainUsage(): string {
  const width = Math.max(...SUB_COMMANDS.map((c) => c.name.length));
  const lines = ['usage: printgate cmd [options] <sub-command> [arguments]', '',
    'Administer a running printgate server through its admin API (PaperCut\'s server-command).', ''];
  for (const [title, defs] of GROUPS) {
    lines.push(`${title}:`);
    for (const d of defs) lines.push(`  ${d.name.padEnd(width)}  ${d.summary}`);
    lines.push('');
  }
  lines.push('options:', ...optionsHelp(GLOBAL_OPTIONS), '',
    'The admin token is PRINTGATE_ADMIN_TOKEN, else <data dir>/admin.token.',
    'Exit status: 0 done, 1 refused or failed, 2 usage error.',
    'Run `printgate cmd <sub-command> --help` for its arguments.', '');
  return lines.join('\n');
}

function commandUsage(def: CmdDef): string {
  const lines = [`usage: printgate cmd ${def.name}${def.args.length ? ' ' + def.args.join(' ') : ''}${def.options ? ' [options]' : ''}`, '', def.summary, ''];
  if (def.options) lines.push('options:', ...optionsHelp(def.options), '');
  lines.push('global options:', ...optionsHelp(GLOBAL_OPTIONS), '');
  if (def.details) lines.push(def.details, '');
  return lines.join('\n');
}

/** The index of the sub-command name: the first argument that is not a global option. */
function findSubCommand(argv: readonly string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) return arg === '-h' ? -1 : i;
    const name = arg.slice(2).split('=')[0]!;
    if (GLOBAL_OPTIONS[name]?.type === 'string' && !arg.includes('=')) i++;
  }
  return -1;
}

export async function run(argv: string[]): Promise<number> {
  const at = findSubCommand(argv);
  const name = at === -1 ? undefined : argv[at];
  const def = SUB_COMMANDS.find((d) => d.name === name);
  const usage = def ? commandUsage(def) : mainUsage();

  return runCommand('cmd', usage, async () => {
    if (name === undefined) {
      const { options } = parseCmdArgs(argv, GLOBAL_OPTIONS);
      if (options.help) {
        process.stdout.write(usage);
        return 0;
      }
      process.stderr.write(usage);
      return EXIT_USAGE;
    }
    if (!def) throw new UsageError(`unknown sub-command "${name}"`);
    const rest = [...argv.slice(0, at), ...argv.slice(at + 1)];
    const { options, positionals } = parseCmdArgs(rest, { ...GLOBAL_OPTIONS, ...(def.options ?? {}) });
    if (options.help) {
      process.stdout.write(usage);
      return 0;
    }
    checkArgs(def, positionals);

    let timeoutMs = 30_000;
    const timeout = str(options.timeout);
    if (timeout !== undefined) {
      if (!/^\d+(\.\d+)?$/.test(timeout) || Number(timeout) <= 0) throw new UsageError('--timeout must be a positive number of seconds');
      timeoutMs = Math.round(Number(timeout) * 1000);
    }
    const dataDir = str(options.data) ?? (process.env.PRINTGATE_DATA || './data');
    const server = str(options.server) ?? (process.env.PRINTGATE_SERVER || DEFAULT_SERVER);
    const ca = str(options.ca);
    const api = new AdminClient({ server, dataDir, timeoutMs, ...(ca !== undefined ? { ca } : {}) }, resolveAdminToken(dataDir));
    try {
      await def.run({ api, out: createOutput(options.json === true) }, positionals, options);
    } finally {
      api.close();
    }
    return 0;
  });
}
