// The error catalogue: stable codes with statuses, and errors that carry them.
import t from 'tap';
import { ERRORS, PrintgateError, isErrorCode } from '../../shared/errors.ts';

t.test('every code has an HTTP status and a message', async (t) => {
  for (const [code, spec] of Object.entries(ERRORS)) {
    t.ok(/^[A-Z][A-Z0-9_]+$/.test(code), `${code} is UPPER_SNAKE`);
    t.ok(spec.status >= 400 && spec.status < 600, `${code} status`);
    t.ok(spec.message.length > 0, `${code} message`);
  }
});

t.test('PrintgateError carries code and status', async (t) => {
  const e = new PrintgateError('UNKNOWN_USER', 'no user "bob"', { user: 'bob' });
  t.equal(e.status, 404);
  t.same(e.toJSON(), { code: 'UNKNOWN_USER', message: 'no user "bob"', status: 404, detail: { user: 'bob' } });
  t.ok(isErrorCode('FORBIDDEN'));
  t.notOk(isErrorCode('toString'));
});
