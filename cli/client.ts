// `printgate client`: the user client in a terminal. It logs in with the user's password
// (prompted without echo on a terminal, else the first line of standard input), follows
// the server's event stream (/api/user/v1/events) and prints the balance, low-credit
// warnings and refused jobs; when the server asks about a held job (release, confirm,
// choose the account, claim) it asks the user and sends the answer. It never acts without
// the user's answer, and the server decides everything: a question left unanswered times
// out by the server's rule. Further lines of standard input are the answers.
// `--ca FILE` trusts a server with its own certificate: the file is read by the agent
// client's helper (readCaFile) and becomes the process's only trusted CAs, which fetch
// uses too (this command is its own process).

import { hostname } from 'node:os';
import { createInterface } from 'node:readline';
import { setDefaultCACertificates } from 'node:tls';
import { PrintgateError } from '../shared/errors.ts';
import { readCaFile } from '../agent/client/options.ts';
import { isTlsCertificateError } from '../agent/client/retry.ts';
import { EXIT_FAILED, EXIT_OK, UsageError, parseCommandArgs, runCommand } from './usage.ts';
import { promptHidden } from './read-secret.ts';

const USAGE = `usage: printgate client --server URL --user USER [--ca FILE]

The user client in a terminal: shows your balance, low-credit warnings and refused jobs,
and asks you the questions the server has about your held jobs (print at this cost?
which account? is this your job?). You log in with your web password: typed at the
prompt, or the first line of standard input; later lines answer the questions.

  --server URL   the printgate server (PRINTGATE_SERVER; default http://127.0.0.1:8631)
  --user USER    your user name (default: $USER)
  --ca FILE      trust the PEM certificate(s) in FILE (only them) for an https server
                 with its own certificate
  --host NAME    this machine's name as print jobs give it (default: the host name);
                 jobs to claim (popup authentication) are asked about only here

Answers: y (print) or n (cancel); for an account choice its number or name, or n.
Stop with Ctrl-C. Exit status: 0 stopped, 1 log-in refused or server lost, 2 usage error.
`;

interface Question {
  jobId: string;
  title: string;
  printer: string;
  cost: string;
  holdKind: string;
  question: string;
  host: string;
  expiresAt: string | null;
}
interface State {
  currency: string;
  balances: Array<{ account: string; balance: string }>;
  lowBalance: boolean;
  threshold: string;
  held: Question[];
  accounts: Array<{ name: string; shared: boolean; hasPin: boolean }>;
}

/** Lines of standard input, one at a time, for the password (non-TTY) and the answers. */
class Lines {
  readonly #queue: string[] = [];
  readonly #waiting: Array<(line: string | null) => void> = [];
  #closed = false;
  readonly #rl: ReturnType<typeof createInterface>;
  constructor(input: NodeJS.ReadableStream) {
    const rl = createInterface({ input, terminal: false, crlfDelay: Infinity });
    this.#rl = rl;
    rl.on('line', (line) => {
      const w = this.#waiting.shift();
      if (w) w(line); else this.#queue.push(line);
    });
    rl.on('close', () => {
      this.#closed = true;
      for (const w of this.#waiting.splice(0)) w(null);
    });
  }
  close(): void {
    this.#rl.close();
  }
  next(): Promise<string | null> {
    if (this.#queue.length) return Promise.resolve(this.#queue.shift()!);
    if (this.#closed) return Promise.resolve(null);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }
}

export async function run(argv: string[]): Promise<number> {
  return runCommand('client', USAGE, async () => {
    const { values, positionals } = parseCommandArgs(argv, { server: { type: 'string' }, user: { type: 'string' }, host: { type: 'string' }, ca: { type: 'string' } });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    if (values.help) {
      process.stdout.write(USAGE);
      return EXIT_OK;
    }
    const server = String(values.server ?? process.env.PRINTGATE_SERVER ?? 'http://127.0.0.1:8631').replace(/\/+$/, '');
    if (!/^https?:\/\//.test(server)) throw new UsageError('--server must be an http:// or https:// URL');
    const user = String(values.user ?? process.env.USER ?? '');
    if (!user) throw new UsageError('--user is required');

    if (values.ca !== undefined) trustOnly(String(values.ca));

    const tty = process.stdin.isTTY === true;
    const password = tty ? await promptHidden(`Password for ${user}: `, process.stdin, process.stderr) : null;
    const lines = new Lines(process.stdin);
    const secret = password ?? await lines.next();
    if (!secret) throw new UsageError('no password on standard input');

    const host = String(values.host ?? hostname());
    const client = new UserClient(server, lines, (text) => process.stdout.write(`${text}\n`), host);
    try {
      await client.login(user, secret);
    } catch (err) {
      // Standard input would keep the process alive after the one-line reason.
      lines.close();
      process.stdin.destroy();
      throw err;
    }
    const stop = new AbortController();
    process.once('SIGINT', () => stop.abort());
    process.once('SIGTERM', () => stop.abort());
    const code = await client.follow(stop.signal);
    // Standard input would keep the process alive.
    lines.close();
    process.stdin.destroy();
    return code;
  });
}

/** Make the certificates of a --ca file the only ones TLS connections (and fetch) trust. */
function trustOnly(path: string): void {
  const pems = readCaFile(path).toString('utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (!pems) throw new PrintgateError('INVALID_ARGUMENT', `no PEM certificate in the CA file ${path}`);
  setDefaultCACertificates(pems);
}

/** fetch() with a one-line reason when the server cannot be reached (TLS: hint at --ca). */
async function call(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    const cause = (err as { cause?: NodeJS.ErrnoException }).cause;
    if (isTlsCertificateError(cause)) throw new Error(`${new URL(url).origin}: the server's TLS certificate is not trusted (${cause!.code}); give its CA with --ca FILE`);
    throw new Error(`${new URL(url).origin} is not reachable: ${cause?.message ?? (err as Error).message}`);
  }
}

export class UserClient {
  readonly #server: string;
  readonly #lines: Lines;
  readonly #say: (text: string) => void;
  #cookie = '';
  #csrf = '';
  #state: State | null = null;
  readonly #asked = new Set<string>();
  #answering: Promise<void> = Promise.resolve();
  #lastBalances = '';
  #lastLow = false;

  readonly #host: string;

  constructor(server: string, lines: Lines, say: (text: string) => void, host: string) {
    this.#host = host.toLowerCase();
    this.#server = server;
    this.#lines = lines;
    this.#say = say;
  }

  async login(user: string, password: string): Promise<void> {
    const r = await call(`${this.#server}/api/user/v1/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user, password }),
    });
    const body = await r.json().catch(() => ({})) as { csrf?: string; message?: string };
    if (!r.ok) throw new Error(`log-in refused: ${body.message ?? r.status}`);
    const cookie = r.headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => c.startsWith('printgate_user='));
    if (!cookie || !body.csrf) throw new Error('the server did not open a session');
    this.#cookie = cookie;
    this.#csrf = body.csrf;
    this.#say(`logged in as ${user}`);
  }

  /** Follow the event stream until stopped; reconnect after a dropped connection. */
  async follow(signal: AbortSignal): Promise<number> {
    let failures = 0;
    while (!signal.aborted) {
      try {
        const r = await call(`${this.#server}/api/user/v1/events`, { headers: { cookie: this.#cookie, accept: 'text/event-stream' }, signal });
        if (r.status === 401) {
          this.#say('the session ended; log in again');
          return EXIT_FAILED;
        }
        if (!r.ok || !r.body) throw new Error(`events: HTTP ${r.status}`);
        failures = 0;
        await this.#read(r.body, signal);
      } catch (err) {
        if (signal.aborted) break;
        if (++failures > 10) {
          this.#say(`lost the server: ${(err as Error).message}`);
          return EXIT_FAILED;
        }
      }
      if (!signal.aborted) await new Promise((r) => setTimeout(r, Math.min(1000 * failures, 5000)));
    }
    await call(`${this.#server}/api/user/v1/logout`, { method: 'POST', headers: { cookie: this.#cookie, 'x-csrf-token': this.#csrf } }).catch(() => {});
    return EXIT_OK;
  }

  async #read(body: ReadableStream<Uint8Array>, signal: AbortSignal): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    const reader = body.getReader();
    signal.addEventListener('abort', () => { reader.cancel().catch(() => {}); }, { once: true });
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      if (buffer.length > 1_000_000) throw new Error('event too large');
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = 'message';
        let data = '';
        for (const line of block.split('\n')) {
          if (line.startsWith('event: ')) event = line.slice(7);
          else if (line.startsWith('data: ')) data += line.slice(6);
        }
        if (data) this.#event(event, JSON.parse(data));
      }
    }
  }

  #event(event: string, data: any): void {
    if (event === 'denied') {
      this.#say(`job ${data.jobId} (${data.title || 'untitled'}) on ${data.printer} was refused: ${data.reason}`);
    } else if (event === 'state') {
      const s = data as State;
      this.#state = s;
      const balances = s.balances.map((b) => `${b.account} ${b.balance} ${s.currency}`).join(', ');
      if (balances !== this.#lastBalances) this.#say(`balance: ${balances}`);
      this.#lastBalances = balances;
      if (s.lowBalance && !this.#lastLow) this.#say(`warning: your balance is low (below ${s.threshold} ${s.currency})`);
      this.#lastLow = s.lowBalance;
      for (const q of s.held) {
        if (this.#asked.has(q.jobId) || !this.#mine(q)) continue;
        this.#asked.add(q.jobId);
        // One question at a time, in the order the server listed them.
        this.#answering = this.#answering.then(() => this.#ask(q)).catch((err: Error) => this.#say(`job ${q.jobId}: ${err.message}`));
      }
    } else if (event === 'error') {
      this.#say(`server: ${data.message}`);
    }
  }

  /** A job to claim is asked about only on the host it came from (popup authentication). */
  #mine(q: Question): boolean {
    if (q.holdKind !== 'CLAIM' || !q.host) return true;
    const h = q.host.toLowerCase();
    return h === this.#host || h.split('.')[0] === this.#host.split('.')[0];
  }

  async #ask(q: Question): Promise<void> {
    // Still waiting? (It may have been answered at the web page or timed out meanwhile.)
    if (this.#state && !this.#state.held.some((h) => h.jobId === q.jobId)) return;
    const until = q.expiresAt ? ` (until ${q.expiresAt.slice(11, 16)} UTC)` : '';
    this.#say(`job ${q.jobId} (${q.title || 'untitled'}) on ${q.printer}: ${q.question}${until}`);
    const accounts = this.#state?.accounts ?? [];
    for (;;) {
      if (q.holdKind === 'CHOOSE_ACCOUNT') {
        this.#say(accounts.map((a, i) => `  ${i + 1}) ${a.name}${a.shared ? ' (shared)' : ''}${a.hasPin ? ' [PIN]' : ''}`).join('\n'));
        this.#say(`answer [1-${accounts.length}, or n to cancel]:`);
      } else {
        this.#say('answer [y/n]:');
      }
      const line = await this.#lines.next();
      if (line === null) return; // no more input: leave it to the server's time-out
      const a = line.trim();
      if (/^n(o)?$/i.test(a)) return this.#send(q, 'cancel', {});
      if (q.holdKind !== 'CHOOSE_ACCOUNT') {
        if (/^y(es)?$/i.test(a)) return this.#send(q, 'release', {});
        continue;
      }
      const chosen = /^\d+$/.test(a) ? accounts[Number(a) - 1] : accounts.find((x) => x.name === a);
      if (!chosen) continue;
      let pin: string | undefined;
      if (chosen.hasPin) {
        this.#say(`PIN for ${chosen.name}:`);
        pin = (await this.#lines.next())?.trim();
      }
      return this.#send(q, 'release', { account: chosen.name, ...(pin ? { pin } : {}) });
    }
  }

  async #send(q: Question, action: 'release' | 'cancel', body: Record<string, string>): Promise<void> {
    const r = await call(`${this.#server}/api/user/v1/jobs/${encodeURIComponent(q.jobId)}/${action}`, {
      method: 'POST', headers: { cookie: this.#cookie, 'x-csrf-token': this.#csrf, 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    const answer = await r.json().catch(() => ({})) as { code?: string; message?: string; account?: string };
    if (!r.ok) {
      this.#say(`job ${q.jobId}: refused by the server: ${answer.message ?? r.status}`);
      // Still held (a wrong PIN, not enough credit): ask again. Not for an unknown job
      // (404), one no longer held (409) or a claim from the wrong host (asking cannot help).
      if (action === 'release' && r.status !== 404 && r.status !== 409 && answer.code !== 'CLAIM_WRONG_HOST') this.#answering = this.#answering.then(() => this.#ask(q));
      return;
    }
    this.#say(action === 'cancel' ? `job ${q.jobId}: cancelled` : `job ${q.jobId}: released${answer.account ? ` (account ${answer.account})` : ''}`);
  }
}
