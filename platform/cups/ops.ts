// The CUPS operations printgate uses, as small typed functions over CupsClient: printer
// and job queries, job control (hold, release, move, cancel, set attributes) and queue
// administration (add/modify, delete, enable/disable, accept/reject, fetch a PPD).
// Each one builds its request; none hides a failure (IppStatusError goes to the caller).

import type { CupsClient } from './client.ts';
import { a, find, groupsOf, type IppAttribute } from './ipp-message.ts';
import { GroupTag, Operation, Status } from './ipp-tags.ts';
import { IppStatusError } from './client.ts';

export type Attrs = IppAttribute[];

/** Printer attributes of one queue. */
export async function getPrinter(c: CupsClient, queue: string, requested: readonly string[]): Promise<Attrs> {
  const res = await c.ipp(Operation.GetPrinterAttributes, [a.uri('printer-uri', c.printerUri(queue)), a.keyword('requested-attributes', ...requested)]);
  return groupsOf(res, GroupTag.printer)[0]?.attributes ?? [];
}

/** Printer attributes of one queue, or undefined when CUPS does not know it. */
export async function findPrinter(c: CupsClient, queue: string, requested: readonly string[]): Promise<Attrs | undefined> {
  try {
    return await getPrinter(c, queue, requested);
  } catch (err) {
    if (err instanceof IppStatusError && err.ippStatus === Status.clientErrorNotFound) return undefined;
    throw err;
  }
}

/** Every local printer (not classes), with the requested attributes. */
export async function getPrinters(c: CupsClient, requested: readonly string[]): Promise<Attrs[]> {
  try {
    const res = await c.ipp(Operation.CupsGetPrinters, [a.keyword('requested-attributes', ...requested)]);
    return groupsOf(res, GroupTag.printer).map((g) => g.attributes);
  } catch (err) {
    // CUPS answers client-error-not-found when there is no printer at all.
    if (err instanceof IppStatusError && err.ippStatus === Status.clientErrorNotFound) return [];
    throw err;
  }
}

export async function getJob(c: CupsClient, jobId: number, requested: readonly string[]): Promise<Attrs> {
  const res = await c.ipp(Operation.GetJobAttributes, [a.uri('job-uri', c.jobUri(jobId)), a.keyword('requested-attributes', ...requested)]);
  return groupsOf(res, GroupTag.job)[0]?.attributes ?? [];
}

/** Jobs of a queue ('not-completed' or 'completed'), with the requested attributes. */
export async function getJobs(c: CupsClient, queue: string, which: 'not-completed' | 'completed', requested: readonly string[]): Promise<Attrs[]> {
  const res = await c.ipp(Operation.GetJobs, [
    a.uri('printer-uri', c.printerUri(queue)),
    a.keyword('which-jobs', which),
    a.keyword('requested-attributes', ...requested),
  ]);
  return groupsOf(res, GroupTag.job).map((g) => g.attributes).filter((x) => find(x, 'job-id'));
}

const jobTarget = (c: CupsClient, jobId: number) => [a.uri('job-uri', c.jobUri(jobId))];

export async function setJobAttributes(c: CupsClient, jobId: number, attrs: Attrs): Promise<void> {
  await c.ipp(Operation.SetJobAttributes, jobTarget(c, jobId), { groups: [{ tag: GroupTag.job, attributes: attrs }] });
}

export async function moveJob(c: CupsClient, jobId: number, toQueue: string): Promise<void> {
  await c.ipp(Operation.CupsMoveJob, jobTarget(c, jobId), { groups: [{ tag: GroupTag.job, attributes: [a.uri('job-printer-uri', c.printerUri(toQueue))] }] });
}

export async function cancelJob(c: CupsClient, jobId: number): Promise<void> {
  await c.ipp(Operation.CancelJob, jobTarget(c, jobId));
}

export async function holdJob(c: CupsClient, jobId: number): Promise<void> {
  await c.ipp(Operation.HoldJob, [...jobTarget(c, jobId), a.keyword('job-hold-until', 'indefinite')]);
}

export async function releaseJob(c: CupsClient, jobId: number): Promise<void> {
  await c.ipp(Operation.ReleaseJob, jobTarget(c, jobId));
}

/** CUPS-Add-Modify-Printer; `ppd` is the PPD to install with it (as lpadmin -P does). */
export async function addModifyPrinter(c: CupsClient, queue: string, printerAttrs: Attrs, ppd?: Uint8Array): Promise<void> {
  await c.ipp(Operation.CupsAddModifyPrinter, [a.uri('printer-uri', c.printerUri(queue))], {
    groups: [{ tag: GroupTag.printer, attributes: printerAttrs }],
    path: '/admin/',
    ...(ppd ? { data: ppd } : {}),
  });
}

export async function deletePrinter(c: CupsClient, queue: string): Promise<void> {
  await c.ipp(Operation.CupsDeletePrinter, [a.uri('printer-uri', c.printerUri(queue))], { path: '/admin/' });
}

/** The queue's PPD, or undefined when it has none (raw and some driverless queues). */
export async function getPpd(c: CupsClient, queue: string): Promise<Uint8Array | undefined> {
  try {
    const res = await c.ipp(Operation.CupsGetPpd, [a.uri('printer-uri', c.printerUri(queue))]);
    return res.data.length > 0 ? res.data : undefined;
  } catch (err) {
    if (err instanceof IppStatusError && err.ippStatus === Status.clientErrorNotFound) return undefined;
    throw err;
  }
}

/** Stop the queue (jobs stay pending), with a message users see in lpstat -p. */
export async function disablePrinter(c: CupsClient, queue: string, message: string): Promise<void> {
  await c.ipp(Operation.PausePrinter, [a.uri('printer-uri', c.printerUri(queue)), a.text('printer-state-message', message)], { path: '/admin/' });
}

export async function enablePrinter(c: CupsClient, queue: string): Promise<void> {
  await c.ipp(Operation.ResumePrinter, [a.uri('printer-uri', c.printerUri(queue))], { path: '/admin/' });
}

export async function setAccepting(c: CupsClient, queue: string, accepting: boolean): Promise<void> {
  await c.ipp(accepting ? Operation.CupsAcceptJobs : Operation.CupsRejectJobs, [a.uri('printer-uri', c.printerUri(queue))], { path: '/admin/' });
}
