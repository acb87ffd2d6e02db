// Settings stored in the database (the `config` table): their keys, defaults, meaning and
// validation, and the parsed form the service uses. A value is validated when set and
// stored as a normalised string; reading parses all of them at once into `Settings`.

import { PrintgateError } from '../../shared/errors.ts';
import { formatMoney, parseMoney, type Minor } from '../../shared/money.ts';
import { isValidTimeZone } from '../domain/quota.ts';
import type { UnknownPagesRule } from '../domain/types.ts';

export interface Settings {
  currency: string;
  exponent: number;
  defaultBalanceMinor: Minor;
  defaultRestricted: boolean;
  onDemandCreation: boolean;
  timezone: string;
  unknownPages: UnknownPagesRule;
  holdTimeoutMinutes: number;
  retentionDays: number;
  lowBalanceThresholdMinor: Minor;
  accountSelection: 'default' | 'choose';
  printerDefaultCostMinor: Minor;
}

interface Def {
  default: string;
  description: string;
  /** Returns the normalised value or throws a message. */
  normalise(value: string, exponent: number): string;
}

const integer = (min: number, max: number) => (v: string): string => {
  if (!/^\d+$/.test(v.trim()) || Number(v) < min || Number(v) > max) throw new Error(`must be an integer from ${min} to ${max}`);
  return String(Number(v));
};
const boolean = (v: string): string => {
  const s = v.trim().toLowerCase();
  if (s !== 'true' && s !== 'false') throw new Error('must be true or false');
  return s;
};
const money = (nonNegative: boolean) => (v: string, exponent: number): string => {
  const m = parseMoney(v, exponent);
  if (nonNegative && m < 0) throw new Error('must not be negative');
  return formatMoney(m, exponent);
};

export const SETTINGS: Readonly<Record<string, Def>> = {
  'currency': { default: 'USD', description: 'ISO 4217 currency code (display only)', normalise: (v) => {
    if (!/^[A-Za-z]{3}$/.test(v.trim())) throw new Error('must be a three-letter ISO code');
    return v.trim().toUpperCase();
  } },
  'currency.exponent': { default: '2', description: 'decimal places of the minor unit', normalise: integer(0, 4) },
  'user.default.balance': { default: '0.00', description: 'starting balance of a new user', normalise: money(false) },
  'user.default.restricted': { default: 'true', description: 'new users are restricted (cannot go below zero plus overdraft)', normalise: boolean },
  'user.on-demand-creation': { default: 'false', description: 'create unknown users on their first job', normalise: boolean },
  'timezone': { default: 'UTC', description: 'IANA time zone for quota periods', normalise: (v) => {
    if (!isValidTimeZone(v.trim())) throw new Error('is not a known IANA time zone');
    return v.trim();
  } },
  'job.unknown-pages': { default: 'deny', description: '"deny", or "charge:<amount>" for a job whose pages are unknown', normalise: (v, e) => {
    const s = v.trim();
    if (s === 'deny') return s;
    const m = /^charge:(.+)$/.exec(s);
    if (!m) throw new Error('must be "deny" or "charge:<amount>"');
    return `charge:${money(true)(m[1]!, e)}`;
  } },
  'hold.timeout-minutes': { default: '60', description: 'held jobs time out and are cancelled uncharged', normalise: integer(1, 10_080) },
  'joblog.retention-days': { default: '0', description: 'delete finished jobs older than this (0 = keep forever)', normalise: integer(0, 36_500) },
  'low-balance.threshold': { default: '1.00', description: 'user-client low-credit warning below this balance', normalise: money(false) },
  'account.selection': { default: 'default', description: '"choose": users with shared accounts choose the account of each job (HOLD CHOOSE_ACCOUNT)', normalise: (v) => {
    const s = v.trim();
    if (s !== 'default' && s !== 'choose') throw new Error('must be "default" or "choose"');
    return s;
  } },
  'printer.default.cost': { default: '0.10', description: 'per-page price of a printer seen for the first time', normalise: money(true) },
};

export function normaliseSetting(key: string, value: unknown, exponent: number): string {
  const def = SETTINGS[key];
  if (!def) throw new PrintgateError('UNKNOWN_CONFIG_KEY', `unknown configuration key "${key}"`);
  if (typeof value !== 'string' || value.length > 200) throw new PrintgateError('VALIDATION_FAILED', `${key}: the value must be a string of at most 200 characters`);
  try {
    return def.normalise(value, exponent);
  } catch (e) {
    throw new PrintgateError('VALIDATION_FAILED', `${key} ${(e as Error).message}`);
  }
}

/** Parse stored values (missing or unparsable ones fall back to their defaults). */
export function parseSettings(values: ReadonlyMap<string, string>): Settings {
  const raw = (key: string): string => values.get(key) ?? SETTINGS[key]!.default;
  const exponent = Number(raw('currency.exponent'));
  const get = (key: string): string => {
    try {
      return SETTINGS[key]!.normalise(raw(key), exponent);
    } catch {
      try {
        return SETTINGS[key]!.normalise(SETTINGS[key]!.default, exponent);
      } catch {
        return '0'; // a money default with more decimals than a changed exponent allows
      }
    }
  };
  const unknown = get('job.unknown-pages');
  return {
    currency: get('currency'),
    exponent,
    defaultBalanceMinor: parseMoney(get('user.default.balance'), exponent),
    defaultRestricted: get('user.default.restricted') === 'true',
    onDemandCreation: get('user.on-demand-creation') === 'true',
    timezone: get('timezone'),
    unknownPages: unknown === 'deny' ? { action: 'deny' } : { action: 'charge', amountMinor: parseMoney(unknown.slice(7), exponent) },
    holdTimeoutMinutes: Number(get('hold.timeout-minutes')),
    retentionDays: Number(get('joblog.retention-days')),
    lowBalanceThresholdMinor: parseMoney(get('low-balance.threshold'), exponent),
    accountSelection: get('account.selection') as 'default' | 'choose',
    printerDefaultCostMinor: parseMoney(get('printer.default.cost'), exponent),
  };
}
