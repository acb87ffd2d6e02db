// Sessions of the web tools: cookies, the credential resolver that turns a session cookie
// into a Caller for server/http/auth.ts, CSRF checks and the rate-limited log-in.
//
// - Two cookies, so one browser can be a user and an administrator at once:
//   `printgate_user` and `printgate_admin`, both HttpOnly, SameSite=Lax, Path=/, and
//   Secure when the request came over HTTPS: to this server's own TLS, or to a trusted
//   proxy that says so in X-Forwarded-Proto (request.protocol; --trust-proxy). The value
//   is 32 random bytes; the database keeps only its SHA-256 (store.ts) with the expiry.
// - The client's address (rate limits, the session's record) is request.ip: the socket's
//   peer, or the X-Forwarded-For client when that peer is a trusted proxy.
// - The resolver only reads cookies for the web areas (`/`, `/admin...`, `/api/user/...`),
//   never for the admin and agent APIs: those take bearer tokens only, so a cookie can
//   never be replayed by another site against them.
// - CSRF: a synchronizer token per session, in every form (`_csrf`) and in the
//   `x-csrf-token` header of the terminal client and page scripts; checked on every
//   POST/PUT/DELETE made with a session (bearer-token callers carry no ambient credential).
//   The log-in forms, before any session exists, use a double-submit cookie.

import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PrintgateError } from '../../shared/errors.ts';
import type { Caller } from '../http/auth.ts';
import { dummyPasswordHash, verifyPassword } from './password.ts';
import { RateLimiter } from './rate-limit.ts';
import type { Session, SessionKind, WebStore } from './store.ts';

export const COOKIE = { user: 'printgate_user', admin: 'printgate_admin', login: 'printgate_login' } as const;

export interface LimitOptions {
  /** Failed log-ins per user name per window (default 5). */
  perUser: number;
  /** Failed log-ins per client address per window (default 20). */
  perAddress: number;
  windowMs: number;
}
export const DEFAULT_LIMITS: LimitOptions = { perUser: 5, perAddress: 20, windowMs: 15 * 60_000 };

declare module 'fastify' {
  interface FastifyRequest {
    /** The web session behind request.caller (null for bearer tokens and visitors). */
    webSession: (Session & { id: string }) | null;
  }
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (!out.has(name)) out.set(name, part.slice(eq + 1).trim());
  }
  return out;
}

export function cookieHeader(request: FastifyRequest, name: string, value: string, maxAgeSeconds: number): string {
  // A trusted proxy's X-Forwarded-Proto arrives as sent; the scheme is case-insensitive.
  const secure = String(request.protocol).toLowerCase() === 'https' ? '; Secure' : '';
  return `${name}=${value}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${secure}`;
}

function addCookie(reply: FastifyReply, cookie: string): void {
  const prev = reply.getHeader('set-cookie');
  const list = prev === undefined ? [] : Array.isArray(prev) ? prev.map(String) : [String(prev)];
  void reply.header('set-cookie', [...list, cookie]);
}

/** Which area a URL belongs to; null for the token-only APIs. */
function area(url: string): SessionKind | null {
  if (url.startsWith('/api/admin/') || url.startsWith('/api/agent/')) return null;
  return url === '/admin' || url.startsWith('/admin/') || url.startsWith('/admin?') ? 'admin' : 'user';
}

export function sessionResolver(store: WebStore) {
  return async (request: FastifyRequest): Promise<Caller | undefined> => {
    request.webSession = null;
    const which = area(request.url);
    if (!which) return undefined;
    const cookies = parseCookies(request.headers.cookie);
    // The area's own cookie first; the other one lets a wrong-kind caller get 403, not 401.
    const order: SessionKind[] = which === 'admin' ? ['admin', 'user'] : ['user', 'admin'];
    for (const kind of order) {
      const id = cookies.get(COOKIE[kind]);
      if (!id) continue;
      const session = await store.findSession(id);
      if (!session || session.kind !== kind) continue;
      request.webSession = { ...session, id };
      return kind === 'admin'
        ? { kind: 'admin', name: session.name, via: 'session' }
        : { kind: 'user', user: session.name, via: 'session' };
    }
    return undefined;
  };
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** preHandler: a mutation made with a session must carry the session's CSRF token. */
export async function checkCsrf(request: FastifyRequest): Promise<void> {
  if (request.method === 'GET' || request.method === 'HEAD') return;
  // The log-in forms (the only anonymous mutations) check their own double-submit token.
  if (request.routeOptions.config.auth === 'anonymous') return;
  const session = request.webSession;
  if (!session) return; // bearer tokens carry no ambient credential
  const body = request.body as Record<string, unknown> | null | undefined;
  const sent = request.headers['x-csrf-token'] ?? (body && typeof body._csrf === 'string' ? body._csrf : undefined);
  if (typeof sent !== 'string' || !sameText(sent, session.csrf)) throw new PrintgateError('CSRF_FAILED');
}

/** A log-in form's double-submit token: set as a cookie and put in the form. */
export function loginToken(request: FastifyRequest, reply: FastifyReply): string {
  const existing = parseCookies(request.headers.cookie).get(COOKIE.login);
  const token = existing && /^[A-Za-z0-9_-]{32}$/.test(existing) ? existing : randomBytes(24).toString('base64url');
  if (token !== existing) addCookie(reply, cookieHeader(request, COOKIE.login, token, 3600));
  return token;
}

export function checkLoginToken(request: FastifyRequest, sent: unknown): void {
  const cookie = parseCookies(request.headers.cookie).get(COOKIE.login);
  if (!cookie || typeof sent !== 'string' || !sameText(cookie, sent)) throw new PrintgateError('CSRF_FAILED');
}

export interface LoginOptions {
  store: WebStore;
  limits: LimitOptions;
  sessionTtlMs: number;
  /** Whether the name may log in at all (users: known and not disabled). */
  allowed(kind: SessionKind, name: string): Promise<boolean>;
}

/** Password log-in with per-name and per-address rate limits. */
export class LoginService {
  readonly #o: LoginOptions;
  readonly #byName: RateLimiter;
  readonly #byAddress: RateLimiter;

  constructor(options: LoginOptions) {
    this.#o = options;
    this.#byName = new RateLimiter({ limit: options.limits.perUser, windowMs: options.limits.windowMs });
    this.#byAddress = new RateLimiter({ limit: options.limits.perAddress, windowMs: options.limits.windowMs });
  }

  /** Check the password and open a session; INVALID_TOKEN or RATE_LIMITED otherwise. */
  async login(request: FastifyRequest, reply: FastifyReply, kind: SessionKind, name: string, password: string): Promise<Session & { id: string }> {
    const nameKey = `${kind}:${name.toLowerCase()}`;
    const addressKey = `${kind}:${request.ip}`;
    const wait = Math.max(this.#byName.retryAfter(nameKey), this.#byAddress.retryAfter(addressKey));
    if (wait > 0) {
      void reply.header('retry-after', String(Math.ceil(wait / 1000)));
      throw new PrintgateError('RATE_LIMITED', `Too many failed log-ins; try again in ${Math.ceil(wait / 60_000)} minute(s)`);
    }
    // The same scrypt work whether or not the name exists, so timing tells nothing.
    const stored = (name.length > 0 && name.length <= 200 ? await this.#o.store.passwordHash(kind, name) : null) ?? await dummyPasswordHash();
    const ok = (await verifyPassword(password, stored)) && (await this.#o.allowed(kind, name));
    if (!ok) {
      this.#byName.hit(nameKey);
      this.#byAddress.hit(addressKey);
      throw new PrintgateError('INVALID_TOKEN', 'Wrong user name or password');
    }
    this.#byName.reset(nameKey);
    const { id, session } = await this.#o.store.createSession(kind, name, this.#o.sessionTtlMs, request.ip);
    addCookie(reply, cookieHeader(request, COOKIE[kind], id, Math.floor(this.#o.sessionTtlMs / 1000)));
    return { ...session, id };
  }

  async logout(request: FastifyRequest, reply: FastifyReply, kind: SessionKind): Promise<void> {
    if (request.webSession) await this.#o.store.deleteSession(request.webSession.id);
    addCookie(reply, cookieHeader(request, COOKIE[kind], '', 0));
  }
}
