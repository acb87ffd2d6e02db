// How an agent-side command is told where its server is and who it is: the command-line
// options every agent command shares (--server, --agent-token, --agent-token-file, --ca,
// --timeout) and their resolution into ServerClientOptions. The token may come from the
// flag, from PRINTGATE_AGENT_TOKEN, or from a file (so it does not show in `ps`).

import { readFileSync } from 'node:fs';
import { PrintgateError } from '../../shared/errors.ts';
import type { ServerClientOptions } from './client.ts';

export const AGENT_CONNECTION_OPTIONS = {
  server: { type: 'string' },
  'agent-token': { type: 'string' },
  'agent-token-file': { type: 'string' },
  ca: { type: 'string' },
  timeout: { type: 'string' },
} as const;

export const AGENT_CONNECTION_USAGE = [
  '  --server URL              the application server (http:// or https://)',
  '  --agent-token TOKEN       the agent token from `printgate cmd add-agent` (or PRINTGATE_AGENT_TOKEN)',
  '  --agent-token-file FILE   read the agent token from FILE instead (keeps it out of `ps`)',
  '  --ca FILE                 trust the PEM certificate(s) in FILE for an https server',
  '  --timeout SECONDS         deadline of one call to the server (default 10)',
].join('\n');

export interface ConnectionValues {
  server?: string | undefined;
  'agent-token'?: string | undefined;
  'agent-token-file'?: string | undefined;
  ca?: string | undefined;
  timeout?: string | undefined;
}

/**
 * Resolve the agent token: --agent-token, else --agent-token-file, else
 * PRINTGATE_AGENT_TOKEN. Giving both flags is a mistake, not a precedence question.
 * Throws PrintgateError INVALID_ARGUMENT (a usage problem for a command).
 */
export function resolveAgentToken(values: ConnectionValues, env: NodeJS.ProcessEnv = process.env): string {
  const flag = values['agent-token'];
  const file = values['agent-token-file'];
  if (flag !== undefined && file !== undefined) {
    throw new PrintgateError('INVALID_ARGUMENT', 'give either --agent-token or --agent-token-file, not both');
  }
  let token: string | undefined = flag;
  if (file !== undefined) {
    try {
      token = readFileSync(file, 'utf8');
    } catch (err) {
      throw new PrintgateError('INVALID_ARGUMENT', `cannot read the agent token file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  token ??= env.PRINTGATE_AGENT_TOKEN;
  token = token?.trim();
  if (!token) {
    throw new PrintgateError('INVALID_ARGUMENT', 'no agent token: give --agent-token, --agent-token-file or PRINTGATE_AGENT_TOKEN');
  }
  return token;
}

/** The PEM certificate(s) of a --ca FILE; INVALID_ARGUMENT when the file cannot be read. */
export function readCaFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new PrintgateError('INVALID_ARGUMENT', `cannot read the CA file ${path}: ${(err as Error).message}`);
  }
}

/** Parse "--timeout SECONDS" (decimal seconds, 0.1 to 600) into milliseconds. */
export function parseTimeoutSeconds(text: string, what = '--timeout'): number {
  if (!/^\d+(\.\d+)?$/.test(text)) throw new PrintgateError('INVALID_ARGUMENT', `${what} must be a number of seconds, not "${text}"`);
  const ms = Math.round(Number(text) * 1000);
  if (ms < 100 || ms > 600_000) throw new PrintgateError('INVALID_ARGUMENT', `${what} must be between 0.1 and 600 seconds`);
  return ms;
}

/** The client options given by the shared flags; --server may default (e.g. from config). */
export function connectionFromValues(values: ConnectionValues, env: NodeJS.ProcessEnv = process.env, defaultServer?: string): ServerClientOptions {
  const server = values.server ?? env.PRINTGATE_SERVER ?? defaultServer;
  if (server === undefined) throw new PrintgateError('INVALID_ARGUMENT', 'no server: give --server URL');
  return {
    server,
    token: resolveAgentToken(values, env),
    ...(values.ca !== undefined ? { ca: values.ca } : {}),
    ...(values.timeout !== undefined ? { timeoutMs: parseTimeoutSeconds(values.timeout) } : {}),
  };
}
