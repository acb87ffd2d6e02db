// Pricing: simple and table cost models, most-specific row selection, settlement.
import t from 'tap';
import { priceUnits, settleCost, unitPrice, validateCostModel } from '../../../server/domain/pricing.ts';
import { billableUnits } from '../../../shared/billing.ts';
import type { AnalysisResult } from '../../../shared/analysis.ts';
import type { CostModel } from '../../../server/domain/types.ts';

const doc = (pages: number, colour: number[] = [], media = 'A4', duplex = false): AnalysisResult => ({
  format: 'pdf', pages, colorPages: colour.length, colorPageNumbers: colour, copies: 1, duplex,
  media: [{ name: media, pages, colorPages: colour.length }], method: 'test', warnings: [], recovered: false,
});

const table: CostModel = {
  type: 'table',
  defaultMinor: 10,
  rows: [
    { color: true, duplex: null, media: null, perPageMinor: 50 },
    { color: false, duplex: true, media: null, perPageMinor: 7 },
    { color: true, duplex: null, media: 'A3', perPageMinor: 100 },
    { color: null, duplex: null, media: 'A3', perPageMinor: 20 },
  ],
};

t.test('simple model charges every impression the same', async (t) => {
  const u = billableUnits(doc(3, [1]), { copies: 2 })!;
  t.equal(priceUnits({ type: 'simple', perPageMinor: 10 }, u), 60);
});

t.test('table picks the most specific row, then the default', async (t) => {
  t.equal(unitPrice(table, true, false, 'A4'), 50, 'colour row');
  t.equal(unitPrice(table, true, false, 'A3'), 100, 'colour A3 beats colour and A3 alone');
  t.equal(unitPrice(table, false, false, 'A3'), 20, 'A3 row');
  t.equal(unitPrice(table, false, true, 'a4'), 7, 'duplex gray');
  t.equal(unitPrice(table, false, false, 'Letter'), 10, 'default');
});

t.test('ties go to the earlier row', async (t) => {
  const m: CostModel = { type: 'table', defaultMinor: 1, rows: [
    { color: true, duplex: null, media: null, perPageMinor: 5 },
    { color: null, duplex: true, media: null, perPageMinor: 6 },
  ] };
  t.equal(unitPrice(m, true, true, 'A4'), 5);
});

t.test('a mixed job: colour and gray sides priced apart; duplex is per side', async (t) => {
  const u = billableUnits(doc(4, [2, 3]), { copies: 1 })!;
  t.equal(priceUnits(table, u), 2 * 50 + 2 * 10);
  const d = billableUnits(doc(4), { sides: 'two-sided-long-edge' })!;
  t.equal(d.sheets, 2);
  t.equal(priceUnits(table, d), 4 * 7, 'four sides at the duplex per-side price');
});

t.test('several paper sizes are priced per size', async (t) => {
  const a: AnalysisResult = { ...doc(3), media: [{ name: 'A4', pages: 2, colorPages: 0 }, { name: 'A3', pages: 1, colorPages: 1 }], pageMedia: ['A4', 'A4', 'A3'], colorPageNumbers: [3], colorPages: 1 };
  const u = billableUnits(a, {})!;
  t.equal(priceUnits(table, u), 2 * 10 + 100);
});

t.test('settlement scales down, never up', async (t) => {
  t.equal(settleCost(100, 10, 0), 100, 'unknown printed: authorized');
  t.equal(settleCost(100, 10, 5), 50);
  t.equal(settleCost(100, 3, 1), 33);
  t.equal(settleCost(100, 3, 2), 67, 'half up');
  t.equal(settleCost(100, 10, 20), 100, 'capped at authorized');
  t.equal(settleCost(0, 10, 5), 0);
});

t.test('cost models are validated', async (t) => {
  t.same(validateCostModel({ type: 'simple', perPageMinor: 5 }), { type: 'simple', perPageMinor: 5 });
  t.throws(() => validateCostModel({ type: 'simple', perPageMinor: -1 }), { code: 'VALIDATION_FAILED' });
  t.throws(() => validateCostModel({ type: 'simple', perPageMinor: 1.5 }), { code: 'INVALID_AMOUNT' });
  t.throws(() => validateCostModel({ type: 'simple', perPageMinor: 1e20 }), { code: 'INVALID_AMOUNT' });
  t.throws(() => validateCostModel({ type: 'other' }), { code: 'VALIDATION_FAILED' });
  t.throws(() => validateCostModel(null), { code: 'VALIDATION_FAILED' });
  t.throws(() => validateCostModel({ type: 'table', rows: [{ color: 'yes', perPageMinor: 1 }], defaultMinor: 1 }), { code: 'VALIDATION_FAILED' });
  const v = validateCostModel({ type: 'table', rows: [{ color: true, perPageMinor: 3, media: '' }], defaultMinor: 1 });
  t.same(v, { type: 'table', rows: [{ color: true, duplex: null, media: null, perPageMinor: 3 }], defaultMinor: 1 });
});

t.test('absurd totals are refused rather than overflowing', async (t) => {
  const u = billableUnits(doc(1_000_000), { copies: 9999 })!;
  t.throws(() => priceUnits({ type: 'simple', perPageMinor: 10_000_000 }, u), { code: 'INVALID_AMOUNT' });
});
