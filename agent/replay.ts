// `printgate replay`: act as a print provider for spool files on disk. For each FILE it
// does what the agent does for a real job (register once, analyse with the analysis
// engine, authorize, complete or wait for a held job's fate; see replay-job.ts) and prints
// one line: file, decision, cost, reason (tab-separated), or one JSON object with --json.
// Exit 0 when every file was decided, whatever the decision; 1 when any file failed.

import { hostname } from 'node:os';
import { PrintgateError } from '../shared/errors.ts';
import { EXIT_FAILED, EXIT_OK, UsageError, parseCommandArgs, runCommand } from '../cli/usage.ts';
import { VERSION } from '../cli/main.ts';
import { analyzeFile } from './analysis/engine.ts';
import { createServerClient } from './client/client.ts';
import { AGENT_CONNECTION_OPTIONS, AGENT_CONNECTION_USAGE, connectionFromValues } from './client/options.ts';
import { errorResult, replayFile, type EventCursor, type ReplayResult, type ReplaySettings } from './replay-job.ts';

const USAGE = `usage: printgate replay --server URL --agent-token T --user U --printer QUEUE [options] FILE...

Replays spool files as a print provider would: analyse, authorize, complete (or wait for a
held job's release), and prints one line per file: file, decision, cost, reason.
Decisions: ALLOW, DENY, HOLD (still held), RELEASED, CANCELLED, TIMED_OUT; ERROR on failure.

connection:
${AGENT_CONNECTION_USAGE}

the job:
  --user U                  the job's owner (required)
  --printer QUEUE           the queue on this agent, the printer <agent>/QUEUE (required)
  --host H                  the originating host (default: this machine's name)
  --title T                 document name (default: the file name)
  --account NAME            charge this shared account
  --copies N                copies (default 1)
  --sides S                 one-sided, two-sided-long-edge or two-sided-short-edge
  --color-mode M            color, monochrome or auto
  --media M                 requested paper size, e.g. A4 or iso_a4_210x297mm
  --number-up N             pages per side: 1, 2, 4, 6, 9 or 16
  --page-ranges R           e.g. 1-3,7

output:
  --wait SECONDS            how long to wait for a held job's release (default 0: report it held)
  --json                    one JSON object per file and line

Exit status: 0 every file decided, 1 an error, 2 usage error.
`;

const OPTIONS = {
  ...AGENT_CONNECTION_OPTIONS,
  user: { type: 'string' },
  printer: { type: 'string' },
  host: { type: 'string' },
  title: { type: 'string' },
  account: { type: 'string' },
  copies: { type: 'string' },
  sides: { type: 'string' },
  'color-mode': { type: 'string' },
  media: { type: 'string' },
  'number-up': { type: 'string' },
  'page-ranges': { type: 'string' },
  wait: { type: 'string' },
  json: { type: 'boolean' },
} as const;

const SIDES = ['one-sided', 'two-sided-long-edge', 'two-sided-short-edge'];
const COLOR_MODES = ['color', 'monochrome', 'auto'];
const NUMBER_UP = [1, 2, 4, 6, 9, 16];

function integer(text: string | undefined, what: string, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,6}$/.test(text) || Number(text) < min || Number(text) > max) throw new UsageError(`${what} must be an integer from ${min} to ${max}`);
  return Number(text);
}

function oneOf(text: string | undefined, what: string, allowed: readonly string[]): string | undefined {
  if (text !== undefined && !allowed.includes(text)) throw new UsageError(`${what} must be one of ${allowed.join(', ')}`);
  return text;
}

function printResult(r: ReplayResult, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(r)}\n`);
    return;
  }
  const reason = [r.reason, r.reasonCode ? `[${r.reasonCode}]` : ''].filter(Boolean).join(' ');
  const fields = [r.file, r.decision, r.cost, reason].map((f) => f.replace(/[\t\r\n]+/g, ' '));
  process.stdout.write(`${fields.join('\t')}\n`);
}

export async function run(argv: string[]): Promise<number> {
  return runCommand('replay', USAGE, async () => {
    const { values: v, positionals: files } = parseCommandArgs(argv, OPTIONS);
    if (v.help) {
      process.stdout.write(USAGE);
      return EXIT_OK;
    }
    if (v.user === undefined || v.user === '') throw new UsageError('--user is required');
    if (v.printer === undefined || v.printer === '') throw new UsageError('--printer is required');
    if (files.length === 0) throw new UsageError('no FILE given');
    let connection;
    try {
      connection = connectionFromValues(v);
    } catch (err) {
      if (err instanceof PrintgateError && err.code === 'INVALID_ARGUMENT') throw new UsageError(err.message);
      throw err;
    }
    let waitMs = 0;
    if (v.wait !== undefined) {
      if (!/^\d+(\.\d+)?$/.test(v.wait) || Number(v.wait) > 86_400) throw new UsageError('--wait must be a number of seconds up to 86400');
      waitMs = Math.round(Number(v.wait) * 1000);
    }
    const settings: Omit<ReplaySettings, 'agent'> = {
      queue: v.printer,
      user: v.user,
      host: v.host ?? hostname(),
      waitMs,
      ...(v.title !== undefined ? { title: v.title } : {}),
      ...(v.account !== undefined ? { account: v.account } : {}),
      ...(v.copies !== undefined ? { copies: integer(v.copies, '--copies', 1, 9999)! } : {}),
      ...(v.sides !== undefined ? { sides: oneOf(v.sides, '--sides', SIDES)! } : {}),
      ...(v['color-mode'] !== undefined ? { colorMode: oneOf(v['color-mode'], '--color-mode', COLOR_MODES)! } : {}),
      ...(v.media !== undefined ? { media: v.media } : {}),
      ...(v['page-ranges'] !== undefined ? { pageRanges: v['page-ranges'] } : {}),
    };
    if (v['number-up'] !== undefined) {
      const n = integer(v['number-up'], '--number-up', 1, 16)!;
      if (!NUMBER_UP.includes(n)) throw new UsageError(`--number-up must be one of ${NUMBER_UP.join(', ')}`);
      settings.numberUp = n;
    }

    const client = createServerClient({ ...connection, userAgent: `printgate-replay/${VERSION}` });
    try {
      // Register once, as an agent does at start-up: the printer appears as <agent>/<queue>.
      const reg = await client.register({
        hostname: hostname(), version: VERSION, platform: 'replay',
        printers: [{ queue: settings.queue, description: 'printgate replay' }],
      });
      const cursor: EventCursor = { lastSeq: 0, pending: [] };
      let failed = false;
      for (const file of files) {
        let result: ReplayResult;
        try {
          result = await replayFile(client, (path) => analyzeFile(path), file, { ...settings, agent: reg.agent }, cursor);
        } catch (err) {
          result = errorResult(file, err);
          failed = true;
          process.stderr.write(`printgate replay: ${file}: ${result.reason} [${result.reasonCode}]\n`);
        }
        printResult(result, v.json === true);
      }
      return failed ? EXIT_FAILED : EXIT_OK;
    } finally {
      client.close();
    }
  });
}
