// A private, throw-away PostgreSQL cluster for the benchmark when no URL is given:
// initdb into a temporary directory, postgres on a free loopback port (run as the
// `postgres` user when we are root), stopped by its PID (SIGINT: fast shutdown).
//
// Durability of this cluster, exactly: fsync stays on, but unless `durable` a commit is
// acknowledged before its WAL is flushed (synchronous_commit=off); PostgreSQL's WAL writer
// flushes it within 3 x wal_writer_delay (at most 600 ms with the default 200 ms). So an
// acknowledged charge survives a kill -9 of printgate (PostgreSQL still has it and writes
// it), but a crash of PostgreSQL itself, of the OS, or a power loss can lose the commits of
// the last 0.6 s (whole transactions only: the database stays consistent). That is close to,
// not the same as, the SQLite engine's default synchronous=NORMAL (which loses nothing when
// only processes crash). A PostgreSQL left at its defaults (synchronous_commit=on), as the
// server expects in production, loses nothing acknowledged: `durable` (--pg-durable)
// measures that setting, where every commit waits for its WAL flush (group-committed).
// Pass --pg-url to measure an existing server with its own settings.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface Cluster {
  readonly url: string;
  stop(): Promise<void>;
}

function binDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  for (const v of readdirSync(root).sort().reverse()) {
    const dir = join(root, v, 'bin');
    if (existsSync(join(dir, 'initdb'))) return dir;
  }
  return null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export async function startCluster(durable = false): Promise<Cluster> {
  const bin = binDir();
  if (!bin) throw new Error('PostgreSQL is not installed (no initdb); pass --pg-url or --engine sqlite');
  const dir = mkdtempSync(join(tmpdir(), 'printgate-bench-pg-'));
  // PostgreSQL refuses to run as root: as root, run it as the `postgres` user, spawned
  // directly (not through runuser) so that the PID we stop is postgres itself.
  const root = process.getuid?.() === 0;
  let as: { uid: number; gid: number } | Record<string, never> = {};
  if (root) {
    const id = (flag: string): number => Number(spawnSync('id', [flag, 'postgres']).stdout.toString().trim());
    as = { uid: id('-u'), gid: id('-g') };
    chownSync(dir, as.uid, as.gid);
  }
  const init = spawnSync(join(bin, 'initdb'), ['-D', join(dir, 'data'), '-U', 'postgres', '-A', 'trust'], { stdio: 'pipe', cwd: dir, ...as });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr.toString()}`);
  const port = await freePort();
  const child: ChildProcess = spawn(join(bin, 'postgres'), ['-D', join(dir, 'data'), '-p', String(port), '-k', dir,
    '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', `synchronous_commit=${durable ? 'on' : 'off'}`],
  { stdio: 'ignore', cwd: dir, ...as });
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const client = new pg.Pool({ connectionString: url, max: 1 });
    try {
      await client.query('SELECT 1');
      await client.end();
      break;
    } catch (err) {
      await client.end().catch(() => {});
      if (Date.now() > deadline || child.exitCode !== null) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGINT');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh database on the cluster (or server) at `url`; returns its URL. */
export async function freshDatabase(url: string, name: string): Promise<string> {
  const client = new pg.Pool({ connectionString: url, max: 1 });
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name}`);
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}
