// One HTTP(S) exchange with the application server: send a request (the agent API only
// POSTs; `printgate cmd` also GETs, PUTs, PATCHes and DELETEs), get status, content type
// and body back. Connections are kept alive between calls (an agent talks to the server
// for every job), each attempt has its own deadline, and the caller's AbortSignal ends it
// at once. No retry and no interpretation of the answer here: that is client.ts's job.

import type { Agent as HttpAgent } from 'node:http';
import type { Agent as HttpsAgent, AgentOptions as HttpsAgentOptions } from 'node:https';

// node:http through getBuiltinModule, not an ES import: importing it as an ES module
// evaluates every export, lazy ones included, which loads undici, TLS, zlib and worker
// threads (~13 MB of resident memory in the idle agent; docs/agent.md "Idle cost").
const http = process.getBuiltinModule('node:http');

/** Largest answer we read; the server's largest real answer is far below this. */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export interface TransportOptions {
  /** PEM certificate(s) trusted in addition to nothing else: a server's own CA. */
  ca?: string | Buffer;
  /** Most sockets kept open to the server at once. */
  maxSockets?: number;
  userAgent: string;
}

export interface HttpAnswer {
  status: number;
  contentType: string;
  body: Buffer;
}

export interface ExchangeOptions {
  headers: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** The error of an attempt that ran out of time (retryable like a network error). */
export class TimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

export class Transport {
  readonly #httpAgent: HttpAgent;
  // Made on the first https: URL. Loading node:https brings up TLS (OpenSSL's tables and
  // the root certificates): about 5 MB of resident memory that an agent talking plain
  // HTTP to a server on its own network never needs (docs/agent.md "Idle cost").
  #httpsAgent: HttpsAgent | undefined;
  readonly #httpsOptions: HttpsAgentOptions;
  readonly #userAgent: string;

  constructor(options: TransportOptions) {
    const common = { keepAlive: true, keepAliveMsecs: 10_000, maxSockets: options.maxSockets ?? 64, maxFreeSockets: 16 };
    this.#httpAgent = new http.Agent(common);
    this.#httpsOptions = { ...common, ...(options.ca !== undefined ? { ca: options.ca } : {}) };
    this.#userAgent = options.userAgent;
  }

  /** POST `body` to `url`; resolves with any HTTP status, rejects on network trouble. */
  post(url: URL, body: Uint8Array, options: ExchangeOptions): Promise<HttpAnswer> {
    return this.request('POST', url, body, options);
  }

  /** Any method; `body` undefined sends none. Same resolution rules as post(). */
  request(method: string, url: URL, body: Uint8Array | undefined, options: ExchangeOptions): Promise<HttpAnswer> {
    const secure = url.protocol === 'https:';
    const https = secure ? process.getBuiltinModule('node:https') : undefined;
    if (https && !this.#httpsAgent) this.#httpsAgent = new https.Agent(this.#httpsOptions);
    const request = https ? https.request : http.request;
    return new Promise<HttpAnswer>((resolve, reject) => {
      if (options.signal?.aborted) {
        reject(options.signal.reason);
        return;
      }
      // settle() runs exactly once: whichever of answer, error, timeout or abort comes
      // first wins, and the others only clean up.
      let settled = false;
      const settle = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const req = request(url, {
        method,
        agent: https ? this.#httpsAgent : this.#httpAgent,
        headers: {
          ...options.headers,
          ...(body !== undefined ? { 'Content-Length': String(body.byteLength) } : {}),
          'User-Agent': this.#userAgent,
        },
      });
      const timer = setTimeout(() => {
        const err = new TimeoutError(options.timeoutMs);
        settle(() => reject(err));
        req.destroy(err);
      }, options.timeoutMs);
      const onAbort = (): void => {
        settle(() => reject(options.signal!.reason));
        req.destroy();
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });

      req.on('error', (err) => settle(() => reject(err)));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            const err = Object.assign(new Error(`answer larger than ${MAX_RESPONSE_BYTES} bytes`), { code: 'ERESPONSETOOLARGE' });
            settle(() => reject(err));
            req.destroy(err);
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', (err) => settle(() => reject(err)));
        res.on('close', () => {
          if (!res.complete) {
            settle(() => reject(Object.assign(new Error('the connection closed in the middle of the answer'), { code: 'ECONNRESET' })));
          }
        });
        res.on('end', () =>
          settle(() =>
            resolve({
              status: res.statusCode ?? 0,
              contentType: String(res.headers['content-type'] ?? ''),
              body: Buffer.concat(chunks),
            }),
          ),
        );
      });
      if (body !== undefined) req.end(body);
      else req.end();
    });
  }

  /** Close the kept-alive sockets. Idempotent. */
  close(): void {
    this.#httpAgent.destroy();
    this.#httpsAgent?.destroy();
  }
}
