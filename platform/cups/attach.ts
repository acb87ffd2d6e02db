// `printgate cups attach|detach QUEUE`: put an existing CUPS queue behind printgate's
// gate, or give it back exactly as it was.
//
// attach QUEUE (idempotent; each step checks before it changes, and says what it changed):
//   1. adds the `printgate` and `printgate-release` policies to cupsd.conf if missing
//      (through CUPS's own /admin/conf/cupsd.conf, as cupsctl does: cupsd checks the file,
//      keeps cupsd.conf.O and reloads);
//   2. saves the queue's original settings (op policy, stopped or not, state message,
//      accepting or not) in $PRINTGATE_STATE_DIR/cups/QUEUE.json (default
//      /var/lib/printgate), before the queue changes, and never overwrites them;
//   3. creates the hidden release queue QUEUE.printgate: same device URI and PPD, not
//      shared, policy printgate-release (only @SYSTEM may put jobs on it);
//   4. sets the queue's policy to `printgate`, stops it with a message users see in
//      `lpstat -p`, and keeps it accepting jobs: every job now waits for the agent.
// detach QUEUE refuses while jobs wait at the gate or print on the release queue, then
// restores the saved settings, deletes the release queue, removes the policies when no
// queue uses them any more, and deletes the saved file.

import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PrintgateError } from '../../shared/errors.ts';
import type { CupsClient } from './client.ts';
import { a, bool, num, str, type IppAttribute } from './ipp-message.ts';
import { PrinterState } from './ipp-tags.ts';
import * as ops from './ops.ts';
import { GATE_POLICY, RELEASE_POLICY, withPolicies, withoutPolicies } from './policy.ts';

/** Suffix of the hidden queue that really prints a managed queue's approved jobs. */
export const RELEASE_SUFFIX = '.printgate';
export const GATE_MESSAGE = 'Jobs wait for printgate';

export function releaseQueueName(queue: string): string {
  return `${queue}${RELEASE_SUFFIX}`;
}

/** What attach saves so that detach can restore the queue exactly. */
export interface SavedQueue {
  readonly version: 1;
  readonly queue: string;
  readonly opPolicy: string;
  readonly stopped: boolean;
  readonly stateMessage: string;
  readonly accepting: boolean;
  readonly attachedAt: string;
}

export interface AttachContext {
  readonly client: CupsClient;
  /** printgate's state directory ($PRINTGATE_STATE_DIR or /var/lib/printgate). */
  readonly stateDir: string;
  /** How long to wait for cupsd to come back after a cupsd.conf change. */
  readonly reloadTimeoutMs?: number;
}

export interface AttachResult {
  /** One line per change made; empty when there was nothing to do. */
  readonly changes: string[];
}

export function defaultStateDir(): string {
  return process.env.PRINTGATE_STATE_DIR || '/var/lib/printgate';
}

const PRINTER_ATTRS = ['printer-name', 'device-uri', 'printer-op-policy', 'printer-op-policy-supported', 'printer-state', 'printer-state-message', 'printer-is-accepting-jobs', 'printer-is-shared', 'printer-info', 'printer-location', 'printer-type'];
const CUPS_PRINTER_CLASS = 0x0001;

function savedPath(ctx: AttachContext, queue: string): string {
  return join(ctx.stateDir, 'cups', `${encodeURIComponent(queue)}.json`);
}

async function loadSaved(ctx: AttachContext, queue: string): Promise<SavedQueue | undefined> {
  const text = await readFile(savedPath(ctx, queue), 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (text === undefined) return undefined;
  const saved = JSON.parse(text) as SavedQueue;
  if (saved.version !== 1 || saved.queue !== queue) throw new PrintgateError('CONFLICT', `${savedPath(ctx, queue)} does not hold the saved settings of ${queue}`);
  return saved;
}

async function storeSaved(ctx: AttachContext, saved: SavedQueue): Promise<string> {
  const file = savedPath(ctx, saved.queue);
  await mkdir(join(ctx.stateDir, 'cups'), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp`;
  await writeFile(tmp, `${JSON.stringify(saved, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, file);
  return file;
}

async function printerOrFail(c: CupsClient, queue: string) {
  const p = await ops.findPrinter(c, queue, PRINTER_ATTRS);
  if (!p) throw new PrintgateError('UNKNOWN_PRINTER', `CUPS has no queue named "${queue}"`);
  return p;
}

/**
 * Put printgate's policies in cupsd.conf (or take them out) and wait for cupsd to reload:
 * until a printer (`probe`, else any) lists the new set of policies it supports.
 */
async function editPolicies(ctx: AttachContext, probe: string | undefined, add: boolean): Promise<boolean> {
  const c = ctx.client;
  const conf = (await c.getFile('/admin/conf/cupsd.conf')).toString('utf8');
  const edited = add ? withPolicies(conf) : withoutPolicies(conf);
  if (!edited.changed) return false;
  const queue = probe ?? str((await ops.getPrinters(c, ['printer-name']))[0] ?? [], 'printer-name');
  await c.putFile('/admin/conf/cupsd.conf', Buffer.from(edited.conf, 'utf8'));
  const deadline = Date.now() + (ctx.reloadTimeoutMs ?? 60_000);
  for (;;) {
    await new Promise((r) => setTimeout(r, 50));
    if (queue === '') {
      // No printer to ask: wait until cupsd answers again after its reload.
      if (await ops.getPrinters(c, ['printer-name']).then(() => true, () => false)) return true;
    } else {
      const p = await ops.findPrinter(c, queue, ['printer-op-policy-supported']).catch(() => undefined);
      const policies = p ? p.find((x) => x.name === 'printer-op-policy-supported')?.values.map((v) => v.value) ?? [] : [];
      if (p && policies.includes(GATE_POLICY) === add) return true;
    }
    if (Date.now() > deadline) throw new PrintgateError('SPOOLER_UNAVAILABLE', 'cupsd did not come back with the new cupsd.conf in time (it waits for printing jobs before a reload)');
  }
}

export async function attach(ctx: AttachContext, queue: string): Promise<AttachResult> {
  const c = ctx.client;
  const changes: string[] = [];
  if (queue.endsWith(RELEASE_SUFFIX)) throw new PrintgateError('INVALID_ARGUMENT', `"${queue}" is a printgate release queue; attach the queue users print to`);
  const p = await printerOrFail(c, queue);
  if ((num(p, 'printer-type', 0)! & CUPS_PRINTER_CLASS) !== 0) throw new PrintgateError('INVALID_ARGUMENT', `"${queue}" is a class; attach its member printers`);
  const policy = str(p, 'printer-op-policy');
  if (policy === RELEASE_POLICY) throw new PrintgateError('INVALID_ARGUMENT', `"${queue}" uses the ${RELEASE_POLICY} policy: it is a release queue`);

  // 1. The policies (this also proves we may administer CUPS before we save anything).
  if (await editPolicies(ctx, queue, true)) changes.push(`cupsd.conf: added the policies ${GATE_POLICY} and ${RELEASE_POLICY} (cupsd reloaded)`);

  // 2. Remember the original settings, once, before changing the queue.
  let saved = await loadSaved(ctx, queue);
  if (!saved) {
    saved = {
      version: 1,
      queue,
      opPolicy: policy || 'default',
      stopped: num(p, 'printer-state') === PrinterState.stopped,
      stateMessage: str(p, 'printer-state-message'),
      accepting: bool(p, 'printer-is-accepting-jobs') ?? true,
      attachedAt: new Date().toISOString(),
    };
    const file = await storeSaved(ctx, saved);
    changes.push(`saved the original settings of ${queue} in ${file}`);
  }

  // 3. The release queue, a hidden twin that prints what the agent lets through.
  const rq = releaseQueueName(queue);
  const deviceUri = str(p, 'device-uri');
  const existing = await ops.findPrinter(c, rq, PRINTER_ATTRS);
  if (!existing) {
    const ppd = await ops.getPpd(c, queue);
    await ops.addModifyPrinter(c, rq, [
      a.uri('device-uri', deviceUri),
      a.text('printer-info', `printgate release queue of ${queue} (do not print here)`),
      a.text('printer-location', str(p, 'printer-location')),
      a.boolean('printer-is-shared', false),
      a.name('printer-op-policy', RELEASE_POLICY),
    ], ppd);
    changes.push(`created the release queue ${rq} (device ${deviceUri}, ${ppd ? 'same PPD' : 'no PPD'}, not shared, policy ${RELEASE_POLICY})`);
  } else {
    // The queue may have changed since (new address, new driver or PPD options): follow it.
    if (str(existing, 'device-uri') !== deviceUri || str(existing, 'printer-op-policy') !== RELEASE_POLICY) {
      await ops.addModifyPrinter(c, rq, [a.uri('device-uri', deviceUri), a.name('printer-op-policy', RELEASE_POLICY), a.boolean('printer-is-shared', false)]);
      changes.push(`${rq}: device set to ${deviceUri}, policy ${RELEASE_POLICY}`);
    }
    const ppd = await ops.getPpd(c, queue);
    const rqPpd = await ops.getPpd(c, rq);
    if (ppd && (!rqPpd || !Buffer.from(ppd).equals(Buffer.from(rqPpd)))) {
      await ops.addModifyPrinter(c, rq, [], ppd);
      changes.push(`${rq}: PPD updated from ${queue}`);
    }
  }
  const rqNow = await printerOrFail(c, rq);
  if (num(rqNow, 'printer-state') === PrinterState.stopped) {
    await ops.enablePrinter(c, rq);
    changes.push(`${rq}: enabled`);
  }
  if (bool(rqNow, 'printer-is-accepting-jobs') === false) {
    await ops.setAccepting(c, rq, true);
    changes.push(`${rq}: accepting jobs`);
  }

  // 4. The gate itself. Its device URI stays as it was: only the stop keeps jobs back.
  if (policy !== GATE_POLICY) {
    await ops.addModifyPrinter(c, queue, [a.name('printer-op-policy', GATE_POLICY)]);
    changes.push(`${queue}: op policy ${policy || 'default'} -> ${GATE_POLICY} (only printgate may release, hold, move or change jobs)`);
  }
  if (num(p, 'printer-state') !== PrinterState.stopped || str(p, 'printer-state-message') !== GATE_MESSAGE) {
    await ops.disablePrinter(c, queue, GATE_MESSAGE);
    changes.push(`${queue}: stopped with the message "${GATE_MESSAGE}" (jobs wait for printgate's decision)`);
  }
  if (bool(p, 'printer-is-accepting-jobs') === false) {
    await ops.setAccepting(c, queue, true);
    changes.push(`${queue}: accepting jobs`);
  }
  return { changes };
}

export async function detach(ctx: AttachContext, queue: string, options: { force?: boolean } = {}): Promise<AttachResult> {
  const c = ctx.client;
  const changes: string[] = [];
  const saved = await loadSaved(ctx, queue);
  const p = await ops.findPrinter(c, queue, PRINTER_ATTRS);
  if (!p && !saved) throw new PrintgateError('UNKNOWN_PRINTER', `CUPS has no queue named "${queue}"`);
  if (!saved) {
    if (str(p!, 'printer-op-policy') === GATE_POLICY) throw new PrintgateError('CONFLICT', `${queue} uses the ${GATE_POLICY} policy but ${savedPath(ctx, queue)} is missing: restore it by hand (lpadmin -p ${queue} -o printer-op-policy=default; cupsenable ${queue})`);
    return { changes };
  }
  const rq = releaseQueueName(queue);
  const rqAttrs = await ops.findPrinter(c, rq, ['printer-name']);

  // Jobs waiting at the gate would print unchecked once the queue is started again.
  if (!options.force) {
    const waiting = p ? await ops.getJobs(c, queue, 'not-completed', ['job-id']) : [];
    if (waiting.length > 0) throw new PrintgateError('CONFLICT', `${waiting.length} job(s) wait at the gate of ${queue}; let the agent decide them (or cancel them), or detach with --force to let them print unchecked`);
    const printing = rqAttrs ? await ops.getJobs(c, rq, 'not-completed', ['job-id']) : [];
    if (printing.length > 0) throw new PrintgateError('CONFLICT', `${printing.length} released job(s) are still printing on ${rq}; try again when they are done`);
  }

  if (p) await restoreGate(c, queue, p, saved, changes);
  else changes.push(`${queue} no longer exists in CUPS; removing what attach added`);
  if (rqAttrs) {
    await ops.deletePrinter(c, rq);
    changes.push(`deleted the release queue ${rq}`);
  }

  // The policies go when no queue uses them any more.
  const users = (await ops.getPrinters(c, ['printer-name', 'printer-op-policy'])).filter((x) => [GATE_POLICY, RELEASE_POLICY].includes(str(x, 'printer-op-policy')));
  if (users.length === 0 && (await editPolicies(ctx, undefined, false))) changes.push(`cupsd.conf: removed the policies ${GATE_POLICY} and ${RELEASE_POLICY} (cupsd reloaded)`);
  await rm(savedPath(ctx, queue), { force: true });
  changes.push(`removed ${savedPath(ctx, queue)}`);
  return { changes };
}

/** The gate queue back to its saved op policy, stopped state, message and accepting state. */
async function restoreGate(c: CupsClient, queue: string, p: IppAttribute[], saved: SavedQueue, changes: string[]): Promise<void> {
  if (str(p, 'printer-op-policy') !== saved.opPolicy) {
    await ops.addModifyPrinter(c, queue, [a.name('printer-op-policy', saved.opPolicy)]);
    changes.push(`${queue}: op policy ${str(p, 'printer-op-policy')} -> ${saved.opPolicy}`);
  }
  if (saved.stopped) {
    await ops.disablePrinter(c, queue, saved.stateMessage);
    changes.push(`${queue}: left stopped, message "${saved.stateMessage}" restored`);
  } else if (num(p, 'printer-state') === PrinterState.stopped) {
    await ops.enablePrinter(c, queue);
    await ops.addModifyPrinter(c, queue, [a.text('printer-state-message', saved.stateMessage)]).catch(() => undefined);
    changes.push(`${queue}: started again`);
  }
  if ((bool(p, 'printer-is-accepting-jobs') ?? true) !== saved.accepting) {
    await ops.setAccepting(c, queue, saved.accepting);
    changes.push(`${queue}: ${saved.accepting ? 'accepting' : 'rejecting'} jobs`);
  }
}
