// PostgreSQL for tests: a fresh database per caller on the server PRINTGATE_TEST_PG_URL
// names (CI starts one), or else on a private cluster this helper starts itself when
// PostgreSQL's initdb is installed (run as the `postgres` user when we are root; stopped by
// PID at the end of the test file). Use:
//   t.test('x', { skip: needs('postgresql', pgAvailable()) }, async (t) => {
//     const url = await freshPgDatabase(t);   // dropped when t ends
//   });

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import pg from 'pg';
import tap from 'tap';

interface Teardownable { teardown(fn: () => unknown): void }

function pgBinDir(): string | null {
  const candidates = existsSync('/usr/lib/postgresql')
    ? readdirSync('/usr/lib/postgresql').sort().reverse().map((v) => `/usr/lib/postgresql/${v}/bin`)
    : [];
  for (const dir of candidates) if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'))) return dir;
  return null;
}

/** Whether tests can get a PostgreSQL: the CI URL is set, or a cluster can be started. */
export function pgAvailable(): boolean {
  return Boolean(process.env.PRINTGATE_TEST_PG_URL) || pgBinDir() !== null;
}

let server: Promise<string> | null = null;
let child: ChildProcess | null = null;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitReady(url: string, deadlineMs: number): Promise<void> {
  for (;;) {
    const client = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 1000 });
    try {
      await client.query('SELECT 1');
      return;
    } catch (e) {
      if (Date.now() > deadlineMs) throw e;
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      await client.end().catch(() => {});
    }
  }
}

/** Start (once per process) a private cluster on loopback; returns its admin URL. */
async function privateCluster(): Promise<string> {
  const bin = pgBinDir();
  if (!bin) throw new Error('PostgreSQL (initdb) is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'printgate-pg-'));
  // initdb refuses to run as root: as root, run PostgreSQL as the `postgres` user.
  const ids = process.getuid?.() === 0
    ? { uid: Number(spawnSync('id', ['-u', 'postgres']).stdout.toString().trim()), gid: Number(spawnSync('id', ['-g', 'postgres']).stdout.toString().trim()) }
    : {};
  if (ids.uid !== undefined) chownSync(dir, ids.uid, ids.gid!);
  const init = spawnSync(join(bin, 'initdb'), ['-D', join(dir, 'data'), '-U', 'postgres', '-A', 'trust', '--no-sync'], { stdio: 'pipe', cwd: dir, ...ids });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr?.toString()}`);
  const port = await freePort();
  // In the foreground as our child, so that we reap it; stopped by PID (SIGINT = fast shutdown).
  child = spawn(join(bin, 'postgres'), ['-D', join(dir, 'data'), '-p', String(port), '-k', dir,
    '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=200'], { stdio: 'ignore', cwd: dir, ...ids });
  const proc = child;
  tap.teardown(async () => {
    if (proc.exitCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGINT');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  await waitReady(url, Date.now() + 20_000);
  return url;
}

/** The admin URL of the test server (CI's, or a private cluster started on first use). */
export function testPgServer(): Promise<string> {
  if (!server) server = process.env.PRINTGATE_TEST_PG_URL ? Promise.resolve(process.env.PRINTGATE_TEST_PG_URL) : privateCluster();
  return server;
}

/**
 * One statement on the test server's admin database, on a connection that is closed, socket
 * and all, before this returns. (A pool's end() resolves before its sockets close: a cluster
 * stopped right after would then end a still-open session, an uncaught error in the test.)
 */
async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const pool = new pg.Pool({ connectionString: adminUrl, max: 1 });
  const closed: Array<Promise<unknown>> = [];
  pool.on('connect', (c) => {
    const client = c as unknown as EventEmitter;
    client.on('error', () => {});
    closed.push(new Promise((r) => client.once('end', r)));
  });
  try {
    await pool.query(sql);
  } finally {
    await pool.end();
    await Promise.all(closed);
  }
}

/** A new empty database on the test server, dropped when `t` ends. Returns its URL. */
export async function freshPgDatabase(t: Teardownable): Promise<string> {
  const adminUrl = await testPgServer();
  const name = `pgt_${process.pid}_${randomBytes(4).toString('hex')}`;
  await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
  t.teardown(() => adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}
