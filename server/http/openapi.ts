// OpenAPI 3.1 description of the admin API, generated from the route schemas that Fastify
// validates with, so the description cannot drift from what the server enforces. Routes
// are collected by an onRoute hook (app.ts); the document is built once, on first request.
// Small on purpose: params and querystring become parameters, body the request body,
// response schemas the answers; every operation needs the bearer token and may answer
// the catalogue's error body.

import type { RouteOptions } from 'fastify';

interface CollectedRoute {
  readonly method: string;
  readonly url: string;
  readonly schema: RouteSchema;
}

interface RouteSchema {
  readonly summary?: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  readonly params?: ObjectSchema;
  readonly querystring?: ObjectSchema;
  readonly headers?: ObjectSchema;
  readonly body?: Record<string, unknown>;
  readonly response?: Record<string, Record<string, unknown>>;
}

interface ObjectSchema {
  readonly properties?: Record<string, Record<string, unknown>>;
  readonly required?: readonly string[];
}

export const ERROR_SCHEMA = {
  type: 'object',
  properties: {
    code: { type: 'string', description: 'stable code from shared/errors.ts' },
    message: { type: 'string' },
    status: { type: 'integer' },
  },
  required: ['code', 'message', 'status'],
} as const;

const STATUS_TEXT: Readonly<Record<string, string>> = {
  200: 'OK', 201: 'Created', 204: 'No content',
};

export class OpenApiCollector {
  readonly #prefix: string;
  readonly #routes: CollectedRoute[] = [];
  #document: Record<string, unknown> | null = null;

  constructor(prefix: string) {
    this.#prefix = prefix;
  }

  /** onRoute hook body: keep the routes under the prefix that have a schema. */
  record(route: RouteOptions): void {
    if (!route.url.startsWith(this.#prefix) || route.config?.openapi === false) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) this.#routes.push({ method, url: route.url, schema: (route.schema ?? {}) as RouteSchema });
    this.#document = null;
  }

  /** The OpenAPI document (cached). */
  document(info: { title: string; version: string }): Record<string, unknown> {
    this.#document ??= buildDocument(this.#prefix, this.#routes, info);
    return this.#document;
  }
}

declare module 'fastify' {
  interface FastifySchema {
    summary?: string;
    description?: string;
    tags?: readonly string[];
  }
  interface FastifyContextConfig {
    /** false: leave the route out of the OpenAPI description. */
    openapi?: boolean;
  }
}

function buildDocument(prefix: string, routes: readonly CollectedRoute[], info: { title: string; version: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of [...routes].sort((a, b) => a.url.localeCompare(b.url))) {
    const path = route.url.slice(prefix.length).replace(/:([A-Za-z0-9_]+)/g, '{$1}') || '/';
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: { ...info, description: 'printgate admin API. Money is a decimal string in the currency units, with an integer `...Minor` twin on output. Errors carry {code, message, status}.' },
    servers: [{ url: prefix }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'the admin token (PRINTGATE_ADMIN_TOKEN or <data>/admin.token)' } },
      schemas: { Error: ERROR_SCHEMA },
      responses: { Error: { description: 'error from the catalogue', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } } },
    },
    paths,
  };
}

function operation(route: CollectedRoute): Record<string, unknown> {
  const s = route.schema;
  const parameters = [
    ...toParameters(s.params, 'path'),
    ...toParameters(s.querystring, 'query'),
    ...toParameters(s.headers, 'header'),
  ];
  const responses: Record<string, unknown> = {};
  for (const [status, schema] of Object.entries(s.response ?? {})) {
    const description = (schema.description as string | undefined) ?? STATUS_TEXT[status] ?? 'answer';
    responses[status] = status === '204' || schema.type === 'null'
      ? { description }
      : { description, content: { 'application/json': { schema } } };
  }
  responses.default = { $ref: '#/components/responses/Error' };
  return {
    operationId: `${route.method.toLowerCase()}${route.url.replace(/[/:{}-]+([a-z0-9])/gi, (_m, c: string) => c.toUpperCase())}`,
    ...(s.summary ? { summary: s.summary } : {}),
    ...(s.description ? { description: s.description } : {}),
    ...(s.tags ? { tags: s.tags } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(s.body ? { requestBody: { required: true, content: { 'application/json': { schema: s.body } } } } : {}),
    responses,
  };
}

function toParameters(schema: ObjectSchema | undefined, where: 'path' | 'query' | 'header'): Record<string, unknown>[] {
  if (!schema?.properties) return [];
  return Object.entries(schema.properties).map(([name, prop]) => ({
    name,
    in: where,
    required: where === 'path' || (schema.required ?? []).includes(name),
    ...(prop.description ? { description: prop.description } : {}),
    schema: prop,
  }));
}
