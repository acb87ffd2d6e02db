// A lean HTTP/1.1 keep-alive client for the server benchmark's simulated agents. node:http
// costs the load generator about 0.06-0.09 ms of CPU per authorize+complete pair, and the
// load generator shares the two cores with the server it measures; this client does the
// same protocol work with less: each request is ONE write of a pre-built header block (the
// agent's own bearer token, content type, the body's length) and the protobuf body, and
// the response is parsed just enough to be checked: the status line, Content-Length (a
// chunked or otherwise unframed answer is an error, not guessed at), `Connection: close`,
// and exactly Content-Length bytes of body. One request at a time per connection (no
// pipelining); an agent opens up to `maxConnections` connections, and a request beyond
// that waits for a free one, and the wait counts in its latency as it would for a real agent.

import net from 'node:net';

export interface Answer {
  readonly status: number;
  readonly body: Buffer;
}

const HEADER_END = Buffer.from('\r\n\r\n');
/** The most header bytes an answer may have before it is called broken. */
const MAX_HEADER = 16 * 1024;

/** One keep-alive connection with at most one request in flight. */
class Connection {
  readonly #socket: net.Socket;
  #buffer: Buffer = Buffer.alloc(0);
  #pending: { resolve: (a: Answer) => void; reject: (e: Error) => void } | null = null;
  #status = 0;
  #bodyStart = -1;
  #bodyLength = 0;
  #closeAfter = false;
  #dead: Error | null = null;
  readonly onIdle: (c: Connection) => void;

  constructor(port: number, host: string, onIdle: (c: Connection) => void) {
    this.onIdle = onIdle;
    this.#socket = net.connect({ port, host, noDelay: true });
    this.#socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.#socket.on('error', (e) => this.#fail(e));
    this.#socket.on('close', () => this.#fail(new Error('connection closed by the server')));
  }

  get usable(): boolean {
    return this.#dead === null;
  }

  send(bytes: Buffer): Promise<Answer> {
    if (this.#dead) return Promise.reject(this.#dead);
    if (this.#pending) return Promise.reject(new Error('a request is already in flight on this connection'));
    return new Promise<Answer>((resolve, reject) => {
      this.#pending = { resolve, reject };
      this.#socket.write(bytes);
    });
  }

  destroy(): void {
    this.#dead ??= new Error('connection destroyed');
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    if (!this.#pending) {
      this.#fail(new Error(`${chunk.length} bytes arrived with no request in flight`));
      return;
    }
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    if (this.#bodyStart < 0) {
      const end = this.#buffer.indexOf(HEADER_END);
      if (end < 0) {
        if (this.#buffer.length > MAX_HEADER) this.#fail(new Error('answer header too long'));
        return;
      }
      try {
        this.#parseHead(this.#buffer.toString('latin1', 0, end));
      } catch (e) {
        this.#fail(e as Error);
        return;
      }
      this.#bodyStart = end + HEADER_END.length;
    }
    const have = this.#buffer.length - this.#bodyStart;
    if (have < this.#bodyLength) return;
    if (have > this.#bodyLength) {
      this.#fail(new Error(`${have - this.#bodyLength} bytes beyond the answer's Content-Length`));
      return;
    }
    const answer = { status: this.#status, body: this.#buffer.subarray(this.#bodyStart) };
    const pending = this.#pending;
    this.#pending = null;
    this.#buffer = Buffer.alloc(0);
    this.#bodyStart = -1;
    if (this.#closeAfter) this.destroy();
    pending.resolve(answer);
    if (this.usable) this.onIdle(this);
  }

  #parseHead(head: string): void {
    const lines = head.split('\r\n');
    const m = /^HTTP\/1\.1 (\d{3}) /.exec(lines[0]! + ' ');
    if (!m) throw new Error(`not an HTTP/1.1 status line: ${JSON.stringify(lines[0]!.slice(0, 80))}`);
    this.#status = Number(m[1]);
    let length = -1;
    this.#closeAfter = false;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      if (colon <= 0) throw new Error(`malformed header line: ${JSON.stringify(line.slice(0, 80))}`);
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'content-length') {
        if (!/^\d{1,9}$/.test(value)) throw new Error(`bad Content-Length: ${value}`);
        length = Number(value);
      } else if (name === 'transfer-encoding') {
        throw new Error(`unsupported Transfer-Encoding: ${value}`);
      } else if (name === 'connection' && value.toLowerCase() === 'close') {
        this.#closeAfter = true;
      }
    }
    if (length < 0) throw new Error('answer without Content-Length');
    this.#bodyLength = length;
  }

  #fail(e: Error): void {
    this.#dead ??= e;
    const pending = this.#pending;
    this.#pending = null;
    this.#socket.destroy();
    pending?.reject(e);
  }
}

/** One simulated agent's HTTP side: its token in every request, its own connections. */
export class AgentHttp {
  readonly #idle: Connection[] = [];
  readonly #all = new Set<Connection>();
  readonly #waiting: Array<(c: Connection) => void> = [];
  readonly #headPrefix = new Map<string, string>();

  readonly port: number;
  readonly token: string;
  readonly maxConnections: number;
  readonly host: string;

  constructor(port: number, token: string, maxConnections = 4, host = '127.0.0.1') {
    this.port = port;
    this.token = token;
    this.maxConnections = maxConnections;
    this.host = host;
  }

  /** POST a protobuf body to `path`; resolves with the status and the whole body. */
  async post(path: string, body: Uint8Array): Promise<Answer> {
    let prefix = this.#headPrefix.get(path);
    if (prefix === undefined) {
      prefix = `POST ${path} HTTP/1.1\r\nHost: ${this.host}:${this.port}\r\nAuthorization: Bearer ${this.token}\r\n` +
        'Content-Type: application/x-protobuf\r\nContent-Length: ';
      this.#headPrefix.set(path, prefix);
    }
    const head = `${prefix}${body.length}\r\n\r\n`;
    const bytes = Buffer.allocUnsafe(head.length + body.length);
    bytes.write(head, 0, 'latin1');
    bytes.set(body, head.length);
    const c = await this.#connection();
    return c.send(bytes);
  }

  destroy(): void {
    for (const c of this.#all) c.destroy();
    this.#all.clear();
    this.#idle.length = 0;
  }

  #connection(): Promise<Connection> | Connection {
    while (this.#idle.length > 0) {
      const c = this.#idle.pop()!;
      if (c.usable) return c;
      this.#all.delete(c);
    }
    for (const c of this.#all) if (!c.usable) this.#all.delete(c);
    if (this.#all.size < this.maxConnections) {
      const c = new Connection(this.port, this.host, (free) => this.#release(free));
      this.#all.add(c);
      return c;
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #release(c: Connection): void {
    const next = this.#waiting.shift();
    if (next) next(c);
    else this.#idle.push(c);
  }
}
