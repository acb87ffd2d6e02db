// The `printgate` command: a thin dispatcher. Each sub-command lives with the part it
// drives (server, agent, analysis, platform) and is loaded only when called, so
// `printgate analyze` does not start Fastify and `printgate --help` loads nothing.

import { EXIT_OK, EXIT_USAGE } from './usage.ts';

export interface SubCommand {
  readonly name: string;
  readonly summary: string;
  load(): Promise<{ run(argv: string[]): Promise<number> }>;
}

/** Every sub-command, in the order --help lists them. */
export const COMMANDS: readonly SubCommand[] = [
  { name: 'agent', summary: 'Run the print provider on a CUPS print server', load: () => import('../agent/cli.ts') },
  { name: 'analyze', summary: 'Count pages and colour pages of spool files', load: () => import('../agent/analysis/cli.ts') },
  { name: 'client', summary: 'The user client in a terminal: balance, warnings, answers to held jobs', load: () => import('./client.ts') },
  { name: 'cmd', summary: 'Administer a running server (PaperCut\'s server-command)', load: () => import('./cmd/cli.ts') },
  { name: 'cups', summary: 'Put a CUPS queue under printgate (attach), give it back (detach), or list (status)', load: () => import('../platform/cups/cli.ts') },
  { name: 'replay', summary: 'Replay spool files through a server as a print provider would', load: () => import('../agent/replay.ts') },
  { name: 'server', summary: 'Run the application server (agent API, admin API)', load: () => import('../server/cli.ts') },
];

export const VERSION = '0.1.0';

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length), 8);
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    'usage: printgate <command> [options]',
    '',
    'Print management: an application server and print-provider agents.',
    '',
    'commands:',
    ...lines,
    '',
    'Run `printgate <command> --help` for the options of a command.',
    '',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help());
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`printgate ${VERSION}\n`);
    return EXIT_OK;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`printgate: unknown command "${name}"\n${help()}`);
    return EXIT_USAGE;
  }
  const mod = await command.load();
  return mod.run(rest);
}
