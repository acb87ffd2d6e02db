// Every thrown value becomes a catalogue answer; internals never leak.
import t from 'tap';
import { toErrorAnswer } from '../../../server/http/errors.ts';
import { PrintgateError } from '../../../shared/errors.ts';

t.test('PrintgateError keeps its code, message and status', async (t) => {
  const { answer, internal } = toErrorAnswer(new PrintgateError('UNKNOWN_USER', 'no user "bob"'));
  t.same(answer, { code: 'UNKNOWN_USER', message: 'no user "bob"', status: 404 });
  t.equal(internal, false);
  t.equal(toErrorAnswer(new PrintgateError('STORAGE_UNAVAILABLE')).internal, true, '5xx catalogue errors are logged');
});

t.test("Fastify's errors map to catalogue codes", async (t) => {
  const cases: Array<[Record<string, unknown>, string, number]> = [
    [{ code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }, 'BODY_TOO_LARGE', 413],
    [{ code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 }, 'UNSUPPORTED_MEDIA_TYPE', 415],
    [{ code: 'FST_ERR_CTP_EMPTY_JSON_BODY', statusCode: 400 }, 'INVALID_BODY', 400],
    [{ code: 'FST_ERR_CTP_INVALID_CONTENT_LENGTH', statusCode: 400 }, 'BAD_REQUEST', 400],
    [{ code: 'FST_ERR_VALIDATION', validation: [{ instancePath: '/amount', message: 'must be string', keyword: 'type', params: {} }], validationContext: 'body' }, 'VALIDATION_FAILED', 400],
  ];
  for (const [props, code, status] of cases) {
    const err = Object.assign(new Error('x'), props);
    const { answer } = toErrorAnswer(err);
    t.equal(answer.code, code, String(props.code));
    t.equal(answer.status, status);
  }
  const v = toErrorAnswer(Object.assign(new Error('x'), cases[4]![0]));
  t.equal(v.answer.message, 'body/amount must be string');
  const bad = Object.assign(new SyntaxError('Unexpected token } in JSON at position 7'), { statusCode: 400 });
  t.equal(toErrorAnswer(bad).answer.code, 'INVALID_BODY');
});

t.test('anything else is INTERNAL without details', async (t) => {
  for (const err of [new Error('SQLITE_BUSY: /secret/path/printgate.db'), new TypeError('x is undefined'), 'a string', null, { statusCode: 404 }]) {
    const { answer, internal } = toErrorAnswer(err);
    t.same(answer, { code: 'INTERNAL', message: 'Internal error', status: 500 });
    t.equal(internal, true);
  }
});
