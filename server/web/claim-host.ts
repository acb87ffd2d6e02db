// Popup authentication's host rule: a job held for a claim may be claimed through the user
// client (live page, `printgate client`) only from the host the job came from. The job's
// host is what CUPS reported (job-originating-host-name): an IP address or a host name.
// A name is resolved with the system resolver (every address) and the client's address
// must be one of them. IPv4-mapped IPv6 (`::ffff:1.2.3.4`) counts as the IPv4 address.
// A loopback client counts only for a job whose host is loopback (or resolves to it) or is
// the server's own host name: otherwise anybody with a shell on the server could claim
// everybody's jobs. Behind a reverse proxy the client's address is the proxy's unless the
// proxy is listed in `--trust-proxy` (then it is the forwarded client; see docs/web.md).

import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { hostname } from 'node:os';

/** Every address of a host name (throws when it does not resolve). */
export type HostLookup = (name: string) => Promise<string[]>;

export interface HostRuleOptions {
  lookup?: HostLookup;
  /** The server's own host name(s); default os.hostname(). */
  ownNames?: string[];
  /** Longest wait for the resolver (ms); a slower answer counts as no match. */
  timeoutMs?: number;
}

const systemLookup: HostLookup = async (name) => (await lookup(name, { all: true, verbatim: true })).map((a) => a.address);

/** Lower case, no brackets or zone, IPv4-mapped IPv6 as plain IPv4. */
export function normaliseAddress(address: string): string {
  let a = address.trim().toLowerCase();
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  const zone = a.indexOf('%');
  if (zone >= 0) a = a.slice(0, zone);
  const mapped = /^(?:0{0,4}:){0,4}:?(?:0{0,4}:)?ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(a);
  if (mapped && isIP(mapped[1]!) === 4) return mapped[1]!;
  return a;
}

export function isLoopback(address: string): boolean {
  const a = normaliseAddress(address);
  if (isIP(a) === 4) return a.startsWith('127.');
  return a === '::1' || a === '0:0:0:0:0:0:0:1';
}

/** Same host name, with or without the domain on one side. */
function sameName(a: string, b: string): boolean {
  const x = a.toLowerCase().replace(/\.$/, '');
  const y = b.toLowerCase().replace(/\.$/, '');
  if (!x || !y) return false;
  if (x === y) return true;
  if (!x.includes('.')) return y.split('.')[0] === x;
  if (!y.includes('.')) return x.split('.')[0] === y;
  return false;
}

export class ClaimHostRule {
  readonly #lookup: HostLookup;
  readonly #ownNames: string[];
  readonly #timeoutMs: number;

  constructor(options: HostRuleOptions = {}) {
    this.#lookup = options.lookup ?? systemLookup;
    this.#ownNames = options.ownNames ?? [hostname()];
    this.#timeoutMs = options.timeoutMs ?? 3000;
  }

  /** The addresses of the job's host ([] when it has none or does not resolve in time). */
  async #addresses(jobHost: string): Promise<string[]> {
    const host = normaliseAddress(jobHost);
    if (host === '') return [];
    if (isIP(host)) return [host];
    // Only plausible DNS names go to the resolver.
    if (host.length > 253 || !/^[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?\.?$/.test(host)) return [];
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<string[]>((resolve) => { timer = setTimeout(() => resolve([]), this.#timeoutMs); });
    try {
      return (await Promise.race([this.#lookup(host).catch(() => [] as string[]), late])).map(normaliseAddress);
    } finally {
      clearTimeout(timer);
    }
  }

  /** May a client at `remote` claim a job that came from `jobHost`? */
  async allows(remote: string, jobHost: string): Promise<boolean> {
    const from = normaliseAddress(remote);
    if (!isIP(from)) return false;
    if (isLoopback(from)) {
      if (this.#ownNames.some((n) => sameName(n, jobHost))) return true;
      return (await this.#addresses(jobHost)).some(isLoopback);
    }
    return (await this.#addresses(jobHost)).includes(from);
  }
}
