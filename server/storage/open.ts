// Opens the storage engine a `--db` value names: a postgres:// (or postgresql://) URL
// selects PostgreSQL, anything else is a SQLite file path. Migrations run before use.

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { migrate } from './migrate.ts';
import type { Storage } from './port.ts';
import { PostgresStorage } from './postgres.ts';
import { SqliteStorage } from './sqlite.ts';
import { PrintgateError } from '../../shared/errors.ts';

export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

export async function openStorage(db: string, options: { sqliteSynchronous?: 'NORMAL' | 'FULL' } = {}): Promise<Storage> {
  let storage: Storage;
  if (isPostgresUrl(db)) {
    storage = new PostgresStorage({ url: db });
  } else {
    mkdirSync(dirname(db), { recursive: true });
    const env = process.env.PRINTGATE_SQLITE_SYNC?.toUpperCase();
    const synchronous = options.sqliteSynchronous ?? (env === 'FULL' ? 'FULL' : 'NORMAL');
    storage = new SqliteStorage({ path: db, synchronous });
  }
  try {
    await migrate(storage);
  } catch (e) {
    await storage.close().catch(() => {});
    // The engines report an unreachable database as STORAGE_UNAVAILABLE; name the cause here.
    const cause = e instanceof PrintgateError && e.code === 'STORAGE_UNAVAILABLE' && e.cause ? e.cause : e;
    const code = (cause as { code?: string }).code;
    if (cause !== e || code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === '28P01' || code === '3D000') {
      throw new PrintgateError('STORAGE_UNAVAILABLE', `cannot open the database: ${(cause as Error).message}`, undefined, { cause });
    }
    throw e;
  }
  return storage;
}
