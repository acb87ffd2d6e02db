// The page walk both raster formats share (CUPS/PWG raster and Apple URF): pages follow one
// another to the end of the file, each opening with a fixed-size header, and the file may
// end only between pages. Collects each page's colour and paper name and builds the result.

import { colourSummary, type AnalysisResult, type DocumentFormat } from '../../../shared/analysis.ts';
import { AnalysisError, checkBudget } from '../errors.ts';
import { mediaUses } from '../media.ts';
import type { ByteReader } from '../reader.ts';
import type { AnalyzeOptions } from '../types.ts';

export class RasterPages {
  /** Per page: painted colour? */
  readonly flags: boolean[] = [];
  /** Per page: paper size name. */
  readonly names: string[] = [];
  private readonly reader: ByteReader;
  private readonly headerBytes: number;
  private readonly options: AnalyzeOptions;

  constructor(reader: ByteReader, headerBytes: number, options: AnalyzeOptions) {
    this.reader = reader;
    this.headerBytes = headerBytes;
    this.options = options;
  }

  /**
   * Offset of the next page header, its bytes buffered; null at a clean end of file. A file
   * that ends inside a header is truncated.
   */
  async nextHeader(): Promise<number | null> {
    const reader = this.reader;
    checkBudget(this.options.signal, this.options.deadline, reader.pos);
    const at = reader.pos;
    const avail = await reader.ensure(this.headerBytes);
    if (avail === 0) return null;
    if (avail < this.headerBytes) throw new AnalysisError('ANALYSIS_TRUNCATED', `file ends inside the header of page ${this.flags.length + 1}`, at);
    return at;
  }

  /** Refuse one page more than the limit (checked once the header at `at` is understood). */
  checkLimit(at: number): void {
    const max = this.options.limits.maxPages;
    if (this.flags.length >= max) throw new AnalysisError('ANALYSIS_LIMIT', `more than ${max} pages`, at);
  }

  add(colour: boolean, name: string): void {
    this.flags.push(colour);
    this.names.push(name);
  }

  result(format: DocumentFormat, copies: number, duplex: boolean, warnings: string[]): AnalysisResult {
    return {
      format,
      pages: this.flags.length,
      ...colourSummary(this.flags),
      copies,
      duplex,
      media: mediaUses(this.names, this.flags),
      pageMedia: this.names,
      method: 'raster-scan',
      warnings,
      recovered: false,
    };
  }
}
