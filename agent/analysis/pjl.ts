// PJL, in one place: the job-settings language HP-style drivers wrap jobs in, read the way
// printers read it. Drivers send `ESC%-12345X@PJL ...` lines (job settings), then
// `@PJL ENTER LANGUAGE=X`, then the page description, then a closing `ESC%-12345X@PJL EOJ`
// trailer. One line parser / settings interpreter (applyPjlLine) serves two thin entry
// points:
//
//   peelWrappers  the engine, before detection: finds the wrapper in the file's head buffer,
//                 cuts the payload window out (the parsers only see it) and returns the
//                 settings that change the bill (copies, duplex, grayscale, paper) for the
//                 engine to apply. Only the head (first 256 KiB) and the tail (last 64 KiB)
//                 are read: a PJL header longer than that is not a PJL header.
//   readPjl       the PostScript, PCL 5 and PCL XL parsers, on a ByteReader: a PJL block met
//                 inside the stream (a file handed to a parser unpeeled, or a UEL between
//                 two language sections of one job). Lines are bounded.

import type { ByteReader } from './reader.ts';
import { SliceSource, type Source } from './source.ts';

/** Universal Exit Language: ends one language and returns the printer to PJL. */
export const UEL = new Uint8Array([0x1b, 0x25, 0x2d, 0x31, 0x32, 0x33, 0x34, 0x35, 0x58]); // ESC%-12345X

const HEAD_BYTES = 256 * 1024;
const latin1 = new TextDecoder('latin1');
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

/**
 * Apply one `@PJL ...` command line (without the line end) to the settings. Returns true for
 * an `@PJL ENTER LANGUAGE` line: the page description follows it.
 */
export function applyPjlLine(line: string, settings: PjlSettings, warnings: string[]): boolean {
  const trimmed = line.trim();
  const entersLanguage = /^@PJL\s+ENTER\s+LANGUAGE/i.test(trimmed);
  const m = /^@PJL\s*(.*)$/i.exec(trimmed);
  if (!m) return entersLanguage;
  const body = m[1]!.trim();
  const enter = /^ENTER\s+LANGUAGE\s*=\s*"?([A-Za-z0-9_-]+)"?/i.exec(body);
  if (enter) {
    settings.language = enter[1]!.toUpperCase();
    return entersLanguage;
  }
  // SET and DEFAULT both matter: DEFAULT changes the printer's default for this job's
  // environment when nothing else sets it. SET wins over DEFAULT (it is the job's own).
  const set = /^(SET|DEFAULT)\s+(?:LPARM\s*:\s*\w+\s+)?([A-Za-z_]+)\s*=\s*"?([^"\r\n]*)"?/i.exec(body);
  if (!set) return entersLanguage;
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
  return entersLanguage;
}

/** The copies a PJL header asks for: QTY beats COPIES; undefined when it says nothing. */
export function pjlCopies(settings: PjlSettings): number | undefined {
  return settings.qty ?? settings.copies;
}

/** A PJL PAPER value as one of our media names (A4, Letter, ...); undefined when not set. */
export function pjlPaperName(settings: PjlSettings): string | undefined {
  const v = settings.paper;
  if (v === undefined) return undefined;
  const known: Record<string, string> = {
    A3: 'A3', A4: 'A4', A5: 'A5', A6: 'A6', B4: 'B4', B5: 'B5', LETTER: 'Letter', LEGAL: 'Legal',
    EXECUTIVE: 'Executive', LEDGER: 'Tabloid', TABLOID: 'Tabloid', COM10: 'Env10', DL: 'EnvDL', C5: 'EnvC5',
    STATEMENT: 'Statement',
  };
  return known[v] ?? v;
}

/**
 * Parse the PJL lines starting at `pos` in `head`. Returns where the payload begins: after the
 * ENTER LANGUAGE line, or at the first byte that does not belong to a PJL line.
 */
function parseHeader(head: Uint8Array, pos: number, settings: PjlSettings, warnings: string[]): number {
  let i = pos;
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
    const line = latin1.decode(head.subarray(i, end));
    const entersLanguage = applyPjlLine(line, settings, warnings);
    i = end < head.length && head[end] === 0x0a ? end + 1 : end;
    if (entersLanguage) return i;
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

// ---- Sniffing (the parsers' detection scores) ----

/**
 * What a parser's sniff needs from the head of a file (decoded latin1): the language an
 * `@PJL ENTER LANGUAGE=` anywhere in it names (upper-case), and the text after a leading UEL
 * and any PJL or blank lines (where the page description starts).
 */
export function sniffPjl(head: string): { language: string | undefined; body: string } {
  const enter = /@PJL\s+ENTER\s+LANGUAGE\s*=\s*([A-Za-z0-9]+)/i.exec(head);
  return {
    language: enter ? enter[1]!.toUpperCase() : undefined,
    body: head.replace(/^(\x1b%-12345X)?(@PJL[^\n]*\n|[\r\n])*/i, ''),
  };
}

// ---- In-stream entry point (the parsers) ----

const ESC = 0x1b;
const MAX_LINE = 4096;

/** True when the reader is at a Universal Exit Language sequence (ESC%-12345X). */
export function atUel(r: ByteReader): boolean {
  for (let i = 0; i < UEL.length; i++) if (r.peek(i) !== UEL[i]) return false;
  return true;
}

function atPjl(r: ByteReader): boolean {
  const s = '@PJL';
  for (let i = 0; i < s.length; i++) {
    const b = r.peek(i);
    if (b === -1 || (b | 0x20) !== (s.charCodeAt(i) | 0x20)) return false;
  }
  return true;
}

/**
 * Consume any UEL sequences, PJL command lines and blank lines at the reader's position,
 * merging their settings into `into` (warnings about odd values are dropped: the engine
 * reports them for the wrapper it peels). Stops after `@PJL ENTER LANGUAGE=...`, or at the
 * first byte that is neither. Returns whether anything was consumed.
 */
export async function readPjl(r: ByteReader, into: PjlSettings): Promise<boolean> {
  let consumed = false;
  for (;;) {
    await r.ensure(MAX_LINE + UEL.length);
    if (r.peek(0) === ESC && atUel(r)) {
      r.skip(UEL.length);
      consumed = true;
      continue;
    }
    const c = r.peek(0);
    if (c === 0x0d || c === 0x0a || c === 0x0c) {
      r.skip(1);
      consumed = true;
      continue;
    }
    if (!atPjl(r)) return consumed;
    // One PJL line: up to LF (or the bound; an unending line ends at the bound).
    let n = 0;
    while (n < MAX_LINE && r.peek(n) !== -1 && r.peek(n) !== 0x0a && r.peek(n) !== ESC) n++;
    const line = latin1.decode(r.bytes(n));
    if (r.peek(0) === 0x0a) r.skip(1);
    consumed = true;
    if (applyPjlLine(line, into, [])) return true;
  }
}
