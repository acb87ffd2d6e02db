// What one `printgate cmd` sub-command is (name, arguments, options, one-line summary, the
// body), and the output helpers they share: text lists are one record per line,
// tab-separated, name first; --json prints the server's objects, one per line.

import { UsageError } from '../usage.ts';
import type { AdminClient } from './admin-client.ts';
import type { OptionSpecs, OptionValues } from './args.ts';

export interface Output {
  readonly json: boolean;
  /** One line of text (text mode). */
  line(text: string): void;
  /** One record: tab-separated fields in text mode. */
  row(fields: readonly unknown[]): void;
  /** One JSON value on one line. */
  object(value: unknown): void;
}

export interface CmdContext {
  api: AdminClient;
  out: Output;
}

export interface CmdDef {
  readonly name: string;
  /** Argument names; optional ones in brackets: ['USER', 'AMOUNT', '[COMMENT]']. */
  readonly args: readonly string[];
  readonly summary: string;
  readonly options?: OptionSpecs;
  /** Extra help text after the options. */
  readonly details?: string;
  run(ctx: CmdContext, args: string[], options: OptionValues): Promise<void>;
}

/** Text of a field: tabs and line breaks would break the one-record-per-line format. */
function field(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return text.replace(/[\t\r\n]+/g, ' ');
}

export function createOutput(json: boolean, write: (text: string) => void = (t) => process.stdout.write(t)): Output {
  return {
    json,
    line: (text) => write(`${text}\n`),
    row: (fields) => write(`${fields.map(field).join('\t')}\n`),
    object: (value) => write(`${JSON.stringify(value)}\n`),
  };
}

/** Check the positional count against the definition; a mismatch is a usage error. */
export function checkArgs(def: CmdDef, args: readonly string[]): void {
  const required = def.args.filter((a) => !a.startsWith('[')).length;
  if (args.length < required) throw new UsageError(`missing ${def.args.slice(args.length, required).join(' ')}`);
  if (args.length > def.args.length) throw new UsageError(`unexpected argument "${args[def.args.length]}"`);
}

/** "true/false/yes/no/on/off/1/0" as a boolean; anything else is a usage error. */
export function parseBool(text: string, what: string): boolean {
  const t = text.trim().toLowerCase();
  if (['true', 'yes', 'on', '1', 'y'].includes(t)) return true;
  if (['false', 'no', 'off', '0', 'n'].includes(t)) return false;
  throw new UsageError(`${what} must be true or false, not "${text}"`);
}

/** A positive integer option value (e.g. --limit), or a usage error. */
export function parseCount(text: string | boolean | undefined, what: string, fallback: number): number {
  if (text === undefined) return fallback;
  if (typeof text !== 'string' || !/^\d{1,9}$/.test(text) || Number(text) < 1) throw new UsageError(`${what} must be a positive integer`);
  return Number(text);
}

/** A string option value, or undefined when not given. */
export const str = (v: string | boolean | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
