// The print decision: given what the agent found (analysis + job attributes), the printer,
// the user's effective restrictions and billing mode, and the chosen account's credit,
// answer ALLOW (possibly with forced grayscale/duplex, re-priced), DENY (a stable reason
// code and a message meant for the user) or HOLD (release, claim, account choice or
// confirmation). Pure: the service looks things up, this decides. Rules apply in order:
//   1. user disabled, printer disabled, printer access by group
//   2. denied document-name patterns
//   3. pages unknown: deny (default) or charge the configured flat amount
//   4. copies limit; colour (deny, or force grayscale and re-price); forced duplex
//   5. pages limit; price (free mode: recorded at zero); cost limit; duplicate job
//   6. hold kinds (release > claim > account choice > confirm); a hold needing an account
//      choice skips the credit check, the others check credit now and again on release
//   7. credit: prepaid + restricted account denies a cost above the available credit.
// An offline replay (the job already printed while the server was unreachable) is never
// denied or held: it is priced and recorded.

import { billableUnits, type BillableUnits, type BillingAttributes } from '../../shared/billing.ts';
import type { AnalysisResult } from '../../shared/analysis.ts';
import type { Minor } from '../../shared/money.ts';
import { priceUnits } from './pricing.ts';
import { globMatch } from './glob.ts';
import type { EffectiveRestrictions } from './restrictions.ts';
import type { BillingMode, CostModel, Decision, DenyReason, HoldKind, UnknownPagesRule } from './types.ts';

export interface DecisionInput {
  offlineReplay: boolean;
  user: { disabled: boolean; billingMode: BillingMode; groups: readonly string[] };
  printer: { enabled: boolean; costModel: CostModel; releaseRequired: boolean; claimRequired: boolean; confirmRequired: boolean };
  restrictions: EffectiveRestrictions;
  /** The `job.unknown-pages` setting, used unless the printer overrides it. */
  unknownPagesDefault: UnknownPagesRule;
  analysis: AnalysisResult;
  attrs: BillingAttributes;
  title: string;
  /** The account that would be charged: whether credit limits apply and what is available. */
  account: { restricted: boolean; availableMinor: Minor };
  /** The user should choose among several accounts before the job prints. */
  chooseAccount: boolean;
  /** A job with the same user, printer, title, pages and size within the duplicate window. */
  isDuplicate: boolean;
  formatMoney: (minor: Minor) => string;
}

export interface DecisionOutcome {
  decision: Decision;
  reasonCode: DenyReason | '';
  message: string;
  forceGrayscale: boolean;
  forceDuplex: boolean;
  /** What the account is charged (0 in free mode). */
  costMinor: Minor;
  /** The printer's price for the job, before the billing mode. */
  listCostMinor: Minor;
  /** null when the pages are unknown (or the attributes impossible). */
  units: BillableUnits | null;
  holdKind: HoldKind | null;
}

export function decide(input: DecisionInput): DecisionOutcome {
  const r = input.restrictions;
  let forceGrayscale = false;
  let forceDuplex = false;
  let units: BillableUnits | null = null;
  const out = (decision: Decision, extra: Partial<DecisionOutcome> = {}): DecisionOutcome => ({
    decision, reasonCode: '', message: '', forceGrayscale, forceDuplex, costMinor: 0, listCostMinor: 0, units, holdKind: null, ...extra,
  });
  const deny = (reasonCode: DenyReason, message: string) => out('DENY', { reasonCode, message });

  if (!input.offlineReplay) {
    if (input.user.disabled) return deny('USER_DISABLED', 'Your user account is disabled.');
    if (!input.printer.enabled) return deny('PRINTER_DISABLED', 'This printer is disabled.');
    if (r.allowedGroups.length > 0 && !input.user.groups.some((g) => r.allowedGroups.includes(g))) {
      return deny('PRINTER_ACCESS_DENIED', 'You are not allowed to print on this printer.');
    }
    const pattern = r.deniedTitles.find((p) => globMatch(p, input.title));
    if (pattern !== undefined) return deny('DOCUMENT_NAME_DENIED', `Documents named like "${pattern}" may not be printed.`);
  }

  try {
    units = billableUnits(input.analysis, input.attrs);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    if (input.offlineReplay) return out('ALLOW');
    return deny('INVALID_JOB', `The job cannot be printed: ${e.message}.`);
  }

  let listCost: Minor;
  if (units === null) {
    const rule = r.unknownPages ?? input.unknownPagesDefault;
    if (rule.action === 'deny' && !input.offlineReplay) {
      return deny('UNKNOWN_PAGES', 'The number of pages of this document could not be determined.');
    }
    listCost = rule.action === 'charge' ? rule.amountMinor : 0;
  } else if (input.offlineReplay) {
    listCost = priceUnits(input.printer.costModel, units);
  } else {
    if (r.maxCopies !== null && units.copies > r.maxCopies) {
      return deny('MAX_COPIES_EXCEEDED', `At most ${r.maxCopies} copies are allowed; the job has ${units.copies}.`);
    }
    if (units.colorImpressions > 0 && r.color !== 'allow') {
      if (r.color === 'deny') return deny('COLOR_NOT_ALLOWED', 'Colour printing is not allowed; print in grayscale.');
      forceGrayscale = true;
    }
    if (r.duplex === 'force' && !units.duplex) forceDuplex = true;
    if (forceGrayscale || forceDuplex) {
      units = billableUnits(input.analysis, { ...input.attrs, forceGrayscale: forceGrayscale || input.attrs.forceGrayscale, forceDuplex: forceDuplex || input.attrs.forceDuplex });
      if (units === null) throw new Error('billable units vanished when re-pricing');
    }
    if (r.maxPages !== null && units.impressions > r.maxPages) {
      return deny('MAX_PAGES_EXCEEDED', `At most ${r.maxPages} pages are allowed per job; the job has ${units.impressions}.`);
    }
    listCost = priceUnits(input.printer.costModel, units);
  }

  const cost = input.user.billingMode === 'free' ? 0 : listCost;
  const priced = { costMinor: cost, listCostMinor: listCost };
  if (input.offlineReplay) return out('ALLOW', priced);

  if (r.maxCostMinor !== null && listCost > r.maxCostMinor) {
    return out('DENY', { ...priced, reasonCode: 'MAX_COST_EXCEEDED', message: `The job costs ${input.formatMoney(listCost)}; at most ${input.formatMoney(r.maxCostMinor)} is allowed per job.` });
  }
  if (input.isDuplicate) {
    return out('DENY', { ...priced, reasonCode: 'DUPLICATE_JOB', message: 'The same document was just printed; the duplicate was cancelled.' });
  }

  const holdKind: HoldKind | null = input.printer.releaseRequired ? 'RELEASE'
    : input.printer.claimRequired ? 'CLAIM'
    : input.chooseAccount ? 'CHOOSE_ACCOUNT'
    : input.printer.confirmRequired ? 'CONFIRM'
    : null;
  if (holdKind !== 'CHOOSE_ACCOUNT') {
    const credit = creditCheck(input.user.billingMode, input.account.restricted, input.account.availableMinor, cost);
    if (!credit.ok) {
      return out('DENY', { ...priced, reasonCode: 'INSUFFICIENT_CREDIT', message: `The job costs ${input.formatMoney(cost)} but only ${input.formatMoney(Math.max(0, input.account.availableMinor))} is available.` });
    }
  }
  if (holdKind) return out('HOLD', { ...priced, holdKind });
  return out('ALLOW', priced);
}

/** Whether an account may take a charge: prepaid restricted accounts need the credit. */
export function creditCheck(mode: BillingMode, restricted: boolean, availableMinor: Minor, costMinor: Minor): { ok: boolean } {
  if (mode !== 'prepaid' || !restricted || costMinor <= 0) return { ok: true };
  return { ok: costMinor <= availableMinor };
}

/** The user's own billing mode, else the most generous of their groups', else prepaid. */
export function effectiveBillingMode(own: BillingMode | null, groupModes: ReadonlyArray<BillingMode | null>): BillingMode {
  if (own) return own;
  if (groupModes.includes('free')) return 'free';
  if (groupModes.includes('postpaid')) return 'postpaid';
  return 'prepaid';
}
