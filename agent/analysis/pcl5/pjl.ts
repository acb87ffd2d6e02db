// PJL job-settings reader for the PCL parsers. The engine normally peels the UEL/PJL
// wrapper before a parser sees the payload, but a PCL 5 or PCL XL parser may still be
// handed a file that starts with one (or meet another UEL between language sections), so
// both read it here: the settings that change the bill (copies, duplex, paper, a
// grayscale render mode) are kept, everything else is skipped. Lines are bounded.

import type { ByteReader } from '../reader.ts';

export interface PjlSettings {
  copies?: number;
  duplex?: boolean;
  paper?: string;
  /** RENDERMODE=GRAYSCALE (or PLANESINUSE=1): the printer renders every page gray. */
  grayscale?: boolean;
  /** The language named by ENTER LANGUAGE, upper-case, when one was given. */
  language?: string;
}

const ESC = 0x1b;
const UEL = '\x1b%-12345X';
const MAX_LINE = 4096;

/** True when the reader is at a Universal Exit Language sequence (ESC%-12345X). */
export function atUel(r: ByteReader): boolean {
  for (let i = 0; i < UEL.length; i++) if (r.peek(i) !== UEL.charCodeAt(i)) return false;
  return true;
}

/** Normalise a PJL PAPER value to our media names (A4, Letter, ...). */
export function pjlPaperName(value: string): string {
  const v = value.toUpperCase();
  const known: Record<string, string> = {
    A3: 'A3', A4: 'A4', A5: 'A5', A6: 'A6', B4: 'B4', B5: 'B5', LETTER: 'Letter', LEGAL: 'Legal',
    EXECUTIVE: 'Executive', LEDGER: 'Tabloid', TABLOID: 'Tabloid', COM10: 'Env10', DL: 'EnvDL', C5: 'EnvC5',
    STATEMENT: 'Statement',
  };
  return known[v] ?? value;
}

/**
 * Consume any UEL sequences, PJL command lines and blank lines at the reader's position,
 * merging their settings into `into`. Stops after `@PJL ENTER LANGUAGE=...`, or at the
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
    if (!startsWithPjl(r)) return consumed;
    // One PJL line: up to LF (or the bound; an unending line ends at the bound).
    let n = 0;
    while (n < MAX_LINE && r.peek(n) !== -1 && r.peek(n) !== 0x0a && r.peek(n) !== ESC) n++;
    const line = new TextDecoder('latin1').decode(r.bytes(n));
    if (r.peek(0) === 0x0a) r.skip(1);
    consumed = true;
    if (applyLine(line, into)) return true;
  }
}

function startsWithPjl(r: ByteReader): boolean {
  const s = '@PJL';
  for (let i = 0; i < s.length; i++) {
    const b = r.peek(i);
    if (b === -1 || (b | 0x20) !== (s.charCodeAt(i) | 0x20)) return false;
  }
  return true;
}

/** Apply one PJL line; true when it was ENTER LANGUAGE (the payload follows). */
function applyLine(line: string, into: PjlSettings): boolean {
  const enter = /^@PJL\s+ENTER\s+LANGUAGE\s*=\s*([A-Za-z0-9_-]+)/i.exec(line);
  if (enter) {
    into.language = enter[1]!.toUpperCase();
    return true;
  }
  const set = /^@PJL\s+SET\s+([A-Za-z]+)\s*=\s*"?([^"\r\n]*?)"?\s*$/i.exec(line);
  if (!set) return false;
  const key = set[1]!.toUpperCase();
  const value = set[2]!.trim();
  const upper = value.toUpperCase();
  switch (key) {
    case 'COPIES':
    case 'QTY': {
      const n = Number.parseInt(value, 10);
      if (Number.isFinite(n) && n >= 1 && n <= 9999) into.copies = n;
      break;
    }
    case 'DUPLEX':
      into.duplex = upper === 'ON';
      break;
    case 'PAPER':
      into.paper = pjlPaperName(value);
      break;
    case 'RENDERMODE':
      into.grayscale = upper === 'GRAYSCALE';
      break;
    case 'PLANESINUSE':
      into.grayscale = upper === '1';
      break;
  }
  return false;
}
