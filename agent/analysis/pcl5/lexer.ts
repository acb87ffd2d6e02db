// PCL 5 lexer: splits the byte stream into escape-sequence commands and runs of text.
// A parameterized sequence is ESC, a parameterized character (! to /), an optional group
// character (` to ~), then one or more value+parameter pairs: a lower-case parameter
// character continues the sequence (ESC&l1o2A is ESC&l1O then ESC&l2A), an upper-case
// one ends it. Two-character sequences (ESC E, ESC 9...) are returned as such. Commands
// that carry binary data (every ...#W, ESC*b#V, ESC&p#X) leave the reader at their data:
// the caller must read or skip exactly `value` bytes before asking for the next token.

import { AnalysisError } from '../errors.ts';
import type { ByteReader } from '../reader.ts';

export const ESC = 0x1b;

export type Pcl5Token =
  /** One command of a (possibly combined) parameterized sequence. */
  | { kind: 'cmd'; p: string; g: string; v: number; hasValue: boolean; t: string; at: number; data: boolean }
  /** A two-character escape sequence such as ESC E. */
  | { kind: 'esc2'; c: string; at: number }
  /** Plain bytes up to the next ESC (at most `maxRun`). */
  | { kind: 'text'; bytes: Uint8Array; at: number }
  | { kind: 'eof'; at: number };

const MAX_VALUE_CHARS = 32;

export class Pcl5Lexer {
  private readonly r: ByteReader;
  /** Inside a combined sequence: its parameterized and group characters. */
  private seq: { p: string; g: string } | null = null;
  private readonly maxRun: number;

  constructor(reader: ByteReader, maxRun = 64 * 1024) {
    this.r = reader;
    this.maxRun = maxRun;
  }

  async next(): Promise<Pcl5Token> {
    const r = this.r;
    await r.ensure(MAX_VALUE_CHARS + 8);
    if (this.seq) return this.param(this.seq.p, this.seq.g, r.pos);
    const at = r.pos;
    const b = r.peek(0);
    if (b === -1) return { kind: 'eof', at };
    if (b !== ESC) {
      await r.ensure(this.maxRun);
      let n = 1;
      const lim = Math.min(r.available, this.maxRun);
      while (n < lim && r.peek(n) !== ESC) n++;
      return { kind: 'text', bytes: r.bytes(n), at };
    }
    const c = r.peek(1);
    if (c === -1) throw new AnalysisError('ANALYSIS_TRUNCATED', 'PCL: file ends after ESC', at);
    if (c >= 0x21 && c <= 0x2f) {
      r.skip(2);
      let g = '';
      const gc = r.peek(0);
      if (gc >= 0x60 && gc <= 0x7e) {
        g = String.fromCharCode(gc);
        r.skip(1);
      }
      return this.param(String.fromCharCode(c), g, at);
    }
    if (c >= 0x30 && c <= 0x7e) {
      r.skip(2);
      return { kind: 'esc2', c: String.fromCharCode(c), at };
    }
    // ESC followed by a control or 8-bit byte: not a command; let the ESC pass as text.
    r.skip(1);
    return { kind: 'text', bytes: new Uint8Array([ESC]), at };
  }

  /** One value + parameter character of the current sequence. */
  private async param(p: string, g: string, at: number): Promise<Pcl5Token> {
    const r = this.r;
    await r.ensure(MAX_VALUE_CHARS + 2);
    let n = 0;
    let text = '';
    for (;;) {
      const ch = r.peek(n);
      const isValueChar = (ch >= 0x30 && ch <= 0x39) || ch === 0x2e || ((ch === 0x2b || ch === 0x2d) && n === 0);
      if (!isValueChar) break;
      text += String.fromCharCode(ch);
      n++;
      if (n > MAX_VALUE_CHARS) throw new AnalysisError('ANALYSIS_MALFORMED', 'PCL: value field too long', r.pos);
    }
    const t = r.peek(n);
    if (t === -1) throw new AnalysisError('ANALYSIS_TRUNCATED', 'PCL: file ends inside an escape sequence', r.pos + n);
    if (t < 0x40 || t > 0x7e) {
      // Not a parameter character: the sequence is malformed; drop it and go on.
      this.seq = null;
      r.skip(n);
      return { kind: 'cmd', p, g, v: 0, hasValue: false, t: '', at, data: false };
    }
    r.skip(n + 1);
    const upper = t < 0x60;
    this.seq = upper ? null : { p, g };
    const term = String.fromCharCode(upper ? t : t - 0x20);
    const parsed = text === '' || text === '+' || text === '-' ? 0 : Number.parseFloat(text);
    const v = Number.isFinite(parsed) ? parsed : 0;
    const data = term === 'W' || (p === '*' && g === 'b' && term === 'V') || (p === '&' && g === 'p' && term === 'X');
    return { kind: 'cmd', p, g, v, hasValue: text !== '', t: term, at, data };
  }
}
