// The agent's log: one JSON object per line on stderr (or any sink), so that journald,
// docker and log shippers read it as is. Tests pass a sink that collects the lines.

export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface LogLine extends Record<string, unknown> {
  time: string;
  level: Level;
  msg: string;
}

const RANK: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function createLogger(sink: (line: LogLine) => void, minLevel: Level = 'info', clock: () => number = Date.now): Logger {
  const at = (level: Level) => (msg: string, fields?: Record<string, unknown>) => {
    if (RANK[level] < RANK[minLevel]) return;
    sink({ time: new Date(clock()).toISOString(), level, msg, ...fields });
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** JSON lines on a stream (stderr by default). */
export function streamLogger(minLevel: Level = 'info', stream: NodeJS.WritableStream = process.stderr): Logger {
  return createLogger((line) => { stream.write(JSON.stringify(line) + '\n'); }, minLevel);
}

/** A logger that drops everything. */
export const SILENT: Logger = createLogger(() => undefined, 'error');
