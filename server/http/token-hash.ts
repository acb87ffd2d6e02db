// Bearer tokens are kept only as SHA-256 digests and compared in constant time.

import { hash, timingSafeEqual } from 'node:crypto';

export function hashToken(token: string): Buffer {
  // One-shot digest (no Hash object per request); a string is hashed as UTF-8.
  return hash('sha256', token, 'buffer');
}

/** Constant-time comparison of two digests (false when the lengths differ). */
export function sameHash(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
