// Who may call what: the ONE place that authenticates callers and enforces each route's
// declared caller kind.
//
// Every route declares `config: { auth: ... }`: 'anonymous', one caller kind ('admin',
// 'agent', 'user') or a list of kinds. A route without a declaration is refused at
// registration (the app does not start), so nothing becomes reachable by accident.
//
// Credentials are resolved by an ordered list of resolvers. Built in: the bearer token
// (the admin token, compared by hash in constant time; else an agent token, verified by
// the service against its stored hashes). Plugins add more (the web pages' session cookie)
// with `app.printgate.auth.addResolver()`. A resolver returns undefined when the request
// carries no credential of its sort, a Caller when it does, and throws INVALID_TOKEN when
// the credential is wrong. Answers: no credential 401 UNAUTHENTICATED, bad one 401
// INVALID_TOKEN, a valid caller of the wrong kind 403 FORBIDDEN.

import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { PrintgateError } from '../../shared/errors.ts';
import type { AgentIdentity } from '../service/types.ts';
import { hashToken, sameHash } from './token-hash.ts';

export type CallerKind = 'admin' | 'agent' | 'user';
export type AuthDeclaration = 'anonymous' | CallerKind | readonly CallerKind[];

export type Caller =
  | { readonly kind: 'admin'; readonly name: string; readonly via: 'token' | 'session' }
  | { readonly kind: 'agent'; readonly agent: AgentIdentity }
  | { readonly kind: 'user'; readonly user: string; readonly via: 'session' };

export type CredentialResolver = (request: FastifyRequest) => Caller | undefined | Promise<Caller | undefined>;

/** Checks an agent token against the service's hashed tokens; null when unknown. */
export type AgentTokenVerifier = (token: string) => Promise<AgentIdentity | null>;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call this route; required on every route (see server/http/auth.ts). */
    auth?: AuthDeclaration;
  }
  interface FastifyRequest {
    /** The authenticated caller; null on anonymous routes without credentials. */
    caller: Caller | null;
  }
}

export interface RegisteredRoute {
  readonly method: string;
  readonly url: string;
  readonly auth: AuthDeclaration;
}

const BEARER = /^Bearer[ ]+([\x21-\x7e]{1,512})$/i;

export class Authenticator {
  readonly #resolvers: CredentialResolver[] = [];
  readonly #routes: RegisteredRoute[] = [];

  constructor(adminTokenHash: Buffer, verifyAgentToken: AgentTokenVerifier) {
    this.#resolvers.push(bearerResolver(adminTokenHash, verifyAgentToken));
  }

  /** Add a credential resolver (tried after the bearer token, in registration order). */
  addResolver(resolver: CredentialResolver): void {
    this.#resolvers.push(resolver);
  }

  /** Every route registered so far with its declaration (the security matrix reads this). */
  get routes(): readonly RegisteredRoute[] {
    return this.#routes;
  }

  /** onRoute hook body: refuse routes without a valid declaration; remember the rest. */
  recordRoute(route: RouteOptions): void {
    const auth = route.config?.auth;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!isDeclaration(auth)) {
      throw new Error(`route ${methods.join(',')} ${route.url} has no valid auth declaration (config.auth: 'anonymous' | 'admin' | 'agent' | 'user' | [...])`);
    }
    for (const method of methods) this.#routes.push({ method, url: route.url, auth });
  }

  /** onRequest hook body: resolve the caller and check it against the route. */
  async check(request: FastifyRequest): Promise<void> {
    const declared = request.routeOptions.config.auth;
    // Unknown routes (404) carry no declaration and need no caller.
    if (declared === undefined) return;
    if (declared === 'anonymous') {
      // A page anyone may see can still greet a logged-in caller; a bad credential here
      // simply means "anonymous".
      request.caller = (await this.#resolve(request).catch(() => undefined)) ?? null;
      return;
    }
    const caller = await this.#resolve(request);
    request.caller = caller ?? null;
    if (!caller) throw new PrintgateError('UNAUTHENTICATED');
    if (!allows(declared, caller.kind)) throw new PrintgateError('FORBIDDEN', `This route is not for ${caller.kind} callers`);
  }

  async #resolve(request: FastifyRequest): Promise<Caller | undefined> {
    for (const resolve of this.#resolvers) {
      const caller = await resolve(request);
      if (caller) return caller;
    }
    return undefined;
  }
}

function allows(declared: Exclude<AuthDeclaration, 'anonymous'>, kind: CallerKind): boolean {
  return typeof declared === 'string' ? declared === kind : declared.includes(kind);
}

const KINDS: readonly string[] = ['admin', 'agent', 'user'];

function isDeclaration(value: unknown): value is AuthDeclaration {
  if (value === 'anonymous' || (typeof value === 'string' && KINDS.includes(value))) return true;
  return Array.isArray(value) && value.length > 0 && value.every((k) => typeof k === 'string' && KINDS.includes(k));
}

function bearerResolver(adminHash: Buffer, verifyAgentToken: AgentTokenVerifier): CredentialResolver {
  return async (request) => {
    const header = request.headers.authorization;
    if (header === undefined) return undefined;
    const m = BEARER.exec(header);
    if (!m) throw new PrintgateError('INVALID_TOKEN', 'The Authorization header must be "Bearer <token>"');
    const token = m[1]!;
    if (sameHash(hashToken(token), adminHash)) return { kind: 'admin', name: 'admin', via: 'token' };
    const agent = await verifyAgentToken(token);
    if (agent) return { kind: 'agent', agent };
    throw new PrintgateError('INVALID_TOKEN');
  };
}

/** Install the declaration check and the per-request check on the root instance. */
export function installAuth(app: FastifyInstance, auth: Authenticator): void {
  app.decorateRequest('caller', null);
  app.addHook('onRoute', (route) => auth.recordRoute(route));
  app.addHook('onRequest', async (request, reply) => {
    try {
      await auth.check(request);
    } catch (err) {
      if (err instanceof PrintgateError && err.status === 401) void reply.header('www-authenticate', 'Bearer');
      throw err;
    }
  });
}
