// `printgate server`: parse the options, start the server, print where it is, and close
// cleanly on SIGINT/SIGTERM (HTTP first, so that long polls end, then the scheduler and the
// database). A second signal while closing exits at once.

import { EXIT_FAILED, EXIT_OK, runCommand } from '../cli/usage.ts';
import { parseServerArgs, SERVER_USAGE } from './config.ts';

export async function run(argv: string[]): Promise<number> {
  return runCommand('server', SERVER_USAGE, async () => {
    const parsed = parseServerArgs(argv);
    if (parsed.help || !parsed.config) {
      process.stdout.write(SERVER_USAGE);
      return EXIT_OK;
    }
    // Loaded here so that `printgate server --help` does not open Fastify or the database.
    const { startServer } = await import('./start.ts');
    const server = await startServer(parsed.config);
    process.stdout.write(`${server.banner.join('\n')}\n`);
    for (const w of server.warnings) process.stderr.write(`${w}\n`);

    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
    });
    process.stdout.write(`printgate server: ${signal}, closing\n`);
    const force = (): void => {
      process.stderr.write('printgate server: second signal, exiting now\n');
      process.exit(EXIT_FAILED);
    };
    process.once('SIGINT', force);
    process.once('SIGTERM', force);
    await server.close();
    process.stdout.write('printgate server: closed\n');
    return EXIT_OK;
  });
}
