// Start-up configuration of `printgate server`: flags with environment equivalents,
// normalised once into a fully resolved ServerConfig so that later code never checks for
// undefined. Everything else (currency, defaults, quotas...) is a setting in the database,
// not here. Pure: takes argv and env, returns a value or throws a UsageError.

import { isIP } from 'node:net';
import { isAbsolute, join, resolve } from 'node:path';
import { parseCommandArgs, UsageError } from '../cli/usage.ts';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface ServerConfig {
  /** Absolute path of the data directory (database file, admin token). */
  readonly dataDir: string;
  /** A file path (SQLite, absolute) or a postgres:// URL. */
  readonly db: string;
  readonly port: number;
  readonly host: string;
  /** Paths of the PEM certificate and key; null = plain HTTP. */
  readonly tls: { readonly cert: string; readonly key: string } | null;
  /** Fastify/pino log level; `warn` by default so that no request is logged. */
  readonly logLevel: LogLevel;
  /**
   * Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto / X-Forwarded-Host are
   * believed: addresses, CIDR ranges or proxy-addr's names (loopback, linklocal,
   * uniquelocal), as Fastify's `trustProxy` takes them. Empty = trust nothing.
   */
  readonly trustProxy: readonly string[];
}

export const DEFAULT_PORT = 8631;
export const DEFAULT_HOST = '127.0.0.1';

export const SERVER_USAGE = `usage: printgate server [options]

Runs the application server: the agent API, the admin API and (later) the web pages.

options (each has an environment equivalent):
  --data DIR        data directory (PRINTGATE_DATA, default ./data)
  --db FILE|URL     SQLite file or postgres:// URL (PRINTGATE_DB, default <data>/printgate.db)
  --port N          TCP port (PRINTGATE_PORT, default ${DEFAULT_PORT}; 0 = any free port)
  --host ADDR       address to listen on (PRINTGATE_HOST, default ${DEFAULT_HOST})
  --tls-cert FILE   PEM certificate: serve HTTPS (PRINTGATE_TLS_CERT)
  --tls-key FILE    PEM private key for --tls-cert (PRINTGATE_TLS_KEY)
  --log-level L     fatal|error|warn|info|debug|trace|silent (PRINTGATE_LOG_LEVEL, default warn)
  --trust-proxy L   reverse proxies to believe X-Forwarded-For/-Proto from: a comma-separated
                    list of addresses and CIDR ranges (IPv4, IPv6), or loopback, linklocal,
                    uniquelocal (PRINTGATE_TRUST_PROXY, default: none)
  -h, --help        this help

The admin API token is PRINTGATE_ADMIN_TOKEN when set, else generated at first start
into <data>/admin.token (mode 0600).
`;

const OPTIONS = {
  data: { type: 'string' },
  db: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'log-level': { type: 'string' },
  'trust-proxy': { type: 'string' },
} as const;

export interface ParsedServerArgs {
  readonly help: boolean;
  readonly config: ServerConfig | null;
}

/** Parse `printgate server` arguments; flags win over the environment. */
export function parseServerArgs(argv: string[], env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ParsedServerArgs {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS, false);
  if (values.help) return { help: true, config: null };
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  return { help: false, config: resolveConfig({ ...values }, env, cwd) };
}

function pick(flag: string | undefined, envValue: string | undefined): string | undefined {
  if (flag !== undefined) return flag;
  if (envValue !== undefined && envValue !== '') return envValue;
  return undefined;
}

/** Build a ServerConfig from flag values and the environment. */
export function resolveConfig(flags: Partial<Record<keyof typeof OPTIONS, string>>, env: NodeJS.ProcessEnv, cwd: string): ServerConfig {
  const dataDir = resolve(cwd, pick(flags.data, env.PRINTGATE_DATA) ?? './data');

  const dbRaw = pick(flags.db, env.PRINTGATE_DB);
  let db: string;
  if (dbRaw === undefined) db = join(dataDir, 'printgate.db');
  else if (/^postgres(ql)?:\/\//i.test(dbRaw)) db = dbRaw;
  else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(dbRaw)) throw new UsageError(`--db: unsupported URL scheme in "${redactUrl(dbRaw)}" (a file path or postgres:// URL)`);
  else db = isAbsolute(dbRaw) ? dbRaw : resolve(cwd, dbRaw);

  const portRaw = pick(flags.port, env.PRINTGATE_PORT) ?? String(DEFAULT_PORT);
  if (!/^\d{1,5}$/.test(portRaw) || Number(portRaw) > 65535) throw new UsageError(`--port: not a port number: "${portRaw}"`);
  const port = Number(portRaw);

  const host = pick(flags.host, env.PRINTGATE_HOST) ?? DEFAULT_HOST;
  if (!/^[A-Za-z0-9.:%_-]+$/.test(host)) throw new UsageError(`--host: not an address: "${host}"`);

  const cert = pick(flags['tls-cert'], env.PRINTGATE_TLS_CERT);
  const key = pick(flags['tls-key'], env.PRINTGATE_TLS_KEY);
  if ((cert === undefined) !== (key === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  const tls = cert !== undefined && key !== undefined ? { cert: resolve(cwd, cert), key: resolve(cwd, key) } : null;

  const level = pick(flags['log-level'], env.PRINTGATE_LOG_LEVEL) ?? 'warn';
  if (!LOG_LEVELS.includes(level as LogLevel)) throw new UsageError(`--log-level: one of ${LOG_LEVELS.join(', ')}`);

  const trustProxy = parseTrustProxy(pick(flags['trust-proxy'], env.PRINTGATE_TRUST_PROXY) ?? '');

  return { dataDir, db, port, host, tls, logLevel: level as LogLevel, trustProxy };
}

/** proxy-addr's named ranges (loopback = 127.0.0.0/8 and ::1; see docs/server-http.md). */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * The --trust-proxy list: comma-separated entries, each an IPv4 or IPv6 address, an
 * address/prefix CIDR range, or a named range. Blank = trust nothing. Stricter than
 * proxy-addr (dotted quads only, no zones, no netmasks, prefix at least 1, as proxy-addr
 * refuses /0), so everything accepted here compiles there; a mistake is a UsageError
 * at start rather than a proxy silently not trusted.
 */
export function parseTrustProxy(raw: string): string[] {
  if (raw.trim() === '') return [];
  const out: string[] = [];
  for (const piece of raw.split(',')) {
    const entry = piece.trim();
    if (entry === '') throw new UsageError(`--trust-proxy: empty entry in "${raw}"`);
    const lower = entry.toLowerCase();
    if (PROXY_RANGE_NAMES.includes(lower)) {
      out.push(lower);
      continue;
    }
    const slash = lower.indexOf('/');
    const address = (slash < 0 ? lower : lower.slice(0, slash)).replace(/^\[(.*)\]$/, '$1');
    const family = address.includes('%') ? 0 : isIP(address);
    if (family === 0) {
      throw new UsageError(`--trust-proxy: "${entry}" is not an IP address, a CIDR range (address/prefix) or one of ${PROXY_RANGE_NAMES.join(', ')}`);
    }
    if (slash < 0) {
      out.push(address);
      continue;
    }
    const max = family === 4 ? 32 : 128;
    const prefix = lower.slice(slash + 1);
    if (!/^\d{1,3}$/.test(prefix) || Number(prefix) < 1 || Number(prefix) > max) {
      throw new UsageError(`--trust-proxy: "${entry}": the prefix length must be a number from 1 to ${max}`);
    }
    out.push(`${address}/${Number(prefix)}`);
  }
  return out;
}

/**
 * Trusted entries wide enough to hold clients as well as proxies (a named private range,
 * an IPv4 prefix under /24, an IPv6 prefix under /64): every host inside may set its own
 * client address, so start-up warns about them.
 */
export function broadProxyRanges(trustProxy: readonly string[]): string[] {
  return trustProxy.filter((entry) => {
    if (entry === 'linklocal' || entry === 'uniquelocal') return true;
    const slash = entry.indexOf('/');
    if (slash < 0) return false;
    return Number(entry.slice(slash + 1)) < (isIP(entry.slice(0, slash)) === 4 ? 24 : 64);
  });
}

/** Whether an address only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/** A database URL with its password replaced, safe to print. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*:)[^@/]*@/i, '$1***@');
}
