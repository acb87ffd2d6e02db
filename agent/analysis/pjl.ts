// Peels the PJL / UEL job wrapper off a spool file before detection. Drivers for HP-style
// printers send `ESC%-12345X@PJL ...` lines (job settings), then `@PJL ENTER LANGUAGE=X`,
// then the page description, then a closing `ESC%-12345X@PJL EOJ` trailer. The parsers only
// see the payload window in between; the job settings that change the bill (copies, duplex,
// grayscale render mode, paper) are returned for the engine to apply.
//
// Only the head (first 256 KiB) and the tail (last 64 KiB) are read: a PJL header longer
// than that is not a PJL header.

import { SliceSource, type Source } from './source.ts';

/** Universal Exit Language: ends one language and returns the printer to PJL. */
export const UEL = new Uint8Array([0x1b, 0x25, 0x2d, 0x31, 0x32, 0x33, 0x34, 0x35, 0x58]); // ESC%-12345X

const HEAD_BYTES = 256 * 1024;
const TAIL_BYTES = 64 * 1024;

export interface PjlSettings {
  /** @PJL SET COPIES= (uncollated copies). */
  copies?: number;
  /** @PJL SET QTY= (collated copies); wins over COPIES when both are given. */
  qty?: number;
  /** @PJL SET DUPLEX=ON / OFF. */
  duplex?: boolean;
  /** RENDERMODE=GRAYSCALE (or PLANESINUSE=1): the printer renders every page in gray. */
  grayscale?: boolean;
  /** @PJL SET PAPER= as written (LETTER, A4...). */
  paper?: string;
  /** @PJL ENTER LANGUAGE= upper-cased (PCL, PCLXL, POSTSCRIPT, PDF...). */
  language?: string;
}

export interface Peeled {
  /** The page-description bytes: the whole source when there was no wrapper. */
  payload: Source;
  /** Offset of the payload in the original source. */
  start: number;
  /** Whether a PJL/UEL wrapper was found and removed. */
  wrapped: boolean;
  settings: PjlSettings;
  warnings: string[];
}

function startsWith(bytes: Uint8Array, at: number, prefix: Uint8Array): boolean {
  if (at + prefix.length > bytes.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[at + i] !== prefix[i]) return false;
  return true;
}

function startsWithText(bytes: Uint8Array, at: number, text: string): boolean {
  if (at + text.length > bytes.length) return false;
  for (let i = 0; i < text.length; i++) {
    let b = bytes[at + i]!;
    if (b >= 0x61 && b <= 0x7a) b -= 0x20; // PJL keywords are case-insensitive
    if (b !== text.charCodeAt(i)) return false;
  }
  return true;
}

/** Index of the last UEL in `bytes`, or -1. */
function lastUel(bytes: Uint8Array): number {
  for (let i = bytes.length - UEL.length; i >= 0; i--) {
    if (bytes[i] === 0x1b && startsWith(bytes, i, UEL)) return i;
  }
  return -1;
}

/** Apply one `@PJL ...` command line (without the line end) to the settings. */
export function applyPjlLine(line: string, settings: PjlSettings, warnings: string[]): void {
  const m = /^@PJL\s*(.*)$/i.exec(line.trim());
  if (!m) return;
  const body = m[1]!.trim();
  const enter = /^ENTER\s+LANGUAGE\s*=\s*"?([A-Za-z0-9_-]+)"?/i.exec(body);
  if (enter) {
    settings.language = enter[1]!.toUpperCase();
    return;
  }
  // SET and DEFAULT both matter: DEFAULT changes the printer's default for this job's
  // environment when nothing else sets it. SET wins over DEFAULT (it is the job's own).
  const set = /^(SET|DEFAULT)\s+(?:LPARM\s*:\s*\w+\s+)?([A-Za-z_]+)\s*=\s*"?([^"\r\n]*)"?/i.exec(body);
  if (!set) return;
  const isDefault = set[1]!.toUpperCase() === 'DEFAULT';
  const key = set[2]!.toUpperCase();
  const value = set[3]!.trim();
  const upper = value.toUpperCase();
  const int = (): number | undefined => {
    if (!/^\d{1,6}$/.test(value)) {
      warnings.push(`PJL ${key}=${value} is not a number; ignored`);
      return undefined;
    }
    const n = Number(value);
    return n >= 1 ? n : undefined;
  };
  const put = <K extends keyof PjlSettings>(k: K, v: PjlSettings[K] | undefined) => {
    if (v === undefined) return;
    if (isDefault && settings[k] !== undefined) return;
    settings[k] = v;
  };
  switch (key) {
    case 'COPIES': put('copies', int()); break;
    case 'QTY': put('qty', int()); break;
    case 'DUPLEX': if (upper === 'ON' || upper === 'OFF') put('duplex', upper === 'ON'); break;
    case 'RENDERMODE':
      if (upper === 'GRAYSCALE' || upper === 'GREYSCALE') put('grayscale', true);
      else if (upper === 'COLOR' || upper === 'COLOUR') put('grayscale', false);
      break;
    case 'PLANESINUSE': if (value === '1') put('grayscale', true); else if (value === '3' || value === '4') put('grayscale', false); break;
    case 'PAPER': if (value !== '') put('paper', upper); break;
    default: break;
  }
}

/** The copies a PJL header asks for: QTY beats COPIES; undefined when it says nothing. */
export function pjlCopies(settings: PjlSettings): number | undefined {
  return settings.qty ?? settings.copies;
}

/**
 * Parse the PJL lines starting at `pos` in `head`. Returns where the payload begins: after the
 * ENTER LANGUAGE line, or at the first byte that does not belong to a PJL line.
 */
function parseHeader(head: Uint8Array, pos: number, settings: PjlSettings, warnings: string[]): number {
  let i = pos;
  const decoder = new TextDecoder('latin1');
  while (i < head.length) {
    // Blank line ends and stray UELs between PJL lines are part of the wrapper.
    const b = head[i]!;
    if (b === 0x0d || b === 0x0a || b === 0x20 || b === 0x09 || b === 0x0c) { i++; continue; }
    if (b === 0x1b && startsWith(head, i, UEL)) { i += UEL.length; continue; }
    if (!startsWithText(head, i, '@PJL')) return i;
    let end = i;
    while (end < head.length && head[end] !== 0x0a && head[end] !== 0x1b) end++;
    if (end >= head.length) {
      warnings.push('PJL header longer than the bytes examined; payload detection may be off');
      return end;
    }
    const line = decoder.decode(head.subarray(i, end));
    applyPjlLine(line, settings, warnings);
    i = end < head.length && head[end] === 0x0a ? end + 1 : end;
    if (/^@PJL\s+ENTER\s+LANGUAGE/i.test(line.trim())) return i;
  }
  return i;
}

/** Whether the bytes after a trailing UEL are only the PJL job end (EOJ, blank, more UELs). */
function trailerIsPjl(tail: Uint8Array, at: number): boolean {
  let i = at + UEL.length;
  while (i < tail.length) {
    const b = tail[i]!;
    if (b === 0x0d || b === 0x0a || b === 0x20 || b === 0x09 || b === 0x00 || b === 0x04) { i++; continue; }
    if (b === 0x1b && startsWith(tail, i, UEL)) { i += UEL.length; continue; }
    if (!startsWithText(tail, i, '@PJL')) return false;
    while (i < tail.length && tail[i] !== 0x0a) i++;
  }
  return true;
}

/**
 * Find and remove a PJL/UEL wrapper. Files without one come back unchanged (payload = source).
 * Never throws on odd input: a wrapper that cannot be understood is left in place.
 */
export async function peelWrappers(source: Source): Promise<Peeled> {
  const settings: PjlSettings = {};
  const warnings: string[] = [];
  const head = await source.read(0, Math.min(HEAD_BYTES, source.size));
  let i = 0;
  // Some drivers put a few NULs or a Ctrl-D before the UEL.
  while (i < head.length && i < 16 && (head[i] === 0x00 || head[i] === 0x04)) i++;
  const hasUel = startsWith(head, i, UEL);
  if (!hasUel && !startsWithText(head, i, '@PJL')) {
    return { payload: source, start: 0, wrapped: false, settings, warnings };
  }
  const start = parseHeader(head, i, settings, warnings);

  // The payload ends at the last UEL, when only PJL follows it.
  let end = source.size;
  const tailStart = Math.max(start, source.size - TAIL_BYTES);
  const tail = await source.read(tailStart, source.size - tailStart);
  let from = tail.length;
  while (from > 0) {
    const u = lastUel(tail.subarray(0, from));
    if (u < 0) break;
    if (!trailerIsPjl(tail, u)) break;
    end = tailStart + u;
    from = u;
  }
  if (end < start) end = start;
  return { payload: new SliceSource(source, start, end - start), start, wrapped: true, settings, warnings };
}
