// The admin API client behind `printgate cmd`: JSON over HTTP(S) with the admin bearer
// token (docs/api.md). Where the token comes from: PRINTGATE_ADMIN_TOKEN, else the file
// `<data dir>/admin.token` that the server wrote at its first start. Errors become
// PrintgateError with the server's code, so the command prints `reason [CODE]` and exits 1.
// No retries: an administrator's command either reached the server or says it did not.

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PrintgateError } from '../../shared/errors.ts';
import { errorFromParts, jsonErrorParts } from '../../agent/client/answer-error.ts';
import { isTlsCertificateError } from '../../agent/client/retry.ts';
import { Transport, type HttpAnswer } from '../../agent/client/transport.ts';

export const DEFAULT_SERVER = 'http://127.0.0.1:8631';
export const ADMIN_PREFIX = 'api/admin/v1';

export interface AdminConnection {
  server: string;
  dataDir: string;
  ca?: string;
  timeoutMs: number;
}

/** PRINTGATE_ADMIN_TOKEN, else `<dataDir>/admin.token`; a missing token is a failure. */
export function resolveAdminToken(dataDir: string, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.PRINTGATE_ADMIN_TOKEN?.trim();
  if (fromEnv) return fromEnv;
  const path = join(resolve(dataDir), 'admin.token');
  let token: string;
  try {
    token = readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new PrintgateError('UNAUTHENTICATED',
      `no admin token: set PRINTGATE_ADMIN_TOKEN or give --data DIR with the server's admin.token (${path}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
  if (token === '') throw new PrintgateError('UNAUTHENTICATED', `${path} is empty`);
  return token;
}

/** One path segment, URL-encoded (user names may hold spaces, printers a slash). */
export const seg = (s: string): string => encodeURIComponent(s);

export class AdminClient {
  readonly #base: URL;
  readonly #token: string;
  readonly #transport: Transport;
  readonly #timeoutMs: number;

  constructor(connection: AdminConnection, token: string) {
    let base: URL;
    try {
      base = new URL(connection.server);
    } catch {
      throw new PrintgateError('INVALID_ARGUMENT', `not a URL: "${connection.server}"`);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new PrintgateError('INVALID_ARGUMENT', `the server URL must be http:// or https://, not "${base.protocol}"`);
    }
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    this.#base = base;
    this.#token = token;
    this.#timeoutMs = connection.timeoutMs;
    let ca: Buffer | undefined;
    if (connection.ca !== undefined) {
      try {
        ca = readFileSync(connection.ca);
      } catch (err) {
        throw new PrintgateError('INVALID_ARGUMENT', `cannot read the CA file ${connection.ca}: ${(err as Error).message}`);
      }
    }
    this.#transport = new Transport({ userAgent: 'printgate-cmd', maxSockets: 4, ...(ca ? { ca } : {}) });
  }

  /** Send one request; `path` is relative to /api/admin/v1/ (segments already encoded). */
  async request(method: string, path: string, body?: unknown): Promise<unknown> {
    const url = new URL(`${ADMIN_PREFIX}/${path}`, this.#base);
    const headers: Record<string, string> = { Authorization: `Bearer ${this.#token}`, Accept: 'application/json' };
    let bytes: Uint8Array | undefined;
    if (body !== undefined) {
      bytes = Buffer.from(JSON.stringify(body), 'utf8');
      headers['Content-Type'] = 'application/json';
    }
    // A fresh key per invocation: the server deduplicates should this request be replayed.
    if (method !== 'GET') headers['Idempotency-Key'] = randomUUID();
    let answer: HttpAnswer;
    try {
      answer = await this.#transport.request(method, url, bytes, { headers, timeoutMs: this.#timeoutMs });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const hint = isTlsCertificateError(e) ? ' (the certificate is not trusted: give its CA with --ca FILE)' : '';
      throw new PrintgateError('SERVER_UNREACHABLE', `${this.#base.origin} is not reachable: ${e.message}${hint}`, { cause: e.code ?? e.name }, { cause: e });
    }
    if (answer.status < 200 || answer.status >= 300) {
      const parts = answer.contentType.includes('json') ? jsonErrorParts(answer.body) : { code: '', message: '' };
      throw errorFromParts(answer.status, parts.code, parts.message);
    }
    if (answer.status === 204 || answer.body.length === 0) return null;
    try {
      return JSON.parse(answer.body.toString('utf8'));
    } catch (err) {
      throw new PrintgateError('INVALID_BODY', `the server's answer to ${method} ${url.pathname} is not JSON`, undefined, { cause: err });
    }
  }

  get = (path: string) => this.request('GET', path);
  post = (path: string, body: unknown = {}) => this.request('POST', path, body);
  put = (path: string, body: unknown) => this.request('PUT', path, body);
  patch = (path: string, body: unknown) => this.request('PATCH', path, body);
  delete = (path: string) => this.request('DELETE', path);

  /** The items of an unpaged list (printers, agents, settings). */
  async items(path: string): Promise<Record<string, unknown>[]> {
    const answer = (await this.get(path)) as { items?: unknown } | null;
    if (!answer || !Array.isArray(answer.items)) throw new PrintgateError('INVALID_BODY', `the server's answer to GET ${path} has no items`);
    return answer.items as Record<string, unknown>[];
  }

  /** Every item of a paged list, following nextCursor (1000 per page). */
  async list(path: string, query: Record<string, string | undefined> = {}, max = Infinity): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let cursor: string | null = null;
    do {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, v);
      params.set('limit', String(Math.min(1000, max - items.length)));
      if (cursor) params.set('cursor', cursor);
      const page = (await this.get(`${path}?${params}`)) as { items?: unknown; nextCursor?: unknown } | null;
      if (!page || !Array.isArray(page.items)) throw new PrintgateError('INVALID_BODY', `the server's answer to GET ${path} has no items`);
      items.push(...(page.items as Record<string, unknown>[]));
      const next = typeof page.nextCursor === 'string' && page.nextCursor !== '' ? page.nextCursor : null;
      // A cursor that does not move would loop forever: stop instead.
      cursor = next !== cursor ? next : null;
    } while (cursor && items.length < max);
    return items;
  }

  close(): void {
    this.#transport.close();
  }
}
