// Start and stop a whole server process: the service (database, and its scheduled work:
// hold time-outs, quota runs, housekeeping), then the HTTP app; close them in the reverse
// order. `printgate server` (cli.ts) and the tests that need a real socket use this.

import { mkdirSync, readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { ServerConfig } from './config.ts';
import { broadProxyRanges, isLoopback, redactUrl } from './config.ts';
import { openService } from './service/index.ts';
import type { PrintService } from './service/types.ts';
import { loadAdminToken, type AdminCredential } from './http/admin-token.ts';
import { buildApp, type AppOptions } from './http/app.ts';
import { webPlugin, type WebOptions } from './web/plugin.ts';

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly app: FastifyInstance;
  readonly service: PrintService;
  readonly admin: AdminCredential;
  /** Lines for the start-up banner (stdout) and warnings (stderr). */
  readonly banner: readonly string[];
  readonly warnings: readonly string[];
  /** Close HTTP (ending long polls), then the service (timers, database). Idempotent. */
  close(): Promise<void>;
}

export interface StartOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Injected clock for the service (tests). */
  readonly clock?: () => number;
  /** Run the service's scheduled work on timers (default true). */
  readonly background?: boolean;
  /** Extra plugins (web pages) registered on the app. */
  readonly plugins?: AppOptions['plugins'];
  /** Options of the web tools (user pages at /, admin pages at /admin), always served. */
  readonly web?: WebOptions;
}

export async function startServer(config: ServerConfig, options: StartOptions = {}): Promise<RunningServer> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const admin = loadAdminToken(config.dataDir, options.env ?? process.env);
  const https = config.tls ? { cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) } : null;

  const service = await openService({
    db: config.db, dataDir: config.dataDir, background: options.background ?? true,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  let app: FastifyInstance | null = null;
  try {
    app = buildApp(service, { adminTokenHash: admin.hash, logLevel: config.logLevel, https, trustProxy: config.trustProxy, plugins: [
      { plugin: webPlugin, options: { env: options.env ?? process.env, ...options.web } }, ...(options.plugins ?? []),
    ] });
    await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    await app?.close().catch(() => {});
    await service.close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const scheme = config.tls ? 'https' : 'http';
  const hostPart = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `${scheme}://${hostPart}:${port}`;

  const warnings = [...admin.warnings];
  if (!config.tls && !isLoopback(config.host)) {
    warnings.push(`WARNING: listening on ${config.host} without TLS: tokens and balances cross the network in clear text. Use --tls-cert/--tls-key (or a TLS proxy).`);
  }
  const broad = broadProxyRanges(config.trustProxy);
  if (broad.length > 0) {
    warnings.push(`WARNING: --trust-proxy ${broad.join(', ')}: every host in ${broad.length > 1 ? 'these ranges' : 'this range'} can choose its own client address with X-Forwarded-For (claims, log-in limits). List only the proxies' addresses.`);
  }
  const banner = [
    `printgate server listening on ${url}`,
    `  admin token: ${admin.source === 'env' ? 'from PRINTGATE_ADMIN_TOKEN' : `${admin.path}${admin.created ? ' (created now, mode 0600)' : ''}`}`,
    `  data:        ${config.dataDir}`,
    `  database:    ${config.db.startsWith('postgres') ? redactUrl(config.db) : config.db}`,
    `  admin API:   ${url}/api/admin/v1 (OpenAPI at ${url}/api/admin/v1/openapi.json)`,
    `  web pages:   ${url}/ (users), ${url}/admin (administrators; password: printgate cmd set-admin-password)`,
    `  proxies:     ${config.trustProxy.length > 0
      ? `trusted: ${config.trustProxy.join(', ')} (client address from X-Forwarded-For, scheme from X-Forwarded-Proto)`
      : 'none trusted (X-Forwarded-* headers ignored; --trust-proxy)'}`,
  ];

  let closing: Promise<void> | null = null;
  const running: RunningServer = {
    url, port, app, service, admin, banner, warnings,
    close() {
      closing ??= (async () => {
        try {
          await app!.close();
        } finally {
          await service.close();
        }
      })();
      return closing;
    },
  };
  return running;
}
