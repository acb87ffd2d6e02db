// What the two agent-on-real-CUPS tests share: the skip rule for a machine without CUPS,
// small generated PDFs to print, and polling until a condition holds.

import { PDFDocument, StandardFonts, rgb } from 'pdf-lib';
import { needs, hasCommand } from '../helpers/system.ts';

export const skipWithoutCups = (): false | string =>
  needs('cups', hasCommand('cupsd') && hasCommand('ippeveprinter') && hasCommand('ipptool'));

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An A4 PDF of `pages` pages of text, black or (colour) red. */
export async function pdf(pages: number, label: string, colour = false): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let i = 0; i < pages; i++) {
    doc.addPage([595.28, 841.89]).drawText(`${label} page ${i + 1}`, { x: 50, y: 780, size: 14, font, color: colour ? rgb(0.9, 0.1, 0.1) : rgb(0, 0, 0) });
  }
  return doc.save();
}

/** Poll `get` every `everyMs` until it gives neither undefined nor false; throw after `ms`. */
export async function until<T>(what: string, get: () => Promise<T | undefined | false> | T | undefined | false, ms = 20_000, everyMs = 50): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}
