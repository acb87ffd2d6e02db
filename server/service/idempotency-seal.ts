// How an Idempotency-Key's row is kept unreadable without the key: a stored answer can
// hold a secret (POST /agents answers with the new agent's token, which the server
// otherwise keeps only as a hash) and a request can hold one (a shared account's PIN, whose
// plain SHA-256 would be guessed in 10,000 tries). So the database never holds the key
// or anything derived from the request without it. From the key (HKDF-SHA-256, the scope
// as context) come three independent values:
// - the row's id (the `key` column): looking a row up needs the key;
// - an HMAC key for the request's fingerprint (the `request_hash` column);
// - an AES-256-GCM key for the stored answer (the `response` column, a fresh nonce each).
// The client holds the key (printgate cmd sends a random UUID); someone who reads the
// database or a backup learns neither answers nor request contents.

import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { PrintgateError } from '../../shared/errors.ts';
import { requestHash } from './util.ts';

const SALT = 'printgate idempotency v1';
const SEALED = 'v1.';

export interface KeySeal {
  /** The `key` column's value. */
  readonly id: string;
  /** The request's fingerprint (`request_hash`). */
  fingerprint(request: unknown): string;
  seal(answerJson: string): string;
  open(stored: string): string;
}

export function keySeal(scope: string, key: string): KeySeal {
  const material = Buffer.from(hkdfSync('sha256', key, SALT, scope, 96));
  const id = material.subarray(0, 32).toString('base64url');
  const macKey = material.subarray(32, 64);
  const aesKey = material.subarray(64, 96);
  return {
    id,
    fingerprint: (request) => createHmac('sha256', macKey).update(requestHash(request)).digest('hex'),
    seal(answerJson) {
      const nonce = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', aesKey, nonce);
      const body = Buffer.concat([cipher.update(answerJson, 'utf8'), cipher.final()]);
      return SEALED + Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64url');
    },
    open(stored) {
      const bytes = stored.startsWith(SEALED) ? Buffer.from(stored.slice(SEALED.length), 'base64url') : Buffer.alloc(0);
      if (bytes.length < 12 + 16) throw new PrintgateError('INTERNAL', 'a stored idempotent answer is not readable');
      try {
        const decipher = createDecipheriv('aes-256-gcm', aesKey, bytes.subarray(0, 12));
        decipher.setAuthTag(bytes.subarray(bytes.length - 16));
        return Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]).toString('utf8');
      } catch (e) {
        throw new PrintgateError('INTERNAL', 'a stored idempotent answer is not readable', undefined, { cause: e });
      }
    },
  };
}
