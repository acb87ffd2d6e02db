// Password hashing: scrypt, self-describing, constant-time verification.
import t from 'tap';
import { hashPassword, verifyPassword, passwordProblem } from '../../../server/web/password.ts';

const FAST = { logN: 10, r: 8, p: 1 };

t.test('hash and verify', async (t) => {
  const h = await hashPassword('correct horse battery', FAST);
  t.match(h, /^scrypt\$10\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  t.ok(await verifyPassword('correct horse battery', h));
  t.notOk(await verifyPassword('correct horse batterY', h));
  t.not(await hashPassword('correct horse battery', FAST), h, 'salted');
});

t.test('default parameters are memory-hard', async (t) => {
  const h = await hashPassword('a long enough password');
  t.match(h, /^scrypt\$15\$8\$1\$/);
  t.ok(await verifyPassword('a long enough password', h));
});

t.test('malformed stored hashes never match', async (t) => {
  for (const bad of ['', 'plain', 'scrypt$10$8$1$$', 'scrypt$99$8$1$AAAA$AAAA', 'bcrypt$10$8$1$AAAA$AAAA']) {
    t.notOk(await verifyPassword('whatever123', bad), bad);
  }
});

t.test('password rules', async (t) => {
  t.ok(passwordProblem('short'));
  t.ok(passwordProblem('x'.repeat(2000)));
  t.equal(passwordProblem('long enough'), null);
  await t.rejects(hashPassword('short', FAST), RangeError);
});
