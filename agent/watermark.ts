// The watermark: a line of small neutral-gray text (user, time, job id, optionally an HMAC
// signature made with a site key) stamped at the foot of every page of a PDF document
// before it is released, so a printed page says who printed it and when.
//
// This file only turns bytes into stamped bytes; the pipeline writes them back through the
// spooler (which keeps the spool file's owner and mode) and applies the printer's policy
// when a document cannot be stamped: not a PDF, encrypted, over the size limit, or damaged.
// The text is gray (no chroma), so stamping never turns a grayscale page into a colour one.

import { createHmac } from 'node:crypto';
import type { PDFDocument } from 'pdf-lib';

export interface WatermarkFields {
  user: string;
  /** Server job id (or the spooler's id when offline). */
  jobId: string;
  /** When the job was released, ms since the epoch. */
  time: number;
  printer?: string;
  host?: string;
}

export interface StampOptions {
  /** Template with {user} {time} {job} {printer} {host} {sig}; default DEFAULT_TEMPLATE. */
  template?: string;
  /** Text from the server that replaces the template entirely (AuthorizeResponse.watermark_text). */
  text?: string;
  /** Site key for the HMAC signature; when set, " sig:<...>" is added unless {sig} is used. */
  key?: Uint8Array;
  /** Largest document stamped, in bytes. */
  maxBytes?: number;
  fontSize?: number;
}

export const DEFAULT_TEMPLATE = 'Printed by {user} on {time} - job {job}';
export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

export type StampFailure = 'not-pdf' | 'encrypted' | 'too-large' | 'damaged';
export type StampResult =
  | { readonly ok: true; readonly bytes: Uint8Array; readonly text: string; readonly pages: number }
  | { readonly ok: false; readonly reason: StampFailure; readonly message: string };

/** "2026-11-20 22:58:03 UTC": unambiguous, sortable, no locale. */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

/** The HMAC-SHA256 signature of the fields, shortened to 16 base64url characters. */
export function watermarkSignature(key: Uint8Array, f: WatermarkFields): string {
  return createHmac('sha256', key).update(`${f.user}\n${formatTime(f.time)}\n${f.jobId}`).digest('base64url').slice(0, 16);
}

/** The text to stamp. Unknown placeholders stay as written. */
export function watermarkText(f: WatermarkFields, options: StampOptions = {}): string {
  const sig = options.key ? watermarkSignature(options.key, f) : '';
  const template = options.text || options.template || DEFAULT_TEMPLATE;
  const values: Record<string, string> = {
    user: f.user, time: formatTime(f.time), job: f.jobId, printer: f.printer ?? '', host: f.host ?? '', sig,
  };
  let text = template.replace(/\{(user|time|job|printer|host|sig)\}/g, (_m, name: string) => values[name] ?? '');
  if (sig && !template.includes('{sig}')) text += ` sig:${sig}`;
  return text;
}

/** The standard Helvetica font speaks WinAnsi: keep Latin-1 printable characters, replace others. */
function encodable(text: string): string {
  let out = '';
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    out += (c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xff) ? ch : '?';
  }
  return out.slice(0, 300);
}

function isPdf(bytes: Uint8Array): boolean {
  // The header may follow some junk (PDF readers accept up to 1 KiB of it).
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 1024)).toString('latin1');
  return head.includes('%PDF-');
}

/** Stamp every page of a PDF. Never throws for a bad document: the result says why. */
export async function stampPdf(bytes: Uint8Array, fields: WatermarkFields, options: StampOptions = {}): Promise<StampResult> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (bytes.length > maxBytes) return { ok: false, reason: 'too-large', message: `document of ${bytes.length} bytes is over the ${maxBytes}-byte watermark limit` };
  if (!isPdf(bytes)) return { ok: false, reason: 'not-pdf', message: 'document is not a PDF' };
  // pdf-lib is loaded on first use: an agent whose printers never stamp does not carry it.
  const { PDFDocument, StandardFonts, degrees, grayscale } = await import('pdf-lib');
  let doc: PDFDocument;
  try {
    doc = await PDFDocument.load(bytes, { updateMetadata: false, throwOnInvalidObject: false });
  } catch (err) {
    // pdf-lib's EncryptedPDFError fails instanceof (down-compiled class): match its message.
    if (/encrypted/i.test((err as Error).message)) return { ok: false, reason: 'encrypted', message: 'document is encrypted' };
    return { ok: false, reason: 'damaged', message: `document could not be read: ${(err as Error).message}` };
  }
  const text = encodable(watermarkText(fields, options));
  const size = options.fontSize ?? 7;
  const margin = 10;
  try {
    const font = await doc.embedFont(StandardFonts.Helvetica);
    const pages = doc.getPages();
    for (const page of pages) {
      // Place the line at the foot of the page as it is shown (after /Rotate), reading upright.
      const box = page.getCropBox();
      const x0 = box.x, y0 = box.y, x1 = box.x + box.width, y1 = box.y + box.height;
      const rotation = (((page.getRotation().angle % 360) + 360) % 360);
      const at: Record<number, [number, number]> = {
        0: [x0 + margin, y0 + margin],
        90: [x1 - margin, y0 + margin],
        180: [x1 - margin, y1 - margin],
        270: [x0 + margin, y1 - margin],
      };
      const [x, y] = at[rotation] ?? at[0]!;
      page.drawText(text, { x, y, size, font, color: grayscale(0.35), rotate: degrees(at[rotation] ? rotation : 0) });
    }
    const out = await doc.save({ updateFieldAppearances: false });
    return { ok: true, bytes: out, text, pages: pages.length };
  } catch (err) {
    return { ok: false, reason: 'damaged', message: `document could not be stamped: ${(err as Error).message}` };
  }
}
