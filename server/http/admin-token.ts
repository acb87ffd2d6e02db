// The admin API token: PRINTGATE_ADMIN_TOKEN when set (automation), else generated at the
// first start into <data>/admin.token with mode 0600 and reused afterwards. Only the token's
// SHA-256 leaves this file; the server compares hashes in constant time (auth.ts).

import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, openSync, readFileSync, statSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { hashToken } from './token-hash.ts';

export const ADMIN_TOKEN_FILE = 'admin.token';

export interface AdminCredential {
  /** SHA-256 of the token. */
  readonly hash: Buffer;
  /** Where the token came from. */
  readonly source: 'env' | 'file';
  /** The token file when source is 'file'. */
  readonly path: string | null;
  /** True when this start generated a new token file. */
  readonly created: boolean;
  /** Warnings for the start-up banner (e.g. a file mode that had to be tightened). */
  readonly warnings: readonly string[];
}

/** A new random token: 32 bytes, base64url, with a prefix that says what it is. */
export function generateToken(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

/** Resolve the admin credential for a data directory, creating the token file if needed. */
export function loadAdminToken(dataDir: string, env: NodeJS.ProcessEnv = process.env): AdminCredential {
  const fromEnv = env.PRINTGATE_ADMIN_TOKEN;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv.trim().length < 16) throw new Error('PRINTGATE_ADMIN_TOKEN is too short (at least 16 characters)');
    return { hash: hashToken(fromEnv.trim()), source: 'env', path: null, created: false, warnings: [] };
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, ADMIN_TOKEN_FILE);
  const warnings: string[] = [];
  let created = false;
  let token: string;
  try {
    // 'wx' fails when the file exists: two servers starting at once cannot both write it.
    const fd = openSync(path, 'wx', 0o600);
    try {
      token = generateToken('pga');
      writeSync(fd, `${token}\n`);
    } finally {
      closeSync(fd);
    }
    created = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    token = readFileSync(path, 'utf8').trim();
    if (token.length < 16) throw new Error(`${path} does not hold a token; delete it to generate a new one`);
    if ((statSync(path).mode & 0o077) !== 0) {
      chmodSync(path, 0o600);
      warnings.push(`${path} was readable by others; its mode is now 0600 (consider replacing the token)`);
    }
  }
  return { hash: hashToken(token), source: 'file', path, created, warnings };
}
