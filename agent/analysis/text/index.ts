// Plain text: pages as CUPS's texttopdf (cups-filters) lays them out by default, with no
// PPD and no options: US Letter, margins 18/36 pt, 10 characters and 6 lines per inch,
// which gives 80 columns and 60 lines per page; long lines wrap; a form feed starts a new
// page (an empty one too); tab stops every 8 columns; BS/CR/VT/ESC 7/8/9 move the cursor as
// texttopdf does; an empty file prints nothing. Checked against texttopdf 1.28 + pdfinfo
// (fixtures/text). Text prints in black: every page is gray.
//
// texttopdf reads UTF-8 up to three bytes per character and stops at a 4-byte lead byte
// (0xF0-0xFF): we do the same and say so in a warning.

import type { AnalysisResult } from '../../../shared/analysis.ts';
import { checkBudget } from '../errors.ts';
import type { Source } from '../source.ts';
import type { AnalyzeOptions, Parser } from '../types.ts';
import { sniffText } from './sniff.ts';

/** texttopdf's defaults without a PPD: Letter 612x792 pt, ImageableArea 18,36 .. 594,756. */
export const TEXT_LAYOUT = {
  pageWidthPt: 612,
  pageLengthPt: 792,
  columns: Math.floor(((594 - 18) / 72) * 10), // 80
  lines: Math.floor(((756 - 36) / 72) * 6), // 60
  tab: 8,
} as const;

const CHUNK = 1 << 20;

/** The layout state machine: one instance per document. */
class Layout {
  line = 0;
  column = 0;
  pages = 0;
  empty = true;
  private escape = false;
  private half: 0 | 1 | -1 = 0; // +1 raised, -1 lowered (ESC 8 / ESC 9)
  private readonly lines = TEXT_LAYOUT.lines;
  private readonly width = TEXT_LAYOUT.columns;

  private newLine(): void {
    this.line++;
    if (this.line >= this.lines) {
      this.line = 0;
      this.pages++;
    }
  }

  /** Feed one decoded character. */
  char(ch: number): void {
    this.empty = false;
    if (this.escape) {
      this.escape = false;
      if (ch === 0x37) { if (this.line > 0) this.line--; }
      else if (ch === 0x38) {
        if (this.half === 1 && this.line > 0) { this.half = 0; this.line--; }
        else if (this.half === -1) this.half = 0;
        else this.half = 1;
      } else if (ch === 0x39) {
        if (this.half === -1 && this.line < this.lines - 1) { this.half = 0; this.line++; }
        else if (this.half === 1) this.half = 0;
        else this.half = -1;
      }
      return;
    }
    switch (ch) {
      case 0x08: if (this.column > 0) this.column--; return;
      case 0x09:
        this.column = (this.column + TEXT_LAYOUT.tab) & ~(TEXT_LAYOUT.tab - 1);
        if (this.column >= this.width) { this.column = 0; this.newLine(); }
        return;
      case 0x0d: this.column = 0; return;
      case 0x0a: this.column = 0; this.newLine(); return;
      case 0x0b: if (this.line > 0) this.line--; return;
      case 0x0c: this.column = 0; this.line = 0; this.pages++; return;
      case 0x1b: this.escape = true; return;
      default:
        if (ch < 0x20) return;
        if (this.column >= this.width) { this.column = 0; this.newLine(); }
        this.column++;
    }
  }

  /** Pages once the input ended. */
  finish(): number {
    if (this.empty) return 0;
    return this.pages + (this.line > 0 || this.column > 0 ? 1 : 0);
  }
}

async function analyze(source: Source, options: AnalyzeOptions): Promise<AnalysisResult> {
  const layout = new Layout();
  const warnings: string[] = [];
  let pos = 0;
  // UTF-8 decoding state across chunk boundaries, as texttopdf's getutf8().
  let need = 0;
  let acc = 0;
  let stopped = false;
  while (pos < source.size && !stopped) {
    checkBudget(options.signal, options.deadline, pos);
    const chunk = await source.read(pos, CHUNK);
    if (chunk.length === 0) break;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (need > 0) {
        acc = (acc << 6) | (b & 0x3f);
        if (--need === 0) layout.char(acc);
        continue;
      }
      if (b < 0xc0) layout.char(b);
      else if (b < 0xe0) { acc = b & 0x1f; need = 1; }
      else if (b < 0xf0) { acc = b & 0x0f; need = 2; }
      else {
        warnings.push(`byte 0x${b.toString(16)} at ${pos + i} starts a 4-byte UTF-8 character; texttopdf stops printing there, so do we`);
        stopped = true;
        break;
      }
    }
    pos += chunk.length;
  }
  const pages = layout.finish();
  const media = pages > 0 ? [{ name: 'Letter', pages, colorPages: 0 }] : [];
  return {
    format: 'text',
    pages,
    colorPages: 0,
    colorPageNumbers: [],
    copies: 1,
    duplex: false,
    media,
    method: 'text-layout',
    warnings,
    recovered: false,
  };
}

export const textParser: Parser = {
  format: 'text',
  sniff: sniffText,
  analyze,
};
