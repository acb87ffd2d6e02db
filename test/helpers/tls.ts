// A throw-away self-signed certificate for TLS tests, made with the openssl command
// (tests that use it skip off CI when openssl is missing: needs('openssl', ...)).

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export interface SelfSigned {
  cert: string;
  key: string;
  /** openssl's exit status and error output, for the test to assert on. */
  status: number | null;
  stderr: string;
}

/** Write cert.pem and key.pem into `dir`, valid for 127.0.0.1 and localhost for a day. */
export function selfSignedCert(dir: string): SelfSigned {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'pipe' });
  return { cert, key, status: made.status, stderr: made.stderr?.toString() ?? '' };
}
