// Printers: `<agent>/<queue>`, created on first sight (registration or a job) with the
// configured default per-page price; looked up by full id or by a queue name that is
// unique; updated by administrators (cost model, restrictions, flags, failure mode).
// Authorize reads them from the in-memory cache.

import { PrintgateError } from '../../shared/errors.ts';
import { validateCostModel } from '../domain/pricing.ts';
import { validateRestrictions } from '../domain/restrictions.ts';
import { FAILURE_MODES, type FailureMode } from '../domain/types.ts';
import { Caches, PRINTER_COLUMNS, printerFromRow, printerKey, type PrinterRow } from './cache.ts';
import type { Core } from './core.ts';
import type { AgentIdentity, Printer, PrinterPolicy, UpdatePrinterInput } from './types.ts';
import { checkBool, checkText, flag, iso } from './util.ts';

export function toPrinter(p: PrinterRow): Printer {
  return {
    id: `${p.agentName}/${p.queue}`, agent: p.agentName, queue: p.queue, description: p.description, enabled: p.enabled,
    costModel: p.costModel, restrictions: p.restrictions, failureMode: p.failureMode, releaseRequired: p.releaseRequired,
    confirmRequired: p.confirmRequired, claimRequired: p.claimRequired, watermark: p.watermark,
    watermarkTemplate: p.watermarkTemplate, watermarkRequired: p.watermarkRequired, firstSeenAt: iso(p.firstSeenAt)!,
  };
}

/** The printer an agent names, created on first sight. */
export async function ensurePrinter(core: Core, agent: AgentIdentity, queue: string, description = ''): Promise<PrinterRow> {
  const snap = await core.caches.get();
  const known = snap.printersByKey.get(printerKey(agent.id, queue));
  if (known) return known;
  const model = JSON.stringify({ type: 'simple', perPageMinor: snap.settings.printerDefaultCostMinor });
  await core.db.run(
    `INSERT INTO printers (agent_id, queue, description, cost_model, first_seen_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (agent_id, queue) DO NOTHING`, [agent.id, queue, description, model, core.clock()]);
  const row = await core.db.get(`SELECT ${PRINTER_COLUMNS} FROM printers p JOIN agents a ON a.id = p.agent_id WHERE p.agent_id = ? AND p.queue = ?`, [agent.id, queue]);
  const p = printerFromRow(row!);
  core.caches.addPrinter(p);
  return p;
}

export async function printerPolicies(core: Core, agentId: number): Promise<PrinterPolicy[]> {
  const snap = await core.caches.get();
  return [...snap.printers.values()].filter((p) => p.agentId === agentId).map((p) => ({
    printer: `${p.agentName}/${p.queue}`, queue: p.queue, failureMode: p.failureMode, watermark: p.watermark,
    watermarkTemplate: p.watermarkTemplate, watermarkRequired: p.watermarkRequired, enabled: p.enabled,
  }));
}

/** `<agent>/<queue>`, or a bare queue name when exactly one agent has it. */
export async function resolvePrinter(core: Core, ref: string): Promise<PrinterRow> {
  if (typeof ref !== 'string' || ref === '') throw new PrintgateError('UNKNOWN_PRINTER');
  const snap = await core.caches.get();
  const slash = ref.indexOf('/');
  const matches = [...snap.printers.values()].filter((p) =>
    slash >= 0 ? p.agentName === ref.slice(0, slash) && p.queue === ref.slice(slash + 1) : p.queue === ref);
  if (matches.length === 0) throw new PrintgateError('UNKNOWN_PRINTER', `unknown printer "${ref}"`);
  if (matches.length > 1) throw new PrintgateError('AMBIGUOUS_PRINTER', `"${ref}" matches ${matches.map((p) => `${p.agentName}/${p.queue}`).join(', ')}`);
  return matches[0]!;
}

export async function listPrinters(core: Core): Promise<Printer[]> {
  const snap = await core.caches.get();
  return [...snap.printers.values()].map(toPrinter).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export async function getPrinter(core: Core, ref: string): Promise<Printer> {
  return toPrinter(await resolvePrinter(core, ref));
}

export async function updatePrinter(core: Core, ref: string, patch: UpdatePrinterInput): Promise<Printer> {
  const p = await resolvePrinter(core, ref);
  const sets: string[] = [];
  const params: Array<string | number> = [];
  const set = (col: string, v: string | number) => { sets.push(`${col} = ?`); params.push(v); };
  if (typeof patch !== 'object' || patch === null) throw new PrintgateError('INVALID_ARGUMENT', 'patch must be an object');
  if (patch.description !== undefined) set('description', checkText(patch.description, 'description', 500));
  if (patch.enabled !== undefined) set('enabled', flag(checkBool(patch.enabled, 'enabled')));
  if (patch.costModel !== undefined) set('cost_model', JSON.stringify(validateCostModel(patch.costModel)));
  if (patch.restrictions !== undefined) set('restrictions', JSON.stringify(validateRestrictions(patch.restrictions, 'printer')));
  if (patch.failureMode !== undefined) {
    if (!FAILURE_MODES.includes(patch.failureMode as FailureMode)) throw new PrintgateError('INVALID_ARGUMENT', `failureMode must be one of ${FAILURE_MODES.join(', ')}`);
    set('failure_mode', patch.failureMode);
  }
  for (const [key, col] of [['releaseRequired', 'release_required'], ['confirmRequired', 'confirm_required'], ['claimRequired', 'claim_required'], ['watermark', 'watermark'], ['watermarkRequired', 'watermark_required']] as const) {
    if (patch[key] !== undefined) set(col, flag(checkBool(patch[key], key)));
  }
  if (patch.watermarkTemplate !== undefined) set('watermark_template', checkText(patch.watermarkTemplate, 'watermarkTemplate', 500));
  if (sets.length > 0) {
    await core.db.transaction(async (tx) => {
      await tx.run(`UPDATE printers SET ${sets.join(', ')} WHERE id = ?`, [...params, p.id]);
      await Caches.bump(tx);
    });
    core.caches.invalidate();
  }
  return getPrinter(core, `${p.agentName}/${p.queue}`);
}
