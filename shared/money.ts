// Money: integer minor units (cents, pence, ...) and exact conversion to and from decimal
// strings. Nothing here ever goes through floating point: "4.70" becomes 470 by string
// arithmetic, and 470 prints as "4.70". Amounts are JavaScript safe integers; anything
// beyond Number.MAX_SAFE_INTEGER minor units is refused rather than silently rounded.

import { PrintgateError } from './errors.ts';

/** An amount in minor units of the configured currency. Always a safe integer. */
export type Minor = number;

/** The largest absolute amount we accept anywhere (10^13 minor units: 100 billion at 2 decimals). */
export const MAX_ABS_MINOR = 10_000_000_000_000;

const DECIMAL = /^([+-]?)(\d{1,16})(?:\.(\d*))?$/;

/**
 * Parse a decimal string such as "4.70", "-3", "+0.5" into minor units with `exponent`
 * decimal places (2 for most currencies). More decimal places than the currency has is an
 * error, never a rounding.
 */
export function parseMoney(text: string, exponent = 2): Minor {
  const trimmed = text.trim();
  const m = DECIMAL.exec(trimmed);
  if (!m) throw new PrintgateError('INVALID_AMOUNT', `not a decimal amount: "${text}"`);
  const [, sign, whole, frac = ''] = m;
  const fracTrimmed = frac.replace(/0+$/, '');
  if (fracTrimmed.length > exponent) {
    throw new PrintgateError('INVALID_AMOUNT', `"${text}" has more than ${exponent} decimal places`);
  }
  const digits = whole + frac.padEnd(exponent, '0').slice(0, exponent);
  const value = Number(BigInt(digits));
  if (!Number.isSafeInteger(value) || value > MAX_ABS_MINOR) {
    throw new PrintgateError('INVALID_AMOUNT', `amount out of range: "${text}"`);
  }
  return sign === '-' && value !== 0 ? -value : value;
}

/** Format minor units as a plain decimal string: 470 -> "4.70", -5 -> "-0.05". */
export function formatMoney(minor: Minor, exponent = 2): string {
  assertMinor(minor);
  const negative = minor < 0;
  const digits = String(Math.abs(minor)).padStart(exponent + 1, '0');
  const whole = exponent > 0 ? digits.slice(0, -exponent) : digits;
  const frac = exponent > 0 ? '.' + digits.slice(-exponent) : '';
  return (negative ? '-' : '') + whole + frac;
}

/** Throw unless `minor` is an integer amount within range. */
export function assertMinor(minor: unknown, what = 'amount'): asserts minor is Minor {
  if (typeof minor !== 'number' || !Number.isSafeInteger(minor) || Math.abs(minor) > MAX_ABS_MINOR) {
    throw new PrintgateError('INVALID_AMOUNT', `${what} must be an integer number of minor units within range`);
  }
}

/** Multiply a per-unit price by a count, refusing results that leave the safe range. */
export function multiply(unitMinor: Minor, count: number): Minor {
  assertMinor(unitMinor, 'unit price');
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new PrintgateError('INVALID_AMOUNT', 'count must be a non-negative integer');
  }
  const product = BigInt(unitMinor) * BigInt(count);
  if (product > BigInt(MAX_ABS_MINOR) || product < -BigInt(MAX_ABS_MINOR)) {
    throw new PrintgateError('INVALID_AMOUNT', 'amount out of range');
  }
  return Number(product);
}
