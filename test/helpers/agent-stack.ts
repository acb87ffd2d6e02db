// A real printgate stack for integration tests and the gate bench: `printgate server` and
// `printgate agent` as child processes (so they can be SIGTERMed or kill -9ed and their
// RSS/CPU read from /proc), on 127.0.0.1 with temp directories, plus a small admin API
// client for setting up users, agents and printers. Everything started here is stopped
// by PID by the caller (stop()/kill()).

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './cups-rig.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/printgate.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Proc {
  readonly child: ChildProcess;
  readonly pid: number;
  /** stdout+stderr so far. */
  output(): string;
  /** SIGTERM and wait for the exit (SIGKILL after graceMs); resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
  /** kill -9 and wait for the exit. */
  kill(): Promise<void>;
  readonly exited: Promise<number | null>;
}

/** Run the built copy (dist/, what an installed package runs) instead of the sources. */
const BUILT_RUNNER = `const m = await import(${JSON.stringify(join(ROOT, 'dist/cli/main.js'))}); process.exitCode = await m.main(process.argv.slice(1));`;

function start(args: string[], env: NodeJS.ProcessEnv, built = false): Proc {
  const entry = built ? ['--input-type=module', '-e', BUILT_RUNNER] : [BIN];
  const child = spawn(process.execPath, [...entry, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); if (out.length > 4_000_000) out = out.slice(-2_000_000); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); if (out.length > 4_000_000) out = out.slice(-2_000_000); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const proc: Proc = {
    child, pid: child.pid!, output: () => out, exited,
    async stop(graceMs = 8000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
  return proc;
}

export interface ServerHandle extends Proc {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly adminToken: string;
  /** Call the admin API; throws with the server's body on a non-2xx answer. */
  admin<T = any>(method: string, path: string, body?: unknown): Promise<T>;
  /** Start the same server again (same data, same port) after a stop or kill. */
  restart(): Promise<ServerHandle>;
}

export async function startServer(dataDir: string, options: { port?: number; adminToken?: string } = {}): Promise<ServerHandle> {
  await mkdir(dataDir, { recursive: true });
  const port = options.port ?? await freePort();
  const adminToken = options.adminToken ?? 'admin-token-for-tests-0123456789';
  const proc = start(['server', '--data', dataDir, '--port', String(port), '--host', '127.0.0.1'], { PRINTGATE_ADMIN_TOKEN: adminToken });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`printgate server exited: ${proc.output()}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) { await proc.kill(); throw new Error(`printgate server did not start: ${proc.output()}`); }
    await sleep(50);
  }
  const handle: ServerHandle = {
    ...proc, url, port, dataDir, adminToken,
    async admin(method, path, body) {
      const r = await fetch(`${url}/api/admin/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${adminToken}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await r.text();
      if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
      return (text ? JSON.parse(text) : undefined) as never;
    },
    restart: () => startServer(dataDir, { port, adminToken }),
  };
  return handle;
}

export interface AgentProcOptions {
  server: string;
  token: string;
  stateDir: string;
  spoolDir: string;
  cupsEnv: { CUPS_SERVER: string; CUPS_STATEDIR: string };
  name?: string;
  extra?: string[];
  /** Run dist/ (after `npm run build`) rather than the TypeScript sources. */
  built?: boolean;
  /** Extra environment for the agent process (e.g. NODE_OPTIONS). */
  env?: NodeJS.ProcessEnv;
}

/** Start `printgate agent` and wait until it logs "agent started". */
export async function startAgent(o: AgentProcOptions): Promise<Proc> {
  const proc = start([
    'agent', '--server', o.server, '--cups-spool-dir', o.spoolDir, '--state-dir', o.stateDir,
    '--name', o.name ?? 'rig-agent', ...(o.extra ?? []),
  ], { ...o.env, ...o.cupsEnv, PRINTGATE_AGENT_TOKEN: o.token }, o.built);
  const deadline = Date.now() + 20_000;
  while (!proc.output().includes('"agent started"')) {
    if (proc.child.exitCode !== null) throw new Error(`printgate agent exited: ${proc.output()}`);
    if (Date.now() > deadline) { await proc.kill(); throw new Error(`printgate agent did not start: ${proc.output()}`); }
    await sleep(20);
  }
  return proc;
}

/** Resident set size of a process in bytes (Linux). */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** CPU time (user+system) of a process in clock ticks (Linux; usually 100 per second). */
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
}

/** Memory a process has to itself (Private_Clean + Private_Dirty from smaps_rollup), in bytes. */
export function privateBytes(pid: number): number {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  let kb = 0;
  for (const m of text.matchAll(/^Private_(?:Clean|Dirty):\s+(\d+) kB/gm)) kb += Number(m[1]);
  return kb * 1024;
}
