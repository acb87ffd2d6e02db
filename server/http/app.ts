// The Fastify application: one factory, `buildApp(service, options)`, that wires the
// cross-cutting parts (auth, error answers, 404s, OpenAPI collection) on the root instance
// and registers one plugin per area. It returns the app before `ready()`, so more plugins
// (the web pages) can be registered first:
//
//   const app = buildApp(service, { adminTokenHash });
//   await app.register(myPagesPlugin, { prefix: '/' });   // routes declare config.auth
//   app.printgate.auth.addResolver(sessionResolver);        // optional: session cookies
//   await app.listen({ port, host });
//
// Every route must declare `config: { auth }` (see auth.ts); registration fails otherwise.

import Fastify, { LogController, type FastifyInstance, type FastifyPluginAsync, type FastifyServerOptions } from 'fastify';
import type { PrintService } from '../service/types.ts';
import type { LogLevel } from '../config.ts';
import { PrintgateError } from '../../shared/errors.ts';
import { Authenticator, installAuth } from './auth.ts';
import { jsonErrorHandler, NOT_FOUND_ANSWER } from './errors.ts';
import { OpenApiCollector } from './openapi.ts';
import { agentApi } from './agent-api.ts';
import { adminApi, ADMIN_BODY_LIMIT } from './admin-api.ts';
import { healthRoutes } from './health.ts';
import { coerceQuery } from './query.ts';

export interface AppContext {
  readonly service: PrintService;
  readonly auth: Authenticator;
  readonly openapi: OpenApiCollector;
  /** Aborted when the app closes: long polls end at once instead of holding up shutdown. */
  readonly closing: AbortSignal;
}

declare module 'fastify' {
  interface FastifyInstance {
    printgate: AppContext;
  }
}

export interface AppOptions {
  /** SHA-256 of the admin token (admin-token.ts). */
  readonly adminTokenHash: Buffer;
  /** Default 'warn': no per-request logging. */
  readonly logLevel?: LogLevel;
  /** PEM certificate and key: the app's own server speaks HTTPS. */
  readonly https?: { readonly cert: string | Buffer; readonly key: string | Buffer } | null;
  /** Proxies whose X-Forwarded-* headers are believed (config.ts parseTrustProxy); none by default. */
  readonly trustProxy?: readonly string[];
  /** Extra plugins registered after the built-in areas. */
  readonly plugins?: ReadonlyArray<{ readonly plugin: FastifyPluginAsync<any>; readonly options?: Record<string, unknown> }>;
}

export function buildApp(service: PrintService, options: AppOptions): FastifyInstance {
  const level = options.logLevel ?? 'warn';
  const base: FastifyServerOptions = {
    logger: level === 'silent' ? false : { level },
    // Request/response lines are info-level; skipping them entirely saves work per request.
    logController: new LogController({ disableRequestLogging: !['info', 'debug', 'trace'].includes(level) }),
    exposeHeadRoutes: false,
    bodyLimit: ADMIN_BODY_LIMIT,
    // request.ip/protocol/host follow X-Forwarded-* only when the socket's peer is listed.
    trustProxy: options.trustProxy && options.trustProxy.length > 0 ? [...options.trustProxy] : false,
    // Requests already on a connection while the app closes are still answered normally.
    return503OnClosing: false,
    // Strict types: no coercion of bodies (query integers are converted by coerceQuery), and
    // unknown properties are refused by `additionalProperties: false`, never dropped.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false } },
  };
  // Fastify's types give the HTTPS overload a different instance type; both behave alike here.
  const app = (options.https
    ? Fastify({ ...base, https: { cert: options.https.cert, key: options.https.key } } as FastifyServerOptions)
    : Fastify(base)) as FastifyInstance;

  const closing = new AbortController();
  const auth = new Authenticator(options.adminTokenHash, async (token) => {
    try {
      return await service.authenticateAgent(token);
    } catch (err) {
      if (err instanceof PrintgateError && err.code === 'INVALID_TOKEN') return null;
      throw err;
    }
  });
  const openapi = new OpenApiCollector('/api/admin/v1');
  app.decorate('printgate', { service, auth, openapi, closing: closing.signal });

  installAuth(app, auth);
  app.addHook('onRoute', (route) => openapi.record(route));
  app.addHook('preClose', async () => closing.abort());
  app.addHook('preValidation', coerceQuery);
  app.setErrorHandler(jsonErrorHandler);
  app.setNotFoundHandler((_request, reply) => {
    void reply.code(404).send(NOT_FOUND_ANSWER);
  });

  app.register(healthRoutes);
  app.register(agentApi, { prefix: '/api/agent/v1' });
  app.register(adminApi, { prefix: '/api/admin/v1' });
  for (const p of options.plugins ?? []) app.register(p.plugin, p.options ?? {});
  return app;
}
