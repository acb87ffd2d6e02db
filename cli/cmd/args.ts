// Argument parsing for `printgate cmd`. node:util parseArgs would read the negative amount
// in `adjust-user-account-balance bob -1.50` as an unknown option, so this small parser
// treats a dash followed by a digit as a positional value. Everything else follows the
// usual rules: --name VALUE, --name=VALUE, --flag, `--` ends the options; an unknown
// option or a missing value is a UsageError (exit 2).

import { UsageError } from '../usage.ts';

export interface OptionSpec {
  type: 'string' | 'boolean';
  /** Placeholder of the value in help, e.g. "URL". */
  value?: string;
  help: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;
export type OptionValues = Record<string, string | boolean | undefined>;

export interface ParsedArgs {
  options: OptionValues;
  positionals: string[];
}

const NEGATIVE_NUMBER = /^-\d/;

export function parseCmdArgs(argv: readonly string[], specs: OptionSpecs): ParsedArgs {
  const options: OptionValues = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h') {
      options.help = true;
      continue;
    }
    if (!arg.startsWith('-') || arg === '-' || NEGATIVE_NUMBER.test(arg)) {
      positionals.push(arg);
      continue;
    }
    if (!arg.startsWith('--')) throw new UsageError(`unknown option "${arg}"`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const spec = name === 'help' ? ({ type: 'boolean', help: '' } as const) : specs[name];
    if (!spec) throw new UsageError(`unknown option "--${name}"`);
    if (spec.type === 'boolean') {
      if (eq !== -1) throw new UsageError(`option "--${name}" takes no value`);
      options[name] = true;
      continue;
    }
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      if (value === undefined || (value.startsWith('--') && value !== '--')) throw new UsageError(`option "--${name}" needs a value`);
      i++;
    }
    options[name] = value;
  }
  return { options, positionals };
}

/** Help lines for a set of options, aligned. */
export function optionsHelp(specs: OptionSpecs): string[] {
  const left = Object.entries(specs).map(([name, s]) => `--${name}${s.type === 'string' ? ` ${s.value ?? 'VALUE'}` : ''}`);
  const width = Math.max(0, ...left.map((l) => l.length));
  return Object.values(specs).map((s, i) => `  ${left[i]!.padEnd(width)}  ${s.help}`);
}
