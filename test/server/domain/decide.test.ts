// The print decision: each rule alone, their order, forced changes with re-pricing,
// billing modes, holds, offline replay; and the analysis conversion it relies on.
import t from 'tap';
import { creditCheck, decide, effectiveBillingMode, type DecisionInput } from '../../../server/domain/decide.ts';
import { combineRestrictions } from '../../../server/domain/restrictions.ts';
import { toAnalysisResult } from '../../../server/domain/analysis.ts';
import { formatMoney } from '../../../shared/money.ts';
import type { Restrictions } from '../../../server/domain/types.ts';

function input(over: Partial<DecisionInput> & { r?: Restrictions; pages?: number | null; colour?: number[] } = {}): DecisionInput {
  const pages = over.pages === undefined ? 4 : over.pages;
  const colour = over.colour ?? [];
  return {
    offlineReplay: false,
    user: { disabled: false, billingMode: 'prepaid', groups: ['staff'] },
    printer: { enabled: true, costModel: { type: 'table', defaultMinor: 10, rows: [{ color: true, duplex: null, media: null, perPageMinor: 50 }, { color: false, duplex: true, media: null, perPageMinor: 8 }] }, releaseRequired: false, claimRequired: false, confirmRequired: false },
    restrictions: combineRestrictions(over.r ?? {}, []),
    unknownPagesDefault: { action: 'deny' },
    analysis: toAnalysisResult({ pagesKnown: pages !== null, pages: pages ?? 0, colorKnown: true, colorPageNumbers: colour, mediaPages: [{ media: 'A4', pages: pages ?? 0, colorPages: colour.length }] }),
    attrs: { copies: 1 },
    title: 'report.pdf',
    account: { restricted: true, availableMinor: 10_000 },
    chooseAccount: false,
    isDuplicate: false,
    formatMoney: (m) => formatMoney(m),
    ...over,
  };
}

t.test('a plain job is allowed and priced', async (t) => {
  const d = decide(input({ colour: [1] }));
  t.equal(d.decision, 'ALLOW');
  t.equal(d.costMinor, 50 + 3 * 10);
  t.equal(d.units?.impressions, 4);
  t.equal(d.forceGrayscale, false);
  t.equal(d.holdKind, null);
});

t.test('denials carry a reason code and a user message', async (t) => {
  const cases: Array<[string, Partial<DecisionInput> & { r?: Restrictions; pages?: number | null; colour?: number[] }]> = [
    ['USER_DISABLED', { user: { disabled: true, billingMode: 'prepaid', groups: [] } }],
    ['PRINTER_DISABLED', { printer: { ...input().printer, enabled: false } }],
    ['PRINTER_ACCESS_DENIED', { r: { allowedGroups: ['teachers'] } }],
    ['DOCUMENT_NAME_DENIED', { r: { deniedTitles: ['*.PDF'] } }],
    ['UNKNOWN_PAGES', { pages: null }],
    ['MAX_COPIES_EXCEEDED', { r: { maxCopies: 2 }, attrs: { copies: 3 } }],
    ['COLOR_NOT_ALLOWED', { r: { color: 'deny' }, colour: [2] }],
    ['MAX_PAGES_EXCEEDED', { r: { maxPages: 3 } }],
    ['MAX_COST_EXCEEDED', { r: { maxCostMinor: 39 } }],
    ['DUPLICATE_JOB', { isDuplicate: true }],
    ['INSUFFICIENT_CREDIT', { account: { restricted: true, availableMinor: 39 } }],
    ['INVALID_JOB', { attrs: { copies: 100000 } }],
  ];
  for (const [code, over] of cases) {
    const d = decide(input(over));
    t.equal(d.decision, 'DENY', `${code}: denied`);
    t.equal(d.reasonCode, code);
    t.ok(d.message.length > 10, `${code}: message "${d.message}"`);
  }
});

t.test('order: the first failing rule gives the reason', async (t) => {
  const d = decide(input({ printer: { ...input().printer, enabled: false }, r: { maxPages: 1, deniedTitles: ['*'] } }));
  t.equal(d.reasonCode, 'PRINTER_DISABLED');
  t.equal(decide(input({ r: { maxPages: 1, deniedTitles: ['*'] } })).reasonCode, 'DOCUMENT_NAME_DENIED');
  t.equal(decide(input({ r: { maxPages: 1, maxCostMinor: 1 } })).reasonCode, 'MAX_PAGES_EXCEEDED');
});

t.test('exactly at the limits is allowed', async (t) => {
  t.equal(decide(input({ r: { maxPages: 4, maxCostMinor: 40, maxCopies: 1 } })).decision, 'ALLOW');
  t.equal(decide(input({ account: { restricted: true, availableMinor: 40 } })).decision, 'ALLOW');
});

t.test('forced grayscale and duplex are re-priced', async (t) => {
  const g = decide(input({ r: { color: 'grayscale' }, colour: [1, 2] }));
  t.equal(g.decision, 'ALLOW');
  t.equal(g.forceGrayscale, true);
  t.equal(g.costMinor, 40, 'all gray at 10');
  t.equal(g.units?.colorImpressions, 0);
  const gray = decide(input({ r: { color: 'grayscale' } }));
  t.equal(gray.forceGrayscale, false, 'a gray job is not changed');
  const d = decide(input({ r: { duplex: 'force' } }));
  t.equal(d.forceDuplex, true);
  t.equal(d.units?.sheets, 2);
  t.equal(d.costMinor, 4 * 8, 'duplex gray per-side price');
  const already = decide(input({ r: { duplex: 'force' }, attrs: { sides: 'two-sided-long-edge' } }));
  t.equal(already.forceDuplex, false);
  const both = decide(input({ r: { duplex: 'force', color: 'grayscale' }, colour: [1] }));
  t.same([both.forceGrayscale, both.forceDuplex, both.costMinor], [true, true, 32]);
});

t.test('unknown pages may be charged a flat amount', async (t) => {
  const d = decide(input({ pages: null, unknownPagesDefault: { action: 'charge', amountMinor: 75 } }));
  t.equal(d.decision, 'ALLOW');
  t.equal(d.costMinor, 75);
  t.equal(d.units, null);
  const p = decide(input({ pages: null, r: { unknownPages: { action: 'charge', amountMinor: 5 } } }));
  t.equal(p.costMinor, 5, 'printer overrides the setting');
  const deny = decide(input({ pages: null, r: { unknownPages: { action: 'deny' } }, unknownPagesDefault: { action: 'charge', amountMinor: 5 } }));
  t.equal(deny.reasonCode, 'UNKNOWN_PAGES');
});

t.test('billing modes', async (t) => {
  const poor = { account: { restricted: true, availableMinor: 0 } };
  t.equal(decide(input({ ...poor, user: { disabled: false, billingMode: 'postpaid', groups: [] } })).decision, 'ALLOW', 'postpaid always allowed');
  const free = decide(input({ ...poor, user: { disabled: false, billingMode: 'free', groups: [] } }));
  t.same([free.decision, free.costMinor, free.listCostMinor], ['ALLOW', 0, 40], 'free: zero cost, list price kept');
  t.equal(decide(input({ account: { restricted: false, availableMinor: -500 } })).decision, 'ALLOW', 'unrestricted never denied for credit');
  const maxCostFree = decide(input({ user: { disabled: false, billingMode: 'free', groups: [] }, r: { maxCostMinor: 10 } }));
  t.equal(maxCostFree.reasonCode, 'MAX_COST_EXCEEDED', 'cost limits use the list price');
  t.ok(creditCheck('prepaid', true, 10, 10).ok);
  t.notOk(creditCheck('prepaid', true, 10, 11).ok);
  t.ok(creditCheck('prepaid', true, -10, 0).ok, 'a free job prints on a negative balance');
  t.equal(effectiveBillingMode(null, []), 'prepaid');
  t.equal(effectiveBillingMode(null, ['prepaid', 'postpaid']), 'postpaid');
  t.equal(effectiveBillingMode(null, [null, 'free', 'postpaid']), 'free');
  t.equal(effectiveBillingMode('prepaid', ['free']), 'prepaid', 'the user setting wins');
});

t.test('holds', async (t) => {
  const p = input().printer;
  t.same(pick(decide(input({ printer: { ...p, releaseRequired: true, claimRequired: true, confirmRequired: true }, chooseAccount: true }))), ['HOLD', 'RELEASE']);
  t.same(pick(decide(input({ printer: { ...p, claimRequired: true, confirmRequired: true }, chooseAccount: true }))), ['HOLD', 'CLAIM']);
  t.same(pick(decide(input({ printer: { ...p, confirmRequired: true }, chooseAccount: true }))), ['HOLD', 'CHOOSE_ACCOUNT']);
  t.same(pick(decide(input({ printer: { ...p, confirmRequired: true } }))), ['HOLD', 'CONFIRM']);
  const poor = { account: { restricted: true, availableMinor: 0 } };
  t.equal(decide(input({ ...poor, printer: { ...p, releaseRequired: true } })).reasonCode, 'INSUFFICIENT_CREDIT', 'a release hold checks credit now');
  t.same(pick(decide(input({ ...poor, chooseAccount: true }))), ['HOLD', 'CHOOSE_ACCOUNT'], 'another account may pay');
  t.equal(decide(input({ printer: { ...p, releaseRequired: true }, isDuplicate: true })).reasonCode, 'DUPLICATE_JOB');
  function pick(d: ReturnType<typeof decide>) { return [d.decision, d.holdKind]; }
});

t.test('offline replay is never denied or held', async (t) => {
  const d = decide(input({ offlineReplay: true, user: { disabled: true, billingMode: 'prepaid', groups: [] }, printer: { ...input().printer, enabled: false, releaseRequired: true }, account: { restricted: true, availableMinor: 0 }, r: { maxPages: 1, color: 'deny' }, colour: [1] }));
  t.same([d.decision, d.costMinor, d.forceGrayscale], ['ALLOW', 80, false]);
  const unknown = decide(input({ offlineReplay: true, pages: null }));
  t.same([unknown.decision, unknown.costMinor], ['ALLOW', 0]);
  const bad = decide(input({ offlineReplay: true, attrs: { copies: -1 } }));
  t.equal(bad.decision, 'ALLOW');
});

t.test('analysis conversion', async (t) => {
  const a = toAnalysisResult({ pagesKnown: true, pages: 5, colorKnown: true, colorPages: 3, mediaPages: [{ media: 'iso_a4_210x297mm', pages: 3, colorPages: 1 }, { media: 'A3', pages: 2, colorPages: 2 }], copies: 0, format: 'pdf' });
  t.same(a.colorPageNumbers, [1, 4, 5], 'colour laid out size after size');
  t.same(a.pageMedia, ['A4', 'A4', 'A4', 'A3', 'A3']);
  t.equal(a.copies, 1);
  const b = toAnalysisResult({ pagesKnown: true, pages: 3, colorKnown: true, colorPages: 2, media: ['Letter'] });
  t.same(b.colorPageNumbers, [1, 2]);
  t.same(b.media, [{ name: 'Letter', pages: 3, colorPages: 2 }]);
  const c = toAnalysisResult({ pagesKnown: true, pages: 3, colorKnown: false, colorPages: 2 });
  t.equal(c.colorPageNumbers, null, 'unknown colour');
  t.equal(toAnalysisResult({ pagesKnown: false, pages: 9 }).pages, null);
  t.equal(toAnalysisResult({ pagesKnown: true, pages: 1, format: 'evil' }).format, 'unknown');
  for (const bad of [{ pagesKnown: true, pages: -1 }, { pagesKnown: true, pages: 1.5 }, { pagesKnown: true, pages: 2e6 },
    { pagesKnown: true, pages: 2, colorKnown: true, colorPageNumbers: [3] }, { pagesKnown: true, pages: 2, copies: 1e6 }]) {
    t.throws(() => toAnalysisResult(bad), { code: 'INVALID_ARGUMENT' }, JSON.stringify(bad));
  }
});
