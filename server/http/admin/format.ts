// The admin API's JSON objects (docs/api.md "Objects"): the service's records with every
// amount both as a decimal string and as `...Minor` integer; and their response schemas,
// which also serialise the answers (fast-json-stringify) and describe them in OpenAPI.

import type * as S from '../../service/types.ts';
import { BILLING_MODE, MINOR_OUT, MONEY_OUT, NULLABLE_STRING, type Money } from './common.ts';

type Json = Record<string, unknown>;

const STR = { type: 'string' } as const;
const INT = { type: 'integer' } as const;
const BOOL = { type: 'boolean' } as const;
const NULL_INT = { type: ['integer', 'null'] } as const;
const NULL_MONEY = { type: ['string', 'null'] } as const;
const STRINGS = { type: 'array', items: STR } as const;

function obj(properties: Json, required: string[] = Object.keys(properties)): Json {
  return { type: 'object', properties, required };
}

// ---- restrictions and cost models ---------------------------------------------------------

export const UNKNOWN_PAGES_SCHEMA = {
  type: ['object', 'null'],
  properties: { action: { type: 'string', enum: ['deny', 'charge'] }, amount: MONEY_OUT, amountMinor: MINOR_OUT },
  required: ['action'],
} as const;

export const RESTRICTIONS_SCHEMA = obj({
  maxPages: NULL_INT, maxCost: NULL_MONEY, maxCostMinor: NULL_INT, maxCopies: NULL_INT,
  color: { type: 'string', enum: ['allow', 'deny', 'grayscale'] }, duplex: { type: 'string', enum: ['allow', 'force'] },
  deniedTitles: STRINGS, duplicateWindowSeconds: NULL_INT, allowedGroups: STRINGS, unknownPages: UNKNOWN_PAGES_SCHEMA,
}, []);

export function restrictions(r: S.Restrictions, m: Money): Json {
  const out: Json = {
    maxPages: r.maxPages ?? null,
    maxCost: r.maxCostMinor == null ? null : m.format(r.maxCostMinor),
    maxCostMinor: r.maxCostMinor ?? null,
    maxCopies: r.maxCopies ?? null,
    color: r.color ?? 'allow',
    duplex: r.duplex ?? 'allow',
    deniedTitles: r.deniedTitles ?? [],
    duplicateWindowSeconds: r.duplicateWindowSeconds ?? null,
    allowedGroups: r.allowedGroups ?? [],
    unknownPages: null,
  };
  const u = r.unknownPages;
  if (u) out.unknownPages = u.action === 'charge' ? { action: 'charge', amount: m.format(u.amountMinor), amountMinor: u.amountMinor } : { action: 'deny' };
  return out;
}

const COST_ROW_SCHEMA = obj({
  color: { type: ['boolean', 'null'] }, duplex: { type: ['boolean', 'null'] }, media: NULLABLE_STRING,
  perPage: MONEY_OUT, perPageMinor: MINOR_OUT,
});

export const COST_MODEL_SCHEMA = {
  type: 'object',
  description: 'simple: {type, perPage}; table: {type, rows, default}',
  properties: {
    type: { type: 'string', enum: ['simple', 'table'] },
    perPage: MONEY_OUT, perPageMinor: MINOR_OUT,
    rows: { type: 'array', items: COST_ROW_SCHEMA },
    default: MONEY_OUT, defaultMinor: MINOR_OUT,
  },
  required: ['type'],
} as const;

export function costModel(c: S.CostModel, m: Money): Json {
  if (c.type === 'simple') return { type: 'simple', perPage: m.format(c.perPageMinor), perPageMinor: c.perPageMinor };
  return {
    type: 'table',
    rows: c.rows.map((r) => ({ color: r.color, duplex: r.duplex, media: r.media, perPage: m.format(r.perPageMinor), perPageMinor: r.perPageMinor })),
    default: m.format(c.defaultMinor),
    defaultMinor: c.defaultMinor,
  };
}

// ---- users, balances, transactions ---------------------------------------------------------

export const USER_SCHEMA = obj({
  name: STR, fullName: STR, email: STR, restricted: BOOL, billingMode: BILLING_MODE,
  ownBillingMode: { type: ['string', 'null'], enum: ['prepaid', 'postpaid', 'free', null] },
  overdraft: MONEY_OUT, overdraftMinor: MINOR_OUT, disabled: BOOL, groups: STRINGS,
  accounts: { type: 'array', items: obj({ name: STR, balance: MONEY_OUT, balanceMinor: MINOR_OUT, isDefault: BOOL }) },
  createdAt: STR,
});

export function user(u: S.User, m: Money): Json {
  return {
    name: u.name, fullName: u.fullName, email: u.email, restricted: u.restricted, billingMode: u.billingMode,
    ownBillingMode: u.ownBillingMode, overdraft: m.format(u.overdraftMinor), overdraftMinor: u.overdraftMinor,
    disabled: u.disabled, groups: u.groups,
    accounts: u.accounts.map((a) => ({ name: a.name, balance: m.format(a.balanceMinor), balanceMinor: a.balanceMinor, isDefault: a.isDefault })),
    createdAt: u.createdAt,
  };
}

export const BALANCE_SCHEMA = obj({
  user: STR, account: STR, balance: MONEY_OUT, balanceMinor: MINOR_OUT, reserved: MONEY_OUT, reservedMinor: MINOR_OUT,
  available: MONEY_OUT, availableMinor: MINOR_OUT,
});

export function balance(b: S.BalanceInfo, m: Money): Json {
  return {
    user: b.user, account: b.account, balance: m.format(b.balanceMinor), balanceMinor: b.balanceMinor,
    reserved: m.format(b.reservedMinor), reservedMinor: b.reservedMinor,
    available: m.format(b.availableMinor), availableMinor: b.availableMinor,
  };
}

export const BALANCE_CHANGE_SCHEMA = obj({ balance: MONEY_OUT, balanceMinor: MINOR_OUT, transactionId: STR });

export function balanceChange(c: S.BalanceChange, m: Money): Json {
  return { balance: m.format(c.balanceMinor), balanceMinor: c.balanceMinor, transactionId: c.transactionId };
}

export const TRANSACTION_SCHEMA = obj({
  id: STR, account: STR, accountType: { type: 'string', enum: ['personal', 'shared'] }, user: NULLABLE_STRING,
  amount: MONEY_OUT, amountMinor: MINOR_OUT, balanceAfter: MONEY_OUT, balanceAfterMinor: MINOR_OUT,
  kind: STR, comment: STR, actor: STR, jobId: NULLABLE_STRING, createdAt: STR,
});

export function transaction(t: S.Transaction, m: Money): Json {
  return {
    id: t.id, account: t.account, accountType: t.accountType, user: t.user,
    amount: m.format(t.amountMinor), amountMinor: t.amountMinor,
    balanceAfter: m.format(t.balanceAfterMinor), balanceAfterMinor: t.balanceAfterMinor,
    kind: t.kind, comment: t.comment, actor: t.actor, jobId: t.jobId, createdAt: t.createdAt,
  };
}

// ---- groups, quotas, shared accounts --------------------------------------------------------

export const QUOTA_SCHEMA = obj({
  group: STR, amount: MONEY_OUT, amountMinor: MINOR_OUT, period: { type: 'string', enum: ['daily', 'weekly', 'monthly'] },
  maxAccumulation: MONEY_OUT, maxAccumulationMinor: MINOR_OUT,
});

export function quota(q: S.Quota, m: Money): Json {
  return {
    group: q.group, amount: m.format(q.amountMinor), amountMinor: q.amountMinor, period: q.period,
    maxAccumulation: m.format(q.maxAccumulationMinor), maxAccumulationMinor: q.maxAccumulationMinor,
  };
}

export const GROUP_SCHEMA = obj({
  name: STR, billingMode: { type: ['string', 'null'], enum: ['prepaid', 'postpaid', 'free', null] },
  restrictions: RESTRICTIONS_SCHEMA, members: INT, quota: { ...QUOTA_SCHEMA, type: ['object', 'null'] }, createdAt: STR,
});

export function group(g: S.Group, m: Money): Json {
  return {
    name: g.name, billingMode: g.billingMode, restrictions: restrictions(g.restrictions, m), members: g.members,
    quota: g.quota ? quota(g.quota, m) : null, createdAt: g.createdAt,
  };
}

export const SHARED_ACCOUNT_SCHEMA = obj({
  name: STR, balance: MONEY_OUT, balanceMinor: MINOR_OUT, restricted: BOOL, overdraft: MONEY_OUT, overdraftMinor: MINOR_OUT,
  hasPin: BOOL, disabled: BOOL, access: obj({ users: STRINGS, groups: STRINGS }), createdAt: STR,
});

export function sharedAccount(a: S.SharedAccount, m: Money): Json {
  return {
    name: a.name, balance: m.format(a.balanceMinor), balanceMinor: a.balanceMinor, restricted: a.restricted,
    overdraft: m.format(a.overdraftMinor), overdraftMinor: a.overdraftMinor, hasPin: a.hasPin, disabled: a.disabled,
    access: { users: a.access.users, groups: a.access.groups }, createdAt: a.createdAt,
  };
}

// ---- printers, agents, config, jobs -----------------------------------------------------------

export const PRINTER_SCHEMA = obj({
  id: STR, agent: STR, queue: STR, description: STR, enabled: BOOL, costModel: COST_MODEL_SCHEMA,
  restrictions: RESTRICTIONS_SCHEMA, failureMode: STR, releaseRequired: BOOL, confirmRequired: BOOL, claimRequired: BOOL,
  watermark: BOOL, watermarkTemplate: STR, watermarkRequired: BOOL, firstSeenAt: STR,
});

export function printer(p: S.Printer, m: Money): Json {
  return {
    id: p.id, agent: p.agent, queue: p.queue, description: p.description, enabled: p.enabled,
    costModel: costModel(p.costModel, m), restrictions: restrictions(p.restrictions, m), failureMode: p.failureMode,
    releaseRequired: p.releaseRequired, confirmRequired: p.confirmRequired, claimRequired: p.claimRequired,
    watermark: p.watermark, watermarkTemplate: p.watermarkTemplate, watermarkRequired: p.watermarkRequired,
    firstSeenAt: p.firstSeenAt,
  };
}

export const AGENT_SCHEMA = obj({
  name: STR, hostname: STR, version: STR, platform: STR, createdAt: STR, lastContactAt: NULLABLE_STRING,
});

export const CONFIG_SCHEMA = obj({ key: STR, value: STR, default: STR, description: STR });

export const JOB_SCHEMA = obj({
  id: STR, user: STR, account: NULLABLE_STRING, printer: STR, agent: STR, host: STR, title: STR, spoolerJobId: STR,
  pages: NULL_INT, colorPages: NULL_INT, copies: INT, duplex: BOOL, grayscale: BOOL, media: STR,
  impressions: INT, colorImpressions: INT, sheets: INT, cost: MONEY_OUT, costMinor: MINOR_OUT,
  reserved: MONEY_OUT, reservedMinor: MINOR_OUT, refunded: MONEY_OUT, refundedMinor: MINOR_OUT,
  decision: STR, reasonCode: STR, reason: STR, holdKind: NULLABLE_STRING, status: STR, method: STR, offline: BOOL,
  createdAt: STR, completedAt: NULLABLE_STRING,
});

export function job(j: S.Job, m: Money): Json {
  return {
    id: j.id, user: j.user, account: j.account, printer: j.printer, agent: j.agent, host: j.host, title: j.title,
    spoolerJobId: j.spoolerJobId, pages: j.pages, colorPages: j.colorPages, copies: j.copies, duplex: j.duplex,
    grayscale: j.grayscale, media: j.media, impressions: j.impressions, colorImpressions: j.colorImpressions,
    sheets: j.sheets, cost: m.format(j.costMinor), costMinor: j.costMinor, reserved: m.format(j.reservedMinor),
    reservedMinor: j.reservedMinor, refunded: m.format(j.refundedMinor), refundedMinor: j.refundedMinor,
    decision: j.decision, reasonCode: j.reasonCode, reason: j.reason, holdKind: j.holdKind, status: j.status,
    method: j.method, offline: j.offline, createdAt: j.createdAt, completedAt: j.completedAt,
  };
}
