// Money parsing and formatting are exact: no floating point anywhere.
import t from 'tap';
import { parseMoney, formatMoney, multiply, MAX_ABS_MINOR } from '../../shared/money.ts';

t.test('parses decimal strings exactly', async (t) => {
  t.equal(parseMoney('4.70'), 470);
  t.equal(parseMoney('4.7'), 470);
  t.equal(parseMoney('-0.05'), -5);
  t.equal(parseMoney('+12'), 1200);
  t.equal(parseMoney('0.10'), 10);
  t.equal(parseMoney('1.10'), 110, '1.10 is not 110.00000000000001');
  t.equal(parseMoney('-0'), 0);
  t.equal(parseMoney('7', 0), 7);
  t.equal(parseMoney('1.234', 3), 1234);
  t.equal(parseMoney('2.500'), 250, 'trailing zeros beyond the exponent are fine');
});

t.test('refuses what is not an exact amount', async (t) => {
  for (const bad of ['', 'abc', '1.234', '1e3', '0x10', '1,5', '--1', '1.2.3', 'NaN', 'Infinity', '99999999999999999']) {
    t.throws(() => parseMoney(bad), { code: 'INVALID_AMOUNT' }, `"${bad}"`);
  }
});

t.test('formats minor units', async (t) => {
  t.equal(formatMoney(470), '4.70');
  t.equal(formatMoney(-5), '-0.05');
  t.equal(formatMoney(0), '0.00');
  t.equal(formatMoney(123456789), '1234567.89');
  t.equal(formatMoney(7, 0), '7');
  t.throws(() => formatMoney(1.5), { code: 'INVALID_AMOUNT' });
  for (const n of [0, 1, -1, 99, 100, 101, -12345, MAX_ABS_MINOR]) t.equal(parseMoney(formatMoney(n)), n, `round trip ${n}`);
});

t.test('multiplies without leaving the safe range', async (t) => {
  t.equal(multiply(15, 3), 45);
  t.throws(() => multiply(MAX_ABS_MINOR, 2), { code: 'INVALID_AMOUNT' });
  t.throws(() => multiply(10, -1), { code: 'INVALID_AMOUNT' });
});
