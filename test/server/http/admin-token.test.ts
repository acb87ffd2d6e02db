// The admin token: from the environment, else generated once into <data>/admin.token (0600)
// and reused; only its hash is kept.
import t from 'tap';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAdminToken } from '../../../server/http/admin-token.ts';
import { hashToken, sameHash } from '../../../server/http/token-hash.ts';

t.test('generated at first start with mode 0600, reused afterwards', async (t) => {
  const dir = join(t.testdir(), 'data');
  const first = loadAdminToken(dir, {});
  t.equal(first.source, 'file');
  t.equal(first.created, true);
  t.equal(first.path, join(dir, 'admin.token'));
  t.equal(statSync(first.path!).mode & 0o777, 0o600);
  const token = readFileSync(first.path!, 'utf8').trim();
  t.match(token, /^pga_[A-Za-z0-9_-]{43}$/);
  t.ok(sameHash(first.hash, hashToken(token)), 'only the hash is returned, and it is the token\'s');
  const second = loadAdminToken(dir, {});
  t.equal(second.created, false);
  t.ok(sameHash(second.hash, first.hash), 'the same token is reused');
});

t.test('PRINTGATE_ADMIN_TOKEN wins and writes nothing', async (t) => {
  const dir = t.testdir();
  const cred = loadAdminToken(dir, { PRINTGATE_ADMIN_TOKEN: 'automation-token-0123456789' });
  t.equal(cred.source, 'env');
  t.equal(cred.path, null);
  t.ok(sameHash(cred.hash, hashToken('automation-token-0123456789')));
  t.throws(() => statSync(join(dir, 'admin.token')));
  t.throws(() => loadAdminToken(dir, { PRINTGATE_ADMIN_TOKEN: 'short' }), /too short/);
});

t.test('a token file readable by others is tightened with a warning; an empty one is refused', async (t) => {
  const dir = t.testdir();
  const path = join(dir, 'admin.token');
  writeFileSync(path, 'pga_some-existing-token-value\n');
  chmodSync(path, 0o644);
  const cred = loadAdminToken(dir, {});
  t.equal(statSync(path).mode & 0o777, 0o600);
  t.equal(cred.warnings.length, 1);
  writeFileSync(path, '\n');
  t.throws(() => loadAdminToken(dir, {}), /does not hold a token/);
});

t.test('constant-time compare refuses different lengths and values', async (t) => {
  t.notOk(sameHash(hashToken('a'), hashToken('b')));
  t.notOk(sameHash(hashToken('a'), Buffer.alloc(3)));
});
