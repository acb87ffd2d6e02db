// Runs one test body against both storage engines: SQLite in a temporary directory and
// PostgreSQL in a fresh database (skipped off CI when PostgreSQL is not installed).
// The body gets the `--db` value to open.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needs } from './system.ts';
import { freshPgDatabase, pgAvailable } from './postgres.ts';

interface TapLike {
  test(name: string, options: { skip?: string | false }, fn: (t: any) => Promise<void>): unknown;
  teardown(fn: () => unknown): void;
}

export interface EngineContext {
  engine: 'sqlite' | 'postgres';
  /** A SQLite file path or a postgres:// URL, empty and private to this test. */
  db: string;
  /** A scratch directory for the service's data dir. */
  dataDir: string;
}

export function scratchDir(t: { teardown(fn: () => unknown): void }, prefix = 'printgate-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function forEachEngine(t: TapLike, name: string, body: (t: any, ctx: EngineContext) => Promise<void>): void {
  t.test(`${name} [sqlite]`, {}, async (t) => {
    const dataDir = scratchDir(t);
    await body(t, { engine: 'sqlite', db: join(dataDir, 'printgate.db'), dataDir });
  });
  t.test(`${name} [postgres]`, { skip: needs('postgresql', pgAvailable()) }, async (t) => {
    const dataDir = scratchDir(t);
    await body(t, { engine: 'postgres', db: await freshPgDatabase(t), dataDir });
  });
}
