// One open PDF: the cross-reference table, lazy object resolution through it with a small
// cache, objects in object streams, and the fall-back to a rebuilt table when the xref
// lies. Nothing is loaded until asked for: counting pages touches the page tree only, and
// colour analysis reads one page's objects at a time. Parsing one stored object is in
// indirect.ts, object stream headers in objstm.ts, stream data in streams.ts.

import { AnalysisError, checkBudget } from '../errors.ts';
import type { Source } from '../source.ts';
import type { AnalyzeLimits } from '../types.ts';
import { BlockReader } from './blocks.ts';
import type { Decryptor } from './crypto.ts';
import type { Decoded } from './filters.ts';
import { decryptStrings, parseWindow, type Parsed } from './indirect.ts';
import { indexOf } from './bytes.ts';
import { isWhite, Lexer, Underflow } from './lexer.ts';
import { inflateObjStm, ObjStm } from './objstm.ts';
import { decodedNow, makeStream, plainFlateNow, rawChunks, rawStream, streamData, streamDataNow } from './streams.ts';
import { arrayOf, dictOf, numOf, PdfDict, PdfOp, PdfRef, PdfStream, PdfString, type PdfObj } from './objects.ts';
import { dictInteger, objectHeader } from './skim.ts';
import { readXrefChain, rebuildXref } from './xref.ts';
import { XrefTable } from './xreftable.ts';

const CACHE_MAX = 4000;
const OBJSTM_MAX = 64;
const OBJSTM_BYTES = 16 * 1024 * 1024;

export interface DocOptions {
  limits: AnalyzeLimits;
  signal?: AbortSignal | undefined;
  deadline: number;
}

export class PdfDocument {
  readonly reader: BlockReader;
  readonly limits: AnalyzeLimits;
  readonly signal: AbortSignal | undefined;
  readonly deadline: number;
  entries = new XrefTable();
  trailer = new PdfDict();
  readonly warnings: string[] = [];
  recovered = false;
  /** /Encrypt present in the trailer. */
  encrypted = false;
  /** Decryption with the empty user password; undefined when not encrypted or not possible. */
  decryptor: Decryptor | undefined;
  private encryptNum = -1;
  private readonly cache = new Map<number, PdfObj>();
  private readonly objStms = new Map<number, ObjStm>();
  private readonly resolving = new Set<number>();
  private objStmBytes = 0;
  /** One lexer for every object parsed here (parsing is synchronous; it is reset each time). */
  private readonly lx = new Lexer(new Uint8Array(0));

  private constructor(source: Source, opts: DocOptions) {
    this.reader = new BlockReader(source);
    this.limits = opts.limits;
    this.signal = opts.signal;
    this.deadline = opts.deadline;
  }

  /** Time and cancellation check; cheap enough for every object (the clock is read 1 in 32). */
  budget(offset: number): void {
    if ((++this.ticks & 31) !== 0) return;
    checkBudget(this.signal, this.deadline, offset);
  }
  private ticks = 31; // so the very first call checks

  /**
   * A turn of the event loop when the last one was more than 10 ms ago, else undefined
   * (nothing to await). With a synchronous source nothing else gives one, and the agent
   * runs analyses in its own process beside its other work (and the engine's timers).
   */
  turn(): Promise<void> | undefined {
    const now = Date.now();
    if (now - this.lastTurn < 10) return undefined;
    return new Promise<void>((resolve) => setImmediate(() => { this.lastTurn = Date.now(); resolve(); }));
  }
  private lastTurn = Date.now();

  warn(msg: string): void {
    if (this.warnings.length < 50 && !this.warnings.includes(msg)) this.warnings.push(msg);
  }

  static async open(source: Source, opts: DocOptions): Promise<PdfDocument> {
    const doc = new PdfDocument(source, opts);
    if (source.size > opts.limits.maxBytes) {
      throw new AnalysisError('ANALYSIS_LIMIT', 'file larger than the analysis limit', 0);
    }
    const head = await doc.reader.read(0, 1024);
    if (indexOf(head, '%PDF-') < 0) throw new AnalysisError('ANALYSIS_MALFORMED', 'no %PDF- header', 0);
    let ok = false;
    try {
      ok = await readXrefChain(doc);
      // Encryption first: the catalog may sit in an (encrypted) object stream.
      if (ok) ok = await doc.setupEncryption().then(() => doc.hasCatalog());
    } catch (e) {
      if (!(e instanceof AnalysisError) || e.code === 'ANALYSIS_LIMIT' || e.code === 'ANALYSIS_ABORTED') throw e;
      if (e.code === 'ANALYSIS_ENCRYPTED' && doc.encrypted) throw e; // an unsupported handler
      ok = false;
    }
    if (!ok) await doc.rebuild('the cross-reference table is damaged');
    return doc;
  }

  /**
   * Whether the catalog can be read. An encrypted catalog without the password counts as
   * present: the caller then works from what is not encrypted.
   */
  private async hasCatalog(): Promise<boolean> {
    try {
      return dictOf(await this.resolve(this.trailer.get('Root'))) !== undefined;
    } catch (e) {
      if (e instanceof AnalysisError && e.code === 'ANALYSIS_ENCRYPTED' && this.encrypted && !this.decryptor) return true;
      throw e;
    }
  }

  /** Replace the xref by a scan of the whole file (once). */
  async rebuild(why: string): Promise<void> {
    if (this.recovered) return;
    this.recovered = true;
    this.warn(`${why}; objects were found by scanning the file`);
    this.cache.clear();
    this.objStms.clear();
    this.objStmBytes = 0;
    await rebuildXref(this);
    if (!(await this.hasCatalog())) {
      throw new AnalysisError('ANALYSIS_MALFORMED', 'no document catalog found', 0);
    }
  }

  /** Set up decryption from the trailer's /Encrypt (again after a rebuild). */
  async setupEncryption(): Promise<void> {
    this.encrypted = false;
    this.decryptor = undefined;
    const encRef = this.trailer.get('Encrypt');
    if (encRef === undefined || encRef === null) return;
    this.encrypted = true;
    if (encRef instanceof PdfRef) this.encryptNum = encRef.num;
    const enc = dictOf(await this.resolve(encRef));
    if (!enc) throw new AnalysisError('ANALYSIS_MALFORMED', 'unreadable encryption dictionary', 0);
    const id = arrayOf(this.trailer.get('ID'));
    const id0 = id && id[0] instanceof PdfString ? id[0].bytes : new Uint8Array(0);
    // Loaded only for encrypted files: it brings in node:crypto (about 5 ms at start-up).
    const { openStandard } = await import('./crypto.ts');
    this.decryptor = openStandard(enc, id0, 0);
    // Objects read before the decryptor existed (the catalog) hold encrypted strings.
    this.cache.clear();
    this.objStms.clear();
    this.objStmBytes = 0;
  }

  /** Parse "num gen obj <value> [stream]" at an absolute offset. */
  async parseAt(offset: number): Promise<Parsed> {
    let size = 4096;
    for (;;) {
      this.budget(offset);
      const win = await this.reader.read(offset, size);
      const complete = offset + win.length >= this.reader.size;
      try {
        return parseWindow(this.lx, win, 0, offset, complete);
      } catch (e) {
        if (!(e instanceof Underflow)) throw e;
        if (complete || size >= this.limits.maxBufferBytes) {
          throw new AnalysisError('ANALYSIS_LIMIT', 'object larger than the buffer limit', offset);
        }
        size *= 4;
      }
    }
  }

  /**
   * The fast path of loadObject, without a promise: an object stored at its xref offset
   * that lies in a cached block and parses cleanly there (a stream too when its /Length
   * is direct and right). undefined means "take the general path", which handles every
   * other case (and every error) exactly as before.
   */
  private loadDirectNow(num: number, offset: number): PdfObj | undefined {
    const reader = this.reader;
    if (offset < 0 || offset >= reader.size) return undefined;
    const win = reader.read(offset, 4096);
    if (win instanceof Promise) return undefined;
    let parsed: Parsed;
    try {
      parsed = parseWindow(this.lx, win, 0, offset, offset + win.length >= reader.size);
    } catch {
      return undefined;
    }
    if (parsed.num !== num) return undefined;
    this.budget(offset);
    let value = parsed.value;
    if (parsed.streamStart >= 0 && value instanceof PdfDict) {
      // An indirect /Length (pdfTeX and others write one per stream) when its object is at
      // hand too: what makeStream would resolve, without the promises of the general path.
      let len = value.get('Length');
      if (len instanceof PdfRef && len.num !== num) len = this.getObjectNow(len.num, true);
      if (typeof len !== 'number' || len < 0 || parsed.streamStart + len > reader.size) return undefined;
      const after = reader.read(parsed.streamStart + len, 48);
      if (after instanceof Promise) return undefined;
      let p = 0;
      while (p < after.length && isWhite(after[p]!)) p++;
      if (indexOf(after, 'endstream', p, p + 9) !== p) return undefined;
      value = new PdfStream(value, parsed.streamStart, len, num, parsed.gen);
    }
    if (this.decryptor && num !== this.encryptNum) decryptStrings(value instanceof PdfStream ? value.dict : value, this.decryptor, num, parsed.gen);
    return value;
  }

  /**
   * The object with this number, or null when it does not exist (as the spec says).
   * `keep` false: do not cache it (page tree nodes and pages are visited once; caching
   * them only pushes shared objects out and feeds the garbage collector).
   */
  getObject(num: number, keep = true): PdfObj | Promise<PdfObj> {
    const now = this.getObjectNow(num, keep);
    return now !== undefined ? now : this.getObjectAsync(num, keep);
  }

  /**
   * getObject's answer when it needs no promise (cached, in an object stream already
   * decoded, or parsing cleanly in a cached block); undefined otherwise, with nothing
   * started.
   */
  private getObjectNow(num: number, keep: boolean): PdfObj | undefined {
    const hit = this.cache.get(num);
    if (hit !== undefined) return hit;
    // In an object stream already decoded: parse it here, without a promise.
    const entries = this.entries;
    const type = entries.typeOf(num);
    if (type === 2) {
      const a = entries.aOf(num);
      let stm = this.objStms.get(a);
      if (stm === undefined && !this.resolving.has(num)) stm = this.objStmNow(a);
      const v = stm ? this.inObjStm(stm, entries.bOf(num), num) : undefined;
      if (v !== undefined) {
        if (keep) {
          if (this.cache.size >= CACHE_MAX) this.cache.clear();
          this.cache.set(num, v);
        }
        return v;
      }
    }
    if (type === 1 && !this.resolving.has(num)) {
      const v = this.loadDirectNow(num, entries.aOf(num));
      if (v !== undefined) {
        if (keep) {
          if (this.cache.size >= CACHE_MAX) this.cache.clear();
          this.cache.set(num, v);
        }
        return v;
      }
    }
    return undefined;
  }

  private async getObjectAsync(num: number, keep: boolean): Promise<PdfObj> {
    if (this.resolving.has(num)) return null; // a reference cycle through /Length or similar
    this.resolving.add(num);
    try {
      let obj = await this.loadObject(num);
      if (obj === undefined && !this.recovered) {
        await this.rebuild(`object ${num} is not where the cross-reference table says`);
        obj = await this.loadObject(num);
      }
      const value = obj ?? null;
      if (keep) {
        if (this.cache.size >= CACHE_MAX) this.cache.clear();
        this.cache.set(num, value);
      }
      return value;
    } finally {
      this.resolving.delete(num);
    }
  }

  /** undefined = the xref entry is wrong (triggers a rebuild); null = free/missing. */
  private async loadObject(num: number): Promise<PdfObj | undefined> {
    const e = this.entries.get(num);
    if (!e || e.type === 0) return null;
    if (e.type === 2) return this.fromObjStm(e.a, e.b, num);
    if (e.a < 0 || e.a >= this.reader.size) return undefined;
    let parsed;
    try {
      parsed = await this.parseAt(e.a);
    } catch (err) {
      if (err instanceof AnalysisError && (err.code === 'ANALYSIS_MALFORMED' || err.code === 'ANALYSIS_TRUNCATED')) {
        return undefined;
      }
      throw err;
    }
    if (parsed.num !== num) return undefined;
    let value = parsed.value;
    if (this.decryptor && num !== this.encryptNum) decryptStrings(value, this.decryptor, num, parsed.gen);
    if (parsed.streamStart >= 0 && value instanceof PdfDict) {
      value = await this.makeStream(value, parsed.streamStart, num, parsed.gen);
    }
    return value;
  }

  private async fromObjStm(stmNum: number, index: number, num: number): Promise<PdfObj | undefined> {
    let stm = this.objStms.get(stmNum);
    if (!stm) {
      const s = await this.getObject(stmNum);
      if (!(s instanceof PdfStream)) return undefined;
      const { data } = await this.streamData(s);
      stm = this.keepObjStm(stmNum, s, data);
    }
    return this.inObjStm(stm, index, num);
  }

  /**
   * fromObjStm's decoding without a promise, when the stream object parses at once and
   * its data is at hand (a file source, no encryption, direct filter entries): a large
   * manual has hundreds of object streams, each a chain of promises the general way.
   * undefined otherwise (and on any error, which the general path then meets and reports
   * as before). Not nested: an object stream needed to decode another goes the general way.
   */
  private objStmNow(stmNum: number): ObjStm | undefined {
    if (this.decodingNow || this.entries.typeOf(stmNum) !== 1) return undefined;
    this.decodingNow = true;
    try {
      const s = this.getObjectNow(stmNum, true);
      if (!(s instanceof PdfStream)) return undefined;
      // Plain Flate (nearly all) into a pooled buffer (objstm.ts), else the general way.
      const raw = plainFlateNow(this, s);
      const pooled = raw === undefined ? undefined : inflateObjStm(raw, this.limits.maxBufferBytes);
      if (pooled !== undefined) return this.keepObjStm(stmNum, s, pooled, true);
      const d = decodedNow(this, s);
      return d === undefined ? undefined : this.keepObjStm(stmNum, s, d.data);
    } catch (e) {
      if (e instanceof AnalysisError) return undefined;
      throw e;
    } finally {
      this.decodingNow = false;
    }
  }
  private decodingNow = false;

  /** Parse the header of object stream `stmNum` (decoded `data`) and keep it among the decoded ones. */
  private keepObjStm(stmNum: number, s: PdfStream, data: Uint8Array, pooled = false): ObjStm {
    const first = numOf(s.dict.get('First')) ?? 0;
    const n = Math.min(numOf(s.dict.get('N')) ?? 0, 1_000_000);
    const stm = ObjStm.parse(data, first, n, this.lx, pooled);
    // Objects of one page are spread over several object streams: keep a few dozen
    // decoded (bounded by bytes) so the page walk does not inflate them again and again.
    this.objStmBytes += data.length;
    while (this.objStms.size > 0 && (this.objStms.size >= OBJSTM_MAX || this.objStmBytes > OBJSTM_BYTES)) {
      const oldest = this.objStms.keys().next().value!;
      const gone = this.objStms.get(oldest)!;
      this.objStmBytes -= gone.data.length;
      this.objStms.delete(oldest);
      gone.recycle();
    }
    this.objStms.set(stmNum, stm);
    return stm;
  }

  /**
   * The document is done (nothing of it is read after this): the reader's block buffers
   * and the decoded object streams' buffers go to the next document.
   */
  release(): void {
    this.reader.release();
    for (const stm of this.objStms.values()) stm.recycle();
    this.objStms.clear();
    this.objStmBytes = 0;
  }

  /** Parse object `num` from a decoded object stream; undefined when it is not there. */
  private inObjStm(stm: ObjStm, index: number, num: number): PdfObj | undefined {
    // The object must be the one the xref names (by number; its index must agree when given).
    const at = stm.offsetOf(num, index);
    const named = stm.numberAt(index);
    if (named !== undefined && named !== num && at !== undefined) {
      this.warn('an object stream index disagrees with its xref entry (the number wins)');
    }
    if (at === undefined || at >= stm.data.length) return undefined;
    const lx = this.lx;
    lx.reset(stm.data, 0, true);
    lx.pos = at;
    const v = lx.next(true);
    return v instanceof PdfOp || v === undefined ? null : v;
  }

  /** Follow references; values that are not references come back without a promise. */
  resolve(o: PdfObj | undefined): PdfObj | undefined | Promise<PdfObj | undefined> {
    if (!(o instanceof PdfRef)) return o;
    const hit = this.cache.get(o.num);
    if (hit !== undefined && !(hit instanceof PdfRef)) return hit;
    // Most objects parse at once (a cached block, a decoded object stream): no promise.
    const now = this.getObject(o.num);
    if (!(now instanceof Promise) && !(now instanceof PdfRef)) return now;
    return this.resolveRef(now);
  }

  /**
   * The plain unsigned integer entry `key` of dictionary object `num`, read from its bytes
   * without parsing it (skim.ts), when those bytes are at hand: a cached block or an object
   * stream already decoded. null: the dictionary has no such entry. undefined: resolve the
   * object instead (not at hand, not plain, or anything the parser would warn about).
   */
  peekInteger(num: number, key: string): number | null | undefined {
    if (this.cache.has(num)) return undefined;
    const entries = this.entries;
    const type = entries.typeOf(num);
    if (type === 2) {
      const stm = this.objStms.get(entries.aOf(num));
      const index = entries.bOf(num);
      if (!stm || stm.numberAt(index) !== num) return undefined;
      const at = stm.offsetOf(num, index);
      if (at === undefined || at >= stm.data.length) return undefined;
      return dictInteger(stm.data, at, key);
    }
    const a = entries.aOf(num);
    if (type !== 1 || this.resolving.has(num) || a < 0 || a >= this.reader.size) return undefined;
    const win = this.reader.read(a, 4096);
    if (win instanceof Promise) return undefined;
    const at = objectHeader(win, 0, num);
    return at < 0 ? undefined : dictInteger(win, at, key);
  }

  /** resolve() for an object used once (a page's annotation): not kept in the cache. */
  resolveOnce(o: PdfObj | undefined): PdfObj | undefined | Promise<PdfObj | undefined> {
    if (!(o instanceof PdfRef)) return o;
    const hit = this.cache.get(o.num);
    if (hit !== undefined && !(hit instanceof PdfRef)) return hit;
    const now = this.getObject(o.num, false);
    if (!(now instanceof Promise) && !(now instanceof PdfRef)) return now;
    return this.resolveRef(now);
  }

  /** Follow a chain of references from what getObject gave for the first (at most 16 hops). */
  private async resolveRef(first: PdfObj | Promise<PdfObj>): Promise<PdfObj | undefined> {
    let v: PdfObj | undefined = await first;
    for (let i = 1; i < 16 && v instanceof PdfRef; i++) v = await this.getObject(v.num);
    return v instanceof PdfRef ? null : v;
  }

  /** Trust /Length, verify `endstream` after it, else scan for `endstream` (streams.ts). */
  makeStream(dict: PdfDict, start: number, num: number, gen: number): Promise<PdfStream> {
    return makeStream(this, dict, start, num, gen);
  }

  /** Raw stream bytes, decrypted, then run through the non-image filters. */
  streamData(s: PdfStream, limit = this.limits.maxBufferBytes): Promise<Decoded> {
    return streamData(this, s, limit);
  }

  /** streamData without a promise when the stored bytes are at hand (streams.ts). */
  streamDataNow(s: PdfStream): Decoded | Promise<Decoded> {
    return streamDataNow(this, s);
  }

  /** The stored bytes of a plain Flate stream when at hand, else undefined (streams.ts). */
  plainFlateNow(s: PdfStream): Uint8Array | undefined {
    return plainFlateNow(this, s);
  }

  /** The stream's bytes as stored (decrypted), with its filter entries resolved. */
  rawStream(s: PdfStream): Promise<Uint8Array> {
    return rawStream(this, s);
  }

  /** The stored bytes of an unencrypted stream in chunks of one reused buffer (streams.ts). */
  rawChunks(s: PdfStream): Promise<(() => Promise<Uint8Array | undefined>) | undefined> {
    return rawChunks(this, s);
  }
}
