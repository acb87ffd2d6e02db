// A small IPP-over-HTTP client for CUPS, on node:http: TCP to CUPS_SERVER (host[:port]) or
// the local domain socket, keep-alive, a timeout on every request, and CUPS's local
// authentication for the operations only @SYSTEM may do:
//   - over the domain socket: `Authorization: PeerCred <user>` (cupsd checks the peer uid);
//   - over TCP: `Authorization: Local <certificate>` read from $CUPS_STATEDIR/certs/0.
// The certificate changes whenever cupsd restarts, so after a 401 the client reads the
// body to the end (a 401 left unread hangs the connection, the `ipp` package's defect),
// re-reads the certificate and tries once more.
// Failures are typed: IppStatusError (CUPS answered with an IPP error status),
// PrintgateError SPOOLER_UNAVAILABLE (no answer), SPOOLER_UNAUTHORIZED, IPP_MALFORMED.

import type { Agent as HttpAgent, IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { PrintgateError } from '../../shared/errors.ts';
import { decode } from './ipp-decode.ts';
import { encode } from './ipp-encode.ts';
import { a, operationGroup, request, str, type IppAttribute, type IppGroup, type IppMessage } from './ipp-message.ts';
import { GroupTag, operationName, statusName } from './ipp-tags.ts';

// node:http through getBuiltinModule, not an ES import: importing it as an ES module
// evaluates every export, lazy ones included, which loads undici, TLS, zlib and worker
// threads (~13 MB of resident memory in the idle agent; docs/agent.md "Idle cost").
const http = process.getBuiltinModule('node:http');

export interface CupsClientOptions {
  /** "host[:port]" or an absolute socket path; default $CUPS_SERVER, else /run/cups/cups.sock. */
  readonly server?: string;
  /** Where cupsd keeps certs/0; default $CUPS_STATEDIR, else /run/cups. */
  readonly stateDir?: string;
  /** requesting-user-name; default the process's user. */
  readonly user?: string;
  /** 'system': authenticate as the local administrator (root); 'none': act as a plain user. */
  readonly auth?: 'system' | 'none';
  readonly timeoutMs?: number;
  readonly maxResponseBytes?: number;
}

/** CUPS answered, with an IPP status that is an error (>= 0x0400). */
export class IppStatusError extends PrintgateError {
  readonly ippStatus: number;
  readonly operation: number;

  constructor(operation: number, ippStatus: number, statusMessage: string) {
    super('IPP_ERROR', `${operationName(operation)}: ${statusName(ippStatus)}${statusMessage ? ` (${statusMessage})` : ''}`, { ippStatus, operation });
    this.name = 'IppStatusError';
    this.ippStatus = ippStatus;
    this.operation = operation;
  }
}

interface Target {
  readonly socketPath?: string;
  readonly host?: string;
  readonly port?: number;
  readonly hostHeader: string;
}

/** Where CUPS is, from an explicit value or CUPS_SERVER as the CUPS library reads it. */
export function resolveServer(server = process.env.CUPS_SERVER ?? ''): Target {
  const s = server.trim();
  if (s === '' ) return { socketPath: '/run/cups/cups.sock', hostHeader: 'localhost' };
  if (s.startsWith('/')) return { socketPath: s, hostHeader: 'localhost' };
  const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(s.replace(/\/.*$/, ''));
  const host = m?.[1] ?? s;
  const port = m?.[2] ? Number(m[2]) : 631;
  return { host, port, hostHeader: `${host.includes(':') ? `[${host}]` : host}:${port}` };
}

interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export class CupsClient {
  readonly target: Target;
  readonly user: string;
  private readonly stateDir: string;
  private readonly auth: 'system' | 'none';
  private readonly timeoutMs: number;
  private readonly maxResponseBytes: number;
  private readonly agent: HttpAgent;
  private requestId = 1;
  private cert: string | undefined;
  private certStamp = '';

  constructor(options: CupsClientOptions = {}) {
    this.target = resolveServer(options.server);
    this.stateDir = options.stateDir ?? process.env.CUPS_STATEDIR ?? '/run/cups';
    this.user = options.user ?? safeUserName();
    this.auth = options.auth ?? 'system';
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxResponseBytes = options.maxResponseBytes ?? 64 * 1024 * 1024;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  }

  /** The printer-uri of a queue on this server. */
  printerUri(queue: string): string {
    return `ipp://localhost/printers/${encodeURIComponent(queue)}`;
  }

  jobUri(jobId: number | string): string {
    return `ipp://localhost/jobs/${jobId}`;
  }

  /**
   * Send one IPP operation. `attrs` go in the operation group after charset, language and
   * requesting-user-name; `groups` follow (job, printer, subscription attributes...).
   * Resolves with the response when its status is successful-*, throws IppStatusError otherwise.
   */
  async ipp(operation: number, attrs: IppAttribute[], options: { groups?: IppGroup[]; data?: Uint8Array; path?: string } = {}): Promise<IppMessage> {
    const op = operationGroup(...attrs, ...(attrs.some((x) => x.name === 'requesting-user-name') ? [] : [a.name('requesting-user-name', this.user)]));
    const msg = request(operation, this.nextId(), [op, ...(options.groups ?? [])]);
    const header = encode(msg);
    const body = options.data ? Buffer.concat([header, options.data]) : Buffer.from(header);
    const raw = await this.http('POST', options.path ?? '/', body, 'application/ipp');
    if (raw.status !== 200) throw new PrintgateError('IPP_ERROR', `${operationName(operation)}: HTTP ${raw.status}`, { httpStatus: raw.status, operation });
    const res = decode(raw.body);
    if (res.code >= 0x0400) {
      const opAttrs = res.groups.find((g) => g.tag === GroupTag.operation)?.attributes ?? [];
      throw new IppStatusError(operation, res.code, str(opAttrs, 'status-message'));
    }
    return res;
  }

  /** GET a file CUPS serves (e.g. /admin/conf/cupsd.conf) as an administrator. */
  async getFile(path: string): Promise<Buffer> {
    const raw = await this.http('GET', path, undefined, undefined);
    if (raw.status !== 200) throw new PrintgateError('SPOOLER_ERROR', `GET ${path}: HTTP ${raw.status}`, { httpStatus: raw.status });
    return raw.body;
  }

  /** PUT a file (e.g. /admin/conf/cupsd.conf: cupsd checks it and reloads). */
  async putFile(path: string, body: Uint8Array): Promise<void> {
    const raw = await this.http('PUT', path, Buffer.from(body), 'text/plain');
    if (raw.status !== 200 && raw.status !== 201) throw new PrintgateError('SPOOLER_ERROR', `PUT ${path}: HTTP ${raw.status}`, { httpStatus: raw.status });
  }

  close(): void {
    this.agent.destroy();
  }

  private nextId(): number {
    this.requestId = (this.requestId % 0x7fffffff) + 1;
    return this.requestId;
  }

  /** One HTTP exchange, with one retry after a 401 when we authenticate as the system. */
  private async http(method: string, path: string, body: Buffer | undefined, type: string | undefined): Promise<RawResponse> {
    let authorization = this.auth === 'system' ? await this.authorization(false) : undefined;
    const first = await this.exchange(method, path, body, type, authorization);
    if (first.status !== 401) return first;
    if (this.auth === 'none') throw new PrintgateError('SPOOLER_UNAUTHORIZED', `${method} ${path}: CUPS asks for authentication`, { httpStatus: 401 });
    authorization = await this.authorization(true);
    const second = await this.exchange(method, path, body, type, authorization);
    if (second.status === 401) throw new PrintgateError('SPOOLER_UNAUTHORIZED', `${method} ${path}: CUPS refused our local credentials (run as root, with CUPS_STATEDIR set like lpadmin needs)`, { httpStatus: 401 });
    return second;
  }

  /**
   * The Authorization header for @SYSTEM: PeerCred over the socket as root, else the Local
   * certificate, re-read when its file changed (cupsd writes a new one on every start) or
   * after a 401. A stale certificate is not harmless: cupsd logs an error for each use.
   */
  private async authorization(reread: boolean): Promise<string | undefined> {
    if (this.target.socketPath && this.user === 'root') return `PeerCred ${this.user}`;
    const file = `${this.stateDir}/certs/0`;
    const st = await stat(file).catch(() => undefined);
    const stamp = st ? `${st.ino}:${st.mtimeMs}:${st.size}` : '';
    if (reread || this.cert === undefined || stamp !== this.certStamp) {
      this.cert = (await readFile(file, 'utf8').catch(() => '')).trim();
      this.certStamp = stamp;
    }
    return this.cert ? `Local ${this.cert}` : this.target.socketPath ? `PeerCred ${this.user}` : undefined;
  }

  /** An exchange, retried once when a kept-alive connection turns out to be closed. */
  private async exchange(method: string, path: string, body: Buffer | undefined, type: string | undefined, authorization: string | undefined): Promise<RawResponse> {
    try {
      return await this.exchangeOnce(method, path, body, type, authorization);
    } catch (err) {
      if (err instanceof StaleSocket) return this.exchangeOnce(method, path, body, type, authorization);
      throw err;
    }
  }

  private exchangeOnce(method: string, path: string, body: Buffer | undefined, type: string | undefined, authorization: string | undefined): Promise<RawResponse> {
    const t = this.target;
    return new Promise((resolve, reject) => {
      const headers: OutgoingHttpHeaders = { Host: t.hostHeader };
      if (body) headers['Content-Length'] = body.length;
      if (type) headers['Content-Type'] = type;
      if (authorization) headers.Authorization = authorization;
      const where = t.socketPath ?? `${t.host}:${t.port}`;
      const fail = (err: Error) => reject(new PrintgateError('SPOOLER_UNAVAILABLE', `CUPS at ${where}: ${err.message}`, { server: where }, { cause: err }));
      const req = http.request({ method, path, headers, agent: this.agent, ...(t.socketPath ? { socketPath: t.socketPath } : { host: t.host, port: t.port }) }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > this.maxResponseBytes) {
            req.destroy(new Error(`response larger than ${this.maxResponseBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        // The body is always read to its end, 401 included, so the connection stays usable.
        res.on('end', () => { clearTimeout(timer); resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }); });
        res.on('error', (err) => { clearTimeout(timer); fail(err); });
      });
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      req.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        // cupsd closed an idle kept-alive connection (e.g. it reloaded): not a failure yet.
        if (req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE' || err.message === 'socket hang up')) reject(new StaleSocket());
        else fail(err);
      });
      req.end(body);
    });
  }
}

class StaleSocket extends Error {}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'root';
  }
}
