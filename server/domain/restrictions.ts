// Restrictions of printers and groups: validation of untrusted input, and combination of
// the printer's and all the user's groups' restrictions into one effective set where the
// strictest rule wins (smallest maximum, deny over grayscale over allow, the longest
// duplicate window, the union of denied name patterns). Pure, no I/O.

import { assertMinor } from '../../shared/money.ts';
import { PrintgateError } from '../../shared/errors.ts';
import { MAX_PATTERN_LENGTH } from './glob.ts';
import type { Restrictions, UnknownPagesRule } from './types.ts';

export interface EffectiveRestrictions {
  maxPages: number | null;
  maxCostMinor: number | null;
  maxCopies: number | null;
  color: 'allow' | 'deny' | 'grayscale';
  duplex: 'allow' | 'force';
  deniedTitles: string[];
  duplicateWindowSeconds: number;
  allowedGroups: string[];
  unknownPages: UnknownPagesRule | null;
}

const COLOR_RANK = { allow: 0, grayscale: 1, deny: 2 } as const;

function minOf(a: number | null, b: number | null | undefined): number | null {
  if (b === null || b === undefined) return a;
  return a === null ? b : Math.min(a, b);
}

/** The printer's restrictions combined with every group's: the strictest wins. */
export function combineRestrictions(printer: Restrictions, groups: readonly Restrictions[]): EffectiveRestrictions {
  const out: EffectiveRestrictions = {
    maxPages: null, maxCostMinor: null, maxCopies: null, color: 'allow', duplex: 'allow',
    deniedTitles: [], duplicateWindowSeconds: 0,
    allowedGroups: printer.allowedGroups ?? [],
    unknownPages: printer.unknownPages ?? null,
  };
  for (const r of [printer, ...groups]) {
    out.maxPages = minOf(out.maxPages, r.maxPages);
    out.maxCostMinor = minOf(out.maxCostMinor, r.maxCostMinor);
    out.maxCopies = minOf(out.maxCopies, r.maxCopies);
    if (r.color && COLOR_RANK[r.color] > COLOR_RANK[out.color]) out.color = r.color;
    if (r.duplex === 'force') out.duplex = 'force';
    if (r.deniedTitles) out.deniedTitles.push(...r.deniedTitles);
    if (r.duplicateWindowSeconds && r.duplicateWindowSeconds > out.duplicateWindowSeconds) {
      out.duplicateWindowSeconds = r.duplicateWindowSeconds;
    }
  }
  return out;
}

/** Validate restrictions from an untrusted source; returns a normalised copy. */
export function validateRestrictions(input: unknown, where: 'printer' | 'group'): Restrictions {
  const bad = (why: string): never => { throw new PrintgateError('VALIDATION_FAILED', `restrictions: ${why}`); };
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return bad('not an object');
  const r = input as Record<string, unknown>;
  const known = new Set(['maxPages', 'maxCostMinor', 'maxCopies', 'color', 'duplex', 'deniedTitles', 'duplicateWindowSeconds', 'allowedGroups', 'unknownPages']);
  for (const k of Object.keys(r)) if (!known.has(k)) bad(`unknown field "${k}"`);
  const out: Restrictions = {};
  const count = (k: 'maxPages' | 'maxCopies' | 'duplicateWindowSeconds', max: number) => {
    const v = r[k];
    if (v === undefined || v === null) return;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max) bad(`${k} must be an integer from 0 to ${max}`);
    out[k] = v as number;
  };
  count('maxPages', 1_000_000);
  count('maxCopies', 9999);
  count('duplicateWindowSeconds', 86_400 * 7);
  if (r.maxCostMinor !== undefined && r.maxCostMinor !== null) {
    assertMinor(r.maxCostMinor, 'maxCostMinor');
    if (r.maxCostMinor < 0) bad('maxCostMinor must not be negative');
    out.maxCostMinor = r.maxCostMinor;
  }
  if (r.color !== undefined) {
    if (r.color !== 'allow' && r.color !== 'deny' && r.color !== 'grayscale') bad('color must be allow, deny or grayscale');
    out.color = r.color as 'allow' | 'deny' | 'grayscale';
  }
  if (r.duplex !== undefined) {
    if (r.duplex !== 'allow' && r.duplex !== 'force') bad('duplex must be allow or force');
    out.duplex = r.duplex as 'allow' | 'force';
  }
  const strings = (k: 'deniedTitles' | 'allowedGroups', maxLen: number) => {
    const v = r[k];
    if (v === undefined) return;
    if (!Array.isArray(v) || v.length > 100 || !v.every((s) => typeof s === 'string' && s.length > 0 && s.length <= maxLen)) {
      bad(`${k} must be a list of at most 100 non-empty strings of at most ${maxLen} characters`);
    }
    out[k] = [...(v as string[])];
  };
  strings('deniedTitles', MAX_PATTERN_LENGTH);
  if (where === 'printer') strings('allowedGroups', 200);
  else if (r.allowedGroups !== undefined) bad('allowedGroups applies to printers only');
  if (r.unknownPages !== undefined && r.unknownPages !== null) {
    if (where !== 'printer') bad('unknownPages applies to printers only');
    out.unknownPages = validateUnknownPages(r.unknownPages);
  }
  return out;
}

export function validateUnknownPages(v: unknown): UnknownPagesRule {
  const u = v as Record<string, unknown>;
  if (typeof u === 'object' && u !== null && u.action === 'deny') return { action: 'deny' };
  if (typeof u === 'object' && u !== null && u.action === 'charge') {
    assertMinor(u.amountMinor, 'unknownPages.amountMinor');
    if (u.amountMinor < 0) throw new PrintgateError('VALIDATION_FAILED', 'unknownPages.amountMinor must not be negative');
    return { action: 'charge', amountMinor: u.amountMinor };
  }
  throw new PrintgateError('VALIDATION_FAILED', 'unknownPages must be {action:"deny"} or {action:"charge", amountMinor}');
}
