// Request bodies of the admin API that carry structured money: restrictions and cost
// models. Their JSON schemas (validated by Fastify, so shape errors are VALIDATION_FAILED)
// and the conversions into the service's minor-unit records (bad amounts INVALID_AMOUNT).

import type * as S from '../../service/types.ts';
import { MONEY_IN, NAME, nonNegative, type Money } from './common.ts';

const NULL_COUNT = { type: ['integer', 'null'], minimum: 0, maximum: 1_000_000_000 } as const;
const TITLES = { type: 'array', maxItems: 200, items: { type: 'string', minLength: 1, maxLength: 200 } } as const;

export const RESTRICTIONS_IN = {
  type: 'object',
  additionalProperties: false,
  properties: {
    maxPages: NULL_COUNT,
    maxCost: { type: ['string', 'null'], maxLength: 40 },
    maxCopies: NULL_COUNT,
    color: { type: 'string', enum: ['allow', 'deny', 'grayscale'] },
    duplex: { type: 'string', enum: ['allow', 'force'] },
    deniedTitles: TITLES,
    duplicateWindowSeconds: { type: ['integer', 'null'], minimum: 0, maximum: 31_536_000 },
    allowedGroups: { type: 'array', maxItems: 1000, items: NAME },
    unknownPages: {
      type: ['object', 'null'],
      additionalProperties: false,
      properties: { action: { type: 'string', enum: ['deny', 'charge'] }, amount: MONEY_IN },
      required: ['action'],
    },
  },
} as const;

export interface RestrictionsJson {
  maxPages?: number | null;
  maxCost?: string | null;
  maxCopies?: number | null;
  color?: 'allow' | 'deny' | 'grayscale';
  duplex?: 'allow' | 'force';
  deniedTitles?: string[];
  duplicateWindowSeconds?: number | null;
  allowedGroups?: string[];
  unknownPages?: { action: 'deny' | 'charge'; amount?: string } | null;
}

export function restrictionsIn(j: RestrictionsJson, m: Money): S.Restrictions {
  const out: S.Restrictions = {};
  if (j.maxPages !== undefined) out.maxPages = j.maxPages;
  if (j.maxCost !== undefined) out.maxCostMinor = j.maxCost === null ? null : nonNegative(m.parse(j.maxCost, 'maxCost'), 'maxCost');
  if (j.maxCopies !== undefined) out.maxCopies = j.maxCopies;
  if (j.color !== undefined) out.color = j.color;
  if (j.duplex !== undefined) out.duplex = j.duplex;
  if (j.deniedTitles !== undefined) out.deniedTitles = j.deniedTitles;
  if (j.duplicateWindowSeconds !== undefined) out.duplicateWindowSeconds = j.duplicateWindowSeconds;
  if (j.allowedGroups !== undefined) out.allowedGroups = j.allowedGroups;
  if (j.unknownPages !== undefined) {
    const u = j.unknownPages;
    if (u === null) out.unknownPages = null;
    else if (u.action === 'deny') out.unknownPages = { action: 'deny' };
    else out.unknownPages = { action: 'charge', amountMinor: nonNegative(m.parse(u.amount ?? '', 'unknownPages.amount'), 'unknownPages.amount') };
  }
  return out;
}

const COST_ROW_IN = {
  type: 'object',
  additionalProperties: false,
  properties: {
    color: { type: ['boolean', 'null'] },
    duplex: { type: ['boolean', 'null'] },
    media: { type: ['string', 'null'], maxLength: 64 },
    perPage: MONEY_IN,
  },
  required: ['perPage'],
} as const;

/** PATCH /printers/:printer costModel: {type: 'simple', perPage} | {type: 'table', rows, default}. */
export const COST_MODEL_IN = {
  type: 'object',
  additionalProperties: false,
  properties: {
    type: { type: 'string', enum: ['simple', 'table'] },
    perPage: MONEY_IN,
    rows: { type: 'array', maxItems: 500, items: COST_ROW_IN },
    default: MONEY_IN,
  },
  required: ['type'],
} as const;

/** PUT /printers/:printer/cost: {simple} | {table, default}. */
export const COST_PUT_IN = {
  type: 'object',
  additionalProperties: false,
  properties: {
    simple: MONEY_IN,
    table: { type: 'array', maxItems: 500, items: COST_ROW_IN },
    default: MONEY_IN,
  },
  oneOf: [{ required: ['simple'] }, { required: ['table'] }],
} as const;

interface CostRowJson {
  color?: boolean | null;
  duplex?: boolean | null;
  media?: string | null;
  perPage: string;
}
export interface CostModelJson {
  type: 'simple' | 'table';
  perPage?: string;
  rows?: CostRowJson[];
  default?: string;
}
export interface CostPutJson {
  simple?: string;
  table?: CostRowJson[];
  default?: string;
}

function price(m: Money, text: string | undefined, what: string): number {
  return nonNegative(m.parse(text ?? '', what), what);
}

export function costModelIn(j: CostModelJson, m: Money): S.CostModel {
  if (j.type === 'simple') return { type: 'simple', perPageMinor: price(m, j.perPage, 'perPage') };
  return {
    type: 'table',
    rows: (j.rows ?? []).map((r, i) => ({
      color: r.color ?? null, duplex: r.duplex ?? null, media: r.media ?? null,
      perPageMinor: price(m, r.perPage, `rows[${i}].perPage`),
    })),
    defaultMinor: price(m, j.default ?? '0', 'default'),
  };
}

export function costPutIn(j: CostPutJson, m: Money): S.CostModel {
  if (j.table !== undefined) return costModelIn({ type: 'table', rows: j.table, default: j.default ?? '0' }, m);
  return { type: 'simple', perPageMinor: price(m, j.simple, 'simple') };
}
