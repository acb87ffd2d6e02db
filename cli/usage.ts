// Shared pieces of every sub-command: argument parsing with usage errors (exit 2), and the
// mapping of failures to exit codes (1 with a one-line reason on stderr).

import type { ParseArgsConfig } from 'node:util';
import { PrintgateError } from '../shared/errors.ts';

const { parseArgs } = process.getBuiltinModule('node:util');

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** A mistake in how the command was called: printed with the usage, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with strict checking; a bad flag becomes a UsageError. Adds --help. */
export function parseCommandArgs<O extends Options>(argv: string[], options: O, allowPositionals = true) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Run a sub-command body, turning errors into exit codes and one-line messages. */
export async function runCommand(name: string, usage: string, body: () => Promise<number | void>): Promise<number> {
  try {
    return (await body()) ?? EXIT_OK;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`printgate ${name}: ${err.message}\n${usage}`);
      return EXIT_USAGE;
    }
    if (err instanceof PrintgateError) {
      process.stderr.write(`printgate ${name}: ${err.message} [${err.code}]\n`);
      return EXIT_FAILED;
    }
    const e = err as NodeJS.ErrnoException;
    process.stderr.write(`printgate ${name}: ${e?.message ?? String(err)}${e?.code ? ` [${e.code}]` : ''}\n`);
    if (process.env.PRINTGATE_DEBUG) process.stderr.write(`${e?.stack}\n`);
    return EXIT_FAILED;
  }
}
