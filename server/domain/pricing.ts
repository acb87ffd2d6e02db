// Pricing: turns billable units (shared/billing.ts) into a cost with a printer's cost model.
// Prices are per impression (one printed side), so a duplex sheet costs two sides at the
// duplex rows' per-side price. Table models pick, for each (colour, duplex, paper size)
// combination, the most specific matching row (most non-null selectors; the earlier row on
// a tie), falling back to the model's default price. Pure, no I/O.

import type { BillableUnits } from '../../shared/billing.ts';
import { assertMinor, multiply, MAX_ABS_MINOR, type Minor } from '../../shared/money.ts';
import { PrintgateError } from '../../shared/errors.ts';
import type { CostModel, CostRow } from './types.ts';

/** The per-impression price of one kind of side under a model. */
export function unitPrice(model: CostModel, color: boolean, duplex: boolean, media: string): Minor {
  if (model.type === 'simple') return model.perPageMinor;
  let best: CostRow | null = null;
  let bestScore = -1;
  for (const row of model.rows) {
    if (row.color !== null && row.color !== color) continue;
    if (row.duplex !== null && row.duplex !== duplex) continue;
    if (row.media !== null && row.media.toLowerCase() !== media.toLowerCase()) continue;
    const score = (row.color === null ? 0 : 1) + (row.duplex === null ? 0 : 1) + (row.media === null ? 0 : 1);
    if (score > bestScore) { best = row; bestScore = score; }
  }
  return best ? best.perPageMinor : model.defaultMinor;
}

/** Cost of a job: sum over paper sizes of colour and gray impressions at their prices. */
export function priceUnits(model: CostModel, units: BillableUnits): Minor {
  let total = 0;
  for (const size of units.bySize) {
    const gray = size.impressions - size.colorImpressions;
    total += multiply(unitPrice(model, true, units.duplex, size.media), size.colorImpressions);
    total += multiply(unitPrice(model, false, units.duplex, size.media), gray);
    if (total > MAX_ABS_MINOR) throw new PrintgateError('INVALID_AMOUNT', 'job cost out of range');
  }
  return total;
}

/**
 * Settle a job at the impressions actually printed: the authorized cost scaled by
 * printed/authorized impressions, rounded half up, never above the authorized cost (the
 * user was quoted that figure; a printer reporting more sides is not billed beyond it).
 */
export function settleCost(authorizedMinor: Minor, authorizedImpressions: number, printedImpressions: number): Minor {
  if (printedImpressions <= 0 || authorizedImpressions <= 0 || printedImpressions >= authorizedImpressions) {
    return authorizedMinor;
  }
  const scaled = (BigInt(authorizedMinor) * BigInt(printedImpressions) * 2n + BigInt(authorizedImpressions)) / (2n * BigInt(authorizedImpressions));
  return Number(scaled);
}

/** Validate a cost model from an untrusted source; returns a normalised copy. */
export function validateCostModel(input: unknown): CostModel {
  const bad = (why: string): never => { throw new PrintgateError('VALIDATION_FAILED', `cost model: ${why}`); };
  if (typeof input !== 'object' || input === null) return bad('not an object');
  const m = input as Record<string, unknown>;
  const price = (v: unknown, what: string): Minor => {
    assertMinor(v, what);
    if (v < 0) bad(`${what} must not be negative`);
    return v;
  };
  if (m.type === 'simple') return { type: 'simple', perPageMinor: price(m.perPageMinor, 'perPageMinor') };
  if (m.type !== 'table') return bad('type must be "simple" or "table"');
  if (!Array.isArray(m.rows) || m.rows.length > 200) return bad('rows must be an array of at most 200 rows');
  const sel = (v: unknown, what: string): boolean | null => {
    if (v === null || v === undefined) return null;
    if (typeof v !== 'boolean') bad(`${what} must be true, false or null`);
    return v as boolean;
  };
  const rows: CostRow[] = m.rows.map((r: unknown, i: number) => {
    if (typeof r !== 'object' || r === null) return bad(`row ${i} is not an object`);
    const row = r as Record<string, unknown>;
    const media = row.media === null || row.media === undefined || row.media === '' ? null : row.media;
    if (media !== null && (typeof media !== 'string' || media.length > 64)) bad(`row ${i} media must be a short string or null`);
    return {
      color: sel(row.color, `row ${i} color`),
      duplex: sel(row.duplex, `row ${i} duplex`),
      media: media as string | null,
      perPageMinor: price(row.perPageMinor, `row ${i} perPageMinor`),
    };
  });
  return { type: 'table', rows, defaultMinor: price(m.defaultMinor, 'defaultMinor') };
}
